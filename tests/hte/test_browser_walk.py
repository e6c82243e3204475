"""The HTE certification walked in a real browser (Debian's chromium driven by Playwright) through every role:
the firm prepares and submits, the city recommends, the province accepts and draws the panel, each expert
scores, the leader aggregates, the province orders an on-site check and decides, publishes the notice, makes
the report list (认定报备) and marks it reported, and after the notice issues the certificate. An expert of
another panel gets 404 on the page and on the API.

The clock is moved (time-machine, also for the live server's thread) over the notice's working days; each role
logs in again after the jump. Screenshots go to test-results/screenshots/ (git-ignored);
GAOQI_SCREENSHOTS=docs/screenshots refreshes the documentation copies (hte-*.png).
"""

from __future__ import annotations

from datetime import date, datetime

from gaoqi.accounts.models import Role, User
from gaoqi.experts.models import ExpertKind
from gaoqi.programmes.hte import services
from gaoqi.programmes.hte.models import ReportBatch, SiteCheck
from gaoqi.registry.models import Certificate
from gaoqi.workflow.models import Application, PublicNotice
from tests import factories
from tests.hte.conftest import DAY, document, expert, ip_item
from tests.web.browser import SH, WALK, act, close_notice, login_as, phase, shot, travel_to

pytestmark = WALK


