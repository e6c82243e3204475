"""The access matrix: every page and every API operation × every role × a foreign object.

The pages come from the URL resolver and the API operations from the ninja OpenAPI schema, so a new page or
operation is covered the day it is added: it fails here until it has a row in the tables below, which say
per role what it answers. Answers with a body are searched for the names and credit codes of the firms
outside the role's reach (nothing may leak). Routes that take an object (a credit code, an id) are called
with a foreign object where the test can build one (a Nanjing firm, agency, account, token for Suzhou-side
roles) and with a missing id otherwise: both must answer alike (404; 405 for a GET to a POST-only route;
302 to the login for the anonymous).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from gaoqi.accounts.models import ApiToken, Role
from gaoqi.api.main import api
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("anon", "province", "suzhou", "kunshan", "ks_user", "expert", "agency")
# What each role may see of the `world` firms (ks: Kunshan, wz: Wuzhong, both Suzhou; nj: Nanjing).
VISIBLE = {
    "anon": set(),
    "province": {"ks", "wz", "nj"},
    "suzhou": {"ks", "wz"},
    "kunshan": {"ks"},
    "ks_user": {"ks"},
    "expert": set(),
    "agency": {"wz"},
}

# Pages without parameters: the status per role, in ROLES order. 302 for the anonymous is the login
# redirect; 404 is "not for this role" (forbidden answers like missing); 405 a POST-only route.
PAGES = {
    "set_language": "302 302 302 302 302 302 302",
    "jobs:list": "302 200 200 200 200 200 200",
    "jobs:demo_start": "302 405 405 405 405 405 405",
    "jobs:schedules": "302 200 404 404 404 404 404",
    "ledger:ledger": "302 200 200 200 404 404 404",
    "ledger:export": "302 200 200 200 404 404 404",
    "ledger:advice": "302 200 200 200 404 404 404",
    "ledger:reevaluate": "405 405 405 405 405 405 405",
    "intake:batch_list": "302 200 200 200 404 404 404",
    "workflow:inbox": "302 200 200 200 200 200 200",
    "workflow:notifications": "302 200 200 200 200 200 200",
    "workflow:notifications_read": "302 405 405 405 405 405 405",
    "workflow:notice_list": "302 200 200 200 200 200 200",
    "pool:home": "302 302 302 302 200 302 404",
    "pool:start": "302 405 405 405 405 405 405",
    "pool:queue": "302 200 200 200 404 404 404",
    "pool:batch": "302 405 405 405 404 404 404",
    "pool:publish": "302 405 405 405 404 404 404",
    "pool:admissions": "302 200 200 200 404 404 404",
    "pool:admissions_export": "302 200 200 200 404 404 404",
    "pool:exits": "302 200 200 200 404 404 404",
    "pool:expire": "302 405 405 405 404 404 404",
    "pool:expert_home": "302 404 404 404 404 200 404",
    "hte:home": "302 200 200 200 200 302 404",
    "hte:start": "302 405 405 405 405 405 405",
    "hte:after": "302 200 200 200 404 404 404",
    "hte:decisions": "302 200 404 404 404 404 404",
    "hte:notice_publish": "302 405 405 405 405 405 405",
    "hte:report_batch_new": "302 405 405 405 405 405 405",
    "hte:expert_home": "302 404 404 404 404 200 404",
    "programmes:tech_sme": "302 302 302 302 200 404 404",
    "programmes:start": "302 405 405 405 405 405 405",
    "programmes:queue": "302 200 200 200 404 404 404",
    "programmes:queue_export": "302 200 200 200 404 404 404",
    "programmes:batch": "302 405 405 405 404 404 404",
    "programmes:publish": "302 405 405 405 404 404 404",
    "programmes:campaign": "302 200 200 200 404 404 404",
    "programmes:invite": "302 405 405 405 404 404 404",
    "rewards:list": "302 200 200 200 200 404 404",
    "rewards:decide": "302 405 405 405 404 404 404",
    "rewards:compute": "302 405 405 405 404 404 404",
    "rewards:budgets": "302 200 200 200 404 404 404",
    "rewards:budget_save": "302 405 405 405 404 404 404",
    "rewards:payouts": "302 200 200 200 404 404 404",
    "rewards:export": "302 200 200 200 404 404 404",
    "rnd:list": "302 200 200 200 404 404 404",
    "rnd:new": "302 200 200 200 404 404 404",
    "rnd:import": "405 405 405 405 405 405 405",
    "rnd:coverage": "302 200 200 200 404 404 404",
    "rnd:coverage_missing": "302 200 200 200 404 404 404",
    "rnd:coverage_export": "302 200 200 200 404 404 404",
    "rnd:tag": "405 405 405 405 405 405 405",
    "rnd:evaluation": "302 200 200 200 404 404 404",
    "rnd:evaluation_export": "302 200 200 200 404 404 404",
    "targets:progress": "302 200 200 200 404 404 404",
    "targets:assessment_export": "302 200 200 200 404 404 404",
    "targets:edit": "302 200 200 404 404 404 404",
    "targets:template": "302 200 200 404 404 404 404",
    "targets:upload": "405 405 405 405 405 405 405",
    "monitoring:dashboard": "302 200 200 200 404 404 404",
    "monitoring:snapshot_start": "405 405 405 405 405 405 405",
    "monitoring:forecast": "302 200 200 200 404 404 404",
    "monitoring:bulletins": "302 200 200 200 404 404 404",
    "monitoring:bulletin_start": "405 405 405 405 405 405 405",
    "alerts:list": "302 200 200 200 404 404 404",
    "alerts:scan": "405 405 405 405 405 405 405",
    "simulation:index": "302 200 404 404 404 404 404",
    "simulation:new": "302 200 404 404 404 404 404",
    "simulation:compare": "302 200 404 404 404 404 404",
    "simulation:compare_export": "302 200 404 404 404 404 404",
    "web:login": "200 302 302 302 302 302 302",
    "web:logout": "405 405 405 405 405 405 405",
    "web:home": "302 200 200 200 200 200 200",
    "web:enterprise_list": "302 200 200 200 200 200 200",
    "web:my_enterprise": "302 404 404 404 302 404 404",
    "web:follow_up_list": "302 200 200 200 404 404 200",
    "web:agency_list": "302 200 200 200 404 404 404",
    "web:account_list": "302 200 200 200 404 404 404",
    "web:account_new": "302 200 200 200 404 404 404",
    "web:password_change": "302 200 200 200 200 200 200",
    "web:password_change_done": "302 200 200 200 200 200 200",
}

# API GET operations without path parameters. 401: no session or token. A 200 list holds only what the
# role may see (checked below); 422 here: a required query parameter is missing.
API_GETS = {
    "/api/regions": "401 200 200 200 200 200 200",
    "/api/enterprises": "401 200 200 200 200 200 200",
    "/api/hitech-zones": "401 200 200 200 200 200 200",
    "/api/follow-ups": "401 200 200 200 200 200 200",
    "/api/agencies": "401 200 200 200 200 200 200",
    "/api/accounts": "401 200 200 200 200 200 200",
    "/api/rewards/entitlements": "401 200 200 200 200 200 200",
    "/api/rewards/budgets": "401 422 422 422 422 422 422",
    "/api/rnd/institutions": "401 200 200 200 200 200 200",
    "/api/rnd/coverage": "401 200 200 200 404 404 404",
    "/api/targets/progress": "401 200 200 200 404 404 404",
    "/api/monitoring/kpis": "401 200 200 200 404 404 404",
    "/api/monitoring/forecast": "401 200 200 200 404 404 404",
    "/api/monitoring/bulletins": "401 200 200 200 200 200 200",
    "/api/alerts/rules": "401 200 200 200 404 404 404",
    "/api/alerts/": "401 200 200 200 404 404 404",
    "/api/alerts/counts": "401 200 200 200 404 404 404",
    "/api/applications": "401 422 422 422 422 422 422",
    "/api/inbox": "401 200 200 200 200 200 200",
    "/api/notifications": "401 200 200 200 200 200 200",
    "/api/tech-sme/queue.xlsx": "401 200 200 200 404 404 404",
    "/api/tech-sme/campaign": "401 422 422 422 422 422 422",
    "/api/pool/expert/assignments": "401 200 200 200 200 200 200",
    "/api/pool/admissions": "401 200 200 200 200 200 200",
    "/api/pool/exits": "401 200 200 200 200 200 200",
    "/api/hte/expert/assignments": "401 200 200 200 200 200 200",
    "/api/hte/annual-reports/missing": "401 422 422 422 422 422 422",
    "/api/hte/cancellation-candidates": "401 200 200 200 200 200 200",
    "/api/hte/report-batches": "401 200 200 200 200 200 200",
    "/api/hte/cancellations": "401 200 200 200 200 200 200",
}

# Path parameters that name something that is not an object in anyone's scope: the value to use, and the
# operation answers as a list would (not the foreign-object rule).
NOT_OBJECTS = {
    ("/api/rnd/evaluations/{year}", "get"): {"year": "2025"},
    ("/api/monitoring/kpis/{code}/missing", "get"): {"code": "valid_hte"},
}


# Pages whose object is a region named in the query (`?region=`): with a foreign region (Nanjing for the
# Suzhou-side roles, a missing one for the province officer) every role gets what a foreign object gets. Routes
# with a KPI `code` are called with a real one, so that the region decides.
REGION_PAGES = (
    "monitoring:dashboard",
    "monitoring:kpi",
    "monitoring:kpi_missing",
    "rnd:coverage",
    "rnd:coverage_missing",
    "rnd:coverage_export",
)


def _foreign_region(role: str) -> str:
    return "999999" if role == "province" else "320100"


def _client(world, role: str) -> Client:
    client = Client()
    if role != "anon":
        client.force_login(world[role])
    return client


def _routes():
    def walk(patterns, ns=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = (f"{ns}:{p.namespace}" if ns else p.namespace) if p.namespace else ns
                yield from walk(p.url_patterns, inner)
            elif isinstance(p, URLPattern):
                yield (f"{ns}:{p.name}" if ns else p.name), p

    return [(n, p) for n, p in walk(get_resolver().url_patterns) if not (n or "").startswith("api-1.0.0:")]


def _leaks(world, role: str, body: str) -> list[str]:
    """Names or credit codes of the world's firms the role may not see, found in an answer."""
    hidden = {"ks", "wz", "nj"} - VISIBLE[role]
    found = []
    for key in sorted(hidden):
        firm = world[key]
        if firm.credit_code in body or firm.name in body:
            found.append(key)
    return found


