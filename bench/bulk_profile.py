"""Which expressions of a policy's bulk query cost most: `python -m bench.bulk_profile [policy ...]`.

Not part of `python -m bench` (no `run()`): a tool for when the bulk figure is over target. It records the
query `gaoqi.policy.bulk.plan.plan` builds (its `with_columns` stages and final `select`, through a stand-in
frame that only records the calls), reads the columns the query uses from the benchmark's Parquet file into
memory, then times every expression of every stage on its own (`df.lazy().select(e).collect()`, with Polars' optimisations, median of 3, one expression
at a time on a rechunked frame, so the figures add up to more than Polars' parallel stage) and each stage as a whole. Prints the
stages, the costliest expressions and their share of the summed time.

BENCH_N (default 1,000,000), BENCH_TOP (default 12).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date

import polars as pl

AS_OF = date(2024, 6, 30)
N = int(os.environ.get("BENCH_N", 1_000_000))
TOP = int(os.environ.get("BENCH_TOP", 12))


class Recorder:
    """Stands in for the source LazyFrame: records the calls `plan` makes on it."""

    def __init__(self, schema: dict):
        self.schema = schema
        self.steps: list[tuple[str, list[pl.Expr]]] = []

    def lazy(self) -> Recorder:
        return self

    def collect_schema(self) -> pl.Schema:
        return pl.Schema(self.schema)

    def _record(self, kind: str, exprs) -> Recorder:
        flat: list[pl.Expr] = []
        for e in exprs:
            flat.extend(e if isinstance(e, list | tuple) else [e])
        self.steps.append((kind, flat))
        return self

    def with_columns(self, *exprs) -> Recorder:
        return self._record("with_columns", exprs)

    def select(self, *exprs) -> Recorder:
        return self._record("select", exprs)


def _median(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def profile(name: str) -> None:
    from bench import synthetic_rnd, synthetic_template
    from bench.policy_bulk import used_columns
    from gaoqi.policy.bulk.plan import plan
    from gaoqi.policy.loader import load_policy

    policy = load_policy(name, AS_OF)
    path = synthetic_rnd.ensure(N) if name == "rnd_institution" else synthetic_template.ensure(N, "parquet")
    schema = dict(pl.read_parquet_schema(path))
    cols = [c for c in used_columns(policy, {**schema, "_row": pl.Int64}) if c in schema]
    # the columns the query reads: the rest of the file would be selected by the first step and not found
    rec = Recorder({c: schema[c] for c in cols})
    plan(rec, policy, AS_OF)
    # One chunk per column, and rechunked after every step: a column of another chunking than the rest of
    # the frame (a `gather` gives one chunk, a Parquet read eight) makes every later eager `select` realign
    # the whole frame (~0.1 s on 80 columns), which would be charged to whatever expression runs next.
    df = pl.read_parquet(path, columns=cols).rechunk()
    whole = _median(lambda: plan(df.lazy(), policy, AS_OF).collect())
    print(
        f"{name}: {len(cols)} input columns, {len(rec.steps)} steps, whole query on the in-memory frame "
        f"{whole:.3f} s (load {os.getloadavg()[0]:.1f})"
    )
    costs: list[tuple[float, int, str]] = []
    for i, (kind, exprs) in enumerate(rec.steps):
        stage = _median(lambda df=df, kind=kind, exprs=exprs: getattr(df.lazy(), kind)(exprs).collect())
        each = []
        for e in exprs:
            t = _median(lambda df=df, e=e: df.lazy().select(e).collect())
            each.append(t)
            costs.append((t, i, str(e)))
        print(
            f"  step {i} {kind:12s} {len(exprs):3d} expressions: stage {stage:.3f} s, "
            f"sum of single expressions {sum(each):.3f} s"
        )
        df = getattr(df, kind)(exprs).rechunk()
    total = sum(c for c, _, _ in costs)
    print(f"  costliest expressions (one at a time; {total:.3f} s summed over {len(costs)}):")
    for t, i, text in sorted(costs, reverse=True)[:TOP]:
        text = text if len(text) <= 230 else text[:150] + " … " + text[-70:]
        print(f"    {t * 1000:6.1f} ms ({t / total:4.0%}) step {i}: {text}")


def main(argv: list[str]) -> int:
    from gaoqi.policy import RULES

    for name in argv or [n for n, r in RULES.items() if r.bulk]:
        profile(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
