"""Accounts and login (issue 11 §2): throttling and lockout (django-axes), every HTTP login audited,
Django's password validators, and a login through a TLS proxy."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone

from gaoqi.accounts.login import client_ip
from gaoqi.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "pw-test-123"  # tests/factories.py


def _post_login(username, password, ip="198.51.100.1", client=None, **extra):
    client = client or Client()
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def _logins():
    return list(AuditEvent.objects.filter(action=AuditAction.LOGIN).order_by("id"))


def test_a_successful_login_is_audited(world):
    kunshan = world["kunshan"]
    response = _post_login(kunshan.username, PASSWORD, HTTP_USER_AGENT="Mozilla/5.0 test")
    assert response.status_code == 302
    [event] = _logins()
    assert (event.actor, event.target_type, event.target_id) == (kunshan, "accounts.user", str(kunshan.pk))
    assert event.new == {
        "outcome": "success",
        "username": kunshan.username,
        "ip": "198.51.100.1",
        "user_agent": "Mozilla/5.0 test",
    }
    assert event.reason == "登录成功"


def test_failed_logins_are_audited_without_the_password(world):
    kunshan = world["kunshan"]
    assert _post_login(kunshan.username, "wrong-secret-1").status_code == 200
    assert _post_login("nobody-here", "wrong-secret-2").status_code == 200
    known, unknown = _logins()
    assert (known.actor, known.target_id, known.new["outcome"]) == (None, str(kunshan.pk), "failed")
    assert (unknown.actor, unknown.target_id, unknown.new["username"]) == (
        None,
        "?nobody-here",
        "nobody-here",
    )
    everything = str([(e.old, e.new, e.reason) for e in (known, unknown)])
    assert "wrong-secret" not in everything


def test_programmatic_logins_are_not_audited(world):
    """force_login and the test client's login() (no HTTP request) are not user logins."""
    Client().force_login(world["kunshan"])
    assert Client().login(username=world["kunshan"].username, password=PASSWORD)
    assert not Client().login(username=world["kunshan"].username, password="wrong")
    assert _logins() == []


def test_repeated_failures_lock_the_username_and_address_out(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    kunshan = world["kunshan"]
    for _ in range(2):
        assert _post_login(kunshan.username, "wrong").status_code == 200
    locked = _post_login(kunshan.username, "wrong")
    assert locked.status_code == 429 and "登录失败次数过多" in locked.content.decode()
    assert "用户登录" in locked.content.decode()  # the login page with the reason, in the layout
    # the right password does not help during the lockout, from this address
    refused = _post_login(kunshan.username, PASSWORD)
    assert refused.status_code == 429 and "_auth_user_id" not in refused.client.session
    outcomes = [e.new["outcome"] for e in _logins()]
    assert outcomes == ["failed", "failed", "locked_out", "refused_locked_out"]
    # the same user from another address is not locked out (lockout by the pair: no denial of service)
    assert _post_login(kunshan.username, PASSWORD, ip="198.51.100.99").status_code == 302
    # nor is another user from the same address
    assert _post_login(world["suzhou"].username, PASSWORD).status_code == 302


def test_a_lockout_ends_after_the_cool_off(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    kunshan = world["kunshan"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(2):
            _post_login(kunshan.username, "wrong")
        clock.move_to(start + timedelta(minutes=14))
        assert _post_login(kunshan.username, PASSWORD).status_code == 429
        # that attempt during the lockout started the cool-off again (an attacker who keeps trying stays out)
        clock.move_to(start + timedelta(minutes=16))
        assert _post_login(kunshan.username, PASSWORD).status_code == 429
        clock.move_to(start + timedelta(minutes=16 + 16))
        assert _post_login(kunshan.username, PASSWORD).status_code == 302


def test_throttling_can_be_switched_off(world, settings):
    settings.AXES_ENABLED = False
    settings.AXES_FAILURE_LIMIT = 1
    for _ in range(3):
        _post_login(world["kunshan"].username, "wrong")
    assert _post_login(world["kunshan"].username, PASSWORD).status_code == 302


def test_the_client_address_behind_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
    settings.GAOQI_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"  # no proxy trusted: the peer
    settings.GAOQI_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # what our one proxy saw; the spoofable left part is ignored
    settings.GAOQI_PROXY_COUNT = 3
    assert client_ip(request) == "127.0.0.1"  # fewer entries than proxies: the peer


def test_behind_a_proxy_the_lockout_follows_the_forwarded_address(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.GAOQI_PROXY_COUNT = 1
    kunshan = world["kunshan"]
    for _ in range(2):
        _post_login(kunshan.username, "wrong", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert (
        _post_login(
            kunshan.username, PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"
        ).status_code
        == 429
    )
    # another client behind the same proxy is not affected
    assert (
        _post_login(
            kunshan.username, PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8"
        ).status_code
        == 302
    )
    assert _logins()[0].new["ip"] == "203.0.113.7"


@pytest.mark.parametrize(
    ("new_password", "complaint"),
    [
        ("Ab1!xyz", "密码太短，至少需要 10 个字符"),  # 7 characters, below GAOQI_PASSWORD_MIN_LENGTH (10)
        ("password123", "太常见"),
        ("3141592653589", "密码只包含数字"),
    ],
)
def test_password_changes_pass_the_standard_validators(world, new_password, complaint):
    client = Client()
    client.force_login(world["kunshan"])
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200 and complaint in response.content.decode()
    world["kunshan"].refresh_from_db()
    assert world["kunshan"].check_password(PASSWORD)


def test_a_password_like_the_username_is_refused(world):
    user = world["kunshan"]
    user.username = "zhangweiming"
    user.save()
    client = Client()
    client.force_login(user)
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "zhangweiming1", "new_password2": "zhangweiming1"},
    )
    assert response.status_code == 200 and "相似" in response.content.decode()


def test_a_login_through_a_tls_proxy_works(world, settings):
    """What nginx forwards: plain HTTP to the server with X-Forwarded-Proto: https; the browser's Origin is
    the public https:// origin. With the production settings the login works, cookies are Secure."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.ALLOWED_HOSTS = ["gaoqi.example.gov.cn"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://gaoqi.example.gov.cn"]
    proxy = {"HTTP_HOST": "gaoqi.example.gov.cn", "HTTP_X_FORWARDED_PROTO": "https"}
    client = Client(enforce_csrf_checks=True)
    assert client.get("/login/", HTTP_HOST="gaoqi.example.gov.cn").status_code == 301  # no proxy header
    page = client.get("/login/", **proxy)
    assert page.status_code == 200 and page.cookies["csrftoken"]["secure"]
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/login/",
        {"username": world["kunshan"].username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://gaoqi.example.gov.cn",
        HTTP_REFERER="https://gaoqi.example.gov.cn/login/",
        **proxy,
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies["sessionid"]["secure"] and response.cookies["sessionid"]["httponly"]
    home = client.get("/", **proxy)
    assert home.status_code == 200 and home["Strict-Transport-Security"].startswith("max-age=31536000")
    # an http:// origin (the proxy forgot the header, or a downgrade) is refused
    other = Client(enforce_csrf_checks=True)
    token = other.get("/login/", **proxy).cookies["csrftoken"].value
    refused = other.post(
        "/login/",
        {"username": world["kunshan"].username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="http://gaoqi.example.gov.cn",
        **proxy,
    )
    assert refused.status_code == 403
