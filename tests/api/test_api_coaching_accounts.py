"""The API for zones, service records, follow-ups, agency assignments and accounts: same scope as the pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gaoqi.accounts.models import AgencyAssignment, ApiToken, User
from gaoqi.coaching.models import ServiceRecord
from gaoqi.registry.services import enterprise_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(client):
    def request(actor, method, path, payload=None, **params):
        client.logout()
        client.force_login(actor)
        if method == "get":
            return client.get(f"/api{path}", params)
        if method == "delete":
            return client.delete(
                f"/api{path}" + (f"?reason={params['reason']}" if "reason" in params else "")
            )
        return client.post(f"/api{path}", payload or {}, content_type="application/json")

    return request


def test_zones_reference_and_enterprise_filter(world, call):
    zones = call(world["ks_user"], "get", "/hitech-zones", city="320500").json()
    assert {"code": "kunshan", "level": "national", "county_code": "320583"}.items() <= next(
        z for z in zones if z["code"] == "kunshan"
    ).items()
    enterprise_update(actor=world["province"], enterprise=world["ks"], hitech_zone_id="kunshan")
    items = call(world["suzhou"], "get", "/enterprises", hitech_zone="kunshan").json()["items"]
    assert [(i["credit_code"], i["hitech_zone"], i["in_hitech_zone"]) for i in items] == [
        (world["ks"].credit_code, "kunshan", True)
    ]
    assert call(world["suzhou"], "get", "/enterprises", hitech_zone="none").json()["count"] == 1
    assert call(world["nanjing"], "get", "/enterprises", hitech_zone="any").json()["count"] == 0


def test_service_records_create_list_and_scope(world, call):
    today = timezone.localdate()
    body = {
        "kind": "visit",
        "served_on": (today - timedelta(days=20)).isoformat(),
        "content": "走访",
        "follow_up_on": (today - timedelta(days=2)).isoformat(),
    }
    path = f"/enterprises/{world['wz'].credit_code}/service-records"
    res = call(world["agency"], "post", path, body)
    assert res.status_code == 201 and res.json()["agency"] == world["agency"].agency.name
    listed = call(world["suzhou"], "get", path).json()
    assert [(r["content"], r["follow_up"]) for r in listed] == [("走访", "overdue")]
    follow = call(world["agency"], "get", "/follow-ups").json()
    assert follow["count"] == 1 and follow["items"][0]["credit_code"] == world["wz"].credit_code
    assert call(world["kunshan"], "get", "/follow-ups").json()["count"] == 0
    # Outside scope: 404 like a missing firm; enterprises read nothing; bad input is a 422 naming the field.
    for actor in ("kunshan", "ks_user", "nanjing"):
        assert call(world[actor], "get", path).status_code == 404
        assert call(world[actor], "post", path, body).status_code == 404
    bad = call(world["suzhou"], "post", path, {**body, "content": " "})
    assert bad.status_code == 422 and bad.json()["extra"]["errors"][0]["field"] == "content"
    assert ServiceRecord.objects.count() == 1


def test_agency_assignment_api(world, call):
    agency = world["agency"].agency
    path = f"/agencies/{agency.pk}/assignments"
    assert {a["name"] for a in call(world["kunshan"], "get", "/agencies").json()} == {agency.name}
    res = call(world["kunshan"], "post", path, {"credit_code": world["ks"].credit_code, "reason": "指派"})
    assert res.status_code == 201
    assert [a["credit_code"] for a in call(world["kunshan"], "get", path).json()] == [world["ks"].credit_code]
    assert call(world["kunshan"], "post", path, {"credit_code": world["wz"].credit_code}).status_code == 404
    assert call(world["nanjing"], "get", path).status_code == 404
    assert call(world["agency"], "post", path, {"credit_code": world["wz"].credit_code}).status_code == 404
    res = call(world["kunshan"], "delete", f"{path}/{world['ks'].credit_code}", reason="结束")
    assert res.status_code == 204
    assert not AgencyAssignment.objects.filter(enterprise=world["ks"]).exists()


def test_accounts_api_crossing_and_within(world, call):
    suzhou, kunshan = world["suzhou"], world["kunshan"]
    names = {a["username"] for a in call(suzhou, "get", "/accounts").json()}
    assert kunshan.username in names and world["nanjing"].username not in names
    denied = call(
        kunshan, "post", "/accounts", {"username": "cityx", "role": "city_officer", "region_code": "320500"}
    )
    assert denied.status_code == 403 and denied.json()["message"]
    res = call(
        suzhou,
        "post",
        "/accounts",
        {"username": "taicang", "role": "county_officer", "region_code": "320585"},
    )
    assert res.status_code == 201 and res.json()["password"]
    new = User.objects.get(username="taicang")
    assert (
        call(
            world["nanjing"], "post", f"/accounts/{new.pk}/active", {"active": False, "reason": "x"}
        ).status_code
        == 404
    )
    off = call(suzhou, "post", f"/accounts/{new.pk}/active", {"active": False, "reason": "测试停用"})
    assert off.status_code == 200 and off.json()["is_active"] is False
    call(suzhou, "post", f"/accounts/{new.pk}/active", {"active": True, "reason": "恢复"})
    token = call(suzhou, "post", f"/accounts/{new.pk}/tokens", {"label": "对接"}).json()
    assert token["key"].startswith("gq_")
    assert (
        call(world["nanjing"], "delete", f"/accounts/{new.pk}/tokens/{token['id']}", reason="x").status_code
        == 404
    )
    assert (
        call(suzhou, "delete", f"/accounts/{new.pk}/tokens/{token['id']}", reason="结束").status_code == 204
    )
    assert not ApiToken.objects.filter(pk=token["id"]).exists()
    assert call(world["ks_user"], "get", "/accounts").json() == []
