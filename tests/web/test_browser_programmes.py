"""The programmes walked in a real browser (Debian's chromium driven by Playwright), across the roles that act:
one firm from self-evaluation to tech-SME registration, and one from pool application to admission.

The clock is moved (time-machine, also for the live server's thread): the walks start on fixed days (the pool's
intake window is a dated parameter) and jump over the notices' working days. Cookies are session cookies here,
so a browser whose own clock is later than the walk's keeps them; each role logs in again after a jump (the
sessions' idle limit).

Screenshots go to test-results/screenshots/ (git-ignored); GAOQI_SCREENSHOTS=docs/screenshots refreshes the
documentation copies (tech-sme-*.png, pool-*.png, enterprise-applications.png).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from gaoqi.accounts.models import Role
from gaoqi.registry.models import Certificate, Department
from gaoqi.registry.services import annual_report_record
from gaoqi.workflow.models import Application, PublicNotice
from tests import factories
from tests.web.browser import SH, WALK, act, close_notice, login_as, phase, shot, travel_to
from tests.workflow.conftest import PASSING

pytestmark = WALK


def _facts(actor, firm, years):
    src = factories.source(Department.TAX, f"税务_{firm.pk}.xlsx", synthetic=True)
    for year in years:
        annual_report_record(actor=actor, enterprise=firm, year=year, source=src, values=PASSING)


def _tick_and(page, firm_name: str, action: str | None = None, **fields) -> None:
    """On a queue page: tick the firm's row, then run the batch action (or leave the form to the caller)."""
    page.locator("[data-testid=queue-table] tr", has_text=firm_name).locator("input[name=item]").check()
    if action is None:
        return
    page.select_option("[data-testid=batch-form] select[name=action]", action)
    for name, value in fields.items():
        page.fill(f"[data-testid=batch-form] input[name={name}]", value)
    with page.expect_navigation():
        page.click("[data-testid=batch-form] button[type=submit]")


def test_one_firm_from_self_evaluation_to_registration(live_server, browser):
    base = live_server.url
    with travel_to(date(2026, 9, 28)) as clock:  # a Monday; the notice runs across National Day
        province = factories.province_admin()
        firm = factories.enterprise(
            "320583", name="昆山精密传感科技有限公司", actor=province, tech_field="101"
        )
        _facts(province, firm, (2025,))
        user = factories.enterprise_user(firm)
        officer = factories.officer(Role.PROVINCE_OFFICER, "320000", username="jiangsu-officer")

        # The firm: the self-evaluation pre-filled from the registry, its live score, submit.
        page = login_as(browser, base, user)
        page.click("nav.sidemenu >> text=科技型中小企业评价")
        with page.expect_navigation():
            page.click("[data-testid=start]")
        assert "实时评价" in page.inner_text("main") and "符合" in page.inner_text("[data-testid=score]")
        assert page.input_value("input[name=employees]") == str(PASSING["employees"])
        shot(page, "tech-sme-1-self-evaluation.png")
        act(page, "submit")
        assert phase(page) == "待形式审查"
        app = Application.objects.get(programme="tech_sme", enterprise=firm)

        # The province: the queue of submitted applications, accept, then publish the notice.
        prov = login_as(browser, base, officer)
        prov.goto(f"{base}/programmes/tech-sme/queue/?phase=submitted")
        assert firm.name in prov.inner_text("[data-testid=queue-table]")
        shot(prov, "tech-sme-2-queue.png")
        _tick_and(prov, firm.name, "accept")
        prov.goto(f"{base}/programmes/tech-sme/queue/?phase=accepted")
        _tick_and(prov, firm.name)
        prov.fill("[data-testid=publish-form] input[name=working_days]", "6")
        with prov.expect_navigation():
            prov.click("[data-testid=publish-form] button[type=submit]")
        assert firm.name in prov.inner_text("[data-testid=notice-entries]")
        shot(prov, "tech-sme-3-notice.png")
        notice = PublicNotice.objects.get(programme="tech_sme")
        assert notice.ends_on == date(2026, 10, 10)

        # After the notice's working days: close it, register from the queue.
        clock.move_to(datetime(2026, 10, 12, 9, 30, tzinfo=SH))
        prov = login_as(browser, base, officer)
        close_notice(prov, base, notice)
        prov.goto(f"{base}/programmes/tech-sme/queue/?phase=in_notice")
        _tick_and(prov, firm.name, "register")
        app.refresh_from_db()
        assert (app.phase, app.reference_no, app.valid_until) == (
            "registered",
            "2026320583A0001",
            date(2027, 3, 31),
        )
        assert Certificate.objects.filter(enterprise=firm, number="2026320583A0001").exists()

        # The firm sees its registration number, and its application on its own page.
        page = login_as(browser, base, user)
        page.click("nav.sidemenu >> text=科技型中小企业评价")
        mine = page.inner_text("[data-testid=my-applications]")
        assert "已入库登记" in mine and "2026320583A0001" in mine and "2027-03-31" in mine
        shot(page, "tech-sme-4-registered.png")
        page.click("nav.sidemenu >> text=本企业")
        page.click("a[data-tab=applications]")
        page.wait_for_selector("[data-testid=applications-table]")
        assert "已入库登记" in page.inner_text("[data-testid=applications-table]")
        shot(page, "enterprise-applications.png")


