"""Screenshots of the running demo for docs/screenshots/ (not a test).

    gaoqi demo --no-serve && gaoqi runserver 127.0.0.1:8765 --noreload &
    python -m tests.web.shoot_demo http://127.0.0.1:8765

Logs in with the demo accounts (gaoqi.demo.accounts) through Debian's chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.web.browser import launch, login

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shoot(page, name: str, full_page: bool = True) -> None:
    page.screenshot(path=OUT / name, full_page=full_page)
    print("wrote", OUT / name)


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = login(browser, base, "suzhou", "suzhou-demo")
        shoot(page, "home.png")
        page.goto(f"{base}/enterprises/")
        shoot(page, "officer-enterprise-list.png", full_page=False)
        page.goto(f"{base}/enterprises/?status=hte&county=320583")
        page.click("[data-testid=enterprise-table] tbody tr:first-child td:nth-child(2) a")
        page.wait_for_selector("[data-testid=tab-overview]")
        shoot(page, "enterprise-overview.png")
        page.click("a[data-tab=facts]")
        page.wait_for_selector("[data-testid=facts-table]")
        shoot(page, "enterprise-detail.png")
        page.click("a[data-tab=audit]")
        page.wait_for_selector("[data-testid=tab-audit]")
        shoot(page, "enterprise-audit.png", full_page=False)

        province = login(browser, base, "province", "province-demo")
        shoot(province, "province-home.png")
        province.click("button[value=en]")
        province.wait_for_selector("html[lang=en]")
        province.goto(f"{base}/enterprises/?city=320200")
        shoot(province, "enterprise-list-english.png", full_page=False)
        province.click("button[value=zh-hans]")

        firm = login(browser, base, "enterprise", "enterprise-demo")
        shoot(firm, "enterprise-user-home.png")
        agency = login(browser, base, "agency", "agency-demo")
        shoot(agency, "agency-home.png", full_page=False)
        expert = login(browser, base, "expert", "expert-demo")
        shoot(expert, "expert-home.png", full_page=False)
        login_page = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 760}).new_page()
        login_page.goto(f"{base}/login/")
        shoot(login_page, "login.png", full_page=False)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765")
