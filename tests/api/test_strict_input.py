"""The API takes what its schema declares: no JSON boolean read as a number, no number read as a date, no
text read as an integer in a body (pydantic's lax coercions, found by schemathesis's negative_data_rejection)."""

from datetime import date

import pytest
from django.test import Client

from gaoqi.api.strict import In, IsoDate, _kinds
from gaoqi.programmes.models import Invitation
from gaoqi.workflow.models import PublicNotice

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize(
    "path",
    [
        "/api/targets/progress?as_of=0",
        "/api/rnd/coverage?as_of=0",
        "/api/monitoring/kpis?as_of=1700000000",
        "/api/monitoring/kpis?as_of=2026-1-5",
        "/api/targets/progress?as_of=2026-09-28T00:00",
    ],
)
def test_a_date_in_a_query_is_yyyy_mm_dd(world, path):
    response = _client(world["province"]).get(path)
    assert response.status_code == 422, response.content
    assert response.json()["message"] == "请求参数有误"


def test_a_proper_date_in_a_query_is_taken(world):
    response = _client(world["province"]).get("/api/rnd/coverage?as_of=2026-01-05")
    assert response.status_code == 200 and response.json()["as_of"] == "2026-01-05"


@pytest.mark.parametrize(
    "body",
    [
        {"enterprise_ids": [], "year": False},
        {"enterprise_ids": [], "year": "2026"},
        {"enterprise_ids": [True], "year": 2026},
        {"enterprise_ids": ["1"], "year": 2026},
    ],
)
def test_a_number_in_a_body_is_a_json_integer(world, body):
    response = _client(world["province"]).post(
        "/api/tech-sme/invitations", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert not Invitation.objects.exists()


def test_a_batch_item_version_is_an_integer(world):
    response = _client(world["province"]).post(
        "/api/batch-transitions",
        {"action": "accept", "reason": "", "items": [{"id": 1, "version": False}]},
        content_type="application/json",
    )
    assert response.status_code == 422 and "version" in str(response.json()["extra"])


@pytest.mark.parametrize("starts_on", [0, 1790000000, "2026/09/28", True])
def test_a_date_in_a_body_is_yyyy_mm_dd(world, starts_on):
    body = {"programme": "tech_sme", "title": "公示", "starts_on": starts_on, "working_days": 6, "items": []}
    response = _client(world["province"]).post("/api/notices", body, content_type="application/json")
    assert response.status_code == 422 and "starts_on" in str(response.json()["extra"])
    assert not PublicNotice.objects.exists()


def test_the_kinds_checked():
    assert _kinds(int) == {"int"} and _kinds(bool) == {"bool"} and _kinds(date) == {"date"}
    assert _kinds(list[int] | None) == {"int"} and _kinds(IsoDate | None) == {"date"}
    assert _kinds(str) == set() and _kinds(dict) == set()

    class Sample(In):
        n: int
        flag: bool = False
        day: date | None = None
        note: str = ""

    assert Sample.model_validate({"n": 3, "flag": True, "day": "2026-01-05"}).day == date(2026, 1, 5)
    for bad in ({"n": True}, {"n": 3, "flag": 1}, {"n": 3, "day": 0}, {"n": 3, "day": "2026-01-05T00:00"}):
        with pytest.raises(ValueError):
            Sample.model_validate(bad)


@pytest.mark.parametrize(
    "path", ["/api/regions?parent_code=320000&parent_code=320500", "/api/alerts/?rule=a&rule=b"]
)
def test_a_query_parameter_given_twice_is_refused(world, path):
    response = _client(world["province"]).get(path)
    assert response.status_code == 422
    name = path.split("?")[1].split("=")[0]
    assert response.json() == {
        "message": f"查询参数“{name}”重复，只能给出一次",
        "extra": {"errors": [{"field": name, "reason": "重复的查询参数"}]},
    }


def test_once_is_fine_and_pages_are_not_concerned(world):
    client = _client(world["province"])
    assert client.get("/api/regions?parent_code=320500").status_code == 200
    assert client.get("/enterprises/?q=昆山&q=吴中").status_code == 200
