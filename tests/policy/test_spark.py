"""The rules on Spark give exactly what they give on Polars, row by row (the same rule definitions, a third
backend of the ops interface): on the band-edge grid of every bulk policy and on hypothesis data."""

from __future__ import annotations

import shutil
import signal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.policy.test_batch import AS_OF, _edges, _policy, edge_grid, firms, institutions, table

from gaoqi.policy import RULES
from gaoqi.policy.bulk.plan import evaluate_tables, schema_of
from gaoqi.policy.core.facts import EnterpriseFacts

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'gaoqi[spark]')")
if not shutil.which("java"):
    pytest.skip(
        "no Java runtime: Spark needs Java 17 (apt-get install openjdk-17-jre-headless)",
        allow_module_level=True,
    )

from gaoqi.policy.bulk.spark import evaluate_spark, spark_session  # noqa: E402

ENTERPRISE = [n for n, r in RULES.items() if r.bulk and r.facts_type is EnterpriseFacts]


@pytest.fixture(scope="module")
def spark():
    handler = signal.getsignal(signal.SIGINT)  # SparkContext installs its own; later tests expect Python's
    session = spark_session("local[2]", app="gaoqi-tests")
    yield session
    session.stop()
    signal.signal(signal.SIGINT, handler)


def to_spark(spark, df: pl.DataFrame):
    return spark.createDataFrame(df.to_arrow())


def same(spark, df: pl.DataFrame, names: list[str]) -> None:
    policies = [_policy(n) for n in names]
    expected = evaluate_tables(df, policies, AS_OF)
    got = evaluate_spark(to_spark(spark, df), policies, AS_OF)
    for name in names:
        want = expected[name]
        have = pl.from_arrow(got[name].toArrow())
        assert have.columns == want.columns, name
        for column in want.columns:
            w = want.get_column(column)
            if w.dtype == pl.Enum or isinstance(w.dtype, pl.Enum):
                w = w.cast(pl.String)
            h = have.get_column(column)
            if w.dtype == pl.Float64:
                assert h.to_list() == w.to_list(), (name, column)
            else:
                assert h.cast(w.dtype).to_list() == w.to_list(), (name, column)


@pytest.mark.parametrize("name", ENTERPRISE)
def test_spark_equals_polars_on_every_band_edge(spark, name):
    facts = edge_grid(_policy(name))
    same(spark, table(facts), [name])


def test_spark_equals_polars_for_the_enterprise_policies_together(spark):
    facts = edge_grid(_policy("hte"))
    same(spark, table(facts), ENTERPRISE)


def test_spark_equals_polars_on_random_firms(spark):
    policy = _policy("hte")

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(firms(_edges(policy)), min_size=5, max_size=60))
    def check(facts):
        same(spark, table(facts), ENTERPRISE)

    check()


def test_spark_equals_polars_for_rnd_institutions(spark):
    policy = _policy("rnd_institution")

    @settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(institutions(_edges(policy)), min_size=5, max_size=60))
    def check(facts):
        df = pl.DataFrame([f.as_dict() for f in facts], schema=schema_of(type(facts[0])))
        same(spark, df, ["rnd_institution"])

    check()


def test_the_cli_evaluates_a_parquet_file_on_spark(spark, tmp_path):
    from gaoqi.policy.cli import main

    df = (
        table(edge_grid(_policy("hte"))[:60])
        .with_row_index("_row", offset=2)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    source = tmp_path / "firms.parquet"
    df.write_parquet(source)
    out = tmp_path / "results"
    code = main(
        [
            "evaluate",
            str(source),
            "--policy",
            "tech_sme,hte",
            "--engine",
            "spark",
            "--out",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
        ]
    )
    assert code == 0
    expected = evaluate_tables(df, [_policy("tech_sme"), _policy("hte")], AS_OF, keep=("_row", "credit_code"))
    for name in ("tech_sme", "hte"):
        got = pl.read_parquet(out / name / "*.parquet").sort("_row")
        want = expected[name].with_columns(pl.col(pl.Enum).cast(pl.String))
        assert got.columns == want.columns
        assert got.equals(
            want.select([pl.col(c).cast(got.schema[c]) for c in want.columns]), null_equal=True
        ), name


def test_the_cli_says_what_spark_needs(tmp_path, capsys):
    from gaoqi.policy.cli import main

    assert main(["evaluate", "x.parquet", "--policy", "hte", "--engine", "spark"]) == 2
    assert "--out" in capsys.readouterr().err


def test_divisions_floor_exactly_where_a_decimal_quotient_would_round_up(spark):
    """Spark rounds a decimal quotient to 6 places: 49,999,999 / 10,000,000 = 4.9999999 became 5. Found on the
    1M-firm benchmark (pool's shown R&D ratio 0.0199 on Polars, 0.02 on Spark); exact here for every pair."""
    from pyspark.sql import functions as F

    from gaoqi.policy.bulk.spark_ops import SPARK
    from gaoqi.policy.core.bands import shown_ratio

    b = 10_000_019
    a_near = (b - 1) * pow(10_000, -1, b) % b  # a * 10,000 leaves remainder b - 1: just below a 4th decimal
    pairs = [(5 * b - 1, b), (a_near, b), (-(5 * b - 1), b), (399, 20_000), (0, b), (7, 1)]
    df = spark.createDataFrame(pairs, "a bigint, b bigint")
    rows = df.select(
        SPARK.shown_ratio(F.col("a"), F.col("b")).alias("ratio"), SPARK.floordiv(F.col("a"), 7).alias("q")
    ).collect()
    for (a, b_), row in zip(pairs, rows, strict=True):
        assert row["ratio"] == float(shown_ratio(a, b_)), (a, b_)
        assert row["q"] == a // 7, a
