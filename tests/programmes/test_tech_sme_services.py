"""The tech-SME programme's own services: declaration, annual update, lapse, revocation, 应评尽评 invitations."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.ledger.services import reevaluate
from gaoqi.programmes.models import Invitation
from gaoqi.programmes.tech_sme import services
from gaoqi.registry.models import AnnualReport, Department
from gaoqi.workflow.errors import Conflict, GuardFailed
from gaoqi.workflow.models import Application, Notification
from gaoqi.workflow.services import transition
from tests.workflow.conftest import PASSING, start

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _at(y, m, d):
    return time_machine.travel(datetime(y, m, d, 10, 0, tzinfo=SH), tick=False)


def test_the_self_evaluation_is_prefilled_from_the_registry(sme_world):
    app = start(sme_world["ks_user"], sme_world["ks"])
    assert app.phase == "draft" and app.declared["values"] == PASSING
    with pytest.raises(ValidationFailed, match="进行中"):
        start(sme_world["ks_user"], sme_world["ks"])


def test_only_the_firm_starts_its_own(sme_world):
    with pytest.raises(PermissionDenied):
        services.application_start(actor=sme_world["province"], enterprise=sme_world["ks"])
    with pytest.raises(NotFound):
        services.application_start(actor=sme_world["ks_user"], enterprise=sme_world["wz"])


def test_a_declared_change_is_recorded_as_self_declared(sme_world):
    user = sme_world["ks_user"]
    app = start(user, sme_world["ks"])
    app = services.declaration_update(
        actor=user, application=app, version=app.version, values={"employees": "60"}
    )
    assert app.declared["values"]["employees"] == 60 and app.version == 2
    report = AnnualReport.objects.get(
        enterprise=sme_world["ks"], source__department=Department.ENTERPRISE_SELF
    )
    assert report.employees == 60 and report.source.note == "self-declared"
    event = AuditEvent.objects.filter(target_type="registry.annualreport", target_id=str(report.pk)).first()
    assert event.actor == user and "企业自报" in event.reason
    with pytest.raises(Conflict):
        services.declaration_update(actor=user, application=app, version=1, values={"employees": 61})
    with pytest.raises(ValidationFailed) as exc:
        services.declaration_update(
            actor=user, application=app, version=2, values={"employees": "many", "name": "x"}
        )
    assert {e["field"] for e in exc.value.errors} == {"employees", "name"}
    with pytest.raises(PermissionDenied):
        services.declaration_update(
            actor=sme_world["province"], application=app, version=2, values={"employees": 1}
        )


def _registered(world, key="ks"):
    """A registration issued on 2026-05-06 (set directly: the notice path is tested in tests/workflow)."""
    user = world[f"{key}_user"]
    app = start(user, world[key])
    app = transition(actor=user, application=app, action="submit", version=app.version)
    Application.objects.filter(pk=app.pk).update(
        phase="registered", reference_no=f"2026{app.county_id}A9999", valid_until=date(2027, 3, 31)
    )
    return Application.objects.select_related("enterprise").get(pk=app.pk)


def test_annual_update_in_the_window_extends_the_registration(sme_world):
    app = _registered(sme_world)
    user = sme_world["ks_user"]
    with _at(2026, 12, 20), pytest.raises(GuardFailed, match="2027 年 1 月 1 日"):
        transition(actor=user, application=app, action="annual_update", version=app.version)
    with _at(2027, 3, 2), pytest.raises(GuardFailed, match="职工总数"):
        # The evaluation now reads 2026, for which neither the registry nor the firm has figures yet.
        transition(actor=user, application=app, action="annual_update", version=app.version)
    from tests.workflow.conftest import record_facts

    record_facts(sme_world["province"], sme_world["ks"], PASSING, year=2026)
    with _at(2027, 3, 2):
        app = transition(actor=user, application=app, action="annual_update", version=app.version)
    app.refresh_from_db()
    assert (app.phase, app.valid_until, app.year) == ("registered", date(2028, 3, 31), 2027)
    assert app.snapshot["as_of"] == "2027-03-02"


def test_reminders_then_lapse_after_the_deadline(sme_world):
    app = _registered(sme_world)
    renewed = _registered(sme_world, "wz")
    Application.objects.filter(pk=renewed.pk).update(valid_until=date(2028, 3, 31))
    assert services.send_reminders(today=date(2027, 3, 1)) == 1  # 30 days before 31 March
    assert Notification.objects.filter(user=sme_world["ks_user"], title__contains="2027-03-31").exists()
    assert services.send_reminders(today=date(2027, 3, 2)) == 0
    assert services.lapse_unrenewed(today=date(2027, 3, 31)).done == []
    result = services.lapse_unrenewed(today=date(2027, 4, 1))
    assert result.done == [app.pk]
    app.refresh_from_db()
    assert app.phase == "lapsed" and app.decisions.last().actor is None
    assert Application.objects.get(pk=renewed.pk).phase == "registered"


def test_revocation_needs_a_reason_and_the_province(sme_world):
    app = _registered(sme_world)
    with pytest.raises(ValidationFailed, match="理由"):
        transition(actor=sme_world["province"], application=app, action="revoke", version=app.version)
    with pytest.raises(PermissionDenied):
        transition(
            actor=sme_world["suzhou"], application=app, action="revoke", reason="x", version=app.version
        )
    transition(
        actor=sme_world["province"],
        application=app,
        action="revoke",
        reason="提供虚假材料",
        version=app.version,
    )
    app.refresh_from_db()
    assert app.phase == "revoked" and app.remarks == "提供虚假材料"


def test_invitations_reach_firms_in_scope_once_a_year(sme_world):
    reevaluate(as_of=date(2026, 12, 1))
    rows = services_campaign(sme_world["suzhou"])
    assert {r.enterprise_id for r in rows} == {sme_world["ks"].pk, sme_world["wz"].pk}
    n = services.invite(
        actor=sme_world["suzhou"], enterprise_ids=[sme_world["ks"].pk, sme_world["nj"].pk], year=2026
    )
    assert n == 1  # Nanjing's firm is not Suzhou's to invite
    assert services.invite(actor=sme_world["suzhou"], enterprise_ids=[sme_world["ks"].pk], year=2026) == 0
    assert Invitation.objects.get().enterprise == sme_world["ks"]
    assert Notification.objects.filter(user=sme_world["ks_user"], title__contains="邀请").count() == 1
    with pytest.raises(PermissionDenied):
        services.invite(actor=sme_world["ks_user"], enterprise_ids=[sme_world["ks"].pk], year=2026)
    start(sme_world["ks_user"], sme_world["ks"])
    rows = {r.enterprise_id: r for r in services_campaign(sme_world["suzhou"])}
    assert rows[sme_world["ks"].pk].invited and rows[sme_world["ks"].pk].applied
    assert not rows[sme_world["wz"].pk].invited and not rows[sme_world["wz"].pk].applied


def services_campaign(actor):
    from gaoqi.programmes.tech_sme.selectors import campaign

    return list(campaign(actor=actor, year=2026))


def test_the_annual_command(sme_world):
    from io import StringIO

    from django.core.management import call_command

    app = _registered(sme_world)
    out = StringIO()
    call_command("tech_sme_annual", "--today", "2027-04-01", stdout=out)
    assert out.getvalue().strip() == "reminders sent: 0; registrations lapsed: 1"
    app.refresh_from_db()
    assert app.phase == "lapsed"


def test_the_annual_update_declares_the_new_years_figures(sme_world):
    from tests.workflow.conftest import record_facts

    app = _registered(sme_world)  # declared 2025 figures
    user = sme_world["ks_user"]
    with _at(2026, 12, 20), pytest.raises(ValidationFailed, match="当前环节"):
        services.declaration_update(
            actor=user, application=app, version=app.version, values={"employees": 70}
        )
    record_facts(sme_world["province"], sme_world["ks"], {**PASSING, "employees": 80}, year=2026)
    with _at(2027, 2, 10):
        app = services.declaration_update(
            actor=user, application=app, version=app.version, values={"tech_staff": 30}
        )
        assert app.declared["year"] == 2026
        assert app.declared["values"]["employees"] == 80  # the new year's registry figure, not last year's 50
        assert app.declared["values"]["tech_staff"] == 30
        app = transition(actor=user, application=app, action="annual_update", version=app.version)
    assert app.snapshot["declared"]["tech_staff"] == 30 and app.valid_until == date(2028, 3, 31)
