"""Gap advice a firm can act on, by example: the year it names, re-designating staff, ratios that cannot be
computed, plain wording, plans that break nothing and combine bands. Changes apply to the next window
(`next_window`), re-evaluated a year later: see `policies/hte/gaps.py`."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from tests.policy.engine_facts import AS_OF, hte, policy, sme

from gaoqi.policy import apply_gaps, evaluate
from gaoqi.policy.core.gap import next_window, next_year
from gaoqi.policy.policies.hte.rules import HARD

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2160-\u217f]")


def _ev(facts, name: str, as_of: date = AS_OF):
    return evaluate(facts, policy(name, as_of), as_of)


def _next(facts, gaps, name: str, as_of: date = AS_OF):
    facts_next, as_of_next = next_window(facts, as_of)
    return evaluate(apply_gaps(facts_next, gaps), policy(name, as_of), as_of_next, with_gaps=False)


def _plan(ev):
    return next(g for g in ev.gaps if g.criterion_id == ev.policy)


def _gaps(ev, cid: str):
    return [g for g in ev.gaps if g.criterion_id == cid]


def _english(ev) -> None:
    for g in ev.gaps:
        assert g.message_en.strip() and not CJK.search(g.message_en), g.message_en


# --- 3. the year the advice is for ---------------------------------------------------------------------


def test_next_window_drops_the_oldest_year_and_takes_the_current_year_as_the_last():
    facts_next, as_of_next = next_window(hte(), AS_OF)
    assert as_of_next == date(2025, 6, 30)
    assert (facts_next.revenue_y1, facts_next.revenue_y2, facts_next.revenue_y3) == (
        25_000_000,
        30_000_000,
        30_000_000,
    )
    assert facts_next.rnd_expense_y1 == 1_500_000 and facts_next.net_assets_y3 == 14_400_000
    assert facts_next.employees == 100 and facts_next.ip_class2 == 3
    assert next_year(date(2024, 2, 29)) == date(2025, 2, 28)


def test_rnd_advice_names_the_closed_years_the_year_to_spend_in_and_the_application_year():
    facts = hte(tech_staff=9, rnd_expense_y3=900_000, rnd_expense_domestic_y3=900_000)
    g = _gaps(_ev(facts, "hte"), "hte.rnd_ratio")[0]
    assert "2021–2023年度为已结束的会计年度，2024年申报已无法补足" in g.message_zh
    assert "2025年申报（2022–2024年度）：2024年研发费用需达到" in g.message_zh
    assert "too late for an application in 2024" in g.message_en and "spend" in g.message_en
    # A year earlier everything moves back a year.
    g = _gaps(_ev(facts, "hte", date(2023, 3, 31)), "hte.rnd_ratio")[0]
    assert "2024年申报（2021–2023年度）：2023年研发费用需达到" in g.message_zh


def test_a_condition_failed_on_closed_years_but_met_next_year_is_said_so_without_changes():
    # 2021 had no R&D: 2021-2023 falls short of 5%, but with 2024 as 2023, 2022-2024 reaches 6%.
    facts = hte(rnd_expense_y1=0, rnd_expense_domestic_y1=0)
    ev = _ev(facts, "hte")
    assert ev.criterion("hte.rnd_ratio").passed is False
    g = _gaps(ev, "hte.rnd_ratio")[0]
    assert not g.changes and "2025年申报时（2022–2024年度）研发费用占比为 6%，可达到5%" in g.message_zh
    assert "meets every hard condition" in _plan(ev).message_en and not _plan(ev).changes


def test_tech_sme_advice_names_the_year_to_spend_in_and_the_evaluation_year():
    ev = _ev(sme(rnd_expense_y3=0), "tech_sme")
    rnd = _gaps(ev, "tech_sme.rnd_score")[0]
    assert rnd.message_zh.startswith("2024年研发费用需比2023年增加")
    assert "2025年参评（以2024年度数据" in _gaps(ev, "tech_sme.score")[0].message_zh


# --- 4. re-designating existing employees --------------------------------------------------------------


def test_tech_sme_offers_re_designation_beside_hiring_and_the_plan_takes_the_cheaper():
    facts = sme(tech_staff=9, rnd_expense_y3=7_500_000, ip_class1=1)  # 80 points, tech-staff score 0
    ev = _ev(facts, "tech_sme")
    staff = _gaps(ev, "tech_sme.tech_staff_score")
    assert [dict(g.changes) for g in staff] == [{"tech_staff": 2, "employees": 2}, {"tech_staff": 1}]
    assert "认定为科技人员" in staff[1].message_zh and "183天" in staff[1].message_zh
    assert "Re-designate 1 existing employee(s)" in staff[1].message_en
    assert staff[1].cost < staff[0].cost
    assert dict(_plan(ev).changes) == {"tech_staff": 1}
    assert _next(facts, [_plan(ev)], "tech_sme").outcome == "pass"
    for g in staff:
        assert _next(facts, [g], "tech_sme").criterion("tech_sme.tech_staff_score").points == 4


def test_hte_hire_gap_keeps_its_changes_and_the_plan_re_designates_employees():
    ev = _ev(hte(tech_staff=5), "hte")
    hire = _gaps(ev, "hte.tech_staff_ratio")
    assert [dict(g.changes) for g in hire] == [{"tech_staff": 6, "employees": 6}]
    assert "或将现有职工中 5 人认定为科技人员" in hire[0].message_zh
    plan = _plan(ev)
    assert dict(plan.changes) == {"tech_staff": 5}  # employees unchanged
    after = _next(hte(tech_staff=5), [plan], "hte")
    assert all(after.criterion(c).passed for c in HARD) and after.score_max > 70


def test_pool_offers_both_ways_to_the_staff_share():
    ev = _ev(hte(tech_staff=9), "pool")
    staff = _gaps(ev, "pool.tech_staff_ratio")
    assert [dict(g.changes) for g in staff] == [{"tech_staff": 2, "employees": 2}, {"tech_staff": 1}]
    assert dict(_plan(ev).changes) == {"tech_staff": 1}
    assert _next(hte(tech_staff=9), [_plan(ev)], "pool").outcome == "pass"


def test_impossible_is_said_only_when_it_is():
    # At the employee limit hiring is impossible, re-designating is not: a plan exists.
    ev = _ev(sme(employees=500, tech_staff=0, ip_class1=1, rnd_expense_y3=2_000_000), "tech_sme")
    assert [dict(g.changes) for g in _gaps(ev, "tech_sme.tech_staff_score")] == [{"tech_staff": 50}]
    assert "无法" not in _gaps(ev, "tech_sme.score")[0].message_zh
    # With no employees nobody can be re-designated: hiring is the only way, and the message says so.
    ev = _ev(hte(employees=0, tech_staff=0), "hte")
    g = _gaps(ev, "hte.tech_staff_ratio")[0]
    assert dict(g.changes) == {"tech_staff": 1, "employees": 1} and "现有职工不足" in g.message_zh
    assert "too few employees" in g.message_en


def test_re_designation_late_in_the_year_warns_that_183_days_no_longer_fit():
    late = _gaps(_ev(hte(tech_staff=9), "hte", date(2024, 10, 1)), "hte.tech_staff_ratio")[0]
    assert "2024年剩余不足183天，年内新招聘或新认定的人员难以累计满183天" in late.message_zh
    assert (
        late.message_zh.startswith("需增加科技人员 2 人")
        and "fewer than 183 days of 2024 remain" in late.message_en
    )
    assert "剩余不足" not in _gaps(_ev(hte(tech_staff=9), "hte"), "hte.tech_staff_ratio")[0].message_zh


# --- 5. ratios that cannot be computed --------------------------------------------------------------


def test_tech_sme_without_revenue_says_the_revenue_ratio_is_undefined_and_uses_the_cost_ratio():
    ev = _ev(sme(revenue_y3=0), "tech_sme")
    finding = _gaps(ev, "tech_sme.rnd_revenue_score")[0]
    assert not finding.changes and "研发费用占销售收入比例无法计算" in finding.message_zh
    rnd = _gaps(ev, "tech_sme.rnd_score")
    assert rnd and all(g.delta > 1 and "成本费用总额" in g.message_zh for g in rnd)


def test_tech_sme_without_costs_asks_for_no_r_and_d_and_says_why():
    ev = _ev(sme(total_cost=0, rnd_expense_y3=0), "tech_sme")
    finding = _gaps(ev, "tech_sme.rnd_cost_score")[0]
    assert not finding.changes and "研发费用占成本费用比例无法计算" in finding.message_zh
    assert not any(f.startswith("rnd_expense") for g in ev.gaps for f, _ in g.changes)
    _english(ev)


def test_tech_sme_without_revenue_or_costs_says_plainly_that_no_plan_exists():
    ev = _ev(sme(revenue_y3=0, total_cost=0, rnd_expense_y3=0), "tech_sme")
    assert "两种口径都无法计算" in _gaps(ev, "tech_sme.rnd_revenue_score")[0].message_zh
    assert "无法达到要求" in _gaps(ev, "tech_sme.score")[0].message_zh
    assert not any(g.changes for g in ev.gaps)


def test_hte_and_pool_without_revenue_explain_instead_of_asking_for_r_and_d():
    facts = hte(revenue_y1=0, revenue_y2=0, revenue_y3=0, total_income=1_000_000, hitech_revenue=900_000)
    for name, cid in (("hte", "hte.rnd_ratio"), ("pool", "pool.rnd_ratio")):
        ev = _ev(facts, name)
        g = _gaps(ev, cid)[0]
        assert not g.changes and "无法计算" in g.message_zh and "cannot be computed" in g.message_en
        assert not _plan(ev).changes
        _english(ev)


# --- 6. wording ----------------------------------------------------------------------------------------


def test_eighty_points_with_a_zero_tech_staff_score_is_told_exactly_that():
    ev = _ev(sme(tech_staff=9, rnd_expense_y3=7_500_000, ip_class1=1), "tech_sme")
    assert ev.score == 80
    head = _gaps(ev, "tech_sme.score")[0]
    assert head.message_zh.startswith(
        "评价得分 80 分，已达到 60 分，但科技人员指标得 0 分（科技人员占职工总数 9%，不足10%）"
    )
    assert head.message_en.startswith("Score 80, which reaches 60, but the tech staff indicator scores 0")
    low = _gaps(_ev(sme(tech_staff=0, ip_class2=1), "tech_sme"), "tech_sme.score")[0]
    assert "低于 60 分，且科技人员指标得 0 分" in low.message_zh


def test_the_cost_model_is_labelled_an_estimate_for_comparing_plans():
    ev = _ev(sme(ip_class2=2), "tech_sme")
    for g in (_gaps(ev, "tech_sme.score")[0], _plan(ev)):
        assert "估算，仅用于比较方案" in g.message_zh and "not a sum to spend" in g.message_en
    for name, facts in (("hte", hte(tech_staff=5)), ("pool", hte(tech_staff=9))):
        plan = _plan(_ev(facts, name))
        assert "估算，仅用于比较方案" in plan.message_zh and "used only to compare plans" in plan.message_en


# --- 1. an option never breaks a condition the firm meets ----------------------------------------------


def test_raising_revenue_for_growth_adds_the_r_and_d_that_keeps_the_ratio():
    # With 2024 as 2023 the 2022-2024 R&D share is exactly 5% (4.25 of 85 million): 3 million more sales
    # revenue for the growth band would drop it, so the option adds 150,000 of domestic R&D.
    facts = hte(
        rnd_expense_y2=1_500_000,
        rnd_expense_y3=1_375_000,
        rnd_expense_domestic_y2=1_500_000,
        rnd_expense_domestic_y3=1_375_000,
        expert_advancement=6,
        expert_core_support=0,
        expert_rnd_management=20,
    )
    ev = _ev(facts, "hte")
    g = _gaps(ev, "hte.growth_revenue_score")[0]
    assert dict(g.changes) == {
        "revenue_y3": 3_000_000,
        "total_income": 3_000_000,  # sales revenue is part of total income
        "rnd_expense_y3": 150_000,
        "rnd_expense_domestic_y3": 150_000,
        "total_cost": 150_000,
    }
    assert "同时2024年境内研发费用再增加 15.0 万元以满足研发费用占比" in g.message_zh
    after = _next(facts, [g], "hte")
    assert (
        after.criterion("hte.rnd_ratio").passed and after.score_max == _next(facts, [], "hte").score_max + 2
    )
    bare = replace(g, changes=tuple((f, d) for f, d in g.changes if f in ("revenue_y3", "total_income")))
    assert _next(facts, [bare], "hte").criterion("hte.rnd_ratio").passed is False  # the R&D is really needed


# --- 2. HTE plans across bands, or plainly none --------------------------------------------------------


def test_hte_plan_combines_bands_to_pass_the_bar():
    facts = hte(
        expert_advancement=4, expert_core_support=2, expert_rnd_management=12, achievement_conversions=3
    )
    ev = _ev(facts, "hte")
    assert ev.score_max == 50
    plan = _plan(ev)
    changed = {f for f, _ in plan.changes}
    assert len(changed & {"standards_led", "achievement_conversions", "revenue_y3", "net_assets_y3"}) >= 2
    after = _next(facts, [plan], "hte")
    assert all(after.criterion(c).passed for c in HARD) and after.score_max > 70
    assert plan.points_gain == after.score_max - _next(facts, [], "hte").score_max


def test_hte_without_a_plan_names_the_expert_scored_items():
    ev = _ev(hte(expert_advancement=0, expert_core_support=0, expert_rnd_management=0), "hte")
    plan = _plan(ev)
    assert not plan.changes
    assert (
        "不提高专家评分项（技术先进程度、核心支持作用、研究开发组织管理水平）就不存在可行方案"
        in plan.message_zh
    )
    assert "no plan exists without better expert-scored items" in plan.message_en
    # Even far more of everything figures can change stays at 66 (IP 16 + conversions 30 + growth 10 + 10).
    assert "最高也只有 66 分" in plan.message_zh
    huge = replace(
        plan,
        changes=(
            ("ip_class1", 5),
            ("ip_class2", 20),
            ("standards_led", 3),
            ("achievement_conversions", 100),
            ("revenue_y3", 300_000_000),
            ("total_income", 300_000_000),
            ("hitech_revenue", 300_000_000),
            ("rnd_expense_y3", 30_000_000),
            ("rnd_expense_domestic_y3", 30_000_000),
            ("total_cost", 30_000_000),
            ("net_assets_y3", 300_000_000),
        ),
    )
    facts = hte(expert_advancement=0, expert_core_support=0, expert_rnd_management=0)
    assert _next(facts, [huge], "hte").score_max == 66
