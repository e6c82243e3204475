"""The rules on Spark: the same plan as the Polars path (`bulk/plan.py`), with Spark columns.

`evaluate_spark(df, policies, as_of)` returns per policy a Spark DataFrame with the columns `evaluate_tables`
gives (same names, same values; the criterion labels as plain strings). `spark_session(master)` starts a
session (local by default). The rule definitions are the ones every backend runs: nothing here knows a rule.
Submitting to a cluster: docs/SCALING.md.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from gaoqi.policy.bulk.plan import KEY_COLUMNS, Frames, _query, schema_of
from gaoqi.policy.bulk.spark_ops import SPARK, col_expr
from gaoqi.policy.core.facts import Kind, specs_of
from gaoqi.policy.core.model import Policy

SPARK_TYPES = {
    Kind.TEXT: "string",
    Kind.DATE: "date",
    Kind.MONEY: "bigint",
    Kind.COUNT: "bigint",
    Kind.BOOL: "boolean",
}


def spark_schema(facts_type: type) -> dict[str, str]:
    """The typed columns of a facts record, as Spark SQL types."""
    return {s.name: SPARK_TYPES[s.kind] for s in specs_of(facts_type)}


class SparkFrames(Frames):
    ops = SPARK

    def is_expr(self, value: Any) -> bool:
        return isinstance(value, Column)

    def col(self, name: str) -> Column:
        return F.col(f"`{name}`")

    def named(self, e: Column, name: str) -> Column:
        return e.alias(name)

    def key(self, e: Column) -> str:
        return str(e)  # the expression's SQL text, literals included

    def true(self) -> Column:
        return F.lit(True)

    def any_(self, conds: list[Column]) -> Column:
        return SPARK.any_(*conds)

    def names_where(self, conds: dict[str, Column]) -> Column:
        if not conds:
            return F.lit(None).cast("string")
        text = F.concat_ws(",", *[F.when(c, F.lit(n)) for n, c in conds.items()])
        return F.when(SPARK.any_(*conds.values()), text)

    def when(self, ok: Column, e: Column) -> Column:
        return F.when(ok, e)

    def is_null(self, e: Column) -> Column:
        return e.isNull()

    def typed(self, value: Any, kind: str) -> Column:
        spark_kind = {"string": "string", "bool": "boolean", "int": "bigint"}[kind]
        return col_expr(value).cast(spark_kind) if value is not None else F.lit(None).cast(spark_kind)

    def project(self, source: DataFrame, keep: tuple[str, ...], schema):
        present = set(source.columns)
        types = {name: _spark_type(dtype) for name, dtype in schema.items()}
        frame = source.select(
            *[F.col(f"`{k}`") for k in keep if k in present and k not in schema],
            *[
                (F.col(f"`{n}`").cast(t) if n in present else F.lit(None).cast(t)).alias(n)
                for n, t in types.items()
            ],
        )
        return frame, [k for k in keep if k in present]

    def add(self, frame: DataFrame, stage: list[Column]) -> DataFrame:
        return frame.select("*", *stage)

    def select(self, frame: DataFrame, exprs: list[Column]) -> DataFrame:
        return frame.select(*exprs)


def _spark_type(dtype) -> str:
    import polars as pl

    return {pl.String: "string", pl.Date: "date", pl.Int64: "bigint", pl.Boolean: "boolean"}[dtype]


SPARK_FRAMES = SparkFrames()


def evaluate_spark(
    source: DataFrame, policies: list[Policy], as_of: date, *, keep: tuple[str, ...] = KEY_COLUMNS
) -> dict[str, DataFrame]:
    """Each policy's results over the rows of `source` (one plan per facts type, like `evaluate_tables`)."""
    groups: dict[type, list[Policy]] = {}
    for p in policies:
        groups.setdefault(p.rules.facts_type, []).append(p)
    out: dict[str, DataFrame] = {}
    for group in groups.values():
        frame, head, finals = _query(source, group, as_of, keep, SPARK_FRAMES)
        frame = frame.cache() if len(group) > 1 else frame  # the shared stages once for the group
        for p, results in zip(group, finals, strict=True):
            out[p.name] = frame.select(*head, *results)
    return out


def spark_session(master: str | None = None, app: str = "gaoqi-evaluate") -> SparkSession:
    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
    elif not SparkSession.getActiveSession():
        builder = builder.master("local[*]")
    if (master or "local").startswith("local"):
        # In local mode the driver does all the work: Spark's 1 GB default spilled the cached shared stages of
        # 1M firms to disk. On a cluster spark-submit's --driver-memory decides.
        builder = builder.config("spark.driver.memory", os.environ.get("GAOQI_SPARK_DRIVER_MEMORY", "4g"))
    return (
        builder.config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def read_input(spark: SparkSession, path: str, facts_type: type) -> DataFrame:
    """Parquet, or CSV with a header (columns named like the facts fields; any URL Spark reads)."""
    if path.lower().endswith(".csv"):
        return spark.read.option("header", True).csv(path)
    return spark.read.parquet(path)


__all__ = ["SPARK_FRAMES", "evaluate_spark", "read_input", "schema_of", "spark_schema", "spark_session"]
