"""The registry's annual-report columns and field groups derive from the engine's one field schema."""

from django.db import models

from gaoqi.policy.core.facts import FIELD_SPECS, Kind
from gaoqi.registry.models import (
    COUNT_FIELDS,
    FACT_FIELDS,
    FLAG_FIELDS,
    MONEY_FIELDS,
    REPORT_SPECS,
    SIGNED_MONEY_FIELDS,
    YEARLY_FIELDS,
    YEARS_OF,
    AnnualReport,
    ReportFigures,
    fact_column,
)

COLUMN_TYPES = {
    Kind.MONEY: models.BigIntegerField,
    Kind.COUNT: models.PositiveIntegerField,
    Kind.BOOL: models.BooleanField,
}


def test_every_report_column_is_an_engine_fact_of_the_matching_type():
    columns = [f.name for f in ReportFigures._meta.local_fields]
    assert set(columns) == set(FACT_FIELDS) == set(REPORT_SPECS)
    for name in FACT_FIELDS:
        field = AnnualReport._meta.get_field(name)
        assert type(field) is COLUMN_TYPES[REPORT_SPECS[name].kind], name
        assert field.null, name  # not reported is None, as in the engine


def test_field_groups_follow_the_engine_schema():
    assert FACT_FIELDS == tuple(
        dict.fromkeys(c for s in FIELD_SPECS if (c := fact_column(s.name)) in FACT_FIELDS)
    )
    assert set(MONEY_FIELDS) | set(SIGNED_MONEY_FIELDS) | set(COUNT_FIELDS) | set(FLAG_FIELDS) == set(
        FACT_FIELDS
    )
    assert SIGNED_MONEY_FIELDS == ("net_assets",)
    assert set(YEARLY_FIELDS) == {s.stem for s in FIELD_SPECS if s.year and s.stem in FACT_FIELDS}
    assert {"revenue", "net_assets", "rnd_expense", "rnd_expense_domestic", "rnd_expense_deductible"} == set(
        YEARLY_FIELDS
    )
    assert YEARS_OF["rnd_expense"] == (1, 2, 3) and YEARS_OF["rnd_expense_deductible"] == (3,)
