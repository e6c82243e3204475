"""The REST API applies the same scope as the pages; errors are {"message", "extra"}."""

import pytest

from gaoqi.accounts.models import ApiToken
from gaoqi.registry.services import annual_report_record
from tests import factories
from tests.accounts.test_scope import FIRMS, VISIBLE


@pytest.fixture
def api(client):
    def call(actor, path, **params):
        client.logout()
        if actor is not None:
            client.force_login(actor)
        return client.get(f"/api{path}", params)

    return call


@pytest.mark.parametrize("actor", sorted(VISIBLE))
def test_list_is_scoped(world, api, actor):
    res = api(world[actor], "/enterprises", per_page=100)
    assert res.status_code == 200
    codes = {item["credit_code"] for item in res.json()["items"]}
    assert codes == {world[f].credit_code for f in VISIBLE[actor]}
    assert res.json()["count"] == len(VISIBLE[actor])


@pytest.mark.parametrize("actor", sorted(VISIBLE))
@pytest.mark.parametrize("firm", FIRMS)
@pytest.mark.parametrize("suffix", ["", "/annual-reports"])
def test_detail_endpoints_answer_404_outside_scope(world, api, actor, firm, suffix):
    res = api(world[actor], f"/enterprises/{world[firm].credit_code}{suffix}")
    if firm in VISIBLE[actor]:
        assert res.status_code == 200
    else:
        assert res.status_code == 404
        missing = api(world[actor], f"/enterprises/91320583MA00000000{suffix}")
        assert res.json() == missing.json() == {"message": res.json()["message"], "extra": {}}


@pytest.mark.parametrize("path", ["/enterprises", "/regions", "/enterprises/X/annual-reports"])
def test_anonymous_gets_401(world, api, path):
    res = api(None, path)
    assert res.status_code == 401
    assert set(res.json()) == {"message", "extra"}


def test_bearer_token_works_and_is_scoped(world, client):
    _, key = ApiToken.issue(world["kunshan"], "test")
    res = client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert res.status_code == 200
    assert [i["credit_code"] for i in res.json()["items"]] == [world["ks"].credit_code]
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    other = client.get(f"/api/enterprises/{world['nj'].credit_code}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert other.status_code == 404


def test_filters(world, api):
    suzhou = world["suzhou"]
    by_county = api(suzhou, "/enterprises", county="320506").json()
    assert [i["credit_code"] for i in by_county["items"]] == [world["wz"].credit_code]
    by_name = api(suzhou, "/enterprises", q="昆山").json()
    assert [i["name"] for i in by_name["items"]] == ["昆山测试科技有限公司"]
    by_code = api(suzhou, "/enterprises", q=world["wz"].credit_code[:12]).json()
    assert [i["credit_code"] for i in by_code["items"]] == [world["wz"].credit_code]
    # A city officer filtering on another city's county is told so (422), never given Nanjing's firms.
    res = api(suzhou, "/enterprises", county="320115")
    assert res.status_code == 422 and res.json()["extra"]["errors"][0]["field"] == "county"
    assert "320115" in res.json()["extra"]["errors"][0]["reason"]


def test_bad_query_parameter_is_a_422_with_message(world, api):
    res = api(world["suzhou"], "/enterprises", page="abc")
    assert res.status_code == 422
    assert res.json()["message"] and res.json()["extra"]["errors"]


def test_annual_reports_carry_their_source(world, api):
    src = factories.source("tax", "税务2024.xlsx")
    annual_report_record(
        actor=world["province"],
        enterprise=world["ks"],
        year=2024,
        source=src,
        values={"revenue": 5_000_000},
        source_row=7,
    )
    res = api(world["kunshan"], f"/enterprises/{world['ks'].credit_code}/annual-reports").json()
    assert res == [
        {
            "id": res[0]["id"],
            "year": 2024,
            "source_row": 7,
            "values": {"revenue": 5_000_000},
            "source": {
                "id": src.id,
                "department": "tax",
                "file_name": "税务2024.xlsx",
                "imported_at": res[0]["source"]["imported_at"],
                "synthetic": False,
            },
        }
    ]


def test_regions_are_reference_data(world, api):
    cities = api(world["ks_user"], "/regions", level="city").json()
    assert (
        len(cities) == 13
        and {
            "code": "320500",
            "name": "苏州市",
            "name_en": "Suzhou",
            "level": "city",
            "parent_code": "320000",
        }
        in cities
    )
    assert len(api(world["ks_user"], "/regions", parent_code="320500").json()) == 9


def test_openapi_schema_and_docs(world, client):
    # Behind login (issue 11 §6): the schema answers 401 as the API does, the page redirects to the login.
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/api/docs").status_code == 302
    client.force_login(world["province"])
    schema = client.get("/api/openapi.json").json()
    assert "/api/enterprises" in schema["paths"]
    assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize("extra,queries", [(5, 3), (25, 4)])
def test_list_query_count_is_pinned(world, client, django_assert_num_queries, extra, queries):
    for _ in range(extra):
        factories.enterprise("320583", actor=world["province"])
    client.force_login(world["suzhou"])
    # session, user, page (regions and tech field joined in): no N+1. A COUNT only when page 1 is full.
    with django_assert_num_queries(queries):
        res = client.get("/api/enterprises")
    assert res.json()["count"] == extra + 2
    assert len(res.json()["items"]) == min(extra + 2, 20)
