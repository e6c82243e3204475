"""Private answers and ending sessions (issue 11 §1, §6): `Cache-Control: private, no-store` for logged-in
pages and the whole API, the idle timeout, and htmx requests after the session ended (HX-Redirect)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from gaoqi.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", ["/", "/enterprises/", "/accounts/", "/jobs/", "/ledger/", "/no-such-page/"])
def test_logged_in_pages_are_private_and_not_stored(world, path):
    response = _login(world["suzhou"]).get(path)
    assert response["Cache-Control"] == "private, no-store", (path, response.status_code)


def test_the_api_is_private_and_not_stored_whoever_asks(world, client):
    _, key = ApiToken.issue(world["kunshan"])
    for response in (
        client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}"),  # token
        _login(world["suzhou"]).get("/api/enterprises"),  # session
        client.get("/api/enterprises"),  # nobody: 401
        client.get("/api/nothing/"),  # 404 from the project's handler
    ):
        assert response["Cache-Control"] == "private, no-store"


def test_a_stronger_no_cache_header_is_kept(world):
    """The one-time password page sets Django's full never-cache header; the middleware leaves it."""
    client = _login(world["suzhou"])
    response = client.post(
        "/accounts/new/",
        {"role": "county_officer", "username": "taicang2", "display_name": "太仓", "region": "320585"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def _session_client(user, settings, minutes=30):
    settings.GAOQI_SESSION_IDLE_MINUTES = minutes
    client = Client()
    client.force_login(user)
    return client


def test_idle_sessions_end(world, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = _session_client(world["suzhou"], settings)
        assert client.get("/").status_code == 200
        clock.move_to(start + timedelta(minutes=29))
        assert client.get("/").status_code == 200  # activity moves the idle clock on
        clock.move_to(start + timedelta(minutes=29 + 29))
        assert client.get("/").status_code == 200  # 58 minutes after login, 29 after the last request
        clock.move_to(start + timedelta(minutes=58 + 31))
        response = client.get("/enterprises/")
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=/enterprises/")
        # the session is gone for good, not only for that request
        assert client.get("/").status_code == 302
        assert client.get("/api/enterprises").status_code == 401


def test_the_idle_limit_is_configurable(world, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = _session_client(world["suzhou"], settings, minutes=5)
        clock.move_to(start + timedelta(minutes=6))
        assert client.get("/").status_code == 302


def test_an_active_session_still_ends_after_the_maximum(world, settings):
    settings.SESSION_COOKIE_AGE = 2 * 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = _session_client(world["suzhou"], settings)
        for minutes in range(20, 120, 20):  # a request every 20 minutes: never idle
            clock.move_to(start + timedelta(minutes=minutes))
            assert client.get("/").status_code == 200, minutes
        clock.move_to(start + timedelta(minutes=121))
        assert client.get("/").status_code == 302


def test_an_idle_api_session_answers_401_as_json(world, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = _session_client(world["suzhou"], settings)
        assert client.get("/api/enterprises").status_code == 200
        clock.move_to(start + timedelta(minutes=31))
        response = client.get("/api/enterprises")
        assert response.status_code == 401 and response.json()["message"]


def test_htmx_after_the_session_ended_redirects_the_whole_page(world, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = _session_client(world["suzhou"], settings)
        ks = world["ks"].credit_code
        fragment = client.get(f"/enterprises/{ks}/facts/", HTTP_HX_REQUEST="true")
        assert fragment.status_code == 200 and "HX-Redirect" not in fragment
        clock.move_to(start + timedelta(minutes=31))
        response = client.get(
            f"/enterprises/{ks}/facts/",
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL=f"http://testserver/enterprises/{ks}/?x=1",
        )
        assert response.status_code == 204 and response.content == b""
        assert response["HX-Redirect"] == f"/login/?next=%2Fenterprises%2F{ks}%2F%3Fx%3D1"
        assert "用户登录" not in response.content.decode()  # never the login page inside a panel


def test_htmx_redirect_ignores_a_foreign_current_url(client):
    response = client.get(
        "/enterprises/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example.com/x"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=%2Fenterprises%2F"


def test_htmx_requests_keep_their_other_redirects(world):
    """Only the redirect to the login page becomes HX-Redirect; the views' own redirects stay as they are."""
    client = _login(world["suzhou"])
    response = client.post(
        f"/accounts/{world['kunshan'].pk}/active/", {"active": "0", "reason": "离岗"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 302 and "HX-Redirect" not in response


def test_plain_requests_still_get_the_ordinary_login_redirect(client):
    response = client.get("/enterprises/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/enterprises/"
