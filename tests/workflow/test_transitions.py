"""The transition service on the tech-SME table: who may act where, guards, reasons, versions, the record."""

import pytest
from django.core import mail
from django.test import override_settings

from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.workflow.errors import Conflict, GuardFailed
from gaoqi.workflow.models import Application, Decision, Notification
from gaoqi.workflow.services import transition, transition_batch
from tests.workflow.conftest import record_facts, start, submitted

pytestmark = pytest.mark.django_db


def _fresh(app):
    return Application.objects.select_related("enterprise").get(pk=app.pk)


# --- refused first -----------------------------------------------------------------------------------------


def test_a_firm_cannot_accept_its_own_application(sme_world):
    app = submitted(sme_world)
    with pytest.raises(PermissionDenied):
        transition(actor=sme_world["ks_user"], application=app, action="accept", version=app.version)
    assert _fresh(app).phase == "submitted"


def test_a_city_officer_of_the_firms_city_sees_but_cannot_accept(sme_world):
    app = submitted(sme_world)
    with pytest.raises(PermissionDenied, match="角色或层级"):
        transition(actor=sme_world["suzhou"], application=app, action="accept", version=app.version)


def test_an_officer_of_another_city_gets_not_found(sme_world):
    app = submitted(sme_world)  # a Kunshan (Suzhou) firm
    with pytest.raises(NotFound):
        transition(actor=sme_world["nanjing"], application=app, action="accept", version=app.version)


def test_another_firm_gets_not_found(sme_world):
    app = start(sme_world["ks_user"], sme_world["ks"])
    with pytest.raises(NotFound):
        transition(actor=sme_world["wz_user"], application=app, action="submit", version=app.version)
    with pytest.raises(NotFound):
        transition(actor=sme_world["expert"], application=app, action="submit", version=app.version)


def test_an_action_not_in_the_current_phase_is_refused(sme_world):
    app = start(sme_world["ks_user"], sme_world["ks"])
    with pytest.raises(ValidationFailed, match="当前环节"):
        transition(actor=sme_world["province"], application=app, action="accept", version=app.version)


def test_return_without_a_reason_is_refused(sme_world):
    app = submitted(sme_world)
    with pytest.raises(ValidationFailed, match="理由"):
        transition(
            actor=sme_world["province"], application=app, action="return", reason="  ", version=app.version
        )
    assert _fresh(app).phase == "submitted"


def test_submit_is_refused_when_the_evaluation_fails(sme_world):
    user, firm = sme_world["ks_user"], sme_world["ks"]
    app = start(user, firm)
    app.declared["values"]["employees"] = 900  # over the 500 limit
    Application.objects.filter(pk=app.pk).update(declared=app.declared)
    with pytest.raises(GuardFailed) as exc:
        transition(actor=user, application=app, action="submit", version=app.version)
    assert exc.value.extra["guards"][0]["guard"] == "evaluation_passes"
    assert "职工总数" in exc.value.message
    assert _fresh(app).phase == "draft" and not Decision.objects.filter(application=app).exists()


def test_submit_is_refused_when_facts_are_missing(world):
    user = world["ks_user"]  # no facts recorded at all
    app = start(user, world["ks"])
    with pytest.raises(GuardFailed, match="不完整"):
        transition(actor=user, application=app, action="submit", version=app.version)


def test_publish_outside_a_notice_is_refused(sme_world):
    app = submitted(sme_world)
    app = transition(actor=sme_world["province"], application=app, action="accept", version=app.version)
    with pytest.raises(GuardFailed, match="公示"):
        transition(actor=sme_world["province"], application=app, action="publish", version=app.version)


def test_lapse_is_the_systems_alone(sme_world):
    app = submitted(sme_world)
    Application.objects.filter(pk=app.pk).update(phase="registered")  # the state under test, set directly
    app = _fresh(app)
    with pytest.raises(PermissionDenied):
        transition(actor=sme_world["province"], application=app, action="lapse", version=app.version)


# --- concurrency ---------------------------------------------------------------------------------------------


def test_a_decision_on_a_stale_version_is_a_conflict_and_writes_nothing(sme_world):
    app = submitted(sme_world)
    seen = app.version
    first = _fresh(app)
    transition(actor=sme_world["province"], application=first, action="accept", version=seen)
    second = _fresh(app)  # the other officer's page still shows `seen`
    before = (AuditEvent.objects.count(), Decision.objects.count())
    with pytest.raises(Conflict) as exc:
        transition(
            actor=sme_world["province2"], application=second, action="return", reason="材料不全", version=seen
        )
    assert exc.value.status == 409 and exc.value.extra["version"] == seen + 1
    assert _fresh(app).phase == "accepted"
    assert (AuditEvent.objects.count(), Decision.objects.count()) == before