def test_one_firm_from_pool_application_to_admission(live_server, browser):
    base = live_server.url
    day = date(2026, 4, 15)  # a Wednesday inside the (illustrative) intake window, 1 March – 30 June
    with travel_to(day) as clock:
        province = factories.province_admin()
        firm = factories.enterprise(
            "320583", name="昆山智能制造科技有限公司", actor=province, tech_field="801"
        )
        _facts(province, firm, (2023, 2024, 2025))
        user = factories.enterprise_user(firm)
        county = factories.officer(Role.COUNTY_OFFICER, "320583", username="kunshan-officer")
        city = factories.officer(Role.CITY_OFFICER, "320500", username="suzhou-officer")
        officer = factories.officer(Role.PROVINCE_OFFICER, "320000", username="jiangsu-officer")
        experts = [factories.expert_user() for _ in range(3)]

        # The firm applies: pre-filled, the entry standard checked live, submitted.
        page = login_as(browser, base, user)
        page.goto(f"{base}/programmes/pool/")
        with page.expect_navigation():
            page.click("[data-testid=start]")
        assert "符合入库标准" in page.inner_text("main")
        shot(page, "pool-1-application.png")
        act(page, "submit")
        assert phase(page) == "待县级推荐"
        app = Application.objects.get(programme="pool", enterprise=firm)

        # The county recommends from its queue; the city passes it on the application's page.
        cty = login_as(browser, base, county)
        cty.goto(f"{base}/programmes/pool/queue/?phase=submitted")
        _tick_and(cty, firm.name, "recommend", reason="同意推荐")
        cit = login_as(browser, base, city)
        cit.goto(f"{base}/programmes/pool/applications/{app.pk}/")
        act(cit, "pass", "材料齐全，同意")
        assert phase(cit) == "省级专家评审"

        # The province assigns three experts; each scores on their own page.
        prov = login_as(browser, base, officer)
        prov.goto(f"{base}/programmes/pool/applications/{app.pk}/")
        prov.select_option("[data-testid=assign-form] select[name=expert]", [str(e.pk) for e in experts])
        with prov.expect_navigation():
            prov.click("[data-testid=assign-form] button[type=submit]")
        for i, (expert, points) in enumerate(zip(experts, ((28, 26, 18, 16), (20, 22, 15, 13), (25, 25, 16, 14)), strict=True)):  # fmt: skip
            ex = login_as(browser, base, expert)
            ex.goto(f"{base}/programmes/pool/expert/")
            with ex.expect_navigation():
                ex.locator("[data-testid=assignments] tr", has_text=firm.name).locator("a").click()
            for code, value in zip(("innovation", "rnd", "growth", "ip"), points, strict=True):
                ex.fill(f"[data-testid=score-form] input[name={code}]", str(value))
            ex.fill("[data-testid=score-form] textarea[name=comment]", "创新能力较强，同意入库")
            if i == 0:
                shot(ex, "pool-2-expert-score.png")
            with ex.expect_navigation():
                ex.click("[data-testid=submit-score]")
            assert ex.inner_text("[data-testid=my-total]").strip() == f"{sum(points)}.00"
            ex.context.close()

        # The province sees the panel's average, passes it, and publishes the notice from the queue.
        prov.goto(f"{base}/programmes/pool/applications/{app.pk}/")
        assert prov.inner_text("[data-testid=average]").strip() == "79.33"  # (88 + 70 + 80) / 3
        act(prov, "expert_pass")
        assert phase(prov) == "评审通过待公示"
        prov.goto(f"{base}/programmes/pool/queue/?phase=reviewed")
        _tick_and(prov, firm.name)
        with prov.expect_navigation():
            prov.click("[data-testid=publish-form] button[type=submit]")
        notice = PublicNotice.objects.get(programme="pool")
        assert firm.name in prov.inner_text("[data-testid=notice-entries]")

        # After the notice: close it, admit as batch 1; the admission list.
        clock.move_to(datetime.combine(notice.ends_on + timedelta(days=1), datetime.min.time(), SH))
        prov = login_as(browser, base, officer)
        close_notice(prov, base, notice)
        prov.goto(f"{base}/programmes/pool/queue/?phase=in_notice")
        _tick_and(prov, firm.name, "admit", batch_no="1")
        app.refresh_from_db()
        assert (app.phase, app.reference_no) == ("admitted", "PY2026-01-0001")
        prov.goto(f"{base}/programmes/pool/admissions/?year=2026&batch=1")
        assert "PY2026-01-0001" in prov.inner_text("main") and firm.name in prov.inner_text("main")
        shot(prov, "pool-3-admissions.png")

        # The firm sees its admission: number, period, the decisions that led there.
        page = login_as(browser, base, user)
        page.goto(f"{base}/programmes/pool/")
        page.click("[data-testid=my-applications] a")
        page.wait_for_selector("[data-testid=membership]")
        assert phase(page) == "已入库培育"
        assert "PY2026-01-0001" in page.inner_text("[data-testid=reference-no]")
        shot(page, "pool-4-admitted.png")
