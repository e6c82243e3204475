"""Out-of-range page and per_page on every list: a clear message (pages 400, API 422 {message, extra}),
never silently the first or last page instead."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "/jobs/",
    "/accounts/",
    "/rewards/",
    "/workflow/inbox/",
    "/alerts/",
    "/imports/",
    "/follow-ups/",
    "/rnd/",
    "/enterprises/",
]

API_PAGE = [
    "/api/follow-ups",
    "/api/accounts",
    "/api/alerts/",
    "/api/rnd/institutions",
    "/api/inbox",
    "/api/applications?programme=tech_sme",
    "/api/enterprises",
]
API_PER_PAGE = [
    "/api/follow-ups",
    "/api/rnd/institutions",
    "/api/applications?programme=tech_sme",
    "/api/enterprises",
]


def _join(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


@pytest.mark.parametrize("url", PAGES)
def test_page_beyond_the_last_is_said_plainly(as_user, world, url):
    client = as_user(world["province"])
    assert client.get(url).status_code == 200, url
    response = client.get(_join(url, "page=999"))
    assert response.status_code == 400, url
    html = response.content.decode()
    assert "页码超出范围" in html and "共 1 页" in html, url
    for bad in ("0", "-1", "abc", "1.5"):
        response = client.get(_join(url, f"page={bad}"))
        assert response.status_code == 400 and "页码" in response.content.decode(), (url, bad)


def test_htmx_request_for_a_bad_page_loads_the_whole_answer(as_user, world):
    response = as_user(world["province"]).get("/jobs/?page=999", headers={"HX-Request": "true"})
    assert response.status_code == 400 and response["HX-Redirect"] == "/jobs/?page=999"


@pytest.mark.parametrize("url", API_PAGE)
def test_api_page_beyond_the_last(as_user, world, url):
    client = as_user(world["province"])
    assert client.get(url).status_code == 200, url
    response = client.get(_join(url, "page=999"))
    assert response.status_code == 422, url
    body = response.json()
    assert body["message"] == "页码超出范围" and body["extra"]["errors"][0]["field"] == "page"


@pytest.mark.parametrize("url", API_PER_PAGE)
@pytest.mark.parametrize("per_page", [0, -5, 100_000])
def test_api_per_page_out_of_range_is_refused_not_clamped(as_user, world, url, per_page):
    response = as_user(world["province"]).get(_join(url, f"per_page={per_page}"))
    assert response.status_code == 422, url
    assert response.json()["extra"]["errors"][0]["field"] == "per_page"


def test_api_per_page_in_range_is_used(as_user, world):
    body = as_user(world["province"]).get("/api/enterprises?per_page=1").json()
    assert len(body["items"]) == 1 and body["pages"] == 3


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1"])
def test_api_rewards_limit_and_offset_out_of_range_are_refused(as_user, world, query):
    response = as_user(world["province"]).get(f"/api/rewards/entitlements?{query}")
    assert response.status_code == 422
    assert response.json()["extra"]["errors"][0]["field"] == query.split("=")[0]
