"""The template writer: exactly the template's English headers, readable by the policy template reader."""

from datetime import date

import polars as pl
import pytest

from gaoqi.demo.generator import generate
from gaoqi.demo.template import TEMPLATE_COLUMNS, write

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def ds():
    return generate(200, 11, AS_OF)


def test_columns_match_the_template_contract():
    facts = pytest.importorskip("gaoqi.policy.core.facts")
    expected = [s.name for s in facts.FIELD_SPECS if not s.name.startswith("expert_")]
    assert list(TEMPLATE_COLUMNS) == expected


def test_parquet_and_csv_have_exactly_the_headers(ds, tmp_path):
    parquet = write(ds, tmp_path / "pool.parquet")
    csv = write(ds, tmp_path / "pool.csv")
    assert pl.read_parquet(parquet).columns == list(TEMPLATE_COLUMNS)
    header = csv.read_text("utf-8").splitlines()[0]
    assert header.split(",") == list(TEMPLATE_COLUMNS)
    frame = pl.read_csv(csv, infer_schema_length=0)
    assert frame.height == ds.n
    assert frame["credit_code"].to_list() == ds.firm["credit_code"].tolist()


def test_policy_reader_reads_the_csv(ds, tmp_path):
    io_read = pytest.importorskip("gaoqi.policy.template.read")
    path = write(ds, tmp_path / "pool.csv")
    result = io_read.read_template(path)
    assert result.errors == []
    assert len(result.facts) == ds.n
    first = result.facts[0]
    assert first.credit_code == ds.firm["credit_code"][0]
    assert first.region_code == ds.firm["county"][0]
    if ds.active[0, 2]:
        assert first.revenue_y3 == ds.yearly["revenue"][0, 2]
    assert sum(f.has_hte_certificate for f in result.facts) == int(ds.firm["hte_valid"].sum())