@pytest.fixture
def cast(world):
    """Foreign objects on the Nanjing side, for the Suzhou-side roles."""
    nj_agency_user = factories.agency_user([world["nj"]], region_code="320100")
    nj_officer = world["nanjing"]
    token, _key = ApiToken.issue(nj_officer, "nj", days=1)
    return {"agency": nj_agency_user.agency, "officer": nj_officer, "token": token}


def test_every_page_has_a_row_and_answers_as_written(world):
    names = {n for n, p in _routes() if not p.pattern.converters}
    assert names - set(PAGES) == set(), "a new page: add its row to PAGES"
    assert set(PAGES) - names == set(), "a page is gone: remove its row from PAGES"
    wrong = []
    for role_index, role in enumerate(ROLES):
        client = _client(world, role)
        for name, row in PAGES.items():
            expected = int(row.split()[role_index])
            response = client.get(reverse(name))
            if response.status_code != expected:
                wrong.append(f"{name} as {role}: {response.status_code}, expected {expected}")
            elif response.status_code == 302 and role == "anon":
                assert response["Location"].startswith("/login/") or name == "set_language", name
            elif response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                if leaks := _leaks(world, role, response.content.decode()):
                    wrong.append(f"{name} as {role} shows {leaks}")
    assert not wrong, "\n".join(wrong)