def test_a_race_lost_at_the_database_is_a_conflict(sme_world):
    app = submitted(sme_world)
    stale = _fresh(app)
    Application.objects.filter(pk=app.pk).update(version=stale.version + 1)  # someone committed meanwhile
    with pytest.raises(Conflict):
        transition(actor=sme_world["province"], application=stale, action="accept", version=stale.version)
    assert _fresh(app).phase == "submitted"


# --- what is recorded ------------------------------------------------------------------------------------------


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_a_return_is_recorded_audited_and_notified(sme_world, django_capture_on_commit_callbacks):
    sme_world["ks_user"].email = "ks@example.com"
    sme_world["ks_user"].save()
    app = submitted(sme_world)
    with django_capture_on_commit_callbacks(execute=True):
        transition(
            actor=sme_world["province"],
            application=app,
            action="return",
            reason="研发费用需附审计报告",
            version=app.version,
        )
    app = _fresh(app)
    assert (app.phase, app.version, app.remarks) == ("returned", 3, "研发费用需附审计报告")
    d = Decision.objects.filter(application=app).last()
    assert (d.actor, d.from_phase, d.to_phase, d.reason) == (
        sme_world["province"],
        "submitted",
        "returned",
        "研发费用需附审计报告",
    )
    assert d.snapshot == app.snapshot and d.snapshot["outcome"] == "pass"
    event = AuditEvent.objects.filter(target_type="workflow.application", target_id=str(app.pk)).first()
    assert event.actor == sme_world["province"] and event.old["phase"] == "submitted"
    assert event.new["phase"] == "returned" and event.reason == "研发费用需附审计报告"
    note = Notification.objects.get(user=sme_world["ks_user"])
    assert "退回修改" in note.title and note.email == "sent"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ks@example.com"]


def test_submission_notifies_the_province_officers_not_the_city(sme_world):
    submitted(sme_world)
    assert Notification.objects.filter(user=sme_world["province"]).count() == 1
    assert not Notification.objects.filter(user=sme_world["suzhou"]).exists()


def test_the_frozen_snapshot_survives_a_later_data_change(sme_world):
    app = submitted(sme_world)
    frozen = dict(_fresh(app).snapshot)
    assert frozen["outcome"] == "pass" and frozen["score"] == 100
    assert frozen["engine_version"] and len(frozen["param_hash"]) == 64 and frozen["facts_revision"]
    # The registry's figures change later (a new tax file): R&D far lower.
    record_facts(sme_world["province"], sme_world["ks"], {**frozen["declared"], "rnd_expense": 1000})
    app = transition(
        actor=sme_world["province"], application=_fresh(app), action="accept", version=app.version
    )
    assert _fresh(app).snapshot == frozen
    assert [d.snapshot for d in Decision.objects.filter(application=app)] == [frozen, frozen]


def test_on_site_check_flags_are_set_at_submission(sme_world):
    user, firm = sme_world["ks_user"], sme_world["ks"]
    app = start(user, firm)
    from gaoqi.programmes.tech_sme.services import declaration_update

    app = declaration_update(
        actor=user,
        application=app,
        version=app.version,
        values={
            "employees": 5,
            "tech_staff": 2,
            "ip_class1": 0,
            "ip_class2": 4,
            "rnd_expense": 99_999,
            "revenue": 1_000_000,
            "total_cost": 300_000,
        },
    )
    transition(actor=user, application=app, action="submit", version=app.version)
    assert set(_fresh(app).flags) == {"few_employees", "low_rnd", "first_application"}


# --- batch ---------------------------------------------------------------------------------------------------


def test_a_batch_decides_each_and_reports_the_refused(sme_world):
    a, b, c = submitted(sme_world, "ks"), submitted(sme_world, "wz"), submitted(sme_world, "nj")
    result = transition_batch(
        actor=sme_world["suzhou"], items=[(a.pk, a.version)], action="accept", reason="批量"
    )
    assert result.done == [] and result.refused[0]["status"] == 403
    stale = (b.pk, b.version - 1)
    result = transition_batch(
        actor=sme_world["province"],
        items=[(a.pk, a.version), stale, (c.pk, c.version), (999999, 1)],
        action="accept",
        reason="形式审查通过",
    )
    assert result.done == [a.pk, c.pk]
    assert {r["id"]: r["status"] for r in result.refused} == {b.pk: 409, 999999: 404}
    assert [_fresh(x).phase for x in (a, b, c)] == ["accepted", "submitted", "accepted"]
    assert AuditEvent.objects.filter(target_type="workflow.application", reason="形式审查通过").count() == 2
