"""Registry writes: bad input gets a clear error naming the field and nothing is stored."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.policy.core.facts import CROSS_RULES, FIELDS_BY_NAME
from gaoqi.registry.models import REPORT_CROSS_RULES, AnnualReport, Enterprise, fact_column
from gaoqi.registry.services import (
    annual_report_record,
    certificate_record,
    enterprise_create,
    enterprise_update,
)
from tests import factories


def _fields(exc: ValidationFailed) -> set[str]:
    return {e["field"] for e in exc.errors}


def _create(actor, **overrides):
    data = dict(
        credit_code=factories.credit_code("320583"),
        name="新企业",
        region_code="320583",
        founded_on=date(2020, 5, 1),
    )
    data.update(overrides)
    return enterprise_create(actor=actor, **data)


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"credit_code": "91320583MA1234567X"}, "credit_code"),  # bad check digit
        ({"credit_code": "9132058"}, "credit_code"),  # too short
        ({"credit_code": ""}, "credit_code"),
        ({"region_code": "329999"}, "region_code"),  # unknown division
        ({"region_code": "320500"}, "region_code"),  # a city, not a county
        ({"founded_on": timezone.localdate() + timedelta(days=1)}, "founded_on"),
        ({"name": "  "}, "name"),
        ({"tech_field": "999"}, "tech_field"),
    ],
)
def test_bad_enterprise_input_names_the_field_and_stores_nothing(world, overrides, field):
    before = Enterprise.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as err:
        _create(world["province"], **overrides)
    assert field in _fields(err.value)
    assert all(e["reason"] for e in err.value.errors)
    assert (Enterprise.objects.count(), AuditEvent.objects.count()) == before


def test_create_sets_city_and_audits(world):
    firm = _create(world["kunshan"], tech_field="101")
    assert firm.city_id == "320500" and firm.county_id == "320583"
    event = AuditEvent.objects.get(target_type="registry.enterprise", target_id=str(firm.pk))
    assert event.actor == world["kunshan"] and event.action == "create"
    assert event.new["credit_code"] == firm.credit_code


def test_duplicate_credit_code_is_refused(world):
    with pytest.raises(ValidationFailed) as err:
        _create(world["province"], credit_code=world["ks"].credit_code)
    assert _fields(err.value) == {"credit_code"}


@pytest.mark.parametrize("actor", ["kunshan", "nanjing", "ks_user", "agency", "expert"])
def test_officers_register_firms_only_in_their_region(world, actor):
    county = "320506"  # Wuzhong: outside Kunshan and Nanjing
    with pytest.raises(PermissionDenied):
        _create(world[actor], credit_code=factories.credit_code(county), region_code=county)


@pytest.mark.parametrize(
    "values,field",
    [
        ({"revenue": -1}, "revenue"),
        ({"rnd_expense": -5}, "rnd_expense"),
        ({"employees": 10, "tech_staff": 11}, "tech_staff"),
        ({"rnd_expense": 10, "rnd_expense_domestic": 11}, "rnd_expense_domestic"),
        ({"rnd_expense": 11, "total_cost": 10}, "rnd_expense"),
        ({"hitech_revenue": 11, "total_income": 10}, "hitech_revenue"),
        ({"revenue": 1.5}, "revenue"),
        ({"bad_credit": "yes"}, "bad_credit"),
        ({"no_such_field": 1}, "no_such_field"),
    ],
)
def test_bad_annual_figures_are_refused_whole(world, values, field):
    src = factories.source()
    with pytest.raises(ValidationFailed) as err:
        annual_report_record(
            actor=world["province"],
            enterprise=world["ks"],
            year=2024,
            source=src,
            values={"employees": 100, **values},
        )
    assert field in _fields(err.value)
    assert not AnnualReport.objects.exists()


def test_future_year_is_refused(world):
    with pytest.raises(ValidationFailed) as err:
        annual_report_record(
            actor=world["province"],
            enterprise=world["ks"],
            year=timezone.localdate().year + 1,
            source=factories.source(),
            values={"employees": 3},
        )
    assert _fields(err.value) == {"year"}


def test_negative_net_assets_are_legitimate(world):
    report = annual_report_record(
        actor=world["province"],
        enterprise=world["ks"],
        year=2024,
        source=factories.source(),
        values={"net_assets": -300_000},
    )
    assert report.net_assets == -300_000


def test_replacing_a_report_keeps_the_old_values_in_the_audit(world):
    src = factories.source()
    annual_report_record(
        actor=world["kunshan"],
        enterprise=world["ks"],
        year=2024,
        source=src,
        values={"revenue": 1_000_000, "employees": 20},
    )
    annual_report_record(
        actor=world["kunshan"],
        enterprise=world["ks"],
        year=2024,
        source=src,
        values={"revenue": 1_200_000, "employees": 20},
    )
    assert AnnualReport.objects.get().revenue == 1_200_000
    last = AuditEvent.objects.filter(target_type="registry.annualreport").first()
    assert last.action == "update"
    assert last.old == {"revenue": 1_000_000} and last.new == {"revenue": 1_200_000}


def test_database_constraints_hold_even_without_the_service(world):
    src = factories.source()
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.create(enterprise=world["ks"], year=2024, source=src, employees=5, tech_staff=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.create(enterprise=world["ks"], year=2024, source=src, revenue=-1)
    AnnualReport.objects.create(enterprise=world["ks"], year=2024, source=src, revenue=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.create(enterprise=world["ks"], year=2024, source=src, revenue=2)


def _record(world, values, source=None):
    return annual_report_record(
        actor=world["province"],
        enterprise=world["ks"],
        year=2024,
        source=source or factories.source(),
        values=values,
    )


def test_rnd_above_total_cost_is_refused_with_a_clear_message(world):
    with pytest.raises(ValidationFailed) as err:
        _record(world, {"rnd_expense": 1_200_000, "total_cost": 1_000_000})
    assert err.value.errors == [
        {"field": "rnd_expense", "reason": "研究开发费用总额（1,200,000）超过成本费用支出总额（1,000,000）"}
    ]
    assert not AnnualReport.objects.exists()
    with translation.override("en"), pytest.raises(ValidationFailed) as err:
        _record(world, {"rnd_expense": 1_200_000, "total_cost": 1_000_000})
    assert (
        err.value.errors[0]["reason"]
        == "R&D expenses (1,200,000) exceeds Total costs and expenses (1,000,000)"
    )


def test_a_replacement_is_checked_with_the_figures_it_keeps(world):
    """The stored total cost stays: raising R&D above it is a validation error, not a database error."""
    src = factories.source()
    _record(world, {"rnd_expense": 100, "total_cost": 1_000}, src)
    with pytest.raises(ValidationFailed) as err:
        _record(world, {"rnd_expense": 1_001}, src)
    assert (
        _fields(err.value) == {"rnd_expense"} and "成本费用支出总额（1,000）" in err.value.errors[0]["reason"]
    )
    assert AnnualReport.objects.get().rnd_expense == 100
    _record(world, {"rnd_expense": 1_001, "total_cost": 2_000}, src)  # both changed together: fine
    assert AnnualReport.objects.get().rnd_expense == 1_001


@pytest.mark.parametrize(
    "values",
    [
        {"rnd_expense": 11, "total_cost": 10},
        {"hitech_revenue": 11, "total_income": 10},
        {"rnd_expense": 10, "rnd_expense_domestic": 11},
    ],
)
def test_database_refuses_what_the_cross_field_rules_refuse(world, values):
    src = factories.source()
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.create(enterprise=world["ks"], year=2024, source=src, **values)
    equal = {k: min(values.values()) for k in values}
    AnnualReport.objects.create(enterprise=world["ks"], year=2024, source=src, **equal)  # at the limit: fine


def test_report_constraints_derive_from_the_engine_cross_rules():
    """Every engine rule comparing two figures of one report is a constraint (and a service check)."""
    columns = {f.name for f in AnnualReport._meta.fields}
    expected = {
        (fact_column(r.small), fact_column(r.big))
        for r in CROSS_RULES
        if {fact_column(r.small), fact_column(r.big)} <= columns
        # one report is one year: a yearly fact of another year than the latest compares two reports
        and (FIELDS_BY_NAME[r.small].year or 3) == (FIELDS_BY_NAME[r.big].year or 3)
    }
    assert set(REPORT_CROSS_RULES) == expected
    assert {
        ("tech_staff", "employees"),
        ("rnd_expense", "total_cost"),
        ("hitech_revenue", "total_income"),
    } < expected
    names = {c.name for c in AnnualReport._meta.constraints}
    assert {f"report_{small}_within_{big}" for small, big in expected} <= names


def test_enterprise_cannot_record_facts_for_another_firm(world):
    with pytest.raises(NotFound):
        annual_report_record(
            actor=world["ks_user"],
            enterprise=world["wz"],
            year=2024,
            source=factories.source("enterprise_self"),
            values={"employees": 1},
        )


def test_update_audits_only_what_changed(world):
    enterprise_update(
        actor=world["suzhou"],
        enterprise=world["ks"],
        name="昆山新名称科技有限公司",
        above_scale=False,
        reason="工商变更",
    )
    event = AuditEvent.objects.filter(action="update").get()
    assert event.old == {"name": "昆山测试科技有限公司"} and event.new == {"name": "昆山新名称科技有限公司"}
    assert event.reason == "工商变更" and event.actor == world["suzhou"]


@pytest.mark.parametrize("actor", ["nanjing", "ks_user", "agency", "expert"])
def test_update_outside_scope_is_not_found(world, actor):
    with pytest.raises(NotFound):
        enterprise_update(actor=world[actor], enterprise=world["ks"], name="x")


def test_certificate_sets_status_dates(world):
    certificate_record(
        actor=world["province"],
        enterprise=world["ks"],
        kind="hte",
        number="GR202332000001",
        issued_on=date(2023, 11, 6),
        expires_on=date(2026, 11, 5),
    )
    world["ks"].refresh_from_db()
    assert world["ks"].hte_valid_until == date(2026, 11, 5)
    with pytest.raises(ValidationFailed) as err:
        certificate_record(
            actor=world["province"],
            enterprise=world["ks"],
            kind="hte",
            number="GR2",
            issued_on=date(2023, 11, 6),
            expires_on=date(2023, 11, 6),
        )
    assert _fields(err.value) == {"expires_on"}
