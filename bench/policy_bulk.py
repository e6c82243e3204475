"""Bulk evaluation, Parquet → per-criterion results: 1,000,000 synthetic firms under tech_sme, hte and pool
and 1,000,000 synthetic R&D institutions under rnd_institution, with where the time goes per policy, the
previous engine's figure on the same file (fresh processes, side by side) and the per-firm engine in a plain
Python loop over a sample (extrapolated; said so).

Prints figures, asserts nothing about time. Targets: the three enterprise policies no slower than the old
engine's 0.52 s (Parquet → results, quiet machine), aim 0.3 s. Equality with the per-firm engine is checked
row by row on a sample of every policy.

Stages per policy (each a median of 3): `build` = Python building the lazy query (`plan(...)`); `read` =
decoding the Parquet columns that query uses into memory; `compute` = collecting the query over those columns
already in memory (expressions + materialising the result frame); `Parquet → results` = the real thing, one
`plan(scan_parquet).collect()` (read and compute overlap in Polars' engine, so it is not the sum).

BENCH_N / BENCH_SAMPLE change the sizes; BENCH_OLD_REV names the commit of the previous engine (default the
last commit before the rebuild), BENCH_OLD=0 skips it.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import date
from pathlib import Path

import polars as pl

from bench import (
    OLD_REV,
    fmt_times,
    median_time,
    old_tree,
    run_python,
    synthetic_rnd,
    synthetic_template,
    touch_memory,
)

N = int(os.environ.get("BENCH_N", 1_000_000))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", 5_000))
AS_OF = date(2024, 6, 30)
ENTERPRISE = ("tech_sme", "hte", "pool")
POLICIES = (*ENTERPRISE, "rnd_institution")


def _paths() -> dict[str, Path]:
    firms = synthetic_template.ensure(N, "parquet")
    return {**dict.fromkeys(ENTERPRISE, firms), "rnd_institution": synthetic_rnd.ensure(N)}


def used_columns(policy, schema: dict) -> list[str]:
    """The input columns the policy's query reads (Polars' projection pushdown, observed at a fake source)."""
    from polars.io.plugins import register_io_source

    from gaoqi.policy.bulk.plan import plan

    seen: list[list[str] | None] = []

    def source(with_columns, predicate, n_rows, batch_size):
        seen.append(with_columns)
        yield pl.DataFrame(schema=schema).select(with_columns or list(schema))

    plan(register_io_source(source, schema=schema), policy, AS_OF).collect()
    return list(schema) if seen[0] is None else seen[0]


def _all(paths, policies) -> dict[str, pl.DataFrame]:
    """All the policies, Parquet → results: `evaluate_tables` per file (one query and one scan per file;
    the policies of a file share what they compute alike)."""
    from gaoqi.policy.bulk.plan import evaluate_tables

    out: dict[str, pl.DataFrame] = {}
    for path in dict.fromkeys(paths[p.name] for p in policies):
        mine = [p for p in policies if paths[p.name] == path]
        out.update(evaluate_tables(pl.scan_parquet(path), mine, AS_OF))
    return {p.name: out[p.name] for p in policies}


def _timed_cpu(fn, touch_gib: float = 1.0):
    """(median wall, wall times, median CPU of all threads, last result)."""
    cpus: list[float] = []

    def timed():
        cpu0 = time.process_time()
        out = fn()
        cpus.append(time.process_time() - cpu0)
        return out

    wall, times, out = median_time(timed, touch_gib=touch_gib)
    return wall, times, sorted(cpus)[len(cpus) // 2], out


def breakdown(policy, path: Path) -> dict[str, float]:
    """Median seconds of each stage for one policy (see the module doc)."""
    from gaoqi.policy.bulk.plan import plan

    schema = dict(pl.read_parquet_schema(path))
    cols = [c for c in used_columns(policy, {**schema, "_row": pl.Int64}) if c in schema]
    build, _, _ = median_time(lambda: plan(pl.scan_parquet(path), policy, AS_OF), warm=False)
    read, _, df = median_time(lambda: pl.scan_parquet(path).select(cols).collect(), touch_gib=0.25)
    query = plan(df.lazy(), policy, AS_OF)
    compute, _, out = median_time(query.collect, touch_gib=0.25)
    e2e, _, _ = median_time(lambda: plan(pl.scan_parquet(path), policy, AS_OF).collect(), touch_gib=0.25)
    return {
        "columns": len(cols),
        "outputs": out.width,
        "build": build,
        "read": read,
        "compute": compute,
        "e2e": e2e,
    }


# --- the previous engine, in fresh processes ------------------------------------------------------------

CHILD = """
import json, os, sys, time
from datetime import date
import polars as pl
from bench import touch_memory
from gaoqi.policy.loader import load_policy
try:
    from gaoqi.policy.bulk.plan import evaluate_tables
except ImportError:
    from gaoqi.policy.batch import evaluate_tables
as_of = date(2024, 6, 30)
policies = [load_policy(n, as_of) for n in ("tech_sme", "hte", "pool")]
path = sys.argv[1]
out = evaluate_tables(pl.scan_parquet(path), policies, as_of)  # warm-up
walls, cpus = [], []
for _ in range(3):
    touch_memory(0.5)
    c0, t0 = time.process_time(), time.perf_counter()
    evaluate_tables(pl.scan_parquet(path), policies, as_of)
    walls.append(time.perf_counter() - t0)
    cpus.append(time.process_time() - c0)
