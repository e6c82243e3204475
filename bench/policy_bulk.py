"""Bulk evaluation of 1,000,000 synthetic firms under tech_sme, hte and pool (per-criterion results),
side by side with the per-firm engine in a plain Python loop over a sample (extrapolated; said so).

Prints figures, asserts nothing about time. Targets from the brief: bulk ≤ 1.5 s (Parquet → results,
all three policies), ratio vs the loop ≥ 20x. Equality is checked row by row on the sample.
"""

from __future__ import annotations

import os
import time
from datetime import date

import polars as pl

from bench import fmt_times, median_time, touch_memory
from bench.synthetic_template import ensure

N = int(os.environ.get("BENCH_N", 1_000_000))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", 10_000))
AS_OF = date(2024, 6, 30)
POLICIES = ("tech_sme", "hte", "pool")


def _bulk(path, policies):
    """Parquet → per-criterion results of every policy: one lazy scan (only the columns the rules use),
    the three policies' queries collected together."""
    from gaoqi.policy.bulk.plan import evaluate_tables

    return evaluate_tables(pl.scan_parquet(path), policies, AS_OF)


def _loop(rows, policies):
    from gaoqi.policy.core.engine import evaluate
    from gaoqi.policy.core.facts import EnterpriseFacts

    facts = [EnterpriseFacts(**r) for r in rows]
    return {
        p.name: [evaluate(f, p, AS_OF, on_error="report", with_gaps=False) for f in facts] for p in policies
    }


def compare(bulk: pl.DataFrame, evaluations) -> int:
    """Rows where bulk and per-firm disagree on the outcome, a score or any criterion verdict/points."""
    bad = 0
    cols = set(bulk.columns)
    for row, ev in zip(bulk.iter_rows(named=True), evaluations, strict=True):
        if ev.errors:  # one convention for invalid input: outcome None + errors, on both paths
            bad += row["outcome"] is not None or ev.outcome is not None
            continue
        same = (row["outcome"], row["eligible"], row["score_min"], row["score_max"]) == (
            ev.outcome,
            ev.eligible,
            ev.score_min,
            ev.score_max,
        )
        for c in ev.criteria:
            if f"{c.id}__passed" in cols and row[f"{c.id}__passed"] != c.passed:
                same = False
            if f"{c.id}__points_min" in cols and row[f"{c.id}__points_min"] != c.points_min:
                same = False
            if f"{c.id}__points" in cols and row[f"{c.id}__points"] != c.points:
                same = False
        bad += not same
    return bad


def run() -> None:
    from gaoqi.policy.bulk.plan import evaluate_table
    from gaoqi.policy.loader import load_policy

    path = ensure(N, "parquet")
    policies = [load_policy(n, AS_OF) for n in POLICIES]
    print(
        f"{N:,} synthetic firms from {path.name}; policies {', '.join(POLICIES)}; as of {AS_OF}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

    _bulk(path, policies)  # warm-up (imports, file cache)
    cpus: list[float] = []

    def timed():
        cpu0 = time.process_time()  # all threads of this process, only inside the timed section
        result = _bulk(path, policies)
        cpus.append(time.process_time() - cpu0)
        return result

    wall, times, out = median_time(timed, touch_gib=1.0)
    cpu = sorted(cpus)[len(cpus) // 2]
    df = pl.read_parquet(path)
    per_policy = {}
    for p in policies:
        per_policy[p.name], _, _ = median_time(lambda p=p: evaluate_table(df, p, AS_OF), touch_gib=0.5)
    compute, ctimes, _ = median_time(lambda: [evaluate_table(df, p, AS_OF) for p in policies], touch_gib=0.5)
    n_cols = sum(len([c for c in o.columns if "__" in c]) for o in out.values())
    print(
        f"bulk, Parquet → results (3 policies, {n_cols} per-criterion columns): median {wall:.3f} s "
        f"[{fmt_times(times)}]  (target ≤ 1.5 s); CPU time (all threads) median {cpu:.2f} s"
    )
    print(
        f"bulk, compute only (DataFrame in memory): median {compute:.3f} s [{fmt_times(ctimes)}]; per policy: "
        + ", ".join(f"{k} {v:.3f} s" for k, v in per_policy.items())
    )

    sample = df.slice(0, SAMPLE)
    rows = sample.iter_rows(named=True)
    rows = list(rows)
    touch_memory(0.5)
    start = time.perf_counter()
    loop = _loop(rows, policies)
    loop_time = time.perf_counter() - start
    est = loop_time * N / SAMPLE
    print(
        f"per-firm engine in a plain Python loop: {SAMPLE:,} firms x 3 policies in {loop_time:.2f} s "
        f"({loop_time / SAMPLE / 3 * 1e6:.0f} µs per firm and policy) → extrapolated to {N:,}: {est:.0f} s "
        f"(ESTIMATE from the sample, not measured on all rows)"
    )
    print(
        f"ratio loop / bulk (Parquet → results): {est / wall:.0f}x (target ≥ 20x); "
        f"vs bulk compute only: {est / compute:.0f}x"
    )
    for p in policies:
        bulk_sample = out[p.name].slice(0, SAMPLE)
        bad = compare(bulk_sample, loop[p.name])
        counts = dict(out[p.name].get_column("outcome").value_counts().iter_rows())
        print(
            f"  {p.name}: {bad} of {SAMPLE:,} sample rows differ between bulk and per-firm; outcomes over "
            f"{N:,}: {counts}"
        )
