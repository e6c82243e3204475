"""The pages in a real browser (Debian's chromium driven by Playwright): what two roles see, and screenshots.

Screenshots go to test-results/screenshots/ (git-ignored); set GAOQI_SCREENSHOTS=docs/screenshots to refresh
the documentation copies from this test's data.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gaoqi.accounts.models import Role
from gaoqi.registry.models import Department
from gaoqi.registry.services import annual_report_record, certificate_record
from tests import factories
from tests.web.browser import CHROMIUM, SHOTS, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
    # The live server reads from another thread: data must be committed. Serialized rollback puts the
    # migrated reference data (regions, tech fields) back for the tests that run after this file.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def cast():
    """A Suzhou city officer and a Kunshan firm's user; firms in Kunshan, Wuzhong and Nanjing."""
    province = factories.province_admin()
    ks = factories.enterprise("320583", name="昆山精密传感科技有限公司", actor=province, tech_field="101")
    wz = factories.enterprise("320506", name="吴中智能装备有限公司", actor=province, tech_field="801")
    nj = factories.enterprise("320115", name="南京江宁生物医药有限公司", actor=province, tech_field="201")
    for i in range(8):
        factories.enterprise("320583" if i % 2 else "320506", name=f"苏州示例企业{i:02d}", actor=province)
    tax = factories.source(Department.TAX, "税务_年度申报.xlsx", synthetic=True)
    sci = factories.source(Department.SCIENCE_TECH, "科技_研发统计.xlsx", synthetic=True)
    today = timezone.localdate()
    for year in range(today.year - 3, today.year):
        annual_report_record(
            actor=province,
            enterprise=ks,
            year=year,
            source=tax,
            source_row=100 + year % 100,
            values={
                "revenue": 38_000_000 + year % 10 * 4_000_000,
                "rnd_expense": 2_600_000,
                "total_assets": 61_000_000,
                "employees": 140,
            },
        )
        annual_report_record(
            actor=province,
            enterprise=ks,
            year=year,
            source=sci,
            source_row=20 + year % 100,
            values={"tech_staff": 32, "ip_class1": 3, "ip_class2": 11, "rnd_expense": 2_700_000},
        )
    certificate_record(
        actor=province,
        enterprise=ks,
        kind="hte",
        number="GR202332001234",
        issued_on=today - timedelta(days=300),
        expires_on=today + timedelta(days=800),
    )
    officer = factories.officer(Role.CITY_OFFICER, "320500", username="suzhou-officer")
    officer.display_name = "王科长"
    officer.save()
    firm_user = factories.enterprise_user(ks)
    return {"officer": officer, "firm_user": firm_user, "ks": ks, "wz": wz, "nj": nj}


def _login(browser, base: str, username: str):
    return login(browser, base, username, "pw-test-123", timeout_ms=5000)


def test_officer_and_enterprise_user_in_a_browser(live_server, browser, cast):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    officer = _login(browser, base, cast["officer"].username)
    assert "合成数据（演示）" in officer.inner_text("[data-testid=synthetic]")
    assert "王科长" in officer.inner_text("[data-testid=who]")
    assert officer.inner_text("[data-testid=kpi-total] .kpi-value") == "10"
    officer.screenshot(path=SHOTS / "home.png", full_page=True)

    officer.click("nav.sidemenu >> text=企业库")
    officer.wait_for_selector("[data-testid=enterprise-table]")
    table = officer.inner_text("[data-testid=enterprise-table]")
    assert cast["ks"].name in table and cast["wz"].name in table and cast["nj"].name not in table
    officer.screenshot(path=SHOTS / "officer-enterprise-list.png", full_page=True)

    # htmx: choosing a status swaps the table and pushes the filter into the address.
    officer.select_option("#f-status", "hte")
    officer.wait_for_url("**status=hte**")
    officer.wait_for_function(
        "document.querySelectorAll('[data-testid=enterprise-table] tbody tr').length === 1"
    )
    assert cast["ks"].name in officer.inner_text("[data-testid=enterprise-table]")
    # The language switch comes back to the filtered address htmx pushed, not the one first loaded.
    officer.click("button[value=en]")
    officer.wait_for_selector("html[lang=en]")
    assert "status=hte" in officer.url and "HTE certificate valid until" in officer.content()
    officer.click("button[value=zh-hans]")
    officer.wait_for_selector("html[lang=zh-CN]")

    officer.click(f"text={cast['ks'].name}")
    officer.wait_for_selector("[data-testid=tab-overview]")
    officer.click("a[data-tab=facts]")
    officer.wait_for_selector("[data-testid=facts-table]")
    assert "/facts/" in officer.url
    assert "税务" in officer.inner_text("[data-testid=facts-table]")
    officer.screenshot(path=SHOTS / "enterprise-detail.png", full_page=True)
    assert officer.locator("a[data-tab=audit]").count() == 1

    response = officer.goto(f"{base}/enterprises/{cast['nj'].credit_code}/")
    assert response.status == 404
    assert "对象不存在或无权访问" in officer.inner_text("main")

    firm = _login(browser, base, cast["firm_user"].username)
    assert cast["ks"].name in firm.inner_text("[data-testid=firm-card]")
    firm.click("nav.sidemenu >> text=本企业")
    firm.wait_for_selector("[data-testid=tab-overview]")
    assert firm.locator("a[data-tab=audit]").count() == 0
    firm.screenshot(path=SHOTS / "enterprise-user-firm.png", full_page=True)
    assert firm.goto(f"{base}/enterprises/{cast['wz'].credit_code}/").status == 404

    # The English switch in the top bar.
    firm.click("button[value=en]")
    firm.wait_for_selector("html[lang=en]")
    assert "Synthetic demo data" in firm.inner_text("[data-testid=synthetic]")