def test_one_application_from_preparation_to_certificate(live_server, browser):
    base = live_server.url
    with travel_to(DAY) as clock:
        province = factories.province_admin()
        firm = factories.enterprise(
            "320583", name="昆山精密传感科技有限公司", actor=province, tech_field="101"
        )
        ip = ip_item(firm)
        user = factories.enterprise_user(firm)
        city = factories.officer(Role.CITY_OFFICER, "320500", username="suzhou-officer")
        officer = factories.officer(Role.PROVINCE_OFFICER, "320000", username="jiangsu-officer")
        for i in range(14):
            expert(ExpertKind.TECHNICAL, employer=f"EMP{i:014d}")
        for i in range(4):
            expert(ExpertKind.FINANCIAL, employer=f"CPA{i:014d}")
        doc = document([ip.pk])

        # The firm prepares: the form pre-filled from the registry, the live evaluation beside it.
        page = login_as(browser, base, user)
        page.click("nav.sidemenu >> text=高企认定")
        with page.expect_navigation():
            page.click("text=开始填报认定申请")
        form = page.locator("[data-testid=document-form]")
        form.locator("input[name=tech_field]").fill(doc["tech_field"])
        for key, value in doc["figures"].items():
            form.locator(f"input[name={key}]").fill("false" if value is False else str(value))
        for key, value in doc["audit"].items():
            form.locator(f"input[name={key}]").fill(value)
        form.locator("textarea[name=projects]").fill(
            "\n".join(f"{p['name']},{p['year']},{p['expense']}" for p in doc["projects"])
        )
        form.locator("textarea[name=products]").fill(
            "\n".join(f"{p['name']},{p['revenue']}" for p in doc["products"])
        )
        form.locator(f"input[name=ip_items][value='{ip.pk}']").check()
        with page.expect_navigation():
            form.locator("button").click()
        ev = page.inner_text("[data-testid=evaluation]")
        assert "✘" not in ev and "待补充或更正" not in ev, ev
        shot(page, "hte-1-application.png", full=True)
        act(page, "submit")
        assert phase(page) == "待市级推荐"
        app = Application.objects.get(programme="hte", enterprise=firm)
        url = f"{base}/programmes/hte/applications/{app.pk}/"

        # The city recommends; the province accepts and draws the panel at random.
        page = login_as(browser, base, city)
        page.goto(url)
        act(page, "recommend")
        assert phase(page) == "待省级形式审查"
        prov = login_as(browser, base, officer)
        prov.goto(url)
        act(prov, "accept")
        with prov.expect_navigation():
            prov.click("[data-testid=draw-form] button")
        panel = prov.inner_text("[data-testid=panel]")
        draw = services.current_draw(app)
        assert str(draw.seed) in panel and "0/5" in panel
        prov.click("[data-testid=panel] summary")
        shot(prov, "hte-2-panel.png", full=True)

        # Each expert scores on their own page; before aggregation nobody sees the others' scores.
        outsider = next(
            u for u in User.objects.filter(role=Role.EXPERT).order_by("pk") if u.pk not in draw.members
        )
        page = login_as(browser, base, outsider)
        assert page.goto(f"{base}/programmes/hte/expert/applications/{app.pk}/").status == 404
        assert page.request.get(f"{base}/api/hte/expert/applications/{app.pk}").status == 404
        assert page.request.get(f"{base}/api/hte/applications/{app.pk}").status == 404
        for n, member in enumerate(draw.members):
            page = login_as(browser, base, User.objects.get(pk=member))
            page.goto(f"{base}/programmes/hte/expert/applications/{app.pk}/")
            items = services.items_for(app, services.member_kind(draw, member))
            for item in items:
                page.fill(f"[data-testid=score-form] input[name='{item['code']}']", str(item["max"]))
            if n == 0:
                shot(page, "hte-3-expert-score.png", full=True)
            with page.expect_navigation():
                page.click("[data-testid=score-form] button")
            assert "已提交" in page.inner_text("[data-testid=score-form]")
        leader = login_as(browser, base, User.objects.get(pk=draw.leader_id))
        leader.goto(f"{base}/programmes/hte/expert/applications/{app.pk}/")
        with leader.expect_navigation():
            leader.click("[data-testid=aggregate-form] button")
        assert "专家组评分" in leader.inner_text("[data-testid=panel]")
        shot(leader, "hte-4-leader-aggregated.png")

        # The province: review done, an on-site check ordered and recorded, the decision.
        prov = login_as(browser, base, officer)
        prov.goto(url)
        act(prov, "expert_pass")
        prov.fill("[data-testid=site-check-order] input[name=reason]", "核实研发场地与科技人员")
        with prov.expect_navigation():
            prov.click("[data-testid=site-check-order] button")
        result = prov.locator("[data-testid=site-check-result]")
        result.locator("input[name=inspectors]").fill("张工、李工")
        result.locator("input[name=checked_on]").fill(DAY.isoformat())
        result.locator("textarea[name=findings]").fill("研发场地、设备与科技人员情况与申报一致")
        with prov.expect_navigation():
            result.locator("button[value='1']").click()
        assert SiteCheck.objects.get(application=app).passed is True
        prov.locator("[data-testid=site-checks]").scroll_into_view_if_needed()
        shot(prov, "hte-5-site-check.png")
        act(prov, "approve")
        assert phase(prov) == "拟认定待公示"

        # The notice and the report list (认定报备) from the province's desk.
        prov.click("nav.sidemenu >> text=认定公示与报备")
        assert firm.name in prov.inner_text("[data-testid=approved]")
        assert "2026-11-30" in prov.inner_text(".page-head")
        with prov.expect_navigation():
            prov.click("[data-testid=approved] button")
        notice = PublicNotice.objects.get(programme="hte")
        assert firm.name in prov.inner_text("[data-testid=notice-entries]")
        prov.click("nav.sidemenu >> text=认定公示与报备")
        assert firm.name in prov.inner_text("[data-testid=reportable]")
        shot(prov, "hte-6-decisions.png", full=True)
        with prov.expect_navigation():
            prov.click("[data-testid=reportable] button")
        batch = ReportBatch.objects.get()
        assert firm.credit_code in prov.inner_text("[data-testid=rows]")
        with prov.expect_download() as download:
            prov.click("text=导出 Excel")
        assert download.value.suggested_filename.endswith(".xlsx")
        prov.fill("input[name=reported_on]", DAY.isoformat())
        prov.fill("input[name=reference]", "苏高企〔2026〕1号")
        with prov.expect_navigation():
            prov.click("text=确认已报备")
        assert "已报备" in prov.inner_text("[data-testid=reported]")
        shot(prov, "hte-7-report-list.png")
        assert ReportBatch.objects.get(pk=batch.pk).reported_on == DAY

        # After the notice's 10 working days: close it, certify.
        clock.move_to(datetime(2026, 6, 30, 9, 30, tzinfo=SH))
        prov = login_as(browser, base, officer)
        close_notice(prov, base, notice)
        prov.goto(url)
        act(prov, "certify")
        assert phase(prov) == "已认定高新技术企业"
        app.refresh_from_db()
        assert app.reference_no.startswith("GR202632") and app.valid_until == date(2029, 6, 29)
        assert Certificate.objects.filter(enterprise=firm, number=app.reference_no).exists()

        # The firm sees its certificate.
        page = login_as(browser, base, user)
        page.goto(url)
        assert app.reference_no in page.inner_text(".page-head")
        shot(page, "hte-8-certified.png")
