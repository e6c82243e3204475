"""Synthetic data generator: 20,000 firms generated + loaded into a fresh SQLite DB (target ≤ 60 s), and
1,000,000 firms written as Parquet and as CSV (target ≤ 120 s each). Each timing is one `gaoqi demo-data`
process (start-up included), as a user runs it. Figures are printed, never asserted.

`python -m bench demo_data`; BENCH_DEMO_BIG=<n> changes the file size (default 1,000,000).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GAOQI = [sys.executable, "-c", "import sys; from gaoqi.cli import main; sys.exit(main())"]


def _touch_memory() -> None:
    try:
        from bench import touch_memory
    except ImportError:
        return
    touch_memory(2.0)


def _run(args: list[str], env: dict) -> tuple[float, str]:
    _touch_memory()
    start = time.perf_counter()
    done = subprocess.run([*GAOQI, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"gaoqi {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def run() -> None:
    big = int(os.environ.get("BENCH_DEMO_BIG", "1000000"))
    with tempfile.TemporaryDirectory(prefix="gaoqi-bench-demo-") as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "GAOQI_VAR_DIR": tmp}
        _run(["migrate", "-v0"], env)
        seconds, line = _run(["demo-data", "--enterprises", "20000", "--seed", "2019", "--no-progress"], env)
        print(
            f"load 20,000 firms (3 years, 2 sources, certificates, IP items) into SQLite: {seconds:.1f} s "
            f"(target ≤ 60 s)\n    {line}",
            flush=True,
        )
        for fmt in ("parquet", "csv"):
            path = Path(tmp) / f"pool.{fmt}"
            seconds, line = _run(
                ["demo-data", "--enterprises", str(big), "--seed", "2019", f"--{fmt}", str(path)], env
            )
            size = path.stat().st_size / 2**20
            print(
                f"write {big:,} firms as {fmt}: {seconds:.1f} s, {size:.0f} MiB (target ≤ 120 s)\n    {line}",
                flush=True,
            )


if __name__ == "__main__":
    run()
