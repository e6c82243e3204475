"""Driving Debian's chromium with Playwright: shared by the browser tests and the screenshot script.

The tests' part: the `browser` fixture (registered by the conftest of tests/web and tests/hte), the marks of a
walk through the live server (`WALK`, with its settings), the walk's clock, screenshots, log-in and the
application page's phase, actions and notices."""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Headless as root on an offline machine: no sandbox, no GPU, no background calls home.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
# Screenshots: test-results/screenshots/ (git-ignored); GAOQI_SCREENSHOTS=docs/screenshots refreshes the docs' copies.
SHOTS = ROOT / os.environ.get("GAOQI_SCREENSHOTS", "test-results/screenshots")
SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "pw-test-123"  # the factories' users


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def login(browser, base: str, username: str, password: str, *, timeout_ms: int | None = None):
    """A new Chinese-locale page logged in as `username`, on the home page."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 860})
    if timeout_ms:
        context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{base}/")
    return page


# --- Tests ------------------------------------------------------------------------------------------------


@pytest.fixture
def browser(monkeypatch):
    """Chromium for one test. Playwright's sync API runs an event loop in this thread; Django would refuse ORM
    calls from it (DJANGO_ALLOW_ASYNC_UNSAFE)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        instance = launch(p)
        yield instance
        instance.close()
        # The ORM calls made while the loop ran (fixtures after this one, the test) had connections of their
        # own (asgiref's Local: another context), closed by nobody: on PostgreSQL one stayed open and the test
        # database could not be dropped at the end ("is being accessed by other users").
        connections.close_all()


@pytest.fixture
def walk_settings(settings):
    """Session cookies (no Expires): the walk's clock is not the browser's, whose cookies would expire."""
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None


# The marks of a walk through the live server: the live server reads from another thread, so data must be
# committed; serialized rollback puts the migrated reference data back for the tests that run after.
WALK = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("walk_settings"),
]


def travel_to(day: date):
    """The walk's clock (time-machine, also for the live server's thread) at 9:30 in Shanghai on `day`."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, 30, tzinfo=SH), tick=True)


def shot(page, name: str, *, full: bool = False) -> None:
    """A screenshot in SHOTS: the viewport (the key part of the page, a small file) or the full page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=full)


def login_as(browser, base: str, user):
    """A page logged in as a factories' `user` (each role logs in again after a jump of the clock)."""
    return login(browser, base, user.username, PASSWORD, timeout_ms=15000)


def phase(page) -> str:
    """The phase an application page shows."""
    return page.inner_text("[data-testid=phase]").strip()


def act(page, action: str, reason: str = "") -> None:
    """Press an action's button on an application page (with a reason when given)."""
    form = page.locator(f"[data-testid=action-{action}]")
    if reason:
        form.locator("input[name=reason]").fill(reason)
    with page.expect_navigation():
        form.locator("button").click()


def close_notice(page, base: str, notice) -> None:
    """Close a public notice on its page."""
    from gaoqi.workflow.models import (
        PublicNotice,
    )  # not at the top: the screenshot script runs without Django

    page.goto(f"{base}/workflow/notices/{notice.pk}/")
    with page.expect_navigation():
        page.click("[data-testid=close-form] button[type=submit]")
    assert PublicNotice.objects.get(pk=notice.pk).closed_at is not None
