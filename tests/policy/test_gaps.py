"""Gap analysis (对标找差): exact integer changes, coupled denominators, Chinese sentences."""

from __future__ import annotations

from tests.policy.engine_facts import AS_OF, hte, policy, sme

from gaoqi.policy import apply_gaps, evaluate
from gaoqi.policy.core.common import wan


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
    # Revenue 75 million over three years, last year 30 million: 5% = 3,750,000; R&D 2,510,000 -> 1,240,000 more.
    facts = hte(
        rnd_expense_y1=800_000,
        rnd_expense_y2=810_000,
        rnd_expense_y3=900_000,
        rnd_expense_domestic_y1=800_000,
        rnd_expense_domestic_y2=810_000,
        rnd_expense_domestic_y3=900_000,
    )
    g = next(g for g in evaluate(facts, policy("hte"), AS_OF).gaps if g.criterion_id == "hte.rnd_ratio")
    assert g.delta == 1_240_000 and g.needed == 3_750_000
    assert g.message_zh.startswith("近3年研发费用需再增加 124.0 万元")


def test_domestic_gap_comes_on_top_of_the_ratio_gap_and_totals_the_larger_need():
    # R&D 4.5 million (6%: ratio met) but only 1 million domestic: 60% needs (0.6*4.5 - 1)/0.4 = 4.25 million more.
    facts = hte(rnd_expense_domestic_y1=0, rnd_expense_domestic_y2=0, rnd_expense_domestic_y3=1_000_000)
    gaps = [
        g for g in evaluate(facts, policy("hte"), AS_OF).gaps if g.criterion_id == "hte.rnd_domestic_ratio"
    ]
    assert [g.delta for g in gaps] == [4_250_000]
    assert evaluate(apply_gaps(facts, gaps), policy("hte"), AS_OF).criterion("hte.rnd_domestic_ratio").passed


def test_hte_score_gap_lists_band_steps_with_their_gain():
    facts = hte(expert_advancement=6, expert_core_support=0, expert_rnd_management=20)  # max exactly 70
    ev = evaluate(facts, policy("hte"), AS_OF)
    head = next(g for g in ev.gaps if g.criterion_id == "hte.score")
    assert head.delta == 1 and "至少还差 1 分" in head.message_zh
    options = [g for g in ev.gaps if g.points_gain]
    assert options and all(g.points_gain > 0 for g in options)
    for g in options:  # every option really raises the maximum by what it says
        after = evaluate(apply_gaps(facts, [g]), policy("hte"), AS_OF, with_gaps=False)
        assert after.score_max == ev.score_max + g.points_gain, g.message_zh


def test_tech_sme_plan_prefers_the_cheapest_route_under_the_cost_model():
    # Score 54: +1 Class II IP (10,000) beats +7 tech staff (1,050,000) or +300,000 R&D.
    ev = evaluate(sme(ip_class2=2), policy("tech_sme"), AS_OF)
    steps = [g for g in ev.gaps if g.changes]
    assert [(g.field, g.delta) for g in steps] == [("ip_class2", 1)]
    # Make IP dear and the plan switches to R&D (revenue route: 5% of 30 million = 1.5 million, +300,000).
    dear = policy("tech_sme", overrides={"gap.cost.ip_class2": 1_000_000, "gap.cost.ip_class1": 5_000_000})
    steps = [g for g in evaluate(sme(ip_class2=2), dear, AS_OF).gaps if g.changes]
    assert [(g.field, g.delta) for g in steps] == [("rnd_expense_y3", 300_000)]


def test_staff_steps_that_would_break_the_employee_limit_are_not_offered():
    facts = sme(employees=498, tech_staff=0, ip_class1=1, rnd_expense_y3=2_000_000)
    ev = evaluate(facts, policy("tech_sme"), AS_OF)
    assert ev.outcome == "fail"
    assert not any(g.field == "tech_staff" for g in ev.gaps)
    assert "无法" in next(g for g in ev.gaps if g.criterion_id == "tech_sme.score").message_zh


def test_passing_firms_have_no_gaps():
    assert evaluate(sme(), policy("tech_sme"), AS_OF).gaps == ()
