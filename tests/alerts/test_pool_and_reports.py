"""The two rules added with the pool: "pool firm stalled" and "HTE annual report missing", at their edges, and
who sees the alerts (scope)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from gaoqi.accounts.scope import get_alert_for_actor, scope_alerts
from gaoqi.alerts import services
from gaoqi.alerts.checks import add_months, report_year_due
from gaoqi.alerts.models import Alert
from gaoqi.alerts.rules import BY_CODE
from gaoqi.coaching.models import ServiceRecord
from gaoqi.errors import NotFound
from gaoqi.programmes.pool.models import PoolRecord
from gaoqi.registry.models import AnnualReport, CertificateKind
from gaoqi.registry.services import certificate_record
from gaoqi.workflow.models import Application
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 30)


def _moment(day: date):
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _app(firm, phase: str, since: date, *, admitted_on=None, ends_on=None, exited_on=None) -> Application:
    """A pool application as the workflow leaves it (test set-up; the check only reads)."""
    app = Application.objects.create(
        programme="pool",
        year=since.year,
        enterprise=firm,
        city_id=firm.city_id,
        county_id=firm.county_id,
        phase=phase,
        phase_since=_moment(since),
    )
    PoolRecord.objects.create(
        application=app, enterprise=firm, admitted_on=admitted_on, ends_on=ends_on, exited_on=exited_on
    )
    return app


def live(rule: str) -> dict:
    return {a.enterprise_id: a for a in Alert.objects.filter(rule=rule, holds=True)}


def test_rules_are_data_with_their_parameters():
    assert BY_CODE["pool_stalled"].params == {"stalled_months": 6}
    assert BY_CODE["hte_annual_report_missing"].params == {"due_month": 5, "due_day": 31}


def test_an_application_stuck_in_its_phase_at_the_edge(world):
    p = world["province"]
    cutoff = add_months(TODAY, -6)  # 2026-05-30
    cases = {
        "on_cutoff": ("submitted", cutoff, True),
        "day_after": ("recommended", cutoff + timedelta(days=1), False),
        "old_draft": ("draft", cutoff - timedelta(days=40), True),
        "old_rejected": ("rejected", cutoff - timedelta(days=300), False),  # closed: no progress expected
    }
    made = {}
    for label, (phase, since, _expected) in cases.items():
        firm = factories.enterprise("320583", name=f"停滞{label}", actor=p)
        made[label] = (_app(firm, phase, since), firm)
    services.scan(today=TODAY)
    alerts = live("pool_stalled")
    for label, (_phase, _since, expected) in cases.items():
        assert (made[label][1].pk in alerts) == expected, label
    a = alerts[made["on_cutoff"][1].pk]
    assert "待县级推荐" in a.reason and "184 天" in a.reason
    assert a.figures["days"] == 184 and a.act_region_id == "320583" and a.severity == "notice"


def test_an_admitted_member_without_progress(world):
    p = world["province"]
    cutoff = add_months(TODAY, -6)
    long_ago = cutoff - timedelta(days=100)
    quiet = factories.enterprise("320583", name="入库无进展", actor=p)
    _app(quiet, "admitted", long_ago, admitted_on=long_ago, ends_on=date(2029, 1, 1))
    coached = factories.enterprise("320583", name="入库有服务", actor=p)
    _app(coached, "admitted", long_ago, admitted_on=long_ago, ends_on=date(2029, 1, 1))
    ServiceRecord.objects.create(
        enterprise=coached, kind="visit", served_on=cutoff + timedelta(days=1), content="走访", author=p
    )
    edge = factories.enterprise("320506", name="服务恰在界限", actor=p)
    _app(edge, "admitted", long_ago, admitted_on=long_ago, ends_on=date(2029, 1, 1))
    ServiceRecord.objects.create(enterprise=edge, kind="visit", served_on=cutoff, content="走访", author=p)
    ended = factories.enterprise("320583", name="培育期已满", actor=p)
    _app(ended, "admitted", long_ago, admitted_on=long_ago, ends_on=TODAY - timedelta(days=1))
    exited = factories.enterprise("320583", name="已出库", actor=p)
    _app(exited, "admitted", long_ago, admitted_on=long_ago, ends_on=date(2029, 1, 1), exited_on=cutoff)
    services.scan(today=TODAY)
    alerts = live("pool_stalled")
    assert set(alerts) == {quiet.pk, edge.pk}
    assert "入库" in alerts[quiet.pk].reason and alerts[quiet.pk].figures["last_step"] == "admitted"
    assert alerts[edge.pk].figures["last_step"] == "service"
    # A service record today is progress: the next scan resolves the alert.
    ServiceRecord.objects.create(enterprise=quiet, kind="visit", served_on=TODAY, content="辅导", author=p)
    assert services.scan(today=TODAY).resolved == 1
    assert set(live("pool_stalled")) == {edge.pk}


def test_report_year_due_turns_on_the_day_after_the_deadline():
    assert report_year_due(date(2026, 5, 31), due_month=5, due_day=31) == 2024
    assert report_year_due(date(2026, 6, 1), due_month=5, due_day=31) == 2025
    assert report_year_due(date(2026, 1, 1), due_month=5, due_day=31) == 2024


def _report(firm, year: int):
    src = factories.source()
    return AnnualReport.objects.create(
        enterprise=firm, year=year, source=src, source_row=2, recorded_at=timezone.now(), revenue=1
    )


def _hte(firm, issued: date, expires: date, actor):
    certificate_record(
        actor=actor,
        enterprise=firm,
        kind=CertificateKind.HTE,
        number=f"GR{firm.pk:08d}",
        issued_on=issued,
        expires_on=expires,
    )


def test_missing_annual_report_of_a_certified_hte(world):
    p = world["province"]
    year = 2025  # due by 2026-05-31; TODAY is after it
    missing = factories.enterprise("320583", name="未报年报", actor=p)
    _hte(missing, date(2024, 10, 1), date(2027, 9, 30), p)
    filed = factories.enterprise("320583", name="已报年报", actor=p)
    _hte(filed, date(2024, 10, 1), date(2027, 9, 30), p)
    _report(filed, year)
    old_only = factories.enterprise("320115", name="只报了前年", actor=p)
    _hte(old_only, date(2024, 10, 1), date(2027, 9, 30), p)
    _report(old_only, year - 1)
    new_cert = factories.enterprise("320583", name="今年新认定", actor=p)
    _hte(new_cert, date(2026, 1, 15), date(2029, 1, 14), p)  # not an HTE in 2025: nothing due yet
    lapsed = factories.enterprise("320583", name="证书已过期", actor=p)
    _hte(lapsed, date(2023, 1, 1), date(2025, 12, 31), p)  # no longer an HTE today
    services.scan(today=TODAY)
    alerts = live("hte_annual_report_missing")
    assert set(alerts) == {missing.pk, old_only.pk}
    a = alerts[missing.pk]
    assert "2025 年度报告" in a.reason and "2026-05-31" in a.reason
    assert a.figures["days_overdue"] == (TODAY - date(2026, 5, 31)).days and a.act_region_id == "320583"
    # Filing the report clears the alert on the next scan.
    _report(missing, year)
    services.scan(today=TODAY)
    assert set(live("hte_annual_report_missing")) == {old_only.pk}


def test_on_the_deadline_the_previous_year_is_what_is_due(world):
    p = world["province"]
    firm = factories.enterprise("320583", actor=p)
    _hte(firm, date(2023, 10, 1), date(2026, 9, 30), p)
    _report(firm, 2024)
    services.scan(today=date(2026, 5, 31))  # 2025's report is not late yet; 2024's was filed
    assert not live("hte_annual_report_missing")
    services.scan(today=date(2026, 6, 1))
    assert set(live("hte_annual_report_missing")) == {firm.pk}


def test_the_new_alerts_stay_in_their_region(world):
    p = world["province"]
    ks = factories.enterprise("320583", actor=p)
    _hte(ks, date(2024, 10, 1), date(2027, 9, 30), p)
    nj = factories.enterprise("320115", actor=p)
    _app(nj, "submitted", date(2026, 1, 5))
    services.scan(today=TODAY)
    ks_alert = Alert.objects.get(rule="hte_annual_report_missing", enterprise=ks)
    nj_alert = Alert.objects.get(rule="pool_stalled", enterprise=nj)
    assert set(scope_alerts(world["kunshan"]).values_list("pk", flat=True)) >= {ks_alert.pk}
    assert nj_alert.pk not in set(scope_alerts(world["suzhou"]).values_list("pk", flat=True))
    assert ks_alert.pk not in set(scope_alerts(world["nanjing"]).values_list("pk", flat=True))
    with pytest.raises(NotFound):
        get_alert_for_actor(world["suzhou"], nj_alert.pk)
    with pytest.raises(NotFound):
        get_alert_for_actor(world["ks_user"], ks_alert.pk)
