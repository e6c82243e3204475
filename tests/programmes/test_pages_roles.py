"""Workflow pages per role: inbox, notifications, notices (public list, managed by the publishing region),
the 应评尽评 campaign page and API scoped to the officer's region."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from gaoqi.ledger.services import reevaluate
from gaoqi.workflow.models import Objection
from gaoqi.workflow.notices import notice_publish
from gaoqi.workflow.services import transition
from tests.workflow.conftest import submitted

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("who", ["province", "suzhou", "kunshan", "ks_user", "expert", "agency"])
def test_inbox_and_notification_pages_render_for_every_role(sme_world, who):
    submitted(sme_world, "ks")
    c = _client(sme_world[who])
    inbox = c.get("/workflow/inbox/")
    assert inbox.status_code == 200
    assert ("inbox-table" in inbox.content.decode()) == (who == "province")  # waits for the province
    assert c.get("/workflow/notifications/").status_code == 200
    assert c.get("/").status_code == 200


def test_notifications_belong_to_their_user(sme_world):
    app = submitted(sme_world, "ks")
    transition(
        actor=sme_world["province"], application=app, action="return", reason="补充材料A", version=app.version
    )
    assert "补充材料A" in _client(sme_world["ks_user"]).get("/workflow/notifications/").content.decode()
    assert "补充材料A" not in _client(sme_world["wz_user"]).get("/workflow/notifications/").content.decode()
    res = _client(sme_world["ks_user"]).get("/api/notifications")
    assert res.json()["unread"] == 1
    _client(sme_world["ks_user"]).post("/workflow/notifications/read/")
    assert _client(sme_world["ks_user"]).get("/api/notifications").json()["unread"] == 0


def test_a_notice_is_public_but_managed_by_its_region(sme_world):
    with time_machine.travel(datetime(2026, 9, 28, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        app = submitted(sme_world, "ks")
        app = transition(actor=sme_world["province"], application=app, action="accept", version=app.version)
        notice, _r = notice_publish(
            actor=sme_world["province"],
            programme_code="tech_sme",
            title="公示A",
            starts_on=date(2026, 9, 28),
            working_days=10,
            items=[(app.pk, app.version)],
        )
    for who in ("ks_user", "nanjing", "wz_user"):
        page = _client(sme_world[who]).get(f"/workflow/notices/{notice.pk}/").content.decode()
        assert sme_world["ks"].name in page and "objection-form" not in page
    page = _client(sme_world["province"]).get(f"/workflow/notices/{notice.pk}/").content.decode()
    assert "objection-form" in page
    res = _client(sme_world["nanjing"]).post(
        f"/workflow/notices/{notice.pk}/objections/", {"application": app.pk, "filed_by": "x", "content": "y"}
    )
    assert res.status_code == 404 and not Objection.objects.exists()
    res = _client(sme_world["nanjing"]).post(
        f"/api/notices/{notice.pk}/objections",
        {"application_id": app.pk, "filed_by": "x", "content": "y"},
        content_type="application/json",
    )
    assert res.status_code == 404
    assert (
        _client(sme_world["ks_user"]).get(f"/api/notices/{notice.pk}").json()["entries"][0]["application_id"]
        == app.pk
    )


def test_campaign_page_and_api_are_scoped(sme_world):
    reevaluate(as_of=date(2026, 12, 1))
    page = _client(sme_world["suzhou"]).get("/programmes/tech-sme/campaign/").content.decode()
    assert sme_world["ks"].name in page and sme_world["nj"].name not in page
    assert _client(sme_world["ks_user"]).get("/programmes/tech-sme/campaign/").status_code == 404
    c = _client(sme_world["nanjing"])
    rows = c.get("/api/tech-sme/campaign", {"year": 2026}).json()
    assert [r["enterprise_id"] for r in rows] == [sme_world["nj"].pk]
    res = c.post(
        "/api/tech-sme/invitations",
        {"enterprise_ids": [sme_world["ks"].pk], "year": 2026},
        content_type="application/json",
    )
    assert res.json() == {"invited": 0}
    res = _client(sme_world["suzhou"]).post(
        "/programmes/tech-sme/campaign/invite/", {"enterprise": [sme_world["ks"].pk]}, follow=True
    )
    assert "已向 1 家企业发送评价邀请" in res.content.decode()


def test_queue_filters(sme_world):
    submitted(sme_world, "ks")
    submitted(sme_world, "nj")
    c = _client(sme_world["province"])
    page = c.get("/programmes/tech-sme/queue/", {"phase": "submitted", "county": "320115"}).content.decode()
    assert sme_world["nj"].name in page and sme_world["ks"].name not in page
    page = c.get("/programmes/tech-sme/queue/", {"phase": "submitted", "q": "昆山"}).content.decode()
    assert sme_world["ks"].name in page and sme_world["nj"].name not in page
    page = c.get("/programmes/tech-sme/queue/", {"phase": "submitted", "flagged": "1"}).content.decode()
    assert sme_world["ks"].name in page  # first applications are flagged
    assert (
        c.get("/programmes/tech-sme/queue/", {"phase": "registered"}).content.decode().count('name="item"')
        == 0
    )
