"""Properties over generated firms: monotone scores, gaps that really close, determinism, hashes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from gaoqi.policy import EnterpriseFacts, apply_gaps, evaluate, load_policy
from gaoqi.policy.core.gap import next_window
from gaoqi.policy.policies.hte.rules import HARD

AS_OF = date(2024, 6, 30)
SME_P = load_policy("tech_sme", AS_OF)
HTE_P = load_policy("hte", AS_OF)
MONEY = st.integers(0, 200_000_000)


@st.composite
def sme_facts(draw, max_employees=500):
    employees = draw(st.integers(1, max_employees))
    rnd = draw(st.integers(0, 30_000_000))
    return EnterpriseFacts(
        credit_code="91320505000000009X",
        employees=employees,
        tech_staff=draw(st.integers(0, employees)),
        revenue_y3=draw(MONEY),
        total_cost=rnd + draw(MONEY),
        total_assets=draw(MONEY),
        rnd_expense_y3=rnd,
        ip_class1=draw(st.integers(0, 2)),
        ip_class2=draw(st.integers(0, 6)),
        restricted_industry=False,
        major_incident=False,
        bad_credit=False,
    )


@st.composite
def hte_facts(draw):
    employees = draw(st.integers(1, 2000))
    rnd = [draw(st.integers(0, 20_000_000)) for _ in range(3)]
    dom = [draw(st.integers(0, r)) for r in rnd]
    total_income = draw(st.integers(1, 400_000_000))
    founded = draw(st.sampled_from([date(2010, 1, 1), date(2021, 5, 1), date(2022, 7, 1), date(2023, 2, 1)]))
    facts = EnterpriseFacts(
        credit_code="91320505000000008X",
        founded_on=founded,
        tech_field="101",
        employees=employees,
        tech_staff=draw(st.integers(0, employees)),
        revenue_y1=draw(st.integers(0, 400_000_000)),
        revenue_y2=draw(st.integers(0, 400_000_000)),
        revenue_y3=draw(st.integers(1, 400_000_000)),
        total_income=total_income,
        hitech_revenue=draw(st.integers(0, total_income)),
        net_assets_y1=draw(st.integers(-5_000_000, 90_000_000)),
        net_assets_y2=draw(st.integers(0, 90_000_000)),
        net_assets_y3=draw(st.integers(0, 90_000_000)),
        rnd_expense_y1=rnd[0],
        rnd_expense_y2=rnd[1],
        rnd_expense_y3=rnd[2],
        rnd_expense_domestic_y1=dom[0],
        rnd_expense_domestic_y2=dom[1],
        rnd_expense_domestic_y3=dom[2],
        ip_class1=draw(st.integers(0, 2)),
        ip_class2=draw(st.integers(0, 7)),
        ip_self_developed=draw(st.sampled_from([True, False, None])),
        achievement_conversions=draw(st.integers(0, 20)),
        standards_led=draw(st.integers(0, 2)),
        major_incident=False,
    )
    # Years before the founding year are not reported (the firm did not exist): "actual years if fewer".
    missing = [k for k in (1, 2, 3) if founded.year > AS_OF.year - 4 + k]
    stems = ("revenue", "net_assets", "rnd_expense", "rnd_expense_domestic")
    return replace(facts, **{f"{stem}_y{k}": None for stem in stems for k in missing})


def _sme_score(f):
    return evaluate(f, SME_P, AS_OF, with_gaps=False).score


def _hte_range(f):
    ev = evaluate(f, HTE_P, AS_OF, with_gaps=False)
    return ev.score_min, ev.score_max


@given(sme_facts(), st.integers(1, 10_000_000))
def test_more_rnd_never_lowers_the_tech_sme_score(f, more):
    # new R&D spending is also a cost (R&D may not exceed total costs)
    assert _sme_score(
        replace(f, rnd_expense_y3=f.rnd_expense_y3 + more, total_cost=f.total_cost + more)
    ) >= _sme_score(f)


@given(sme_facts(), st.integers(1, 100))
def test_more_tech_staff_with_employees_fixed_never_lowers_the_tech_sme_score(f, more):
    more = min(more, f.employees - f.tech_staff)
    assert _sme_score(replace(f, tech_staff=f.tech_staff + more)) >= _sme_score(f)


@given(sme_facts(), st.integers(0, 2), st.integers(0, 5))
def test_more_ip_never_lowers_the_tech_sme_score(f, more1, more2):
    bigger = replace(f, ip_class1=f.ip_class1 + more1, ip_class2=f.ip_class2 + more2)
    assert _sme_score(bigger) >= _sme_score(f)


@given(hte_facts(), st.integers(0, 5_000_000), st.integers(0, 50), st.integers(0, 2), st.integers(0, 5))
def test_more_rnd_staff_or_ip_never_lowers_either_end_of_the_hte_score(f, rnd, staff, ip1, ip2):
    staff = min(staff, f.employees - f.tech_staff)
    better = replace(
        f,
        rnd_expense_y3=f.rnd_expense_y3 + rnd,
        rnd_expense_domestic_y3=f.rnd_expense_domestic_y3 + rnd,
        tech_staff=f.tech_staff + staff,
        ip_class1=f.ip_class1 + ip1,
        ip_class2=f.ip_class2 + ip2,
    )
    lo, hi = _hte_range(f)
    lo2, hi2 = _hte_range(better)
    assert lo2 >= lo and hi2 >= hi


@settings(max_examples=100, deadline=None)  # gap analysis re-evaluates many times
@given(sme_facts(max_employees=400))
def test_applying_the_tech_sme_gap_plan_makes_the_firm_pass(f):
    ev = evaluate(f, SME_P, AS_OF)
    if ev.outcome == "pass":
        assert ev.gaps == ()
        return
    plan = next((g for g in ev.gaps if g.criterion_id == "tech_sme"), None)
    summary = next(g for g in ev.gaps if g.criterion_id == "tech_sme.score")
    if plan is None:  # below 400 employees only an R&D ratio that cannot be computed leaves no plan
        assert f.total_cost == 0 and "无法" in summary.message_zh
        return
    after = evaluate(apply_gaps(f, [plan]), SME_P, AS_OF, with_gaps=False)
    assert after.outcome == "pass" and after.score >= 60
    assert summary.changes == plan.changes and summary.cost == plan.cost
    assert after.score == ev.score + plan.points_gain


@settings(max_examples=100, deadline=None)  # gap analysis re-evaluates many times
@given(sme_facts(max_employees=400))
def test_each_step_of_the_plan_is_the_least_that_reaches_its_band(f):
    ev = evaluate(f, SME_P, AS_OF)
    for g in (g for g in ev.gaps if g.changes and g.field):  # the options (each one band step)
        reached = evaluate(apply_gaps(f, [g]), SME_P, AS_OF, with_gaps=False).criterion(g.criterion_id).points
        one_less = replace(g, changes=tuple((field, d - 1) for field, d in g.changes))
        short = (
            evaluate(apply_gaps(f, [one_less]), SME_P, AS_OF, with_gaps=False)
            .criterion(g.criterion_id)
            .points
        )
        before = ev.criterion(g.criterion_id).points
        assert reached == before + g.points_gain
        assert short < reached


@settings(max_examples=100, deadline=None)  # gap analysis re-evaluates many times
@given(hte_facts())
def test_every_hard_condition_failing_now_or_next_year_gets_a_gap_and_each_option_meets_it(f):
    ev = evaluate(f, HTE_P, AS_OF)
    if ev.outcome == "pass":
        return
    facts_next, as_of_next = next_window(f, AS_OF)
    base = evaluate(facts_next, HTE_P, as_of_next, with_gaps=False)
    failing = {c.id for c in (*ev.failed_conditions, *base.failed_conditions) if c.id in HARD}
    assert failing <= {g.criterion_id for g in ev.gaps if g.criterion_id in HARD}
    for g in (g for g in ev.gaps if g.criterion_id in HARD and g.changes):  # each option alone
        after = evaluate(apply_gaps(facts_next, [g]), HTE_P, as_of_next, with_gaps=False)
        assert after.criterion(g.criterion_id).passed, g.message_en
    plan = next((g for g in ev.gaps if g.criterion_id == "hte" and g.changes), None)
    if plan is not None:
        after = evaluate(apply_gaps(facts_next, [plan]), HTE_P, as_of_next, with_gaps=False)
        assert all(after.criterion(cid).passed for cid in HARD)


@settings(max_examples=100, deadline=None)  # gap analysis re-evaluates many times
@given(hte_facts())
def test_each_hard_condition_gap_is_the_least_change(f):
    ev = evaluate(f, HTE_P, AS_OF)
    facts_next, as_of_next = next_window(f, AS_OF)
    for g in (g for g in ev.gaps if g.criterion_id in HARD and g.changes):
        one_less = replace(g, changes=tuple((field, d - 1) for field, d in g.changes))
        short = evaluate(apply_gaps(facts_next, [one_less]), HTE_P, as_of_next, with_gaps=False)
        assert short.criterion(g.criterion_id).passed is False


@settings(deadline=None)  # with gap analysis
@given(hte_facts())
def test_evaluation_is_deterministic(f):
    assert evaluate(f, HTE_P, AS_OF).to_dict() == evaluate(f, HTE_P, AS_OF).to_dict()


@given(st.integers(0, 100))
def test_param_hash_changes_exactly_when_a_value_changes(pass_min):
    reform = SME_P.with_overrides({"score.pass_min": pass_min})
    assert (reform.param_hash == SME_P.param_hash) == (pass_min == 60)
