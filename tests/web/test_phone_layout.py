"""At phone width (390 px, an iPhone 12-15) the pages fit: no sideways scrolling of the page, the header
within the screen, the (long) menu reachable from the 菜单 link in the top bar. Debian's chromium driven by
Playwright; screenshots to test-results/screenshots/phone-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaoqi.accounts.models import Role
from tests import factories
from tests.web.browser import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-results" / "screenshots"
WIDTH = 390

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _overflow(page) -> int:
    """How far the page reaches past the screen's right edge (0: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth") - WIDTH


def test_pages_fit_a_phone_and_the_menu_is_reachable(live_server, browser):
    province = factories.province_admin()
    firm = factories.enterprise("320583", name="昆山精密传感科技股份有限公司（手机版测试）", actor=province)
    for i in range(25):
        factories.enterprise("320506", name=f"吴中示例智能装备制造有限公司{i:02d}", actor=province)
    officer = factories.officer(Role.PROVINCE_OFFICER, "320000", username="phone-officer")
    officer.display_name = "省科技厅高新处王科长"
    officer.save()
    SHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": 844}, is_mobile=True)
    context.set_default_timeout(8000)
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/login/")
    assert _overflow(page) <= 0
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw-test-123")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{base}/")

    # The header: inside the screen, not taller than a quarter of it.
    header = page.locator("header.topbar").bounding_box()
    assert header["width"] <= WIDTH and header["height"] <= 844 / 4
    for box in page.locator("header.topbar a, header.topbar button").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().right)"
    ):
        assert box <= WIDTH + 0.5
    assert _overflow(page) <= 0
    page.screenshot(path=SHOTS / "phone-home.png", full_page=True)

    # The menu: hidden until asked for, then every entry on screen and usable.
    assert not page.locator("nav.sidemenu").is_visible()
    page.click("[data-testid=menu-toggle]")
    menu = page.locator("nav.sidemenu")
    assert menu.is_visible()
    links = menu.locator("ul a")
    assert links.count() >= 10  # the province officer's long menu
    rights = links.evaluate_all("els => els.map(e => e.getBoundingClientRect().right)")
    assert max(rights) <= WIDTH + 0.5
    assert _overflow(page) <= 0
    page.screenshot(path=SHOTS / "phone-menu.png", full_page=True)
    menu.locator("a", has_text="企业库").click()
    page.wait_for_selector("[data-testid=enterprise-table]")
    assert not page.locator("nav.sidemenu").is_visible()  # a new page: the menu closed again

    # The list: the filters wrap, the wide table scrolls inside its panel, not the page.
    assert _overflow(page) <= 0
    assert page.locator("#f-q").bounding_box()["width"] <= WIDTH
    page.screenshot(path=SHOTS / "phone-enterprise-list.png", full_page=True)

    page.goto(f"{base}/enterprises/{firm.credit_code}/")
    page.wait_for_selector("[data-testid=tab-overview]")
    assert _overflow(page) <= 0
    page.screenshot(path=SHOTS / "phone-enterprise.png", full_page=True)
    context.close()
