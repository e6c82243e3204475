"""API tokens expire (issue 11 §1): issued with a validity (default, bounded), refused once expired, the
expiry audited and shown; issuing stays within the officer's reach."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from gaoqi.accounts.models import ApiToken
from gaoqi.accounts.services import api_token_issue
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def _api(key):
    return Client().get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}")


def test_a_token_works_until_it_expires(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        token, key = api_token_issue(actor=world["suzhou"], user=world["kunshan"], label="对接", days=7)
        assert token.expires_at == start + timedelta(days=7)
        assert _api(key).status_code == 200
        clock.move_to(start + timedelta(days=7) - timedelta(seconds=1))
        assert _api(key).status_code == 200
        clock.move_to(start + timedelta(days=7))
        response = _api(key)
        assert response.status_code == 401 and response.json()["message"]
        token.refresh_from_db()
        assert token.is_expired


def test_the_default_validity_and_the_bounds(world, settings):
    settings.GAOQI_API_TOKEN_DAYS, settings.GAOQI_API_TOKEN_MAX_DAYS = 30, 90
    before = timezone.now()
    token, _ = api_token_issue(actor=world["suzhou"], user=world["kunshan"])
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)
    for days in (0, -1, 91, True):
        with pytest.raises(ValidationFailed) as err:
            api_token_issue(actor=world["suzhou"], user=world["kunshan"], days=days)
        assert err.value.errors[0]["field"] == "days" and "90" in err.value.message
    assert api_token_issue(actor=world["suzhou"], user=world["kunshan"], days=90)[0].pk
    assert ApiToken.objects.filter(user=world["kunshan"]).count() == 2  # the refused ones wrote nothing


def test_issue_and_revoke_audit_the_expiry(world):
    token, key = api_token_issue(actor=world["suzhou"], user=world["kunshan"], days=10, reason="对接")
    event = AuditEvent.objects.get(target_type="accounts.apitoken", target_id=str(token.pk), action="create")
    assert event.actor == world["suzhou"] and event.new["days"] == 10
    assert event.new["expires_at"].startswith(token.expires_at.isoformat()[:19])
    assert key not in str(event.new)


def test_issue_through_the_page_with_a_validity(world):
    client = Client()
    client.force_login(world["suzhou"])
    response = client.post(
        f"/accounts/{world['kunshan'].pk}/tokens/", {"label": "县局系统", "reason": "对接", "days": "14"}
    )
    assert response.status_code == 200
    key = re.search(r'data-testid="secret">([^<]+)<', response.content.decode()).group(1)
    token = ApiToken.objects.get(digest=ApiToken.hash(key))
    shown = re.search(r'data-testid="token-expiry">([^<]+)<', response.content.decode()).group(1)
    assert shown == timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
    assert abs(token.expires_at - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)
    detail = client.get(f"/accounts/{world['kunshan'].pk}/").content.decode()
    assert 'data-testid="token-expiry"' in detail and "到期时间" in detail


@pytest.mark.parametrize("days", ["0", "400", "abc"])
def test_a_bad_validity_on_the_page_is_refused_with_a_message(world, days):
    client = Client()
    client.force_login(world["suzhou"])
    response = client.post(
        f"/accounts/{world['kunshan'].pk}/tokens/", {"days": days, "reason": "对接"}, follow=True
    )
    assert not ApiToken.objects.exists()
    assert "有效期" in response.content.decode()


def test_issue_through_the_api_with_a_validity(world):
    client = Client()
    client.force_login(world["suzhou"])
    response = client.post(
        f"/api/accounts/{world['kunshan'].pk}/tokens",
        {"label": "x", "days": 3},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert _api(body["key"]).status_code == 200 and body["expires_at"]
    refused = client.post(
        f"/api/accounts/{world['kunshan'].pk}/tokens", {"days": 9999}, content_type="application/json"
    )
    assert refused.status_code == 422 and refused.json()["extra"]["errors"][0]["field"] == "days"


def test_an_officer_cannot_issue_tokens_outside_their_region(world):
    """A Suzhou officer and a Nanjing account: 404 like a missing account, nothing issued."""
    client = Client()
    client.force_login(world["suzhou"])
    page = client.post(f"/accounts/{world['nanjing'].pk}/tokens/", {"days": "7", "reason": "x"})
    api = client.post(
        f"/api/accounts/{world['nanjing'].pk}/tokens", {"days": 7}, content_type="application/json"
    )
    assert page.status_code == 404 and api.status_code == 404
    firm = Client()
    firm.force_login(world["ks_user"])
    assert firm.post(f"/accounts/{world['kunshan'].pk}/tokens/", {"days": "7"}).status_code == 404
    assert not ApiToken.objects.exists()


def test_a_token_of_a_disabled_account_stops_working(world):
    from gaoqi.accounts.services import account_set_active

    _, key = api_token_issue(actor=world["suzhou"], user=world["kunshan"], days=5)
    account_set_active(actor=world["suzhou"], user=world["kunshan"], active=False, reason="离岗")
    assert _api(key).status_code == 401


def test_tokens_from_the_command_line(world, capsys):
    from django.core.management import CommandError, call_command

    suzhou, kunshan = world["suzhou"].username, world["kunshan"].username
    call_command(
        "tokens", "issue", kunshan, "--as", suzhou, "--days", "5", "--label", "脚本", "--reason", "对接"
    )
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(digest=ApiToken.hash(key))
    assert _api(key).status_code == 200
    assert abs(token.expires_at - (timezone.now() + timedelta(days=5))) < timedelta(minutes=1)
    event = AuditEvent.objects.get(target_type="accounts.apitoken", target_id=str(token.pk), action="create")
    assert event.actor == world["suzhou"] and event.new["days"] == 5
    call_command("tokens", "list", kunshan, "--as", suzhou)
    assert f"#{token.pk}\t有效" in capsys.readouterr().out
    with pytest.raises(CommandError, match="有效期"):
        call_command("tokens", "issue", kunshan, "--as", suzhou, "--days", "9999")
    # outside the officer's region: "not found", nothing issued or revoked
    with pytest.raises(CommandError, match="不存在"):
        call_command("tokens", "issue", world["nanjing"].username, "--as", suzhou)
    with pytest.raises(CommandError, match="不存在"):
        call_command("tokens", "revoke", str(token.pk), "--as", world["nanjing"].username, "--reason", "x")
    with pytest.raises(CommandError, match="管理员"):
        call_command("tokens", "list", kunshan, "--as", world["ks_user"].username)
    call_command("tokens", "revoke", str(token.pk), "--as", suzhou, "--reason", "停用脚本")
    assert _api(key).status_code == 401 and not ApiToken.objects.filter(pk=token.pk).exists()
    assert AuditEvent.objects.filter(target_id=str(token.pk), action="delete", reason="停用脚本").exists()