def test_every_api_list_has_a_row_answers_as_written_and_leaks_nothing(world):
    schema = api.get_openapi_schema(path_prefix="/api")
    gets = {path for path, methods in schema["paths"].items() if "get" in methods and "{" not in path}
    assert gets - set(API_GETS) == set(), "a new API operation: add its row to API_GETS"
    wrong = []
    for role_index, role in enumerate(ROLES):
        client = _client(world, role)
        for path, row in API_GETS.items():
            expected = int(row.split()[role_index])
            response = client.get(path)
            if response.status_code != expected:
                wrong.append(f"GET {path} as {role}: {response.status_code}, expected {expected}")
            elif response.status_code == 200 and "json" in response.get("Content-Type", ""):
                if leaks := _leaks(world, role, response.content.decode()):
                    wrong.append(f"GET {path} as {role} shows {leaks}")
    assert not wrong, "\n".join(wrong)


def _page_kwargs(pattern, world, cast, role: str) -> dict:
    """A foreign object for each parameter of a page route: a firm, agency or account on the other side of
    the province from the role (for the province officer, who sees everything, a missing one), else a
    missing id."""
    province = role == "province"
    values = {}
    for name in pattern.pattern.converters:
        if name == "credit_code":
            values[name] = (
                factories.credit_code("320583", serial=987654) if province else world["nj"].credit_code
            )
        elif name == "region_code":
            values[name] = "999999" if province else "320100"
        elif name == "tab":
            values[name] = "overview"
        elif name == "code":  # a KPI: the region in the query is the foreign object (REGION_PAGES)
            values[name] = "valid_hte"
        elif name == "pk" and pattern.callback.__module__.endswith("agency_views") and not province:
            values[name] = cast["agency"].pk
        elif name == "pk" and pattern.callback.__module__.endswith("account_views") and not province:
            values[name] = cast["officer"].pk
        elif name == "token_pk" and not province:
            values[name] = cast["token"].pk
        else:
            values[name] = 987654
    return values


