"""Alerts: each rule at its edges, idempotent rescans, resolution when the condition is gone, officers'
acknowledge / resolve (audited), and scope across regions and roles on the selectors, pages and API."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import get_alert_for_actor, scope_alerts
from gaoqi.alerts import services
from gaoqi.alerts.checks import add_months
from gaoqi.alerts.models import Alert, AlertEvent, EventKind, Status
from gaoqi.alerts.rules import BY_CODE
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.ledger.models import EvaluationSnapshot
from gaoqi.regions.models import Region
from gaoqi.registry.models import CertificateKind
from gaoqi.registry.services import certificate_record
from gaoqi.targets import services as target_services
from gaoqi.targets.selectors import year_pace
from tests import factories

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)


@pytest.fixture
def today():
    return timezone.localdate()


def cert(firm, kind=CertificateKind.HTE, *, expires_on, issued_on=None, actor=None):
    actor = actor or factories.province_admin()
    issued_on = issued_on or min(expires_on, timezone.localdate()) - timedelta(days=3 * 365)
    if kind == CertificateKind.HTE:
        _reports_filed(firm)
    return certificate_record(
        actor=actor,
        enterprise=firm,
        kind=kind,
        number=f"GR{next(_numbers):08d}",
        issued_on=issued_on,
        expires_on=expires_on,
    )


def _reports_filed(firm):
    """The firm's annual reports of the last two closed years: an HTE that keeps its reporting up to date, so
    that the "annual report missing" rule (tests in test_pool_and_reports.py) stays out of these tests."""
    from gaoqi.registry.models import AnnualReport

    src = factories.source()
    for year in (timezone.localdate().year - 2, timezone.localdate().year - 1):
        AnnualReport.objects.get_or_create(
            enterprise=firm, year=year, source=src, defaults={"source_row": 2, "recorded_at": timezone.now()}
        )


def live(rule: str) -> dict[int | str, Alert]:
    return {(a.enterprise_id or a.city_id): a for a in Alert.objects.filter(rule=rule, holds=True)}


# --- the rules at their edges ---------------------------------------------------------------------------------


def test_add_months_clamps_to_the_months_last_day():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 15), -12) == date(2025, 1, 15)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_certificate_expiry_bands_at_their_edges(world, today):
    p = world["province"]
    six, three = add_months(today, 6), add_months(today, 3)
    firms = {
        "six": (six, "hte_cert_expiring_6m"),
        "six_plus_1": (six + timedelta(days=1), None),
        "three_plus_1": (three + timedelta(days=1), "hte_cert_expiring_6m"),
        "three": (three, "hte_cert_expiring_3m"),
        "today": (today, "hte_cert_expiring_3m"),
        "yesterday": (today - timedelta(days=1), None),  # already expired: not "expiring"
    }
    made = {}
    for label, (expires, _rule) in firms.items():
        firm = factories.enterprise("320583", name=f"到期{label}", actor=p)
        cert(firm, expires_on=expires, actor=p)
        made[label] = firm
    services.scan(today=today)
    six_m, three_m = live("hte_cert_expiring_6m"), live("hte_cert_expiring_3m")
    for label, (_expires, rule) in firms.items():
        pk = made[label].pk
        assert (pk in six_m) == (rule == "hte_cert_expiring_6m"), label
        assert (pk in three_m) == (rule == "hte_cert_expiring_3m"), label
    a = three_m[made["three"].pk]
    assert a.severity == "warning" and a.act_role == Role.COUNTY_OFFICER and a.act_region_id == "320583"
    assert str((three - today).days) in a.reason and a.figures["expires_on"] == three.isoformat()


def test_a_renewed_certificate_is_not_expiring(world, today):
    firm = world["ks"]
    cert(firm, expires_on=add_months(today, 2), actor=world["province"])
    cert(
        firm,
        expires_on=add_months(today, 2) + timedelta(days=3 * 365),
        issued_on=today,
        actor=world["province"],
    )
    services.scan(today=today)
    assert not Alert.objects.filter(enterprise=firm).exists()


def test_tech_sme_registration_lapsed_at_its_edges(world, today):
    p = world["province"]
    cases = {
        today - timedelta(days=1): True,
        today: False,  # still valid today
        add_months(today, -12): True,
        add_months(today, -12) - timedelta(days=1): False,  # lapsed too long ago: not this rule's concern
    }
    made = {}
    for until, expected in cases.items():
        firm = factories.enterprise("320506", actor=p)
        cert(firm, CertificateKind.TECH_SME, expires_on=until, issued_on=until - timedelta(days=300), actor=p)
        made[firm.pk] = expected
    services.scan(today=today)
    alerts = live("tech_sme_unrenewed")
    assert {pk for pk, expected in made.items() if expected} == set(alerts)
    one = next(iter(alerts.values()))
    assert "年度信息更新" in one.reason and one.act_region_id == "320506"


def _day_with_pace(year: int, pace: Decimal, until: date) -> date | None:
    day = date(year, 1, 1)
    while day <= until:
        if year_pace(year, day) == pace:
            return day
        day += timedelta(days=1)
    return None


def test_city_behind_pace_at_the_tolerance_edge(world, today):
    day = _day_with_pace(today.year, Decimal("20.0"), today)
    if day is None:
        pytest.skip("no day with a 20.0% pace has passed yet this year")
    p = world["province"]
    rule = BY_CODE["city_behind_pace"]
    assert rule.params["tolerance_points"] == 10  # edge: completion 10.0% is on pace − 10, not behind
    for code in ("320500", "320100"):
        target_services.target_set(
            actor=p, region=Region.objects.get(code=code), year=today.year, indicator="new_hte", value=100
        )
    for county, n in (("320583", 10), ("320115", 9)):  # Suzhou 10/100 = 10.0%, Nanjing 9/100 = 9.0%
        for _ in range(n):
            firm = factories.enterprise(county, actor=p)
            cert(firm, expires_on=day + timedelta(days=3 * 365), issued_on=date(today.year, 1, 2), actor=p)
    services.scan(today=day)
    alerts = live("city_behind_pace")
    assert set(alerts) == {"320100"}
    a = alerts["320100"]
    assert a.enterprise is None and a.county is None and a.act_role == Role.CITY_OFFICER
    assert "已完成 9 家（9.0%）" in a.reason and "时序进度 20.0%" in a.reason


def _snapshot(firm, as_of, hard_failed: int, *, errors=None):
    """A hand-built hte snapshot: the first `hard_failed` hard conditions fail, everything else passes."""
    from gaoqi.policy import RULES, load_policy

    policy = load_policy("hte", as_of)
    hard = list(RULES["hte"].groups["hard"])
    failing = set(hard[:hard_failed])
    crit = [[0 if cid in failing else 1, None, None] for cid in policy.criteria]
    import json

    return EvaluationSnapshot.objects.create(
        enterprise=firm,
        policy="hte",
        as_of=as_of,
        outcome="fail" if hard_failed else "pass",
        errors=errors,
        criteria_json=json.dumps(crit),
        engine_version="t",
        param_hash="t",
        evaluated_at=timezone.now(),
    )


def test_hte_at_risk_reads_the_latest_snapshot(world, today):
    p = world["province"]
    firms = [factories.enterprise("320583", actor=p) for _ in range(4)]
    for f in firms:
        cert(f, expires_on=today + timedelta(days=800), actor=p)
    earlier = today - timedelta(days=30)
    _snapshot(firms[0], today, 1)  # fails one hard condition: at risk
    _snapshot(firms[1], today, 0)  # passes
    _snapshot(firms[2], earlier, 2)
    _snapshot(firms[2], today, 0)  # the latest passes: not at risk
    _snapshot(firms[3], today, 0, errors="revenue_y3")  # could not be evaluated: not this rule
    no_cert = factories.enterprise("320583", actor=p)
    _snapshot(no_cert, today, 3)  # not an HTE
    services.scan(today=today)
    alerts = live("hte_at_risk")
    assert set(alerts) == {firms[0].pk}
    assert "1 项硬性条件不满足" in alerts[firms[0].pk].reason


def test_hte_at_risk_matches_the_ledgers_count_after_a_real_reevaluation(db):
    from gaoqi.demo.generator import generate
    from gaoqi.demo.loader import load
    from gaoqi.ledger.models import LedgerEntry
    from gaoqi.ledger.services import reevaluate
    from gaoqi.registry.models import Enterprise

    as_of = date(2025, 6, 30)
    load(generate(150, 7, as_of), progress=False)
    reevaluate(as_of=as_of)
    services.scan(today=as_of)
    valid = set(Enterprise.objects.filter(hte_valid_until__gte=as_of).values_list("pk", flat=True))
    expected = {
        e for e in LedgerEntry.objects.filter(hte_hard_failed__gt=0).values_list("enterprise_id", flat=True)
    } & valid
    assert set(live("hte_at_risk")) == expected


def test_every_rule_has_a_check_now(today):
    """The pool exists (gaoqi.programmes.pool): its "stalled" rule runs like the others (tests in
    test_pool_and_reports.py), and nothing is skipped."""
    assert BY_CODE["pool_stalled"].check == "pool_stalled"
    assert services.scan(today=today).skipped == ()


# --- rescans ----------------------------------------------------------------------------------------------------


def test_a_rescan_does_not_duplicate_and_keeps_the_status(world, today):
    cert(world["ks"], expires_on=add_months(today, 1), actor=world["province"])
    first = services.scan(today=today)
    assert first.opened == 1
    alert = Alert.objects.get()
    services.alert_acknowledge(actor=world["kunshan"], alert=alert, note="已通知企业")
    events = AlertEvent.objects.count()
    second = services.scan(today=today)
    assert (second.opened, second.resolved, second.unchanged) == (0, 0, 1)
    assert Alert.objects.count() == 1 and AlertEvent.objects.count() == events
    alert.refresh_from_db()
    assert alert.status == Status.ACKNOWLEDGED
    # a day later the figures change (one day less): updated, still one alert, history says so
    third = services.scan(today=today + timedelta(days=1))
    assert third.updated == 1 and Alert.objects.count() == 1
    assert alert.events.filter(kind=EventKind.UPDATED).count() == 1


def test_resolved_by_the_scan_when_the_condition_is_gone(world, today):
    firm = world["ks"]
    cert(firm, expires_on=add_months(today, 1), actor=world["province"])
    services.scan(today=today)
    cert(
        firm, expires_on=today + timedelta(days=3 * 365), issued_on=today, actor=world["province"]
    )  # renewed
    r = services.scan(today=today)
    assert r.resolved == 1
    alert = Alert.objects.get()
    assert (alert.status, alert.holds, alert.resolved_by) == (Status.RESOLVED, False, None)
    assert alert.events.last().kind == EventKind.AUTO_RESOLVED and "不再满足" in alert.events.last().note
    assert services.scan(today=today).resolved == 0  # nothing left to resolve


def test_an_officers_resolution_stands_until_the_condition_clears(world, today):
    firm = world["ks"]
    cert(firm, expires_on=add_months(today, 1), actor=world["province"])
    services.scan(today=today)
    alert = Alert.objects.get()
    services.alert_resolve(actor=world["kunshan"], alert=alert, note="企业已提交重新认定申请")
    services.scan(today=today)
    assert Alert.objects.count() == 1  # not reopened while the same certificate is still expiring
    cert(firm, expires_on=today + timedelta(days=3 * 365), issued_on=today, actor=world["province"])
    services.scan(today=today)
    alert.refresh_from_db()
    assert not alert.holds and alert.resolved_by == world["kunshan"]
    assert alert.events.last().kind == EventKind.CLEARED


# --- acknowledge / resolve ----------------------------------------------------------------------------------------


def test_acknowledge_and_resolve_are_audited_and_checked(world, today):
    cert(world["ks"], expires_on=add_months(today, 1), actor=world["province"])
    services.scan(today=today)
    alert = Alert.objects.get()
    with pytest.raises(ValidationFailed):
        services.alert_resolve(actor=world["kunshan"], alert=alert, note="  ")
    services.alert_acknowledge(actor=world["kunshan"], alert=alert)
    with pytest.raises(ValidationFailed):
        services.alert_acknowledge(actor=world["kunshan"], alert=alert)
    services.alert_resolve(actor=world["suzhou"], alert=alert, note="已完成重新认定申报")
    with pytest.raises(ValidationFailed):
        services.alert_resolve(actor=world["suzhou"], alert=alert, note="再次")
    events = AuditEvent.objects.filter(target_type="alerts.alert", target_id=str(alert.pk)).order_by("seq")
    assert [(e.old["status"], e.new["status"]) for e in events] == [
        ("open", "acknowledged"),
        ("acknowledged", "resolved"),
    ]
    assert events.last().reason == "已完成重新认定申报"
    assert AuditEvent.objects.filter(target_type="alerts.scan").exists()


# --- scope ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def two_cities(world, today):
    for firm in (world["ks"], world["nj"]):
        cert(firm, expires_on=add_months(today, 1), actor=world["province"])
    services.scan(today=today)
    return {a.enterprise_id: a for a in Alert.objects.all()}


def test_selectors_never_cross_regions(world, two_cities):
    ks, nj = two_cities[world["ks"].pk], two_cities[world["nj"].pk]
    assert set(scope_alerts(world["suzhou"])) == {ks}
    assert set(scope_alerts(world["kunshan"])) == {ks}
    assert set(scope_alerts(world["nanjing"])) == {nj}
    assert set(scope_alerts(world["province"])) == {ks, nj}
    for role in ("ks_user", "expert", "agency"):
        assert not scope_alerts(world[role]).exists()
    with pytest.raises(NotFound):
        get_alert_for_actor(world["suzhou"], nj.pk)
    with pytest.raises(NotFound):
        services.alert_resolve(actor=world["suzhou"], alert=nj, note="越权")
    nj.refresh_from_db()
    assert nj.status == Status.OPEN


def test_a_county_officer_does_not_see_its_citys_own_alert(world):
    city_alert = Alert.objects.create(
        rule="city_behind_pace",
        subject_key="320500:2026",
        severity="warning",
        city_id="320500",
        act_role=Role.CITY_OFFICER,
        act_region_id="320500",
        reason="x",
        opened_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    assert city_alert in scope_alerts(world["suzhou"]) and city_alert not in scope_alerts(world["kunshan"])


def test_pages_never_cross_regions(client, world, two_cities):
    ks, nj = two_cities[world["ks"].pk], two_cities[world["nj"].pk]
    client.force_login(world["suzhou"])
    page = client.get("/alerts/").content.decode()
    assert world["ks"].name in page and world["nj"].name not in page
    assert client.get(f"/alerts/{ks.pk}/").status_code == 200
    assert client.get(f"/alerts/{nj.pk}/").status_code == 404
    assert client.post(f"/alerts/{nj.pk}/resolve/", {"note": "x"}).status_code == 404
    assert client.get("/alerts/?status=bogus").status_code == 400
    res = client.post(f"/alerts/{ks.pk}/resolve/", {"note": "已处理"})
    assert res.status_code == 302
    ks.refresh_from_db()
    assert ks.status == Status.RESOLVED and ks.resolved_by == world["suzhou"]
    assert client.post("/alerts/scan/").status_code == 302  # refused (city officer): back to the list
    client.force_login(world["ks_user"])
    assert client.get("/alerts/").status_code == 404
    assert client.get(f"/alerts/{ks.pk}/").status_code == 404


def test_filters_by_rule_and_status(client, world, two_cities, today):
    client.force_login(world["province"])
    assert "共 2 条预警" in client.get("/alerts/").content.decode()
    assert "共 0 条预警" in client.get("/alerts/?rule=tech_sme_unrenewed").content.decode()
    assert "共 2 条预警" in client.get("/alerts/?rule=hte_cert_expiring_3m&status=open").content.decode()
    assert "共 0 条预警" in client.get("/alerts/?status=resolved").content.decode()


def test_home_page_counts(client, world, two_cities):
    client.force_login(world["suzhou"])
    page = client.get("/").content.decode()
    assert 'data-testid="alerts-panel"' in page and "1 条预警待处理" in page
    client.force_login(world["ks_user"])
    assert 'data-testid="alerts-panel"' not in client.get("/").content.decode()


def test_api_lists_in_scope_and_acts(client, world, two_cities):
    ks, nj = two_cities[world["ks"].pk], two_cities[world["nj"].pk]
    client.force_login(world["suzhou"])
    body = client.get("/api/alerts/").json()
    assert [a["id"] for a in body["items"]] == [ks.pk] and body["items"][0]["act_region"] == "320583"
    assert client.get(f"/api/alerts/{nj.pk}").status_code == 404
    assert (
        client.post(f"/api/alerts/{nj.pk}/acknowledge", {}, content_type="application/json").status_code
        == 404
    )
    res = client.post(f"/api/alerts/{ks.pk}/acknowledge", {"note": "收到"}, content_type="application/json")
    assert res.status_code == 200 and res.json()["status"] == "acknowledged"
    res = client.post(f"/api/alerts/{ks.pk}/resolve", {"note": ""}, content_type="application/json")
    assert res.status_code == 422
    assert client.get("/api/alerts/counts").json()["acknowledged"] == 1
    assert {r["code"] for r in client.get("/api/alerts/rules").json()} == set(BY_CODE)
    client.force_login(world["ks_user"])
    assert client.get("/api/alerts/").status_code == 404


def test_the_command_scans(world, today, capsys):
    cert(world["ks"], expires_on=add_months(today, 1), actor=world["province"])
    call_command("alerts_scan", "--today", today.isoformat())
    assert "新增 1" in capsys.readouterr().out
    call_command("alerts_scan", "--today", today.isoformat())
    assert Alert.objects.count() == 1


def test_a_province_officer_starts_a_scan_job(client, world, today):
    from gaoqi.jobs.models import Job
    from gaoqi.jobs.testing import run_queued_jobs

    cert(world["ks"], expires_on=add_months(today, 1), actor=world["province"])
    client.force_login(world["province"])
    res = client.post("/alerts/scan/")
    job = Job.objects.get(kind="alerts.scan")
    assert res.status_code == 302 and res["Location"] == f"/jobs/{job.pk}/"
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == "succeeded" and Alert.objects.count() == 1
