"""The dashboard in a real browser (Debian's chromium via Playwright) at 1366×768 and at phone width: the map
registered from our static copy of ECharts 4.9.0's Jiangsu outline, sparklines and the funnel drawn, no
horizontal overflow. Screenshots go to test-results/screenshots/ (git-ignored)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from gaoqi.monitoring.geo import map_path
from gaoqi.registry.models import CertificateKind
from tests import factories
from tests.monitoring.conftest import cert
from tests.web.browser import CHROMIUM, launch, login

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
    pytest.mark.skipif(
        map_path() is None, reason="static/vendor/echarts-map/jiangsu.json missing: run make vendor"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _allow_sync_orm_in_playwright_loop(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = launch(p)
        yield instance
        instance.close()


def test_dashboard_desktop_and_phone(live_server, browser):
    province = factories.officer("province_officer", "320000", username="province-officer")
    today = timezone.localdate()
    for i, county in enumerate(("320583", "320583", "320506", "320115", "320211", "320311", "320902")):
        firm = factories.enterprise(county, actor=province, above_scale=i % 2 == 0, in_hitech_zone=i % 3 == 0)
        cert(province, firm, CertificateKind.HTE, today - timedelta(days=40 * (i + 1)))
    call_command("kpi_snapshot", "--months", "6")
    page = login(browser, live_server.url, "province-officer", "pw-test-123", timeout_ms=10000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/monitoring/")
    page.wait_for_selector("#dash-map svg path", state="attached")
    page.wait_for_selector("#dash-funnel svg", state="attached")
    assert page.locator(".spark svg").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # the KPI-per-column table fits at 1366 px (its headers wrap) instead of hiding its last columns
    assert page.evaluate(
        "(() => { const t = document.querySelector('[data-testid=children]');"
        " return t.scrollWidth <= t.parentElement.clientWidth; })()"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    # a full-page screenshot grows the window: the charts resize without an error
    page.screenshot(path=str(SHOTS / "monitoring-dashboard-1366.png"), full_page=True)
    page.wait_for_timeout(400)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("#dash-map svg path", state="attached")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(SHOTS / "monitoring-dashboard-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/monitoring/?region=320500")
    page.wait_for_selector("#dash-map svg path", state="attached")
    assert "苏州市高企培育监测" in page.content()
    # a city's dashboard outlines its own city on the map (it did not: every city stayed grey)
    page.wait_for_function(
        "Array.from(document.querySelectorAll('#dash-map svg path')).some(p =>"
        " /c0392b|192,\\s*57,\\s*43/i.test(p.getAttribute('stroke') || ''))"
    )
    assert errors == []