def test_every_page_with_an_object_refuses_a_foreign_or_missing_one(world, cast):
    routes = [(n, p) for n, p in _routes() if p.pattern.converters]
    assert len(routes) > 40  # the resolver walk found them
    wrong = []
    for role in ROLES:
        client = _client(world, role)
        for name, pattern in routes:
            url = reverse(name, kwargs=_page_kwargs(pattern, world, cast, role))
            if name in REGION_PAGES:
                url += f"?region={_foreign_region(role)}"
            get = client.get(url).status_code
            post = client.post(url, {"reason": "x"}).status_code
            if role == "anon":
                ok = get in (302, 405) and post in (302, 405)
            else:
                ok = get in (404, 405) and post in (404, 405)
            if not ok:
                wrong.append(f"{name} {url} as {role}: GET {get}, POST {post}")
    assert not wrong, "\n".join(wrong)


def test_every_page_read_by_region_refuses_a_foreign_one(world):
    routes = dict(_routes())
    assert set(REGION_PAGES) <= set(routes)
    wrong = []
    for role in ROLES:
        client = _client(world, role)
        for name in REGION_PAGES:
            kwargs = _page_kwargs(routes[name], world, {}, role)
            url = f"{reverse(name, kwargs=kwargs)}?region={_foreign_region(role)}"
            for htmx in (False, True):  # the page and its htmx fragment alike
                response = client.get(url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
                # the anonymous: to the login (htmx is told so with HX-Redirect and no content)
                expected = (204 if htmx else 302) if role == "anon" else 404
                if response.status_code != expected:
                    wrong.append(f"{url} as {role}{' (htmx)' if htmx else ''}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def _api_value(param: str, world, cast, role: str) -> str:
    province = role == "province"
    if param == "credit_code":
        return factories.credit_code("320583", serial=987655) if province else world["nj"].credit_code
    if param == "agency_id" and not province:
        return str(cast["agency"].pk)
    if param == "account_id" and not province:
        return str(cast["officer"].pk)
    if param == "token_id" and not province:
        return str(cast["token"].pk)
    if param == "region_code":
        return "999999" if province else "320100"
    if param == "issuer":
        return "999999" if province else "320100"
    if param == "year":
        return "2025"
    return "987654"


def test_every_api_operation_on_an_object_refuses_a_foreign_or_missing_one(world, cast):
    schema = api.get_openapi_schema(path_prefix="/api")
    operations = [
        (path, method, op)
        for path, methods in schema["paths"].items()
        if "{" in path
        for method, op in methods.items()
    ]
    assert len(operations) > 40
    wrong = []
    for role in ROLES:
        client = _client(world, role)
        for path, method, op in operations:
            fixed = NOT_OBJECTS.get((path, method))
            params = re.findall(r"{(\w+)}", path)
            url = path
            for p in params:
                value = (fixed or {}).get(p) or _api_value(p, world, cast, role)
                url = url.replace("{" + p + "}", value)
            required = [
                q["name"] for q in op.get("parameters", []) if q["in"] == "query" and q.get("required")
            ]
            if required:  # so that the object, not a missing parameter, decides the answer
                url += "?" + "&".join(f"{q}=x" for q in required)
            response = getattr(client, method)(
                url, data={} if method != "get" else None, content_type="application/json"
            )
            status = response.status_code
            has_body = "requestBody" in op
            if role == "anon":
                ok = status == 401
            elif fixed:
                ok = status in (200, 404, 422)
            else:
                # A body that does not validate is refused before the object is looked up (422).
                ok = status == 404 or (has_body and status == 422)
            if not ok:
                wrong.append(f"{method.upper()} {url} as {role}: {status}")
            elif status == 200 and (leaks := _leaks(world, role, response.content.decode(errors="replace"))):
                wrong.append(f"{method.upper()} {url} as {role} shows {leaks}")
    assert not wrong, "\n".join(wrong)


def test_roles_in_the_matrix_are_every_role(world):
    """A new role gets a column: the world fixture has one actor per role and ROLES names them."""
    seen = {Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.ENTERPRISE, Role.EXPERT}
    seen.add(Role.SERVICE_AGENCY)
    assert seen == set(Role.values), "a new role: add an actor to the world fixture and a column here"
