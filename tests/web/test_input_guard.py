"""NUL bytes and control characters in any path or query parameter are a 400 (never a 500: PostgreSQL refuses
NUL in text); credit codes are case-insensitive on pages as in the API; the enterprise list says what is wrong
with a page number or a filter instead of silently replacing it."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories
from tests.api.test_api import api  # noqa: F401 - the fixture

BAD = ["\x00", "a\x00b", "\x01", "\x1b[31m", "\x7f"]


def _patterns(resolver=None, prefix=""):
    """Every URL pattern as (route with <converter:name> parts, converters)."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + route)
        elif isinstance(p, URLPattern):
            yield prefix + route


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _fill(route: str, bad: str) -> str | None:
    """The route with its string parameters set to `bad` (None when it has none); ints are 1."""
    if route.startswith("^") or "(?P" in route:
        return None
    found = False

    def sub(m):
        nonlocal found
        kind = m.group(1) or "str"
        if kind in ("str", "path", "slug"):
            found = True
            return bad
        return "1"

    path = "/" + PARAM.sub(sub, route)
    return path if found else None


ROUTES = sorted({r for r in _patterns()})
STRING_ROUTES = [r for r in ROUTES if _fill(r, "x")]
PLAIN_ROUTES = [r for r in ROUTES if not PARAM.search(r) and not r.startswith("^") and "(?P" not in r]


def test_the_routes_are_found():
    assert any("enterprises/<str:credit_code>/" in r for r in STRING_ROUTES)
    assert any(r.startswith("api/") for r in STRING_ROUTES)
    assert len(PLAIN_ROUTES) > 10


@pytest.mark.parametrize("route", STRING_ROUTES)
def test_a_control_character_in_a_path_parameter_is_a_400(world, client, route):
    client.force_login(world["province"])
    for bad in ("a\x00b", "\x1b"):
        res = client.get(_fill(route, bad))
        assert res.status_code == 400, (route, res.status_code)
        if route.startswith("api/"):
            assert res.json()["message"] and res.json()["extra"]["char"]


@pytest.mark.parametrize("route", PLAIN_ROUTES)
def test_a_control_character_in_a_query_parameter_is_a_400(world, client, route):
    client.force_login(world["province"])
    for bad in BAD:
        for params in ({"q": bad}, {"page": bad}, {"city": bad}, {bad + "x": "1"}):
            res = client.get("/" + route, params)
            assert res.status_code == 400, (route, params, res.status_code)
            assert "控制字符" in res.content.decode()


def test_anonymous_requests_and_forms_and_cookies_are_guarded_too(world, client):
    assert client.get("/accounts/login/", {"next": "/\x00"}).status_code == 400
    res = client.post("/accounts/login/", {"username": "a\x00", "password": "x"})
    assert res.status_code == 400
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get("/").status_code == 400


def test_a_nul_in_a_json_body_is_a_400(world, client):
    client.force_login(world["province"])
    res = client.post(
        f"/api/enterprises/{world['ks'].credit_code}/service-records",
        data='{"kind": "visit", "served_on": "2024-05-01", "content": "a\\u0000b"}',
        content_type="application/json",
    )
    assert res.status_code == 400 and res.json()["extra"]["where"] == "body"


def test_tabs_and_line_breaks_in_values_are_allowed(world, client):
    client.force_login(world["province"])
    assert client.get("/enterprises/", {"q": "昆山\t测试"}).status_code == 200
    assert client.get("/api/enterprises", {"q": "昆山\n"}).status_code == 200


@pytest.mark.parametrize("suffix", ["", "facts/"])
def test_credit_codes_are_case_insensitive_on_pages(world, client, suffix):
    firm = factories.enterprise("320583", credit_code=factories.credit_code("320583", serial=987_654_321))
    assert any(c.isalpha() for c in firm.credit_code[8:17])
    client.force_login(world["suzhou"])
    res = client.get(f"/enterprises/{firm.credit_code.lower()}/{suffix}")
    assert res.status_code == 200 and firm.name in res.content.decode()
    # still scoped: a Nanjing officer gets 404 whatever the case
    client.force_login(world["nanjing"])
    assert client.get(f"/enterprises/{firm.credit_code.lower()}/{suffix}").status_code == 404


