"""Through the test client: a walk from preparation to certificate through all roles (firm, city, province,
experts, leader) on the pages and API; an expert cannot open another panel's application (page and API 404);
a Nanjing officer never sees a Suzhou application."""

from datetime import timedelta

import pytest
from django.test import Client

from gaoqi.accounts.models import User
from gaoqi.programmes.hte import services
from gaoqi.programmes.hte.models import ReportBatch
from gaoqi.workflow.models import PublicNotice
from gaoqi.workflow.notices import notice_close
from tests.hte.conftest import DAY, at, document, drawn, fresh, full_marks

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post_act(user, app, action, reason=""):
    app = fresh(app)
    r = client(user).post(f"/programmes/hte/applications/{app.pk}/act/",
                          {"action": action, "version": app.version, "reason": reason})  # fmt: skip
    assert r.status_code == 302
    return fresh(app)


def test_walk_from_preparation_to_certificate(hte_world):
    w = hte_world
    firm = client(w["ks_user"])
    assert firm.get("/programmes/hte/").status_code == 200
    r = firm.post("/api/hte/applications", {}, content_type="application/json")
    assert r.status_code == 201, r.content
    pk, version = r.json()["id"], r.json()["version"]
    r = firm.patch(f"/api/hte/applications/{pk}/document", {"version": version, "document": document([w["ip"].pk])},
                   content_type="application/json")  # fmt: skip
    assert r.status_code == 200, r.content
    page = firm.get(f"/programmes/hte/applications/{pk}/")
    assert page.status_code == 200 and "实时评价" in page.content.decode()
    app = post_act(w["ks_user"], fresh(type("A", (), {"pk": pk})), "submit")
    assert app.phase == "submitted"
    assert client(w["nanjing"]).get(f"/programmes/hte/applications/{pk}/").status_code == 404
    assert client(w["nanjing"]).get(f"/api/hte/applications/{pk}").status_code == 404
    app = post_act(w["suzhou"], app, "recommend")
    app = post_act(w["province"], app, "accept")
    assert app.phase == "accepted"
    r = client(w["province"]).post(f"/programmes/hte/applications/{pk}/panel/")
    assert r.status_code == 302
    draw = services.current_draw(app)
    assert draw is not None and len(draw.members) == 5
    page = client(w["province"]).get(f"/programmes/hte/applications/{pk}/").content.decode()
    assert str(draw.seed) in page and "排除的候选专家及原因" in page
    for m in draw.members:
        expert = User.objects.get(pk=m)
        c = client(expert)
        assert c.get(f"/programmes/hte/expert/applications/{pk}/").status_code == 200
        r = c.post(f"/api/hte/expert/applications/{pk}/scores",
                   {"scores": {k: str(v) for k, v in full_marks(app, services.member_kind(draw, m)).items()}},
                   content_type="application/json")  # fmt: skip
        assert r.status_code == 200, r.content
    # before aggregation an expert sees only their own total
    other = client(User.objects.get(pk=draw.financial[0])).get(f"/api/hte/expert/applications/{pk}").json()
    assert [m["total"] for m in other["panel"]["members"] if m["expert_id"] != draw.financial[0]] == [
        None
    ] * 4
    leader = client(User.objects.get(pk=draw.leader_id))
    r = leader.post(f"/programmes/hte/expert/applications/{pk}/aggregate/")
    assert r.status_code == 302
    other = client(User.objects.get(pk=draw.financial[0])).get(f"/api/hte/expert/applications/{pk}").json()
    assert other["panel"]["aggregated"] and all(m["total"] is not None for m in other["panel"]["members"])
    app = post_act(w["province"], app, "expert_pass")
    app = post_act(w["province"], app, "approve")
    assert app.phase == "approved"
    province = client(w["province"])
    desk = province.get("/programmes/hte/decisions/").content.decode()
    assert w["ks"].name in desk and "2026-11-30" in desk  # the 报备 deadline (195号 二（四）)
    r = province.post("/programmes/hte/decisions/notice/", {"item": f"{pk}:{app.version}", "title": "拟认定公示",
                                                            "starts_on": DAY.isoformat(), "working_days": 10})  # fmt: skip
    assert r.status_code == 302 and "/notices/" in r.url
    notice = PublicNotice.objects.get()
    app = fresh(app)
    assert app.phase == "in_notice"
    r = province.post("/programmes/hte/report-batches/", {"item": f"{pk}:{app.version}", "year": 2026,
                                                          "title": "2026年第一批报备名单"})  # fmt: skip
    batch = ReportBatch.objects.get()
    assert r.status_code == 302 and r.url == f"/programmes/hte/report-batches/{batch.pk}/"
    assert w["ks"].credit_code in province.get(r.url).content.decode()
    xlsx = province.get(f"/programmes/hte/report-batches/{batch.pk}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client(w["suzhou"]).get(r.url).status_code == 404  # the province's list only
    with at(DAY + timedelta(days=20)):
        notice_close(actor=w["province"], notice=notice)
        app = post_act(w["province"], app, "certify")
        assert app.phase == "in_notice"  # refused: the list is not reported yet
        r = client(w["province"]).post(f"/programmes/hte/report-batches/{batch.pk}/reported/",
                      {"reported_on": (DAY + timedelta(days=1)).isoformat(), "reference": "苏高企〔2026〕1号"})  # fmt: skip
        assert r.status_code == 302 and r.url == f"/programmes/hte/report-batches/{batch.pk}/"
        batch.refresh_from_db()
        assert batch.reported_on == DAY + timedelta(days=1) and not batch.late
        app = post_act(w["province"], app, "certify")
        assert app.phase == "certified" and app.reference_no.startswith("GR202632")
        page = client(w["ks_user"]).get("/programmes/hte/?profit=1000000").content.decode()
        assert "100000" in page and "估算" in page


def test_expert_of_another_panel_gets_404(hte_world):
    w = hte_world
    app, draw = drawn(w)
    outsider = next(u for u in w["tech"] if u.pk not in draw.members)
    c = client(outsider)
    assert c.get(f"/programmes/hte/expert/applications/{app.pk}/").status_code == 404
    assert c.get(f"/api/hte/expert/applications/{app.pk}").status_code == 404
    assert c.post(f"/api/hte/expert/applications/{app.pk}/scores", {"scores": {}},
                  content_type="application/json").status_code == 404  # fmt: skip
    assert c.get(f"/api/hte/applications/{app.pk}").status_code == 404
    assert client(w["ks_user"]).get(f"/programmes/hte/expert/applications/{app.pk}/").status_code == 404
    assert client(w["nj_user"]).get(f"/programmes/hte/applications/{app.pk}/").status_code == 404


def test_after_certification_pages_and_api(hte_world):
    from datetime import date

    from tests.hte.conftest import certified

    w = hte_world
    app = certified(w)
    with at(date(2027, 6, 10)):
        page = client(w["suzhou"]).get("/programmes/hte/after/?year=2026").content.decode()
        assert w["ks"].name in page
        assert (
            w["ks"].name not in client(w["nanjing"]).get("/programmes/hte/after/?year=2026").content.decode()
        )
        assert client(w["ks_user"]).get("/programmes/hte/after/").status_code == 404
        r = client(w["ks_user"]).post(
            f"/programmes/hte/applications/{app.pk}/annual-reports/",
            {"year": 2026, **{k: 1 for k in ("ip_class1", "ip_class2", "employees", "tech_staff", "rnd_expense",
                                             "revenue", "hitech_revenue")}},
        )  # fmt: skip
        assert r.status_code == 302
        missing = client(w["province"]).get("/api/hte/annual-reports/missing?year=2026").json()
        assert missing == []
        r = client(w["ks_user"]).post(f"/api/hte/applications/{app.pk}/changes",
                                      {"kind": "move", "description": "迁至吴中区"}, content_type="application/json")  # fmt: skip
        assert r.status_code == 201
        change = r.json()["id"]
        assert client(w["nanjing"]).post(f"/api/hte/changes/{change}/review", {"approve": True, "note": "x"},
                                         content_type="application/json").status_code == 404  # fmt: skip
        assert client(w["nanjing"]).post(f"/programmes/hte/changes/{change}/review/",
                                         {"approve": "1", "note": "x"}).status_code == 404  # fmt: skip
        r = client(w["province"]).post(f"/api/hte/changes/{change}/review", {"approve": False, "note": "材料不全"},
                                       content_type="application/json")  # fmt: skip
        assert r.status_code == 200 and r.json()["status"] == "rejected"
        assert client(w["ks_user"]).get(f"/programmes/hte/applications/{app.pk}/").status_code == 200


def test_panel_members_are_not_shown_to_the_firm_or_the_city(hte_world):
    w = hte_world
    app, draw = drawn(w)
    assert client(w["ks_user"]).get(f"/api/hte/applications/{app.pk}").json()["panel"] is None
    assert client(w["suzhou"]).get(f"/api/hte/applications/{app.pk}").json()["panel"] is None
    panel = client(w["province"]).get(f"/api/hte/applications/{app.pk}").json()["panel"]
    assert panel["seed"] == draw.seed and len(panel["members"]) == 5
    assert all(m["total"] is None for m in panel["members"])  # nobody has scored
    firm_page = client(w["ks_user"]).get(f"/programmes/hte/applications/{app.pk}/").content.decode()
    assert 'data-testid="panel"' not in firm_page and "随机种子" not in firm_page
