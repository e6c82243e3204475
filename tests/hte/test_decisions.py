"""The province's decision steps: the on-site check (ordered, recorded, audited; pending or failed blocks the
approval, failed rejects), the report list (认定报备: deadline a dated parameter, export, marked reported and
audited, the guard on the certificate), the cancellation case (its own notice, objections, decision, the
certificate ended, audit); scope at each step; pages and API."""

from datetime import date, timedelta

import pytest
from django.test import Client

from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.programmes.hte import after, decisions, params
from gaoqi.programmes.hte.models import CancellationCase, ReportBatch, SiteCheck
from gaoqi.registry.models import Certificate, CertificateKind
from gaoqi.workflow.errors import GuardFailed
from gaoqi.workflow.models import NoticeEntry
from gaoqi.workflow.notices import notice_close, notice_publish, objection_record, objection_resolve
from tests.hte.conftest import DAY, act, at, certified, fresh, scored_and_aggregated

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def reviewed(w, key="ks"):
    app, _draw = scored_and_aggregated(w, key)
    act(w["province"], app, "expert_pass")
    return fresh(app)


def audited(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk)).order_by("pk")
    )


# --- On-site check ----------------------------------------------------------------------------------------


def test_site_check_passed_then_approve(hte_world):
    w = hte_world
    app = reviewed(w)
    with pytest.raises(ValidationFailed):  # a reason is required
        decisions.site_check_order(actor=w["province"], application=app, reason=" ")
    with pytest.raises(PermissionDenied):  # the city sees it but does not decide
        decisions.site_check_order(actor=w["suzhou"], application=app, reason="x")
    with pytest.raises(NotFound):  # another city: not found
        decisions.site_check_order(actor=w["nanjing"], application=app, reason="x")
    check = decisions.site_check_order(actor=w["province"], application=app, reason="研发场地与申报不符")
    with pytest.raises(ValidationFailed):  # one open at a time
        decisions.site_check_order(actor=w["province"], application=app, reason="again")
    with pytest.raises(GuardFailed) as exc:  # pending check blocks the approval
        act(w["province"], app, "approve")
    assert "实地核查尚未完成" in exc.value.message
    with pytest.raises(ValidationFailed):  # who, when (not in the future), findings
        decisions.site_check_record(actor=w["province"], check=check, inspectors="", checked_on=DAY + timedelta(days=1),
                                    findings="", passed=True)  # fmt: skip
    decisions.site_check_record(actor=w["province"], check=check, inspectors="张三、李四", checked_on=DAY,
                                findings="研发场地、人员与申报一致", passed=True)  # fmt: skip
    check.refresh_from_db()
    assert check.passed is True and check.inspectors == "张三、李四" and check.recorded_by == w["province"]
    with pytest.raises(ValidationFailed):  # recorded once
        decisions.site_check_record(actor=w["province"], check=check, inspectors="x", checked_on=DAY,
                                    findings="x", passed=False)  # fmt: skip
    assert [e.new.get("passed") for e in audited(check)] == [None, True]
    act(w["province"], app, "approve")
    assert fresh(app).phase == "approved"


def test_failed_site_check_rejects_with_the_findings(hte_world):
    w = hte_world
    app = reviewed(w)
    check = decisions.site_check_order(actor=w["province"], application=app, reason="抽查")
    decisions.site_check_record(actor=w["province"], check=check, inspectors="王五", checked_on=DAY,
                                findings="研发人员实际不足 5 人", passed=False)  # fmt: skip
    app = fresh(app)
    assert app.phase == "rejected" and "研发人员实际不足 5 人" in app.remarks
    assert app.decisions.last().action == "reject" and "实地核查未通过" in app.decisions.last().reason
    with pytest.raises(ValidationFailed):  # no check outside the decision phase
        decisions.site_check_order(actor=w["province"], application=app, reason="x")


def test_site_check_guard_on_a_failed_check_without_rejection(hte_world):
    """The guard itself: the latest check failed (as it would be when recorded without the service)."""
    w = hte_world
    app = reviewed(w)
    SiteCheck.objects.create(application=app, reason="x", ordered_by=w["province"], ordered_at=app.phase_since,
                             passed=False, findings="不符")  # fmt: skip
    with pytest.raises(GuardFailed) as exc:
        act(w["province"], app, "approve")
    assert "实地核查未通过" in exc.value.message


