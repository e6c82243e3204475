"""The pool's path county → city → province, scoped by region through the core; the frozen snapshot; the notice
(an upheld objection blocks admission); admission by batch; exits with their reasons."""

from datetime import date, timedelta

import pytest

from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.programmes.pool import selectors, services
from gaoqi.programmes.pool.models import ExitReason, PoolRecord
from gaoqi.registry.services import annual_report_record, certificate_record
from gaoqi.workflow.errors import GuardFailed
from gaoqi.workflow.models import Decision, Notification
from gaoqi.workflow.notices import notice_close, objection_record, objection_resolve
from gaoqi.workflow.services import transition_batch
from tests import factories
from tests.pool.conftest import DAY, act, at, fresh, in_expert_review, noticed, scored, submitted

pytestmark = pytest.mark.django_db


def test_start_is_prefilled_and_one_open_application_at_a_time(pool_world):
    w = pool_world
    app = services.application_start(actor=w["ks_user"], enterprise=w["ks"])
    assert app.programme == "pool" and app.phase == "draft" and app.year == 2026
    assert app.declared["values"]["employees"] == 50 and app.declared["year"] == 2025
    assert PoolRecord.objects.get(application=app).admitted_on is None
    with pytest.raises(ValidationFailed):
        services.application_start(actor=w["ks_user"], enterprise=w["ks"])
    with pytest.raises(PermissionDenied):  # an officer does not apply for a firm
        services.application_start(actor=w["kunshan"], enterprise=w["ks"])


def test_the_path_county_city_province(pool_world):
    w = pool_world
    app = submitted(w)
    assert app.phase == "submitted" and app.snapshot["eligible"] and app.snapshot["illustrative"]
    # the county acts on its own county only; the city and the province cannot act in the county's phase
    with pytest.raises(NotFound):
        act(w["wuzhong"], app, "recommend")
    with pytest.raises(PermissionDenied):
        act(w["suzhou"], app, "recommend")
    with pytest.raises(PermissionDenied):
        act(w["province"], app, "recommend")
    act(w["kunshan"], app, "recommend", "推荐")
    assert fresh(app).phase == "recommended"
    with pytest.raises(NotFound):  # Nanjing never sees a Suzhou application
        act(w["nanjing"], app, "pass")
    with pytest.raises(PermissionDenied):
        act(w["kunshan"], app, "pass")
    act(w["suzhou"], app, "pass")
    app = fresh(app)
    assert app.phase == "expert_review"
    steps = list(Decision.objects.filter(application=app).values_list("action", "actor__role"))
    assert steps == [("submit", "enterprise"), ("recommend", "county_officer"), ("pass", "city_officer")]
    events = AuditEvent.objects.filter(action=AuditAction.DECISION, target_id=str(app.pk))
    assert events.count() == 3
    # the firm is told at each level's decision
    assert Notification.objects.filter(user=w["ks_user"], application=app).count() == 2


def test_returns_need_a_reason_and_go_back_to_the_firm(pool_world):
    w = pool_world
    app = submitted(w)
    with pytest.raises(ValidationFailed):
        act(w["kunshan"], app, "return")
    act(w["kunshan"], app, "return", "请补充研发费用辅助账")
    app = fresh(app)
    assert app.phase == "returned" and app.remarks == "请补充研发费用辅助账"
    act(w["ks_user"], app, "resubmit")
    act(w["kunshan"], app, "recommend")
    act(w["suzhou"], app, "return", "知识产权证明不清晰")
    app = fresh(app)
    assert app.phase == "returned" and app.remarks == "知识产权证明不清晰"


def test_batch_recommend_with_one_reason_reports_each_refusal(pool_world):
    w = pool_world
    ks, wz, nj = submitted(w, "ks"), submitted(w, "wz"), submitted(w, "nj")
    result = transition_batch(
        actor=w["suzhou"], items=[(ks.pk, ks.version)], action="recommend", reason="同意推荐"
    )
    assert result.done == [] and result.refused[0]["status"] == 403  # not the city's phase
    result = transition_batch(
        actor=w["kunshan"],
        items=[(ks.pk, ks.version), (wz.pk, wz.version), (nj.pk, nj.version)],
        action="recommend",
        reason="同意推荐",
    )
    assert result.done == [ks.pk]
    assert {r["id"]: r["status"] for r in result.refused} == {wz.pk: 404, nj.pk: 404}


