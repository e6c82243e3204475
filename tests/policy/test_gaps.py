"""Gap analysis (对标找差): exact integer changes, coupled denominators, Chinese sentences.

Changes apply to the next application window (`next_window`: Y-2..Y with the current year Y taken as Y-1),
re-evaluated a year later; see the module docstring of `policies/hte/gaps.py`.
"""

from __future__ import annotations

from tests.policy.engine_facts import AS_OF, hte, policy, sme

from gaoqi.policy import apply_gaps, evaluate
from gaoqi.policy.core.common import wan
from gaoqi.policy.core.gap import next_window


def _next(facts, gaps, name: str):
    """The firm's next-window evaluation with `gaps` applied (no gaps: the window as it would be)."""
    facts_next, as_of_next = next_window(facts, AS_OF)
    return evaluate(apply_gaps(facts_next, gaps), policy(name), as_of_next, with_gaps=False)


def test_money_in_wan_is_rounded_up_so_the_sentence_is_sufficient():
    assert wan(1_240_000) == "124.0"
    assert wan(1_240_001) == "124.1"
    assert wan(1) == "0.1"


def test_new_tech_staff_count_as_employees_too():
    # 9 of 100 -> 10%: 1 more on a fixed head count would do, but a new hire is also an employee:
    # 10/101 = 9.9% fails, 11/102 = 10.8% passes, so two.
    ev = evaluate(hte(tech_staff=9), policy("hte"), AS_OF)
    g = next(g for g in ev.gaps if g.criterion_id == "hte.tech_staff_ratio")
    assert g.delta == 2 and dict(g.changes) == {"tech_staff": 2, "employees": 2}
    assert (
        evaluate(apply_gaps(hte(tech_staff=9), [g]), policy("hte"), AS_OF)
        .criterion("hte.tech_staff_ratio")
        .passed
    )


def test_large_staff_gap_is_exact():
    # 0 of 1000 to 10%: k / (1000 + k) >= 1/10  <=>  9k >= 1000  <=>  k = 112 (111 gives 111/1111 < 10%).
    ev = evaluate(hte(tech_staff=0, employees=1000), policy("hte"), AS_OF)
    assert next(g for g in ev.gaps if g.criterion_id == "hte.tech_staff_ratio").delta == 112


def test_rnd_gap_sentence_and_amount():
    # 2021-2023 (closed): revenue 75 million, 5% = 3,750,000; R&D 2,510,000 -> 1,240,000 short, said as a fact.
    # 2022-2024 for 2025, 2024 as 2023 unless changed: revenue 85 million, 5% = 4,250,000; R&D 2,610,000 ->
    # 1,640,000 more in 2024, domestic, and a cost too.
    facts = hte(
        rnd_expense_y1=800_000,
        rnd_expense_y2=810_000,
        rnd_expense_y3=900_000,
        rnd_expense_domestic_y1=800_000,
        rnd_expense_domestic_y2=810_000,
        rnd_expense_domestic_y3=900_000,
    )
    g = next(g for g in evaluate(facts, policy("hte"), AS_OF).gaps if g.criterion_id == "hte.rnd_ratio")
    assert g.delta == 1_640_000 and g.needed == 900_000 + 1_640_000
    assert dict(g.changes) == {
        "rnd_expense_y3": 1_640_000,
        "rnd_expense_domestic_y3": 1_640_000,
        "total_cost": 1_640_000,
    }
    assert g.message_zh.startswith("近3年研发费用需再增加 124.0 万元")
    assert "2021–2023年度为已结束的会计年度" in g.message_zh
    assert (
        "2025年申报（2022–2024年度）：2024年研发费用需达到 254.0 万元，比2023年多投入 164.0 万元"
        in g.message_zh
    )
    assert "to apply in 2025 (2022-2024), spend 254.0 ×10k CNY on R&D in 2024" in g.message_en
    assert _next(facts, [g], "hte").criterion("hte.rnd_ratio").passed


