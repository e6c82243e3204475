"""The same walk as the pages, over the API only: start, declare, submit, accept, notice, objection, register."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(c, path, body=None):
    return c.post(f"/api{path}", body or {}, content_type="application/json")


def test_api_walk_from_self_evaluation_to_registration(sme_world):
    firm, prov = _client(sme_world["ks_user"]), _client(sme_world["province"])
    with time_machine.travel(datetime(2026, 9, 28, 10, tzinfo=SH), tick=False):
        res = _post(firm, "/tech-sme/applications")
        assert res.status_code == 201
        app = res.json()
        assert (
            app["phase"] == "draft"
            and app["declared"]["rnd_expense"] == 700_000
            and "submit" in app["actions"]
        )
        assert _post(firm, "/tech-sme/applications").status_code == 422  # one open application at a time
        res = firm.patch(
            f"/api/tech-sme/applications/{app['id']}/declaration",
            {"version": 1, "values": {"tech_staff": 25}},
            content_type="application/json",
        )
        assert res.json()["declared"]["tech_staff"] == 25
        res = _post(firm, f"/applications/{app['id']}/transitions", {"action": "submit", "version": 2})
        assert res.json()["phase"] == "submitted" and res.json()["snapshot"]["score"] == 100
        inbox = prov.get("/api/inbox").json()
        assert [i["id"] for i in inbox["items"]] == [app["id"]]
        res = _post(
            prov, "/batch-transitions", {"action": "accept", "items": [{"id": app["id"], "version": 3}]}
        )
        assert res.json() == {"done": [app["id"]], "refused": []}
        res = _post(
            prov,
            "/notices",
            {
                "programme": "tech_sme",
                "title": "公示",
                "starts_on": "2026-09-28",
                "working_days": 6,
                "items": [{"id": app["id"], "version": 4}],
            },
        )
        assert res.status_code == 201 and res.json()["ends_on"] == "2026-10-10"
        notice = res.json()["id"]
        res = _post(
            prov,
            f"/notices/{notice}/objections",
            {"application_id": app["id"], "filed_by": "甲", "content": "乙"},
        )
        objection = res.json()["id"]
    with time_machine.travel(datetime(2026, 10, 12, 10, tzinfo=SH), tick=False):
        res = _post(prov, f"/notices/{notice}/close")
        assert res.status_code == 422 and "异议未处理" in res.json()["message"]
        _post(prov, f"/objections/{objection}/resolve", {"upheld": False, "resolution": "不成立"})
        assert _post(prov, f"/notices/{notice}/close").json()["closed"] is True
        res = _post(
            prov, "/batch-transitions", {"action": "register", "items": [{"id": app["id"], "version": 5}]}
        )
        assert res.json()["done"] == [app["id"]]
    detail = firm.get(f"/api/applications/{app['id']}").json()
    assert detail["phase"] == "registered" and detail["reference_no"] == "2026320583A0001"
    assert [d["to_phase"] for d in detail["decisions"]] == [
        "submitted",
        "accepted",
        "in_notice",
        "registered",
    ]
    assert all(d["snapshot"]["score"] == 100 for d in detail["decisions"])


def test_openapi_lists_the_workflow_endpoints(sme_world):
    paths = _client(sme_world["province"]).get("/api/openapi.json").json()["paths"]
    for p in ("/api/inbox", "/api/applications/{pk}/transitions", "/api/batch-transitions", "/api/notices"):
        assert p in paths
