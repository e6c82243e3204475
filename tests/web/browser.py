"""Driving Debian's chromium with Playwright: shared by the browser test and the screenshot script."""

from __future__ import annotations

import shutil

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