def test_site_check_pages_and_api(hte_world):
    w = hte_world
    app = reviewed(w)
    page = client(w["province"]).get(f"/programmes/hte/applications/{app.pk}/").content.decode()
    assert 'data-testid="site-checks"' in page and "安排实地核查" in page
    firm_page = client(w["ks_user"]).get(f"/programmes/hte/applications/{app.pk}/").content.decode()
    assert 'data-testid="site-checks"' not in firm_page
    r = client(w["province"]).post(
        f"/programmes/hte/applications/{app.pk}/site-checks/", {"reason": "核实场地"}
    )
    assert r.status_code == 302
    check = SiteCheck.objects.get(application=app)
    assert (
        client(w["nanjing"]).post(f"/programmes/hte/site-checks/{check.pk}/", {"passed": "1"}).status_code
        == 404
    )
    r = client(w["nanjing"]).post(f"/api/hte/site-checks/{check.pk}/result",
                                  {"inspectors": "x", "checked_on": "2026-06-10", "findings": "x", "passed": True},
                                  content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    r = client(w["province"]).post(f"/api/hte/site-checks/{check.pk}/result",
                                   {"inspectors": "赵六", "checked_on": "2026-06-10", "findings": "不实", "passed": False},
                                   content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["phase"] == "rejected" and r.json()["passed"] is False
    r = client(w["province"]).post(f"/api/hte/applications/{app.pk}/site-checks", {"reason": "x"},
                                   content_type="application/json")  # fmt: skip
    assert r.status_code == 422  # no longer in the decision phase


# --- 认定报备 -------------------------------------------------------------------------------------------


def test_report_deadline_is_a_dated_parameter_with_its_source():
    p = params.param("report_deadline", date(2026, 1, 1))
    assert p.value == "11-30" and "195号" in p.source and "11月底" in p.source and not p.illustrative
    assert decisions.report_deadline(2026) == date(2026, 11, 30)
    with pytest.raises(LookupError):  # not in force before 195号
        params.param("report_deadline", date(2016, 6, 21))


def test_report_list_marked_and_the_certificate_guard(hte_world):
    w = hte_world
    app = reviewed(w)
    assert list(decisions.reportable(w["province"])) == []  # not decided yet
    with pytest.raises(ValidationFailed):
        decisions.report_batch_create(
            actor=w["province"], year=2026, title="第一批", application_ids=[app.pk]
        )
    act(w["province"], app, "approve")
    assert [a.pk for a in decisions.reportable(w["province"])] == [app.pk]
    with pytest.raises(PermissionDenied):  # the city does not report
        decisions.report_batch_create(actor=w["suzhou"], year=2026, title="第一批", application_ids=[app.pk])
    with pytest.raises(ValidationFailed):  # an unknown application: nothing to report
        decisions.report_batch_create(
            actor=w["province"], year=2026, title="x", application_ids=[app.pk + 999]
        )
    batch = decisions.report_batch_create(
        actor=w["province"], year=2026, title="第一批", application_ids=[app.pk]
    )
    assert batch.deadline == date(2026, 11, 30) and batch.reported_on is None
    with pytest.raises(ValidationFailed):  # in one list only
        decisions.report_batch_create(
            actor=w["province"], year=2026, title="第二批", application_ids=[app.pk]
        )
    rows = decisions.report_batch_rows(batch)
    assert [(r["credit_code"], r["tech_field"]) for r in rows] == [(w["ks"].credit_code, "101")]
    notice, _r = notice_publish(actor=w["province"], programme_code="hte", title="公示", starts_on=DAY,
                                working_days=10, items=[(app.pk, fresh(app).version)])  # fmt: skip
    with at(DAY + timedelta(days=20)):
        notice_close(actor=w["province"], notice=notice)
        with pytest.raises(GuardFailed) as exc:
            act(w["province"], app, "certify")
        assert "尚未报备" in exc.value.message
        with pytest.raises(ValidationFailed):  # a date in the future
            decisions.report_batch_mark_reported(
                actor=w["province"], batch=batch, reported_on=DAY + timedelta(days=30)
            )
        with pytest.raises(NotFound):
            decisions.report_batch_mark_reported(actor=w["suzhou"], batch=batch, reported_on=DAY)
        decisions.report_batch_mark_reported(
            actor=w["province"], batch=batch, reported_on=DAY, reference="苏科高〔2026〕9号"
        )
        with pytest.raises(ValidationFailed):  # once
            decisions.report_batch_mark_reported(actor=w["province"], batch=batch, reported_on=DAY)
        (event,) = [e for e in audited(batch) if e.old]
        assert event.new["reference"] == "苏科高〔2026〕9号" and event.new["late"] is False
        act(w["province"], app, "certify")
        assert fresh(app).phase == "certified"


def test_report_after_the_deadline_is_recorded_late(hte_world):
    w = hte_world
    app = reviewed(w)
    act(w["province"], app, "approve")
    batch = decisions.report_batch_create(
        actor=w["province"], year=2026, title="补报", application_ids=[app.pk]
    )
    with at(date(2026, 12, 1)):
        decisions.report_batch_mark_reported(actor=w["province"], batch=batch, reported_on=date(2026, 12, 1))
    batch.refresh_from_db()
    assert batch.late
    with at(date(2026, 12, 1)):
        batch2 = ReportBatch(deadline=date(2026, 11, 30), reported_on=date(2026, 11, 30))
        assert not batch2.late  # the deadline day itself is in time


def test_report_pages_export_and_api(hte_world):
    import xlsxwriter  # noqa: F401  (the export's writer)
    from python_calamine import CalamineWorkbook

    w = hte_world
    app = reviewed(w)
    act(w["province"], app, "approve")
    assert client(w["suzhou"]).get("/programmes/hte/decisions/").status_code == 404
    assert client(w["ks_user"]).get("/api/hte/report-batches").json() == []
    r = client(w["province"]).post("/api/hte/report-batches", {"year": 2026, "title": "第一批", "application_ids": [app.pk]},
                                   content_type="application/json")  # fmt: skip
    assert r.status_code == 201 and r.json()["entries"][0]["enterprise"] == w["ks"].name
    pk = r.json()["id"]
    assert client(w["suzhou"]).get(f"/api/hte/report-batches/{pk}").status_code == 404
    assert client(w["ks_user"]).get(f"/programmes/hte/report-batches/{pk}/export.xlsx").status_code == 404
    xlsx = client(w["province"]).get(f"/api/hte/report-batches/{pk}/export")
    assert xlsx.status_code == 200
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".xlsx") as f:
        f.write(xlsx.content)
        f.flush()
        rows = CalamineWorkbook.from_path(f.name).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "第一批" and rows[1][1] == "2026-11-30"
    assert rows[5][1] == w["ks"].credit_code and rows[5][2] == w["ks"].name
    r = client(w["province"]).post(f"/api/hte/report-batches/{pk}/reported", {"reported_on": "2026-06-10"},
                                   content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["reported_on"] == "2026-06-10"
    page = client(w["province"]).get(f"/programmes/hte/report-batches/{pk}/").content.decode()
    assert 'data-testid="reported"' in page and "标记为已报备" not in page


# --- Cancellation ------------------------------------------------------------------------------------------


def cancellation_notice(w, app, starts_on):
    notice, result = notice_publish(actor=w["province"], programme_code="hte", title="拟取消高企资格公示",
                                    starts_on=starts_on, working_days=10, items=[(app.pk, fresh(app).version)])  # fmt: skip
    assert result.done == [app.pk]
    return notice


def test_cancellation_case_notice_objection_and_decision(hte_world):
    w = hte_world
    app = certified(w)
    cert = Certificate.objects.get(enterprise=w["ks"], kind=CertificateKind.HTE)
    # (the public holidays are published up to 2027: the notice runs in 2027 on a report missed for 2026)
    with at(date(2027, 6, 10)):
        assert after.missed_years(fresh(app)) == [2026]
        with pytest.raises(ValidationFailed):  # no direct cancellation from certified
            act(w["province"], app, "cancel", "x")
        with pytest.raises(GuardFailed):  # the transition needs a case (opened by the service)
            act(w["province"], app, "propose_cancel", "x")
        with pytest.raises(PermissionDenied):
            decisions.cancellation_open(actor=w["suzhou"], application=app, ground="reports", detail="x",
                                        version=app.version)  # fmt: skip
        with pytest.raises(NotFound):
            decisions.cancellation_open(actor=w["nanjing"], application=app, ground="reports", detail="x",
                                        version=app.version)  # fmt: skip
        with pytest.raises(ValidationFailed):
            decisions.cancellation_open(actor=w["province"], application=app, ground="nope", detail="x",
                                        version=app.version)  # fmt: skip
        case = decisions.cancellation_open(actor=w["province"], application=fresh(app), ground="reports",
                                           detail="迁址未按期报告，2026 年度年报未填报", version=fresh(app).version,
                                           missed_years=[2026])  # fmt: skip
        app = fresh(app)
        assert app.phase == "cancel_proposed" and case.outcome == "" and case.missed_years == [2026]
        assert audited(case) and "第十九条（三）" in app.remarks
        w["ks"].refresh_from_db()
        assert w["ks"].hte_valid_until == cert.expires_on  # still certified during the case
        notice = cancellation_notice(w, app, date(2027, 6, 11))
        app = fresh(app)
        assert (
            app.phase == "cancel_notice"
            and NoticeEntry.objects.filter(notice=notice, application=app).exists()
        )
        with pytest.raises(GuardFailed):  # not before the notice ends
            act(w["province"], app, "cancel", "x")
        objection = objection_record(actor=w["province"], notice=notice, application_id=app.pk,
                                     filed_by="本企业", content="已补报")  # fmt: skip
    with at(date(2027, 7, 1)):
        objection_resolve(
            actor=w["province"], objection=objection, upheld=False, resolution="补报不改变逾期事实"
        )
        notice_close(actor=w["province"], notice=notice)
        with pytest.raises(ValidationFailed):  # the decision needs its reason
            act(w["province"], app, "cancel")
        act(w["province"], app, "cancel", "未按期报告重大变化情况（32号第十九条（三））")
    app = fresh(app)
    case.refresh_from_db()
    cert.refresh_from_db()
    w["ks"].refresh_from_db()
    assert app.phase == "cancelled" and case.outcome == "cancelled" and case.decided_at is not None
    assert cert.ended_on == date(2027, 7, 1)
    assert w["ks"].hte_valid_until is None or w["ks"].hte_valid_until < date(2027, 7, 1)
    assert AuditEvent.objects.filter(target_type="workflow.application", target_id=str(app.pk),
                                     new__action="cancel").exists()  # fmt: skip


def test_upheld_objection_keeps_the_qualification(hte_world):
    w = hte_world
    app = certified(w)
    cert = Certificate.objects.get(enterprise=w["ks"], kind=CertificateKind.HTE)
    with at(date(2027, 3, 1)):
        case = decisions.cancellation_open(actor=w["province"], application=fresh(app), ground="incident",
                                           detail="环保处罚", version=fresh(app).version)  # fmt: skip
        notice = cancellation_notice(w, app, date(2027, 3, 2))
        objection = objection_record(actor=w["province"], notice=notice, application_id=app.pk,
                                     filed_by="本企业", content="处罚已被撤销")  # fmt: skip
    with at(date(2027, 4, 1)):
        objection_resolve(actor=w["province"], objection=objection, upheld=True, resolution="处罚决定已撤销")
        notice_close(actor=w["province"], notice=notice)
        with pytest.raises(GuardFailed) as exc:
            act(w["province"], app, "cancel", "x")
        assert "不能取消资格" in exc.value.message
        act(w["province"], app, "keep", "异议成立，维持资格")
    case.refresh_from_db()
    cert.refresh_from_db()
    assert fresh(app).phase == "certified" and case.outcome == "kept" and cert.ended_on is None
    # the case closed, another may be opened later
    with at(date(2027, 5, 1)):
        decisions.cancellation_open(actor=w["province"], application=fresh(app), ground="fraud", detail="举报",
                                    version=fresh(app).version)  # fmt: skip
    assert CancellationCase.objects.filter(application=app).count() == 2
    assert fresh(app).phase == "cancel_proposed"
    with at(date(2027, 5, 2)):
        act(w["province"], app, "keep", "举报不实，撤销案件")
    assert fresh(app).phase == "certified"


def test_cancellation_pages_and_api(hte_world):
    w = hte_world
    app = certified(w)
    with at(date(2028, 6, 10)):  # two reports missed: a candidate on the after-certification page
        page = client(w["province"]).get("/programmes/hte/after/").content.decode()
        assert "立案（拟取消资格）" in page
        assert "立案（拟取消资格）" not in client(w["suzhou"]).get("/programmes/hte/after/").content.decode()
        detail = client(w["province"]).get(f"/programmes/hte/applications/{app.pk}/").content.decode()
        assert 'data-testid="cancellation-open"' in detail and "2026、2027" in detail
    with at(date(2027, 6, 10)):
        firm = client(w["ks_user"]).get(f"/programmes/hte/applications/{app.pk}/").content.decode()
        assert 'data-testid="cancellation-open"' not in firm
        r = client(w["nanjing"]).post(f"/api/hte/applications/{app.pk}/cancellation",
                                      {"version": app.version, "ground": "reports", "detail": "x"},
                                      content_type="application/json")  # fmt: skip
        assert r.status_code == 404
        r = client(w["province"]).post(f"/programmes/hte/applications/{app.pk}/cancellation/",
                                       {"version": app.version, "ground": "reports", "detail": "未填报 2026 年度发展情况报表",
                                        "missed_years": ["2026"]})  # fmt: skip
        assert r.status_code == 302 and fresh(app).phase == "cancel_proposed"
        desk = client(w["province"]).get("/programmes/hte/decisions/").content.decode()
        assert "发布取消资格公示" in desk and w["ks"].name in desk
        r = client(w["province"]).post("/programmes/hte/decisions/notice/",
                                       {"item": f"{app.pk}:{fresh(app).version}", "title": "拟取消资格公示",
                                        "starts_on": "2027-06-11", "working_days": 10})  # fmt: skip
        assert r.status_code == 302 and fresh(app).phase == "cancel_notice"
        cases = client(w["province"]).get("/api/hte/cancellations").json()
        assert [(c["application_id"], c["missed_years"], c["outcome"]) for c in cases] == [
            (app.pk, [2026], "")
        ]
        assert client(w["nanjing"]).get("/api/hte/cancellations").json() == []
