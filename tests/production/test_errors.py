"""Error answers (issue 11 §1): pages in Chinese in the platform's layout; under /api/ always the API's JSON
{message, extra} — 404 and 500 included, for unknown paths with or without a trailing slash."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NOT_FOUND = {"message": "对象不存在或无权访问", "extra": {}}


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


@pytest.mark.parametrize(
    "path", ["/api/nothing", "/api/nothing/", "/api/enterprises/", "/api/", "/api/regions/x/y/z/"]
)
def test_unknown_api_paths_answer_json_404(client, world, path):
    for c in (client, Client()):
        response = c.get(path)
        assert response.status_code == 404 and _json(response) == NOT_FOUND
    client.force_login(world["suzhou"])
    response = client.get(path)
    assert response.status_code == 404 and _json(response) == NOT_FOUND


def test_a_foreign_object_answers_the_same_json_404_as_a_missing_one(client, world):
    client.force_login(world["suzhou"])
    foreign = client.get(f"/api/enterprises/{world['nj'].credit_code}")
    missing = client.get("/api/enterprises/91320583MA0000000X")
    assert foreign.status_code == missing.status_code == 404
    assert _json(foreign) == _json(missing)


def test_a_wrong_method_under_the_api_is_json_too(client, world):
    client.force_login(world["suzhou"])
    response = client.delete("/api/enterprises")
    assert response.status_code == 405
    body = _json(response)
    assert body["message"] == "不支持该请求方法" and "GET" in body["extra"]["allowed"]
    assert "GET" in response["Allow"] and response["Cache-Control"] == "private, no-store"


def test_an_unexpected_api_failure_is_a_json_500_and_logged(client, world, monkeypatch, caplog):
    from gaoqi.registry import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("simulated database outage")

    monkeypatch.setattr(selectors, "enterprise_list", broken)
    client.force_login(world["suzhou"])
    response = client.get("/api/enterprises")
    assert response.status_code == 500
    body = _json(response)
    assert set(body) == {"message", "extra"} and "服务器内部错误" in body["message"]
    assert "simulated database outage" not in response.content.decode()  # no internals leak
    assert any("simulated database outage" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_page_404_in_chinese_in_the_layout(client, world):
    client.force_login(world["suzhou"])
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "对象不存在或无权访问" in page and "返回工作台" in page
    assert 'class="sidemenu"' in page and "退出登录" in page  # the platform's layout, with the menu
    anonymous = Client().get("/no-such-page/")
    assert anonymous.status_code == 404 and "对象不存在或无权访问" in anonymous.content.decode()


@pytest.mark.urls("tests.production.urls")
def test_page_500_in_chinese_without_internals():
    client = Client(raise_request_exception=False)
    response = client.get("/test-boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "服务器内部错误" in page and "高企培育平台" in page
    assert "deliberate failure" not in page and "Traceback" not in page


@pytest.mark.urls("tests.production.urls")
def test_page_403_in_chinese(client, world):
    client.force_login(world["suzhou"])
    response = client.get("/test-forbidden/")
    assert response.status_code == 403 and "无权访问" in response.content.decode()


def test_the_project_handlers_answer_json_under_the_api():
    """What Django itself answers (a failure in a middleware, a PermissionDenied outside ninja) under /api/."""
    from django.test import RequestFactory

    from gaoqi.web import error_views

    api, page = RequestFactory().get("/api/enterprises"), RequestFactory().get("/enterprises/")
    assert _json(error_views.server_error(api))["message"].startswith("服务器内部错误")
    assert error_views.server_error(api).status_code == 500
    assert _json(error_views.permission_denied(api, None)) == {"message": "无权访问", "extra": {}}
    assert _json(error_views.bad_request(api, None))["message"] == "请求有误"
    assert "text/html" in error_views.server_error(page)["Content-Type"]


def test_csrf_failure_page_is_chinese(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["suzhou"])
    response = client.post("/accounts/new/", {"role": "expert"})
    assert response.status_code == 403 and "页面已过期" in response.content.decode()
