"""Gap plans checked by re-evaluation on generated failing firms (tech_sme, hte, pool).

Every gap's `changes` apply to the next application window (`next_window`: the closed years Y-2, Y-1 and the
current year Y taken as Y-1 unless changed), re-evaluated a year later under the same policy. For each firm:
(a) no gap with changes, applied alone, turns a condition the firm meets into a failed one;
(b) the plan (the gap named after the policy) reaches the pass line: tech_sme passes; hte has every hard
    condition met and a maximum score above 70; the pool admits the firm;
(c) every message that advises spending names the calendar year, and plans name the application year.
Deterministic by default (the hypothesis profile in tests/conftest.py); no deadline, since a gap analysis
re-evaluates the firm dozens of times and the shared test machine is often busy.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.policy.test_properties import MONEY, hte_facts, sme_facts

from gaoqi.policy import EnterpriseFacts, apply_gaps, evaluate, load_policy
from gaoqi.policy.core.gap import next_window
from gaoqi.policy.policies.hte.rules import HARD

AS_OF = date(2024, 6, 30)
Y = AS_OF.year
POLICIES = {name: load_policy(name, AS_OF) for name in ("tech_sme", "hte", "pool")}
MONEY_FIELDS = re.compile(r"^(rnd_expense|revenue|net_assets|hitech_revenue|total_income|total_cost)")


@st.composite
def hte_firms(draw):
    """HTE firms, some with total costs (R&D is then also a cost) and some with expert scores."""
    f = draw(hte_facts())
    if draw(st.booleans()):
        f = replace(f, total_cost=f.rnd_expense_y3 + draw(st.integers(0, 50_000_000)))
    if draw(st.booleans()):
        f = replace(
            f,
            expert_advancement=draw(st.integers(0, 8)),
            expert_core_support=draw(st.integers(0, 8)),
            expert_rnd_management=draw(st.integers(0, 20)),
        )
    return f


@st.composite
def hte_near_firms(draw):
    """HTE firms meeting the hard conditions with little room (R&D 5-7% of revenue, all domestic; 10-20% tech
    staff; 60-75% high-tech income), often with low expert scores: score plans and the R&D they need."""
    revenue = [draw(st.integers(1_000_000, 120_000_000)) for _ in range(3)]
    share = draw(st.integers(50, 70))
    rnd = [r * share // 1000 + draw(st.integers(0, 2)) for r in revenue]
    employees = draw(st.integers(10, 800))
    total_income = revenue[2] + draw(st.integers(0, 20_000_000))
    experts = draw(st.sampled_from([(None, None, None), (0, 0, 0), (4, 2, 10), (8, 8, 20), (6, 0, 12)]))
    return EnterpriseFacts(
        credit_code="91320505000000006X",
        founded_on=date(2012, 3, 1),
        tech_field="201",
        employees=employees,
        tech_staff=employees * draw(st.integers(10, 20)) // 100 + 1,
        revenue_y1=revenue[0],
        revenue_y2=revenue[1],
        revenue_y3=revenue[2],
        total_income=total_income,
        hitech_revenue=total_income * draw(st.integers(61, 75)) // 100,
        total_cost=rnd[2] + draw(st.integers(0, 80_000_000)),
        net_assets_y1=draw(st.integers(1_000_000, 60_000_000)),
        net_assets_y2=draw(st.integers(1_000_000, 60_000_000)),
        net_assets_y3=draw(st.integers(1_000_000, 60_000_000)),
        rnd_expense_y1=rnd[0],
        rnd_expense_y2=rnd[1],
        rnd_expense_y3=rnd[2],
        rnd_expense_domestic_y1=rnd[0],
        rnd_expense_domestic_y2=rnd[1],
        rnd_expense_domestic_y3=rnd[2],
        ip_class1=draw(st.integers(0, 1)),
        ip_class2=draw(st.integers(0, 6)),
        ip_self_developed=draw(st.sampled_from([True, False])),
        achievement_conversions=draw(st.integers(0, 16)),
        standards_led=draw(st.integers(0, 1)),
        major_incident=False,
        expert_advancement=experts[0],
        expert_core_support=experts[1],
        expert_rnd_management=experts[2],
    )


@st.composite
def pool_facts(draw):
    employees = draw(st.integers(1, 600))
    rnd = [draw(st.integers(0, 8_000_000)) for _ in range(3)]
    founded = draw(st.sampled_from([None, date(2010, 1, 1), date(2022, 7, 1)]))
    facts = EnterpriseFacts(
        credit_code="91320505000000007X",
        founded_on=founded,
        employees=employees,
        tech_staff=draw(st.integers(0, employees)),
        revenue_y1=draw(st.integers(0, 200_000_000)),
        revenue_y2=draw(st.integers(0, 200_000_000)),
        revenue_y3=draw(st.integers(0, 200_000_000)),
        total_cost=rnd[2] + draw(MONEY),
        total_assets=draw(MONEY),
        rnd_expense_y1=rnd[0],
        rnd_expense_y2=rnd[1],
        rnd_expense_y3=rnd[2],
        ip_class1=draw(st.integers(0, 1)),
        ip_class2=draw(st.integers(0, 5)),
        restricted_industry=False,
        major_incident=draw(st.sampled_from([False, False, False, True])),
        bad_credit=False,
    )
    if founded is not None and founded.year > Y - 3:  # not operating in 2021
        facts = replace(facts, revenue_y1=None, rnd_expense_y1=None)
    return facts


def _window(f):
    return next_window(f, AS_OF)


def _after(name: str, facts_next, as_of_next, gaps):
    return evaluate(apply_gaps(facts_next, gaps), POLICIES[name], as_of_next, with_gaps=False)


def _met(ev) -> set[str]:
    return {c.id for c in ev.criteria if c.passed is True}


def _pass_line(name: str, ev) -> bool:
    if name == "hte":
        return all(ev.criterion(c).passed for c in HARD) and ev.score_max > 70
    return ev.outcome == "pass"


def _plan(ev):
    return next((g for g in ev.gaps if g.criterion_id == ev.policy and g.changes), None)


def _check(name: str, f) -> None:
    """(a), (b) and (c) for one firm."""
    p = POLICIES[name]
    ev = evaluate(f, p, AS_OF)
    if ev.outcome == "pass":
        assert ev.gaps == ()
        return
    facts_next, as_of_next = _window(f)
    base = evaluate(facts_next, p, as_of_next, with_gaps=False)
    met = _met(base)
    for g in ev.gaps:
        # (c) spending advice names the calendar year
        if any(MONEY_FIELDS.match(field) for field, _ in g.changes):
            assert f"{Y}年" in g.message_zh and str(Y) in g.message_en, g.message_en
        if not g.changes:
            continue
        # (a) applied alone, no condition the firm meets in the window fails
        after = _after(name, facts_next, as_of_next, [g])
        broken = {cid for cid in met if after.criterion(cid).passed is False}
        assert not broken, (g.criterion_id, broken, g.message_en)
        if g.field and g.points_gain and name == "hte":  # a score option raises the maximum as it says
            assert after.score_max == base.score_max + g.points_gain, g.message_en
        elif g.field and g.criterion_id in (c.id for c in after.criteria) and g.points_gain is None:
            assert after.criterion(g.criterion_id).passed, g.message_en  # a condition option meets it
    plan = _plan(ev)
    if plan is not None:
        # (b) the plan reaches the pass line and breaks nothing met today either
        after = _after(name, facts_next, as_of_next, [plan])
        assert _pass_line(name, after), plan.message_en
        assert not {cid for cid in _met(ev) if after.criterion(cid).passed is False}
        assert f"{Y + 1}" in plan.message_en and f"{Y + 1}年" in plan.message_zh
    elif not _pass_line(name, base):
        # no plan: a sentence says why (a finding on the policy, or the tech-SME score summary)
        assert any(g.criterion_id in (name, f"{name}.score", "tech_sme.score") for g in ev.gaps)


@settings(max_examples=120, deadline=None)
@given(sme_facts())
def test_tech_sme_plans_reach_the_pass_and_break_nothing(f):
    _check("tech_sme", f)


@settings(max_examples=120, deadline=None)
@given(hte_firms())
def test_hte_plans_reach_the_pass_line_and_break_nothing(f):
    _check("hte", f)


@settings(max_examples=120, deadline=None)
@given(hte_near_firms())
def test_hte_plans_for_firms_near_the_bar_reach_it_and_keep_the_hard_conditions(f):
    _check("hte", f)


@settings(max_examples=120, deadline=None)
@given(pool_facts())
def test_pool_plans_admit_the_firm_and_break_nothing(f):
    _check("pool", f)


@settings(max_examples=60, deadline=None)
@given(sme_facts())
def test_tech_sme_changes_mean_the_same_on_either_date(f):
    """The tech-SME evaluation reads only the latest year: the next window equals today's facts."""
    ev = evaluate(f, POLICIES["tech_sme"], AS_OF)
    facts_next, as_of_next = _window(f)
    for g in (g for g in ev.gaps if g.changes):
        today = evaluate(apply_gaps(f, [g]), POLICIES["tech_sme"], AS_OF, with_gaps=False)
        later = _after("tech_sme", facts_next, as_of_next, [g])
        assert (today.outcome, today.score) == (later.outcome, later.score)


@settings(max_examples=60, deadline=None)
@given(st.one_of(hte_firms(), hte_near_firms()))
def test_hte_plan_is_no_dearer_than_any_single_option_that_reaches_the_bar(f):
    """The plan is the cheapest verified combination: an option that alone reaches the pass line (with the
    hard conditions already met) never costs less than the plan."""
    ev = evaluate(f, POLICIES["hte"], AS_OF)
    plan = _plan(ev)
    if ev.outcome == "pass" or plan is None:
        return
    facts_next, as_of_next = _window(f)
    for g in (g for g in ev.gaps if g.changes and g.field and g.cost is not None):
        if _pass_line("hte", _after("hte", facts_next, as_of_next, [g])):
            assert plan.cost <= g.cost, (plan.message_en, g.message_en)
