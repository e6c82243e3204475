"""The year-end forecast's backtest on the synthetic history (issue 10 §7), and the forecast's time.

For each seed in BENCH_FORECAST_SEEDS (default 2019,7,11): BENCH_FORECAST_N (default 20,000) synthetic firms
(`gaoqi demo-data --no-facts`: firms and certificates) in a scratch SQLite database, plus the past years'
decided applications made from those certificates (`gaoqi.demo.monitoring.ensure_demo_application_history`,
what `gaoqi demo` adds); then the forecast of the end of last year made from the data as of 30 June of last
year (`gaoqi.monitoring.forecast.backtest`) against the valid HTEs actually counted on 31 December, per city:
error, mean absolute error, mean absolute percentage error and how many cities' 90% interval covers the
actual count — with new certifications from the application pipeline and its pass rates (the method), and,
for comparison, from the certificate trend alone. Also the time of one forecast of the 13 cities as of
today. `python -m bench forecast`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import gaoqi

ROOT = Path(__file__).resolve().parents[1]


def measure() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoqi.settings")
    django.setup()
    from django.utils import timezone

    from gaoqi.demo.monitoring import ensure_demo_application_history
    from gaoqi.monitoring import forecast as fc
    from gaoqi.regions.models import Region

    today = timezone.localdate()
    start = time.perf_counter()
    made = ensure_demo_application_history(as_of=today)
    print(f"  past applications: {made} ({time.perf_counter() - start:.1f} s)")
    names = dict(Region.objects.filter(level="city").values_list("code", "name"))
    trend = fc.backtest(today=today, applications=False)
    print(
        f"  certificate trend alone: MAE {trend.mae:.1f} firms · MAPE {trend.mape:.1f}% · total error "
        f"{trend.total_error:+d} · interval covers {sum(bool(r.covered) for r in trend.rows)}/{len(trend.rows)}"
    )
    start = time.perf_counter()
    result = fc.backtest(today=today)
    took = time.perf_counter() - start
    method = result.rows[0].method if result.rows else "-"
    print(
        f"  backtest ({method}): forecast {result.year_end} from the data as of {result.as_of} "
        f"({took * 1000:.0f} ms)"
    )
    print(f"  {'city':<8}{'forecast':>9}{'90% interval':>15}{'actual':>8}{'error':>7}{'error %':>9}")
    for r in result.rows:
        pct = 100 * r.error / r.actual if r.actual else float("nan")
        mark = "" if r.covered else "  outside"
        interval = f"{r.low}–{r.high}"
        print(
            f"  {names.get(r.code, r.code):<6}{r.expected:>9}{interval:>15}{r.actual:>8}{r.error:>7}{pct:>8.1f}%{mark}"
        )
    total = sum(r.actual for r in result.rows)
    covered = sum(bool(r.covered) for r in result.rows)
    print(
        f"  MAE {result.mae:.1f} firms · MAPE {result.mape:.1f}% · total error {result.total_error:+d} of {total} "
        f"({100 * result.total_error / total:+.1f}%) · interval covers {covered}/{len(result.rows)} cities"
    )
    start = time.perf_counter()
    rows = fc.forecast_regions(
        fc.certificate_frame(), today, pipeline=fc.pipeline_counts(), applications=fc.Pipeline.load()
    )
    took = time.perf_counter() - start
    expected = sum(r.expected for r in rows.values())
    print(f"  forecast of {today.year}-12-31 as of {today}: {expected} valid HTEs ({took * 1000:.0f} ms)")


def run() -> None:
    n = int(os.environ.get("BENCH_FORECAST_N", "20000"))
    seeds = [int(s) for s in os.environ.get("BENCH_FORECAST_SEEDS", "2019,7,11").split(",")]
    base = {**os.environ, "GAOQI_DEBUG": "0", "GAOQI_LOG_LEVEL": "ERROR"}
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="gaoqi-bench-forecast-") as tmp:
            env = {**base, "DATABASE_URL": f"sqlite:///{tmp}/forecast.sqlite3", "GAOQI_VAR_DIR": tmp}
            gaoqi(["migrate", "-v0"], env)
            start = time.perf_counter()
            gaoqi(
                ["demo-data", "--enterprises", str(n), "--seed", str(seed), "--no-facts", "--no-progress"],
                env,
            )
            print(
                f"seed {seed}: {n:,} synthetic firms loaded in {time.perf_counter() - start:.1f} s",
                flush=True,
            )
            done = subprocess.run(
                [sys.executable, "-m", "bench.forecast", "--measure"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            print(done.stdout, end="", flush=True)
            if done.returncode:
                raise RuntimeError(done.stderr[-3000:])


if __name__ == "__main__":
    if "--measure" in sys.argv:
        measure()
    else:
        run()