def test_submission_outside_the_intake_window_is_refused(pool_world):
    w = pool_world
    app = services.application_start(actor=w["ks_user"], enterprise=w["ks"])
    with at(date(2026, 7, 1)):
        with pytest.raises(GuardFailed) as exc:
            act(w["ks_user"], app, "submit")
    assert "2026-03-01" in exc.value.message and "2026-06-30" in exc.value.message
    act(w["ks_user"], app, "submit")  # back inside the window
    assert fresh(app).phase == "submitted"


def test_a_firm_below_the_entry_standard_cannot_submit_and_gets_gap_advice(pool_world):
    w = pool_world
    app = services.application_start(actor=w["wz_user"], enterprise=w["wz"])
    services.declaration_update(
        actor=w["wz_user"], application=app, version=app.version, values={"ip_class1": "0", "ip_class2": "0"}
    )
    with pytest.raises(GuardFailed) as exc:
        act(w["wz_user"], app, "submit")
    assert "知识产权" in exc.value.message
    from gaoqi.programmes.pool import evaluation

    live = evaluation.live(actor=w["wz_user"], application=fresh(app))
    assert live["eligible"] is False and live["gaps"] and live["illustrative"]


def test_the_snapshot_is_frozen_at_submission(pool_world):
    w = pool_world
    app = submitted(w)
    frozen = dict(app.snapshot)
    annual_report_record(
        actor=w["province"],
        enterprise=w["ks"],
        year=2025,
        source=factories.source(),
        values={"ip_class1": 0, "ip_class2": 0},
    )
    act(w["kunshan"], app, "recommend")
    app = fresh(app)
    assert app.snapshot == frozen and app.snapshot["facts_revision"]
    assert Decision.objects.filter(application=app, action="recommend").get().snapshot == frozen


def test_an_upheld_objection_blocks_admission(pool_world):
    w = pool_world
    notice, (ks, nj) = noticed(w, ("ks", "nj"))
    assert ks.phase == "in_notice" and notice.ends_on == date(2026, 4, 23)  # 7 working days from 15 April
    objection_record(
        actor=w["province"], notice=notice, application_id=ks.pk, filed_by="匿名", content="研发费用不实"
    )
    objection_record(
        actor=w["province"], notice=notice, application_id=nj.pk, filed_by="张三", content="存疑"
    )
    with pytest.raises(GuardFailed):  # the notice runs
        act(w["province"], ks, "admit")
    with at(notice.ends_on + timedelta(days=1)):
        with pytest.raises(ValidationFailed):  # open objections: the notice cannot close
            notice_close(actor=w["province"], notice=notice)
        for o in notice.objections.all():
            objection_resolve(
                actor=w["province"], objection=o, upheld=o.application_id == ks.pk, resolution="经核查"
            )
        notice_close(actor=w["province"], notice=notice)
        with pytest.raises(GuardFailed) as exc:
            act(w["province"], ks, "admit")
        assert "异议成立" in exc.value.message
        act(w["province"], ks, "reject", "公示期间异议成立")
        result = services.admit_batch(actor=w["province"], items=[(nj.pk, fresh(nj).version)], batch_no=1)
    assert result.done == [nj.pk]
    assert fresh(ks).phase == "rejected" and fresh(nj).phase == "admitted"


def _admitted(w, keys=("ks",), batch_no=1):
    notice, apps = noticed(w, keys)
    day = notice.ends_on + timedelta(days=1)
    with at(day):
        notice_close(actor=w["province"], notice=notice)
        result = services.admit_batch(
            actor=w["province"], items=[(a.pk, a.version) for a in apps], batch_no=batch_no
        )
    assert result.done == [a.pk for a in apps]
    return day, [fresh(a) for a in apps]


