"""The rules on Spark (local mode) against Polars: 1,000,000 synthetic firms, tech_sme + hte + pool, Parquet in,
Parquet out; time of each and a row-by-row comparison of every output column (the same rule definitions run by
two backends must agree exactly).

`python -m bench spark_bulk`; BENCH_N changes the size. Skipped (said so) without PySpark or Java.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import date

import polars as pl

N = int(os.environ.get("BENCH_N", 1_000_000))
AS_OF = date(2024, 6, 30)
NAMES = ("tech_sme", "hte", "pool")


def run() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("PySpark is not installed: skipped (pip install 'gaoqi[spark]')")
        return
    if not shutil.which("java"):
        print("no Java runtime: skipped")
        return
    from bench import synthetic_template
    from gaoqi.policy.bulk.plan import evaluate_tables
    from gaoqi.policy.bulk.spark import evaluate_spark, spark_session
    from gaoqi.policy.loader import load_policy

    path = synthetic_template.ensure(N, "parquet")
    policies = [load_policy(n, AS_OF) for n in NAMES]
    start = time.perf_counter()
    expected = evaluate_tables(pl.scan_parquet(path), policies, AS_OF)
    polars_s = time.perf_counter() - start
    spark = spark_session("local[*]", app="gaoqi-bench")
    with tempfile.TemporaryDirectory(prefix="gaoqi-spark-") as tmp:
        start = time.perf_counter()
        results = evaluate_spark(spark.read.parquet(str(path)), policies, AS_OF)
        for name, frame in results.items():
            frame.write.mode("overwrite").parquet(f"{tmp}/{name}")
        spark_s = time.perf_counter() - start
        print(
            f"{N:,} firms × {', '.join(NAMES)}: Polars (Parquet → results in memory) {polars_s:.2f} s; Spark local "
            f"mode on {os.cpu_count()} cores (Parquet → Parquet) {spark_s:.1f} s (load {os.getloadavg()[0]:.1f})"
        )
        for name in NAMES:
            got = pl.read_parquet(f"{tmp}/{name}/*.parquet").sort("credit_code")
            want = expected[name].with_columns(pl.col(pl.Enum).cast(pl.String)).sort("credit_code")
            want = want.select([pl.col(c).cast(got.schema[c]) for c in want.columns])
            differ = (
                0
                if got.equals(want, null_equal=True)
                else sum(int((~got.get_column(c).eq_missing(want.get_column(c))).sum()) for c in want.columns)
            )
            print(
                f"  {name}: {got.height:,} rows, {got.width} columns, cells that differ from Polars: {differ:,}"
            )
    spark.stop()