def test_credit_codes_are_case_insensitive_in_the_api(world, api):  # noqa: F811
    firm = factories.enterprise("320583", credit_code=factories.credit_code("320583", serial=987_654_322))
    res = api(world["suzhou"], f"/enterprises/{firm.credit_code.lower()}")
    assert res.status_code == 200 and res.json()["credit_code"] == firm.credit_code


# --- the enterprise list: out-of-range page, per_page, foreign filters --------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "99"}, "page"),
        ({"city": "320100"}, "city"),  # Nanjing, for a Suzhou officer
        ({"county": "320115"}, "county"),
        ({"county": "320500"}, "county"),  # a city is not a county
        ({"tech_field": "99"}, "tech_field"),
        ({"status": "gone"}, "status"),
        ({"hitech_zone": "nanjing"}, "hitech_zone"),
        ({"q": "长" * 61}, "q"),
    ],
)
def test_the_list_page_says_what_is_wrong(world, client, params, field):
    client.force_login(world["suzhou"])
    res = client.get("/enterprises/", params)
    assert res.status_code == 400
    body = res.content.decode()
    assert 'data-testid="list-problems"' in body
    assert world["nj"].name not in body  # an error never widens the scope
    htmx = client.get("/enterprises/", params, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and 'data-testid="list-problems"' in htmx.content.decode()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page": 0}, "page"),
        ({"page": 99}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"city": "320100"}, "city"),
        ({"county": "320115"}, "county"),
        ({"tech_field": "99"}, "tech_field"),
        ({"status": "gone"}, "status"),
        ({"hitech_zone": "nanjing"}, "hitech_zone"),
    ],
)
def test_the_list_api_says_what_is_wrong(world, api, params, field):  # noqa: F811
    res = api(world["suzhou"], "/enterprises", **params)
    assert res.status_code == 422
    errors = res.json()["extra"]["errors"]
    assert errors and errors[0]["field"] == field and errors[0]["reason"]


def test_valid_filters_and_pages_still_work(world, client, api):  # noqa: F811
    client.force_login(world["suzhou"])
    for params in ({"city": "320500"}, {"county": "320583"}, {"page": "1"}, {"hitech_zone": "any"}):
        res = client.get("/enterprises/", params)
        assert res.status_code == 200 and 'data-testid="list-problems"' not in res.content.decode()
    assert api(world["suzhou"], "/enterprises", per_page=100, page=1).status_code == 200
    assert api(world["suzhou"], "/enterprises", per_page=1, page=2).json()["page"] == 2


@pytest.mark.parametrize(
    "params",
    [
        {"city": "320100"},
        {"county": "320115"},
        {"grade": "Z"},
        {"list": "nope"},
        {"page": "99"},
        {"page": "x"},
    ],
)
def test_the_ledger_says_what_is_wrong(world, client, params):
    client.force_login(world["suzhou"])
    res = client.get("/ledger/", params)
    assert res.status_code == 400 and 'data-testid="list-problems"' in res.content.decode()
    htmx = client.get("/ledger/", params, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and 'data-testid="list-problems"' in htmx.content.decode()
    if "page" not in params:
        export = client.get("/ledger/export.xlsx", params)
        assert export.status_code == 400 and "筛选条件有误" in export.content.decode()


def test_the_ledger_accepts_valid_filters(world, client):
    client.force_login(world["suzhou"])
    for params in ({}, {"county": "320583"}, {"grade": "A"}, {"list": "all"}, {"page": "1"}):
        res = client.get("/ledger/", params)
        assert res.status_code == 200 and 'data-testid="list-problems"' not in res.content.decode()