cols = sum(len([c for c in f.columns if "__" in c]) for f in out.values())
print(json.dumps({"walls": walls, "cpus": cpus, "columns": cols}))
"""


def old_vs_new(path: Path) -> None:
    """The three enterprise policies, Parquet → results, old engine and new in fresh processes (old, new,
    old, new: two processes each, medians of 3 runs inside each)."""
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    with old_tree() as src:
        for _ in range(2):
            runs["old"].append(json.loads(run_python(CHILD, str(path), src=src).splitlines()[-1]))
            runs["new"].append(json.loads(run_python(CHILD, str(path)).splitlines()[-1]))
    med = {}
    for k, rs in runs.items():
        walls = sorted(t for r in rs for t in r["walls"])
        cpus = sorted(t for r in rs for t in r["cpus"])
        med[k] = (statistics.median(walls), statistics.median(cpus), rs[0]["columns"], walls)
    for k, label in (("old", f"previous engine ({OLD_REV[:7]})"), ("new", "this engine")):
        wall, cpu, cols, walls = med[k]
        print(
            f"  {label:27s} 3 policies, Parquet → results ({cols} per-criterion columns): median {wall:.3f} s "
            f"[{fmt_times(walls)}], CPU {cpu:.2f} s"
        )
    print(
        f"  ratio new / old: wall {med['new'][0] / med['old'][0]:.2f}, CPU {med['new'][1] / med['old'][1]:.2f} "
        "(CPU is the steadier figure on a busy machine)"
    )


# --- equality with the per-firm engine ------------------------------------------------------------------


def _loop(rows, policy, facts_type):
    from gaoqi.policy.core.engine import evaluate

    return [evaluate(facts_type(**r), policy, AS_OF, on_error="report", with_gaps=False) for r in rows]


def compare(bulk: pl.DataFrame, evaluations) -> int:
    """Rows where bulk and per-firm disagree on the outcome, a score or any criterion verdict/points."""
    bad = 0
    cols = set(bulk.columns)
    for row, ev in zip(bulk.iter_rows(named=True), evaluations, strict=True):
        if ev.errors:  # one convention for invalid input: outcome None + errors, on both paths
            bad += row["outcome"] is not None or ev.outcome is not None or row["errors"] is None
            continue
        same = (row["outcome"], row["eligible"], row["score_min"], row["score_max"]) == (
            ev.outcome,
            ev.eligible,
            ev.score_min,
            ev.score_max,
        )
        for c in ev.criteria:
            for key, value in (("passed", c.passed), ("points_min", c.points_min), ("points", c.points)):
                if f"{c.id}__{key}" in cols and row[f"{c.id}__{key}"] != value:
                    same = False
        bad += not same
    return bad


def run() -> None:
    from gaoqi.policy import RULES
    from gaoqi.policy.loader import load_policy

    paths = _paths()
    policies = [load_policy(n, AS_OF) for n in POLICIES]
    print(
        f"{N:,} synthetic firms ({paths['tech_sme'].name}) and {N:,} R&D institutions "
        f"({paths['rnd_institution'].name}); as of {AS_OF}; Polars {pl.__version__}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    _all(paths, policies)  # warm-up (imports, file cache)
    wall, times, cpu, out = _timed_cpu(lambda: _all(paths, policies))
    n_cols = sum(len([c for c in o.columns if "__" in c]) for o in out.values())
    print(
        f"bulk, 4 policies, Parquet → results ({n_cols} per-criterion columns, one query per file): "
        f"median {wall:.3f} s [{fmt_times(times)}]; CPU (all threads) median {cpu:.2f} s  "
        f"(load {os.getloadavg()[0]:.1f})"
    )
    three = [p for p in policies if p.name in ENTERPRISE]
    wall3, times3, cpu3, _ = _timed_cpu(lambda: _all(paths, three))
    print(
        f"bulk, 3 enterprise policies, Parquet → results: median {wall3:.3f} s [{fmt_times(times3)}]; "
        f"CPU median {cpu3:.2f} s  (target ≤ 0.52 s, the old engine's figure; aim 0.3 s)"
    )
    print("where the time goes, per policy alone (medians of 3):")
    for p in policies:
        b = breakdown(p, paths[p.name])
        print(
            f"  {p.name:15s} reads {b['columns']:2d} columns, {b['outputs']:3d} output columns: "
            f"build {b['build'] * 1000:4.0f} ms, read {b['read']:.3f} s, compute {b['compute']:.3f} s, "
            f"Parquet → results {b['e2e']:.3f} s  (load {os.getloadavg()[0]:.1f})"
        )
    if os.environ.get("BENCH_OLD", "1") != "0":
        print(f"side by side with the previous engine, fresh processes (load {os.getloadavg()[0]:.1f}):")
        try:
            old_vs_new(paths["tech_sme"])
        except Exception as exc:  # optional figure: say why it is missing, keep the others
            print(f"  previous engine: failed, skipped ({str(exc)[-300:]})")

    total_loop = 0.0
    for p in policies:
        sample = pl.read_parquet(paths[p.name], n_rows=SAMPLE)
        rows = list(sample.iter_rows(named=True))
        touch_memory(0.5)
        start = time.perf_counter()
        loop = _loop(rows, p, RULES[p.name].facts_type)
        elapsed = time.perf_counter() - start
        total_loop += elapsed
        bad = compare(out[p.name].slice(0, SAMPLE), loop)
        counts = dict(out[p.name].get_column("outcome").value_counts().iter_rows())
        print(
            f"  {p.name}: {bad} of {SAMPLE:,} sample rows differ between bulk and per-firm "
            f"({elapsed / SAMPLE * 1e6:.0f} µs per row in the loop); outcomes over {N:,}: {counts}"
        )
    est = total_loop * N / SAMPLE
    print(
        f"per-firm engine in a plain Python loop, 4 policies: {SAMPLE:,} rows each in {total_loop:.2f} s → "
        f"extrapolated to {N:,}: {est:.0f} s (ESTIMATE from the sample); ratio loop / bulk {est / wall:.0f}x"
    )