def test_domestic_gap_is_computed_on_the_next_window():
    # 2022-2024 (2024 as 2023): R&D 5.1 million, domestic 0 + 1 + 1 million; 60% needs (0.6*5.1 - 2)/0.4 =
    # 2.65 million more domestic R&D in 2024 (domestic R&D is R&D too, so it enlarges both sums).
    facts = hte(rnd_expense_domestic_y1=0, rnd_expense_domestic_y2=0, rnd_expense_domestic_y3=1_000_000)
    ev = evaluate(facts, policy("hte"), AS_OF)
    gaps = [g for g in ev.gaps if g.criterion_id == "hte.rnd_domestic_ratio"]
    assert [g.delta for g in gaps] == [2_650_000]
    assert "2024年境内研发费用需比2023年多 265.0 万元" in gaps[0].message_zh
    assert _next(facts, gaps, "hte").criterion("hte.rnd_domestic_ratio").passed
    plan = next(g for g in ev.gaps if g.criterion_id == "hte")
    assert dict(plan.changes)["rnd_expense_domestic_y3"] == 2_650_000


def test_hte_score_gap_lists_band_steps_with_their_gain():
    facts = hte(expert_advancement=6, expert_core_support=0, expert_rnd_management=20)  # max exactly 70
    ev = evaluate(facts, policy("hte"), AS_OF)
    head = next(g for g in ev.gaps if g.criterion_id == "hte.score")
    assert head.delta == 1 and "至少还差 1 分" in head.message_zh
    # With 2024 as 2023 both growth rates fall (to 10%), so the next window starts from 66.
    assert "2025年申报时（2022–2024年度）最高可得 66 分" in head.message_zh
    base = _next(facts, [], "hte").score_max
    assert base == 66
    options = [g for g in ev.gaps if g.points_gain and g.field]
    assert options and all(g.points_gain > 0 for g in options)
    for g in options:  # every option really raises the next window's maximum by what it says
        assert _next(facts, [g], "hte").score_max == base + g.points_gain, g.message_zh
    plan = next(g for g in ev.gaps if g.criterion_id == "hte")
    assert _next(facts, [plan], "hte").score_max > 70


def _plan(ev):
    return next(g for g in ev.gaps if g.criterion_id == ev.policy)


def test_tech_sme_plan_prefers_the_cheapest_route_under_the_cost_model():
    # Score 54: +1 Class II IP (10,000) beats re-designating 5 employees (150,000) or +300,000 R&D.
    ev = evaluate(sme(ip_class2=2), policy("tech_sme"), AS_OF)
    assert dict(_plan(ev).changes) == {"ip_class2": 1}
    assert [(g.field, g.delta) for g in ev.gaps if g.changes and g.field] == [("ip_class2", 1)]
    # Make IP and people dear and the plan switches to R&D (revenue route: 5% of 30 million = 1.5 million).
    dear = policy(
        "tech_sme",
        overrides={
            "gap.cost.ip_class2": 1_000_000,
            "gap.cost.ip_class1": 5_000_000,
            "gap.cost.tech_staff_person": 1_000_000,
        },
    )
    ev = evaluate(sme(ip_class2=2), dear, AS_OF)
    assert dict(_plan(ev).changes) == {"rnd_expense_y3": 300_000, "total_cost": 300_000}
    assert [(g.field, g.delta) for g in ev.gaps if g.changes and g.field] == [("rnd_expense_y3", 300_000)]


def test_staff_steps_that_would_break_the_employee_limit_are_not_offered_but_re_designation_is():
    # 498 employees, no tech staff: hiring 56 would pass 500 employees; re-designating 50 (10.04%) does not.
    facts = sme(employees=498, tech_staff=0, ip_class1=1, rnd_expense_y3=2_000_000)
    ev = evaluate(facts, policy("tech_sme"), AS_OF)
    assert ev.outcome == "fail"
    staff = [g for g in ev.gaps if g.field == "tech_staff"]
    assert [dict(g.changes) for g in staff] == [{"tech_staff": 50}]
    assert "认定为科技人员" in staff[0].message_zh and "无法" not in _plan(ev).message_zh
    assert _next(facts, [_plan(ev)], "tech_sme").outcome == "pass"


def test_passing_firms_have_no_gaps():
    assert evaluate(sme(), policy("tech_sme"), AS_OF).gaps == ()
