"""`gaoqi serve` for real: gunicorn under the documented production environment, behind a (simulated) TLS
proxy. One server start covers the static files, the HTTPS redirect, a login through the proxy, the
cache headers and the API's JSON errors (issue 11 §1)."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from tests.production.helpers import GAOQI, free_port, process_env, run

HOST = "gaoqi.example.gov.cn"  # GAOQI_ALLOWED_HOSTS in docs/production.env.example
ORIGIN = f"https://{HOST}"
PASSWORD = "Serve-test-2026!"


class Browser:
    """A browser behind the TLS proxy: what nginx forwards to gunicorn on loopback."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, proxy: bool = True, **headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": HOST, **headers}
        if proxy:
            sent |= {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        content = response.read()
        set_cookies = response.headers.get_all("Set-Cookie") or []
        for raw in set_cookies:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response, content.decode("utf-8", "replace"), set_cookies


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = process_env(tmp, GAOQI_BIND=f"127.0.0.1:{port}", GAOQI_WORKERS="2")
    migrated = run([GAOQI, "migrate", "-v", "0"], env, tmp, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    made = run(
        [
            GAOQI,
            "shell",
            "-c",
            "from gaoqi.accounts.models import User; "
            f"User.objects.create_user('prov', password='{PASSWORD}', role='province_officer', region_id='320000')",
        ],
        env,
        tmp,
    )
    assert made.returncode == 0, made.stderr
    log = open(tmp / "serve.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([GAOQI, "serve"], env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
    if proc.poll() is not None:
        pytest.fail("gaoqi serve did not start:\n" + (tmp / "serve.log").read_text())
    yield port
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    assert not (tmp / "var" / "static").exists() or any((tmp / "var" / "static").iterdir())


def test_plain_http_is_redirected_to_https(server):
    response, _, _ = Browser(server).request("GET", "/login/", proxy=False)
    assert response.status == 301 and response.headers["Location"] == f"{ORIGIN}/login/"


def test_login_through_the_tls_proxy(server):
    browser = Browser(server)
    response, page, set_cookies = browser.request("GET", "/login/")
    assert response.status == 200 and "用户登录" in page
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert any(c.startswith("csrftoken=") and "Secure" in c for c in set_cookies)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response, page, set_cookies = browser.request(
        "POST",
        "/login/",
        {"csrfmiddlewaretoken": token, "username": "prov", "password": PASSWORD, "next": ""},
        Origin=ORIGIN,
        Referer=f"{ORIGIN}/login/",
    )
    assert response.status == 302, (response.status, set_cookies, page[:3000])
    assert response.headers["Location"] == "/"
    session = next(c for c in set_cookies if c.startswith("sessionid="))
    assert "Secure" in session and "HttpOnly" in session
    response, page, _ = browser.request("GET", "/")
    assert response.status == 200 and "退出登录" in page
    assert response.headers["Cache-Control"] == "private, no-store"
    # the API docs, behind the login, from our own static files
    response, page, _ = browser.request("GET", "/api/docs")
    assert response.status == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle." in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()


def test_a_post_from_another_origin_is_refused_in_chinese(server):
    browser = Browser(server)
    _, page, _ = browser.request("GET", "/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response, page, _ = browser.request(
        "POST",
        "/login/",
        {"csrfmiddlewaretoken": token, "username": "prov", "password": PASSWORD},
        Origin="https://evil.example.com",
    )
    assert response.status == 403 and "页面已过期" in page


def test_static_files_are_hashed_and_cached_for_long(server):
    browser = Browser(server)
    _, page, _ = browser.request("GET", "/login/")
    css = re.search(r'href="(/static/web/gaoqi\.[0-9a-f]{12}\.css)"', page)
    assert css, "manifest storage gives hashed names"
    response, body, _ = browser.request("GET", css.group(1), **{"Accept-Encoding": "gzip"})
    assert response.status == 200 and "immutable" in response.headers["Cache-Control"]
    assert response.headers.get("Content-Encoding") == "gzip"


def test_api_errors_are_json_under_the_production_server(server):
    browser = Browser(server)
    for path in ("/api/no-such-thing", "/api/no-such-thing/", "/api/enterprises/"):
        response, body, _ = browser.request("GET", path)
        assert response.status == 404, path
        assert json.loads(body) == {"message": "对象不存在或无权访问", "extra": {}}
    response, body, _ = browser.request("GET", "/api/enterprises")
    assert response.status == 401 and json.loads(body)["message"]
    assert response.headers["Cache-Control"] == "private, no-store"
    response, page, _ = browser.request("GET", "/no-such-page/")
    assert response.status == 404 and "对象不存在或无权访问" in page and "<html" in page
