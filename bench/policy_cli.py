"""`gaoqi evaluate` end to end on a 100,000-row .xlsx template with all three policies (fresh processes).

Prints the wall time of the whole command (process start, read, evaluate, write), median of 3; target
≤ 8 s for the default JSON lines output. Also one run with .csv input and one with .xlsx output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench import OUT, fmt_times, median_time
from bench.synthetic_template import ensure

N = int(os.environ.get("BENCH_CLI_N", 100_000))
GAOQI = [sys.executable, "-m", "gaoqi.cli"]


def _run(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([*GAOQI, *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"gaoqi {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed


def run() -> None:
    xlsx = ensure(N, "xlsx")
    csv = ensure(N, "csv")
    out = OUT / "cli_out.jsonl"
    common = ["--policy", "tech_sme,hte,pool", "--as-of", "2024-06-30", "--no-progress"]
    print(f"gaoqi evaluate, {N:,} rows, 3 policies; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    med, times, _ = median_time(lambda: _run(["evaluate", str(xlsx), *common, "--out", str(out)]))
    size = Path(out).stat().st_size / 1e6
    print(f"  .xlsx in → JSON lines out ({size:.0f} MB): median {med:.2f} s [{fmt_times(times)}]  (target ≤ 8 s)")
    med, times, _ = median_time(lambda: _run(["evaluate", str(csv), *common, "--out", str(out)]))
    print(f"  .csv in → JSON lines out: median {med:.2f} s [{fmt_times(times)}]")
    xout = OUT / "cli_out.xlsx"
    once = _run(["evaluate", str(xlsx), *common, "--out", str(xout)])
    print(f"  .xlsx in → .xlsx report out (3 sheets x {N:,} rows, one run): {once:.2f} s")
    from gaoqi.policy.io_table import read_table

    start = time.perf_counter()
    read_table(xlsx)
    print(f"  of which reading the .xlsx (calamine + parsing), in-process: {time.perf_counter() - start:.2f} s")
