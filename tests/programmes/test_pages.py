"""The programme's pages and API: scope crossing answers 404, and one firm walked from self-evaluation to
registration through the real pages with the Django test client."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from gaoqi.registry.models import Department
from gaoqi.workflow.models import Application, PublicNotice
from tests.workflow.conftest import start, submitted

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- scope crossing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["nanjing", "wz_user", "expert", "agency"])
def test_an_application_outside_scope_is_not_found_on_pages_and_api(sme_world, who):
    app = submitted(sme_world)  # Kunshan, Suzhou
    c = _client(sme_world[who])
    assert c.get(f"/programmes/applications/{app.pk}/").status_code == 404
    assert (
        c.post(
            f"/programmes/applications/{app.pk}/act/", {"action": "accept", "version": app.version}
        ).status_code
        == 404
    )
    assert c.get(f"/api/applications/{app.pk}").status_code == 404
    res = c.post(
        f"/api/applications/{app.pk}/transitions",
        {"action": "accept", "version": app.version},
        content_type="application/json",
    )
    assert res.status_code == 404 and res.json()["message"]
    assert c.get("/api/applications/99999999").status_code == 404  # the same answer as a missing one
    assert Application.objects.get(pk=app.pk).phase == "submitted"


def test_the_suzhou_officer_sees_suzhou_only_and_cannot_decide(sme_world):
    ks = submitted(sme_world, "ks")
    nj = submitted(sme_world, "nj")
    c = _client(sme_world["suzhou"])
    res = c.get("/api/applications", {"programme": "tech_sme", "phase": "submitted"})
    assert [i["id"] for i in res.json()["items"]] == [ks.pk]
    page = c.get("/programmes/tech-sme/queue/?phase=submitted").content.decode()
    assert sme_world["ks"].name in page and sme_world["nj"].name not in page
    res = c.post(
        f"/api/applications/{ks.pk}/transitions",
        {"action": "accept", "version": ks.version},
        content_type="application/json",
    )
    assert res.status_code == 403 and "层级" in res.json()["message"]
    res = c.post(
        "/api/batch-transitions",
        {"action": "accept", "items": [{"id": nj.pk, "version": nj.version}]},
        content_type="application/json",
    )
    assert res.json() == {
        "done": [],
        "refused": [{"id": nj.pk, "status": 404, "message": "对象不存在或无权访问"}],
    }


def test_firm_pages_are_its_own(sme_world):
    start(sme_world["ks_user"], sme_world["ks"])
    page = _client(sme_world["wz_user"]).get("/programmes/tech-sme/").content.decode()
    assert sme_world["ks"].name not in page
    assert _client(sme_world["ks_user"]).get("/programmes/tech-sme/queue/").status_code == 404
    res = _client(sme_world["wz_user"]).get("/api/applications", {"programme": "tech_sme"})
    assert res.json()["count"] == 0


def test_api_conflict_and_guard_answers(sme_world):
    app = start(sme_world["ks_user"], sme_world["ks"])
    c = _client(sme_world["ks_user"])
    res = c.patch(
        f"/api/tech-sme/applications/{app.pk}/declaration",
        {"version": app.version, "values": {"employees": 900}},
        content_type="application/json",
    )
    assert res.status_code == 200 and res.json()["version"] == 2
    res = c.post(
        f"/api/applications/{app.pk}/transitions",
        {"action": "submit", "version": 1},
        content_type="application/json",
    )
    assert res.status_code == 409 and res.json()["extra"]["version"] == 2
    res = c.post(
        f"/api/applications/{app.pk}/transitions",
        {"action": "submit", "version": 2},
        content_type="application/json",
    )
    assert res.status_code == 422 and res.json()["extra"]["guards"][0]["guard"] == "evaluation_passes"


def test_home_page_shows_the_inbox_count(sme_world):
    submitted(sme_world, "ks")
    submitted(sme_world, "nj")
    page = _client(sme_world["province"]).get("/").content.decode()
    assert "2 项申报等待您办理" in page
    page = _client(sme_world["suzhou"]).get("/").content.decode()
    assert "0 项申报等待您办理" in page


# --- one firm, end to end -------------------------------------------------------------------------------------


def _at(y, m, d):
    return time_machine.travel(datetime(y, m, d, 10, 0, tzinfo=SH), tick=False)


def test_one_firm_from_self_evaluation_to_registration(sme_world):
    firm_user, firm = sme_world["ks_user"], sme_world["ks"]
    firm_c, prov_c = _client(firm_user), _client(sme_world["province"])
    with _at(2026, 9, 28):
        # The firm starts; the form is pre-filled from the registry.
        res = firm_c.post("/programmes/tech-sme/start/", follow=True)
        app = Application.objects.get(enterprise=firm)
        page = res.content.decode()
        assert res.status_code == 200 and 'value="700000"' in page and "实时评价" in page
        # It corrects a figure (recorded as self-declared) and sees the live score.
        res = firm_c.post(
            f"/programmes/applications/{app.pk}/declaration/", {"version": 1, "employees": "55"}, follow=True
        )
        assert "来源：企业自报" in res.content.decode()
        assert firm.annual_reports.filter(
            source__department=Department.ENTERPRISE_SELF, employees=55
        ).exists()
        res = firm_c.post(
            f"/programmes/applications/{app.pk}/act/", {"action": "submit", "version": 2}, follow=True
        )
        assert "待形式审查" in res.content.decode()
        # The province returns it with a reason; the firm sees the remark, fixes, resubmits.
        page = prov_c.get("/programmes/tech-sme/queue/?phase=submitted").content.decode()
        assert firm.name in page and f'value="{app.pk}:3"' in page
        prov_c.post(
            "/programmes/tech-sme/queue/batch/",
            {
                "phase": "submitted",
                "action": "return",
                "reason": "请补充研发费用明细",
                "item": [f"{app.pk}:3"],
            },
        )
        page = firm_c.get("/programmes/tech-sme/").content.decode()
        assert "退回修改" in page and "请补充研发费用明细" in page
        assert "请补充研发费用明细" in firm_c.get("/workflow/notifications/").content.decode()
        firm_c.post(f"/programmes/applications/{app.pk}/act/", {"action": "resubmit", "version": 4})
        # Accepted in a batch, then published in a notice of 6 working days (ends after National Day).
        prov_c.post(
            "/programmes/tech-sme/queue/batch/",
            {"phase": "submitted", "action": "accept", "item": [f"{app.pk}:5"]},
        )
        res = prov_c.post(
            "/programmes/tech-sme/queue/publish/",
            {
                "title": "2026年第5批入库公示",
                "starts_on": "2026-09-28",
                "working_days": "6",
                "item": [f"{app.pk}:6"],
            },
            follow=True,
        )
        notice = PublicNotice.objects.get()
        page = res.content.decode()
        assert notice.ends_on.isoformat() == "2026-10-10" and firm.name in page and "2026-10-10" in page
        # An objection is recorded; closing is refused while it is open.
        prov_c.post(
            f"/workflow/notices/{notice.pk}/objections/",
            {"application": app.pk, "filed_by": "来信", "content": "人员数存疑"},
        )
    with _at(2026, 10, 12):
        res = prov_c.post(f"/workflow/notices/{notice.pk}/close/", follow=True)
        assert "1 条异议未处理" in res.content.decode()
        objection = notice.objections.get()
        prov_c.post(
            f"/workflow/objections/{objection.pk}/resolve/",
            {"upheld": "0", "resolution": "经核实，人员数属实"},
        )
        prov_c.post(f"/workflow/notices/{notice.pk}/close/")
        notice.refresh_from_db()
        assert notice.closed_at is not None
        prov_c.post(
            "/programmes/tech-sme/queue/batch/",
            {"phase": "in_notice", "action": "register", "item": [f"{app.pk}:7"]},
        )
    app.refresh_from_db()
    assert app.phase == "registered" and app.reference_no == "2026320583A0001"
    page = firm_c.get("/programmes/tech-sme/").content.decode()
    assert "已入库登记" in page and "2026320583A0001" in page and "2027-03-31" in page
    detail = firm_c.get(f"/programmes/applications/{app.pk}/").content.decode()
    assert detail.count("→") == 6  # the whole history is on the page
    assert [d.to_phase for d in app.decisions.all()] == [
        "submitted",
        "returned",
        "submitted",
        "accepted",
        "in_notice",
        "registered",
    ]