def test_admission_by_batch_with_the_period(pool_world):
    w = pool_world
    day, (ks, nj) = _admitted(w, ("ks", "nj"), batch_no=2)
    record = PoolRecord.objects.get(application=ks)
    assert (record.batch_no, record.admitted_on, record.ends_on) == (2, day, date(2029, 4, 23))
    assert record.expert_score == 80  # (100 + 60 + 80) / 3
    assert ks.reference_no == "PY2026-02-0001" and nj.reference_no == "PY2026-02-0002"
    assert ks.valid_until == record.ends_on
    listed = selectors.admissions(actor=w["province"], year=2026, batch_no=2)
    assert [r.application_id for r in listed] == [ks.pk, nj.pk]
    assert list(selectors.admissions(actor=w["province"], year=2026, batch_no=1)) == []
    assert [r.application_id for r in selectors.admissions(actor=w["suzhou"], year=2026)] == [ks.pk]
    assert selectors.batches(actor=w["province"]) == [(2026, 2, 2)]
    assert list(selectors.admissions(actor=w["e1"])) == []  # an expert sees no admission list


def test_exits_certified_revoked_and_period_ended(pool_world):
    w = pool_world
    day, (ks, wz, nj) = _admitted(w, ("ks", "wz", "nj"))
    with at(day):
        with pytest.raises(GuardFailed):  # no HTE certificate since admission
            act(w["province"], ks, "exit_certified")
        certificate_record(
            actor=w["province"], enterprise=w["ks"], kind="hte", number="GR202632000001",
            issued_on=day, expires_on=date(2029, 4, 26),
        )  # fmt: skip
        act(w["province"], ks, "exit_certified")
        with pytest.raises(ValidationFailed):
            act(w["province"], wz, "revoke")
        with pytest.raises(PermissionDenied):
            act(w["suzhou"], wz, "revoke", "x")
        act(w["province"], wz, "revoke", "提供虚假材料")
        with pytest.raises(GuardFailed):
            act(w["province"], nj, "exit_expired")
        assert services.expire_ended().done == []
    ends = PoolRecord.objects.get(application=nj).ends_on
    result = services.expire_ended(today=ends + timedelta(days=1))
    assert result.done == [nj.pk]
    got = {r.application_id: (r.exit_reason, r.exited_on, r.exit_note) for r in PoolRecord.objects.all()}
    assert got[ks.pk] == (ExitReason.CERTIFIED, day, "")
    assert got[wz.pk] == (ExitReason.REVOKED, day, "提供虚假材料")
    assert got[nj.pk] == (ExitReason.PERIOD_ENDED, ends + timedelta(days=1), "培育期满")
    assert {a.phase for a in map(fresh, (ks, wz, nj))} == {"exited_certified", "revoked", "exited_expired"}
    assert Decision.objects.get(application=nj, action="exit_expired").actor is None  # the system
    assert [r.application_id for r in selectors.exits(actor=w["nanjing"])] == [nj.pk]


def test_scored_panel_feeds_the_guard(pool_world):
    w = pool_world
    app = in_expert_review(w)
    with pytest.raises(GuardFailed) as exc:
        act(w["province"], app, "expert_pass")
    assert "3 名评审专家" in exc.value.message
    app = scored(w, "wz")
    act(w["province"], app, "expert_pass")
    assert fresh(app).phase == "reviewed"
    assert DAY == w["today"]


def test_the_daily_command_exits_ended_periods(pool_world):
    from io import StringIO

    from django.core.management import call_command

    w = pool_world
    _day, (ks,) = _admitted(w, ("ks",))
    ends = PoolRecord.objects.get(application=ks).ends_on
    out = StringIO()
    call_command("pool_daily", "--today", ends.isoformat(), stdout=out)
    assert "pool periods ended: 0" in out.getvalue()
    call_command("pool_daily", "--today", (ends + timedelta(days=1)).isoformat(), stdout=out)
    assert "pool periods ended: 1" in out.getvalue() and fresh(ks).phase == "exited_expired"
