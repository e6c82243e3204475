"""Smoke tests of the benchmark helpers (bench/): the generators give the engine's schemas and the band edges
they promise, bulk and per-firm agree on them, and the line counter counts what its doc says. No timing."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from bench import policy_bulk, policy_loc, synthetic_rnd, synthetic_template
from gaoqi.policy import RULES, load_policy
from gaoqi.policy.bulk.plan import evaluate_table
from gaoqi.policy.core.engine import evaluate
from gaoqi.policy.template import SCHEMA

AS_OF = date(2024, 6, 30)


@pytest.fixture(scope="module")
def firms() -> pl.DataFrame:
    return synthetic_template.generate(3000)


@pytest.fixture(scope="module")
def institutions() -> pl.DataFrame:
    return synthetic_rnd.generate(3000)


def test_firms_have_the_template_schema_and_band_edges(firms):
    assert firms.schema == pl.Schema({k: v for k, v in SCHEMA.items() if k != "_row"})
    c = pl.col
    assert firms.filter(c("tech_staff") * 10 == c("employees")).height > 50
    assert firms.filter(c("rnd_expense_deductible_y3") == c("rnd_expense_y3")).height > 50
    assert firms.filter(c("rnd_expense_deductible_y3").is_null()).height > 50
    assert firms.filter(c("ip_class2_used") > c("ip_class2")).height == 0


def test_institutions_have_the_facts_schema_edges_and_some_invalid_rows(institutions):
    assert institutions.schema == pl.Schema(synthetic_rnd.schema())
    c = pl.col
    assert institutions.filter(c("rnd_spend") * 100 == c("revenue") * 3).height > 50
    assert institutions.filter(c("rnd_staff") * 5 == c("employees")).height > 50
    out = evaluate_table(institutions, load_policy("rnd_institution", AS_OF), AS_OF)
    invalid = out.filter(c("errors").is_not_null()).height
    assert 0 < invalid < 100
    assert set(out.get_column("grade").drop_nulls()) == {"优秀", "良好", "合格", "不合格"}


@pytest.mark.parametrize("name", ["tech_sme", "hte", "pool", "rnd_institution"])
def test_bulk_and_per_firm_agree_on_the_generated_rows(name, firms, institutions):
    policy = load_policy(name, AS_OF)
    rows = (institutions if name == "rnd_institution" else firms).head(300)
    bulk = evaluate_table(rows, policy, AS_OF)
    facts_type = RULES[name].facts_type
    per_firm = [
        evaluate(facts_type(**r), policy, AS_OF, on_error="report", with_gaps=False)
        for r in rows.iter_rows(named=True)
    ]
    assert policy_bulk.compare(bulk, per_firm) == 0


def test_used_columns_are_the_ones_the_rules_read():
    schema = {**synthetic_rnd.schema(), "_row": pl.Int64}
    cols = policy_bulk.used_columns(load_policy("rnd_institution", AS_OF), schema)
    assert "rnd_spend" in cols and "key_breakthroughs" in cols and "name" not in cols


def test_chunked_parquet_starts_with_the_unchunked_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic_template, "CHUNK", 400)
    path = synthetic_template.write_parquet_chunks(1000, 7, tmp_path / "f.parquet")
    df = pl.read_parquet(path)
    assert df.height == 1000 and df.get_column("credit_code").n_unique() == 1000
    assert df.head(400).equals(synthetic_template.generate(400, 7))


def test_line_counter_skips_blanks_comments_and_optionally_docstrings():
    text = '"""Doc\nstring."""\n\n# comment\nx = 1  # trailing\n\ndef f():\n    """One."""\n    return "s"\n'
    assert policy_loc.count(text) == (6, 3)


def test_every_criterion_is_defined_exactly_once():
    found, declared = policy_loc.criteria_after()
    assert declared <= set(found)
    assert set(found.values()) == {1}
