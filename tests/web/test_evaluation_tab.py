"""The enterprise page's evaluation tab (评价与对标): live results of tech_sme, hte and pool with gaps.

The firm's figures are chosen so the tech-SME result is known from POLICY.md §4: tech staff 25/100 = 25% → 16,
R&D 50万 / revenue 1000万 = 5% → 40 (R&D / total cost 5.55% → 0, the better one counts), one Class I IP → 30:
86 points, eligible. HTE fails one hard condition: high-tech income 300万 of 1000万 total income is 30% < 60%.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gaoqi.registry.models import Department
from gaoqi.registry.services import annual_report_record, certificate_record
from tests import factories

pytestmark = pytest.mark.django_db

FIGURES = {
    "employees": 100,
    "tech_staff": 25,
    "revenue": 10_000_000,
    "total_income": 10_000_000,
    "hitech_revenue": 3_000_000,
    "total_cost": 9_000_000,
    "total_assets": 20_000_000,
    "net_assets": 6_000_000,
    "rnd_expense": 500_000,
    "rnd_expense_domestic": 500_000,
    "ip_class1": 1,
    "ip_class2": 0,
    "achievement_conversions": 1,
    "standards_led": 0,
    "major_incident": False,
    "bad_credit": False,
    "restricted_industry": False,
}
HITECH_GAP_ZH = "高新技术产品（服务）收入需再增加 300.0 万元（总收入不变，占比达到60%）"


def url(firm, **params):
    base = reverse("web:enterprise_tab", args=[firm.credit_code, "evaluation"])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def record_years(actor, firm, source, years, **changes):
    for year in years:
        annual_report_record(
            actor=actor,
            enterprise=firm,
            year=year,
            source=source,
            source_row=year,
            values={**FIGURES, **changes},
        )


@pytest.fixture
def scored(world):
    """world plus a Kunshan firm with three complete years before today, and its enterprise user."""
    firm = factories.enterprise(
        "320583", name="昆山评价测试有限公司", actor=world["province"], tech_field="101"
    )
    tax = factories.source(Department.TAX, "税务_评价.xlsx")
    this_year = timezone.localdate().year
    record_years(world["province"], firm, tax, range(this_year - 3, this_year))
    return {**world, "firm": firm, "firm_user": factories.enterprise_user(firm), "tax": tax}


def card(page: str, name: str) -> str:
    """The HTML of one policy card."""
    start = page.index(f'data-testid="eval-{name}"')
    end = page.find("</article>", start)
    return page[start:end]


def test_tech_sme_score_is_the_known_86_and_eligible(as_user, scored):
    page = as_user(scored["kunshan"]).get(url(scored["firm"])).content.decode()
    sme = card(page, "tech_sme")
    assert 'data-outcome="pass"' in sme and ">通过<" in sme
    assert '<strong data-testid="score">86</strong>' in sme
    # Ratios as %, money in 万元, points per indicator, citation in small text.
    assert "25%" in sme and "5%" in sme and "1,000.00 万元" in sme
    assert "≥25%" in sme and ">16<" in sme and ">40<" in sme and ">30<" in sme
    assert "国科发政〔2017〕115号 第七条（一）" in sme
    assert "不超过500人" in sme  # the engine's threshold text
    assert "属于禁止、限制、淘汰类" in sme  # a yes/no fact is named under its value
    assert "对标找差" not in sme  # a pass has no gap advice


def test_hte_fails_the_hitech_income_condition_with_its_gap(as_user, scored):
    page = as_user(scored["suzhou"]).get(url(scored["firm"])).content.decode()
    hte = card(page, "hte")
    assert 'data-outcome="fail"' in hte and ">不通过<" in hte
    assert "30%" in hte and "近一年高新技术产品（服务）收入占总收入比例不低于60%" in hte
    assert '<span class="mark mark-fail">✗</span>' in hte
    assert "对标找差" in hte and HITECH_GAP_ZH in hte
    assert "待专家评分" in hte  # expert items are a points range, marked ？
    # Replayable: policy version, effective date, engine version and the parameter hash's first 12 characters.
    from gaoqi.policy import ENGINE_VERSION, load_policy

    policy = load_policy("hte", timezone.localdate())
    assert f"{policy.version} · 生效日期 {policy.effective_from.isoformat()}" in hte
    assert ENGINE_VERSION in hte and policy.param_hash[:12] in hte
    assert f'title="{policy.param_hash}"' in hte


def test_pool_card_says_its_parameters_are_illustrative(as_user, scored):
    page = as_user(scored["kunshan"]).get(url(scored["firm"])).content.decode()
    assert "示例参数，非正式政策" in card(page, "pool")
    assert "示例参数" not in card(page, "tech_sme")


def test_missing_facts_are_listed_not_evaluated(as_user, world):
    firm = factories.enterprise("320583", name="缺数据企业", actor=world["province"])
    source = factories.source(Department.TAX, "缺.xlsx")
    year = timezone.localdate().year - 1
    annual_report_record(
        actor=world["province"],
        enterprise=firm,
        year=year,
        source=source,
        values={"employees": 50, "tech_staff": 5},
    )
    page = as_user(world["kunshan"]).get(url(firm)).content.decode()
    hte = card(page, "hte")
    assert "无法评价" in hte and "缺少数据：" in hte
    assert f"{year} 年度销售收入" in hte and "总收入" in hte
    assert "eval-table" not in hte and 'data-testid="score"' not in hte  # no fake result


def test_invalid_facts_say_what_is_wrong(as_user, scored):
    # Each source's report is consistent; merged (staff from science & tech, employees from tax) it is not.
    science = factories.source(Department.SCIENCE_TECH, "科技_评价.xlsx")
    annual_report_record(
        actor=scored["province"],
        enterprise=scored["firm"],
        year=timezone.localdate().year - 1,
        source=science,
        values={"tech_staff": 120},
    )
    page = as_user(scored["kunshan"]).get(url(scored["firm"])).content.decode()
    assert "数据有误：" in card(page, "tech_sme") and "科技人员数不能超过职工总数" in card(page, "tech_sme")


def test_as_of_moves_the_three_years(as_user, scored):
    # Evaluated as of two years later, the last accounting year has no data: nothing is evaluated.
    later = date(timezone.localdate().year + 2, 6, 30)
    page = as_user(scored["kunshan"]).get(url(scored["firm"], as_of=later.isoformat())).content.decode()
    assert f'value="{later.isoformat()}"' in page
    assert "缺少数据：" in card(page, "tech_sme")
    bad = as_user(scored["kunshan"]).get(url(scored["firm"], as_of="2024-13-45")).content.decode()
    assert "日期无效，已按今天评价。" in bad and 'data-outcome="pass"' in card(bad, "tech_sme")


def test_visible_to_enterprise_and_its_agency(as_user, scored):
    agency = factories.agency_user([scored["firm"]])
    for user in (scored["firm_user"], agency, scored["province"]):
        response = as_user(user).get(url(scored["firm"]))
        assert response.status_code == 200
        assert '<strong data-testid="score">86</strong>' in response.content.decode()


@pytest.mark.parametrize("who", ["nanjing", "expert", "agency", "ks_user"])
def test_outside_scope_is_404(as_user, scored, who):
    assert as_user(scored[who]).get(url(scored["firm"])).status_code == 404


def test_tab_is_listed_and_swaps_with_htmx(as_user, scored):
    client = as_user(scored["kunshan"])
    overview = client.get(
        reverse("web:enterprise_detail", args=[scored["firm"].credit_code])
    ).content.decode()
    assert f'hx-get="{url(scored["firm"])}"' in overview and ">评价与对标<" in overview
    fragment = client.get(url(scored["firm"]), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'data-testid="eval-hte"' in fragment


def test_english_mode(as_user, scored):
    client = as_user(scored["kunshan"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(url(scored["firm"])).content.decode()
    assert ">Evaluation<" in page
    sme, hte = card(page, "tech_sme"), card(page, "hte")
    assert "Employees within limit" in sme and "At most 500 employees" in sme and ">Pass<" in sme
    assert "Tech staff share" in hte and ">Fail<" in hte and "Gap analysis" in hte
    assert (
        "Raise high-tech product (service) income by 300.0 ×10k CNY (total income unchanged; share reaches 60%)"
        in hte
    )
    assert "R&amp;D spending over the last 3 fiscal year(s) at least" in hte  # the engine's English threshold
    assert HITECH_GAP_ZH not in hte
    assert "Policy version" in hte and "Parameter hash" in hte
    assert "不通过" not in page and "对标找差" not in page


@pytest.mark.parametrize(("who", "queries"), [("suzhou", 7), ("firm_user", 7), ("agency", 9)])
def test_query_count_is_pinned(as_user, scored, django_assert_num_queries, who, queries):
    """Session, user, synthetic label, the top bar's region/firm/agency, the firm, the merged annual reports
    (one query for all three policies) and the HTE certificate; the agency's assignment is checked twice more
    (audit-tab visibility, the facts selector), as on the other tabs."""
    if who == "agency":
        scored = {**scored, "agency": factories.agency_user([scored["firm"]])}
    client = as_user(scored[who])
    with django_assert_num_queries(queries):
        response = client.get(url(scored["firm"]))
    assert response.status_code == 200


def _english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def test_titles_direct_pass_routes_and_bands_come_from_the_policy(as_user, scored):
    """No display string of a policy is kept in the web layer: titles, code labels, bands (zh and en)."""
    from gaoqi.policy import ENTERPRISE_POLICIES, load_policy

    today = timezone.localdate()
    certificate_record(
        actor=scored["province"],
        enterprise=scored["firm"],
        kind="hte",
        number="GR202432000001",
        issued_on=today - timedelta(days=100),
        expires_on=today + timedelta(days=900),
    )
    client = as_user(scored["kunshan"])
    policies = {name: load_policy(name, today) for name in ENTERPRISE_POLICIES}
    route = "hte_certificate"  # the tech-SME direct-pass route a valid HTE certificate opens
    zh = client.get(url(scored["firm"])).content.decode()
    assert [n for n in ENTERPRISE_POLICIES if f'data-testid="eval-{n}"' in zh] == list(ENTERPRISE_POLICIES)
    for name, policy in policies.items():
        assert f"<h2>{policy.title_zh}</h2>" in card(zh, name)
    sme = card(zh, "tech_sme")
    assert f"直接通过（第八条）：{policies['tech_sme'].label(route, 'zh')}" in sme
    assert "销售收入口径" in sme  # the engine's band label

    en = _english(client).get(url(scored["firm"])).content.decode()
    for name, policy in policies.items():
        assert f"<h2>{policy.title_en}</h2>" in card(en, name)
    sme, hte = card(en, "tech_sme"), card(en, "hte")
    assert f"Direct pass (Art. 8): {policies['tech_sme'].label(route, 'en')}" in sme
    assert ">on revenue<" in sme and "销售收入口径" not in sme  # band_en
    assert ">awaiting experts<" in hte and "待专家评分" not in hte


def test_illustrative_criteria_are_marked_from_their_structured_source(as_user, scored):
    page = as_user(scored["kunshan"]).get(url(scored["firm"])).content.decode()
    pool, sme = card(page, "pool"), card(page, "tech_sme")
    assert 'data-testid="illustrative"' in pool and "cite-illustrative" in pool
    assert "cite-illustrative" not in sme and 'data-testid="illustrative"' not in sme
    # Hover texts are the cited documents (issuer and title), not a matched marker string.
    assert 'title="科技部 财政部 国家税务总局：科技型中小企业评价办法"' in sme


def test_a_policy_not_in_force_keeps_its_title(as_user, scored):
    page = as_user(scored["kunshan"]).get(url(scored["firm"], as_of="2001-06-30")).content.decode()
    from gaoqi.registry.evaluation import latest_titles

    sme = card(page, "tech_sme")
    assert f"<h2>{latest_titles('tech_sme')[0]}</h2>" in sme and "无有效政策" in sme


def test_labels_of_facts_the_registry_does_not_hold_come_from_the_engine_schema():
    from django.utils import translation

    from gaoqi.registry.evaluation import FactIssue
    from gaoqi.web.evaluation import field_label

    misconduct = FactIssue("research_misconduct", "research_misconduct", None, False, "", "")
    deductible = FactIssue("rnd_expense_deductible_y3", "rnd_expense_deductible", 2024, True, "", "")
    certificate = FactIssue("has_hte_certificate", "has_hte_certificate", None, True, "", "")
    revenue = FactIssue("revenue_y3", "revenue", 2024, True, "", "")
    assert field_label(misconduct) == "科研严重失信行为"
    assert field_label(deductible) == "2024 年度研发费用加计扣除基数"  # a report figure since the tax import
    assert field_label(certificate) == "有效期内高企证书"
    assert field_label(revenue) == "2024 年度销售收入"  # the registry's own name, with the year
    with translation.override("en"):
        assert field_label(misconduct) == "Serious research misconduct"
        assert field_label(certificate) == "Valid HTE certificate"
