"""10,000,000 synthetic firms streamed from Parquet through tech_sme, hte and pool to Parquet result files,
with the peak memory of the evaluating process (target ≤ 4 GB).

Opt-in (it takes minutes: generating the 10M-row file the first time, ~2 min; then the run): BENCH_10M=1.
BENCH_STREAM_N changes the number of firms. The file is bench/out/firms_<n>_2019_<tag>.parquet, written in
chunks of 1M rows (its first 1M rows are the 1M-row benchmark file). The evaluation runs in a fresh process:
`plan(pl.scan_parquet(path), policy, as_of).sink_parquet(out, lazy=True)` per policy, collected with
`engine="streaming"` one after the other (BENCH_STREAM_MODE=together: the three in one `pl.collect_all`;
BENCH_STREAM_FORMAT=ipc: Arrow IPC result files instead);
the process prints its wall time, CPU time and peak RSS (`ru_maxrss`, which covers the interpreter, imports
and the query). Afterwards the first 1M result rows of every policy are compared with the in-memory
evaluation of the 1M-row file (must be equal), and the result files are deleted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

from bench import OUT, synthetic_template, touch_memory

ROOT = Path(__file__).resolve().parents[1]
N = int(os.environ.get("BENCH_STREAM_N", 10_000_000))
AS_OF = date(2024, 6, 30)
POLICIES = ("tech_sme", "hte", "pool")
CHECK = 1_000_000
# "sequential": one policy's sink after the other (one process); "together": the three sinks in one
# `collect_all`. Measured at load ~3: sequential 98 s, peak 1.75 GiB; together 110 s, peak 3.68 GiB (2.42 GiB
# in another run at load ~4: the together mode's peak varies with the load, as sinks wait for one another).
MODE = os.environ.get("BENCH_STREAM_MODE", "sequential")
# Result files: "parquet" (zstd, the default) or "ipc" (Arrow IPC, lz4). Encoding Parquet costs about as much
# CPU as evaluating (HTE, 1M rows: collect 2.3 s CPU, sink_parquet 4.3 s, sink_ipc 2.3 s, at load ~3): the
# String band labels and the Float64 shown ratios are the expensive columns to encode.
FORMAT = os.environ.get("BENCH_STREAM_FORMAT", "parquet")

CHILD = """
import json, resource, sys, time
from datetime import date
c0, t0 = time.process_time(), time.perf_counter()
import polars as pl
from gaoqi.policy.bulk.plan import plan
from gaoqi.policy.loader import load_policy
as_of = date(2024, 6, 30)
path, out, names, mode, fmt = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4], sys.argv[5]
t1 = time.perf_counter()
plans = [plan(pl.scan_parquet(path), load_policy(n, as_of), as_of) for n in names]
if fmt == "ipc":
    sinks = [lf.sink_ipc(f"{out}/{n}.ipc", compression="lz4", lazy=True) for n, lf in zip(names, plans)]
else:
    sinks = [lf.sink_parquet(f"{out}/{n}.parquet", lazy=True) for n, lf in zip(names, plans)]
per = {}
if mode == "together":
    pl.collect_all(sinks, engine="streaming")
else:
    for n, sink in zip(names, sinks):
        start = time.perf_counter()
        sink.collect(engine="streaming")
        per[n] = time.perf_counter() - start
t2 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"wall": t2 - t0, "query": t2 - t1, "cpu": time.process_time() - c0, "maxrss": rss, "per": per}))
"""


def _child(path: Path, out: Path, names: tuple[str, ...], mode: str, fmt: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(out), ",".join(names), mode, fmt],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process"] = elapsed
    return figures


def _read(path: Path, n_rows: int | None = None) -> pl.DataFrame:
    return (pl.read_ipc if path.suffix == ".ipc" else pl.read_parquet)(path, n_rows=n_rows)


def _rows(path: Path) -> int:
    scan = pl.scan_ipc if path.suffix == ".ipc" else pl.scan_parquet
    return scan(path).select(pl.len()).collect().item()


def _check(out: Path, names: tuple[str, ...]) -> str:
    """The streamed results' first CHECK rows against the in-memory evaluation of the CHECK-row file."""
    from gaoqi.policy.bulk.plan import evaluate_tables
    from gaoqi.policy.loader import load_policy

    small = synthetic_template.ensure(CHECK, "parquet")
    expected = evaluate_tables(pl.read_parquet(small), [load_policy(n, AS_OF) for n in names], AS_OF)
    parts = []
    for n in names:
        got = _read(out / f"{n}.{FORMAT}", n_rows=CHECK)
        same = got.equals(expected[n], null_equal=True)
        rows = _rows(out / f"{n}.{FORMAT}")
        parts.append(f"{n} {rows:,} rows, first {CHECK:,} {'equal' if same else 'DIFFERENT'}")
    return "; ".join(parts)


def run() -> None:
    if os.environ.get("BENCH_10M") != "1":
        print(f"skipped (takes minutes): BENCH_10M=1 python -m bench policy_stream streams {N:,} firms")
        return
    start = time.perf_counter()
    path = synthetic_template.ensure(N, "parquet")
    size = path.stat().st_size / 1e6
    print(f"{N:,} synthetic firms: {path.name}, {size:.0f} MB (ready in {time.perf_counter() - start:.0f} s)")
    out = OUT / f"stream_{N}"
    touch_memory(2.0)
    load = os.getloadavg()[0]
    f = _child(path, out, POLICIES, MODE, FORMAT)
    written = sum((out / f"{n}.{FORMAT}").stat().st_size for n in POLICIES) / 1e6
    per = ", ".join(f"{n} {t:.1f} s" for n, t in f["per"].items())
    print(
        f"streamed, 3 policies → {FORMAT} ({MODE}; {written:.0f} MB written): query {f['query']:.1f} s"
        f"{' (' + per + ')' if per else ''}, whole process {f['process']:.1f} s, CPU {f['cpu']:.1f} s; "
        f"peak RSS {f['maxrss'] / 2**30:.2f} GiB (target ≤ 4 GB; load {load:.1f} → {os.getloadavg()[0]:.1f})"
    )
    print(f"  check: {_check(out, POLICIES)}")
    for name in POLICIES:
        (out / f"{name}.{FORMAT}").unlink()
