"""The missing-firm lists load after their page's figures (htmx, `hx-trigger="load"`), in Chromium: the KPI page
and the R&D coverage page show their figures, then the list appears; "下一页" swaps the list only (the page is
not reloaded, its figures stay, the address stays)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from gaoqi.registry.models import CertificateKind
from tests import factories
from tests.monitoring.conftest import cert
from tests.web.browser import PASSWORD, WALK, login

pytestmark = WALK

MISSING = 53  # above-scale HTEs of Suzhou without an R&D institution: page 1 holds 50, page 2 the other 3


@pytest.fixture
def suzhou(db):
    province = factories.officer("province_officer", "320000", username="list-province")
    officer = factories.officer("city_officer", "320500", username="list-suzhou")
    issued = timezone.localdate() - timedelta(days=100)
    for i in range(MISSING):
        firm = factories.enterprise("320581", name=f"常熟列表企业{i:02d}", actor=province, above_scale=True)
        cert(province, firm, CertificateKind.HTE, issued)
    call_command("kpi_snapshot")
    return officer


def _page_then_next(page, url: str, figures: str, list_id: str) -> None:
    page.goto(url)
    assert page.locator(figures).is_visible()  # the figures are in the page itself
    rows = page.locator(f"#{list_id} tbody tr")
    rows.nth(49).wait_for()  # the list, loaded after the page
    assert rows.count() == 50 and page.locator("[data-testid=missing-pending]").count() == 0
    first = rows.first.inner_text()
    page.evaluate("window.__notReloaded = true")
    page.click(f"#{list_id} [data-testid=next-after]")
    page.locator(f"#{list_id} [data-testid=first-page]").wait_for()
    assert rows.count() == MISSING - 50 and first not in page.locator(f"#{list_id}").inner_text()
    assert page.evaluate("window.__notReloaded === true")  # only the list was swapped
    assert page.url == url and page.locator(figures).is_visible()
    page.click(f"#{list_id} [data-testid=first-page]")
    page.locator(f"#{list_id} [data-testid=next-after]").wait_for()
    assert rows.count() == 50 and rows.first.inner_text() == first
    assert page.evaluate("window.__notReloaded === true")


def test_the_lists_load_after_the_figures_and_page_in_place(live_server, browser, suzhou):
    page = login(browser, live_server.url, suzhou.username, PASSWORD, timeout_ms=15000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _page_then_next(
        page, f"{live_server.url}/monitoring/kpi/rnd_coverage/", "[data-testid=kpi-value]", "kpi-missing"
    )
    _page_then_next(
        page, f"{live_server.url}/rnd/coverage/", "[data-testid=coverage-table]", "coverage-missing"
    )
    assert errors == []
