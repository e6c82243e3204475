"""The ledger tiers (ledger_tier policy): every edge, both backends, explained like any other policy."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.policy.test_batch import assert_agree

from gaoqi.policy import evaluate, load_policy
from gaoqi.policy.policies.ledger_tier.facts import LedgerFacts

AS_OF = date(2024, 6, 30)
P = load_policy("ledger_tier", AS_OF)


def grade(**facts) -> str:
    return evaluate(LedgerFacts("91320505MA1XXXXXXX", **facts), P, AS_OF).grade


@pytest.mark.parametrize(
    "facts,expected",
    [
        ({"has_hte_certificate": True, "hte_hard_failed": 5}, "A"),
        ({"has_hte_certificate": False, "hte_hard_failed": 0}, "B"),
        ({"hte_hard_failed": 1}, "B"),  # the edge: at most one condition failing (parameter)
        ({"hte_hard_failed": 2, "tech_sme_eligible": True}, "C"),
        ({"hte_hard_failed": 2, "tech_sme_registered": True, "tech_sme_eligible": False}, "C"),
        ({"hte_hard_failed": None, "tech_sme_eligible": None, "rnd_expense_y3": 1}, "D"),  # edge: 1 yuan
        ({"rnd_expense_y3": 0, "ip_count": 1}, "D"),  # edge: one IP item
        ({"rnd_expense_y3": 0, "ip_count": 0}, "E"),
        ({}, "E"),  # nothing known: no tier on a guess
    ],
)
def test_tier_edges(facts, expected):
    assert grade(**facts) == expected


def test_the_reserve_edge_is_a_parameter():
    strict = load_policy("ledger_tier", AS_OF, {"tier_b.max_failed_conditions": 0})
    f = LedgerFacts("91320505MA1XXXXXXX", hte_hard_failed=1)
    assert evaluate(f, strict, AS_OF).grade == "E"
    assert evaluate(f, P, AS_OF).grade == "B"


def test_tiers_are_explained_with_their_source_and_labels():
    ev = evaluate(LedgerFacts("91320505MA1XXXXXXX", hte_hard_failed=None, rnd_expense_y3=10), P, AS_OF)
    reserve = ev.criterion("ledger_tier.hte_reserve")
    assert reserve.passed is False and "资料不全" in reserve.note_zh
    assert reserve.source.illustrative and P.illustrative
    assert P.label(ev.grade) == "潜在培育对象" and P.label(ev.grade, "en") == "Potential"
    assert ev.outcome == "pass" and ev.eligible is True


@st.composite
def ledger_facts(draw):
    maybe_bool = st.none() | st.booleans()
    return LedgerFacts(
        credit_code="91320505MA1XXXXXXX",
        has_hte_certificate=draw(maybe_bool),
        tech_sme_registered=draw(maybe_bool),
        hte_hard_failed=draw(st.none() | st.integers(0, 8)),
        tech_sme_eligible=draw(maybe_bool),
        rnd_expense_y3=draw(st.none() | st.sampled_from([0, 1, 2]) | st.integers(0, 10**9)),
        ip_count=draw(st.none() | st.integers(0, 3)),
    )


def test_bulk_equals_per_firm():
    grid = [
        LedgerFacts(
            "91320505MA1XXXXXXX",
            has_hte_certificate=c,
            hte_hard_failed=h,
            tech_sme_eligible=t,
            rnd_expense_y3=r,
            ip_count=i,
        )
        for c in (None, False, True)
        for h in (None, 0, 1, 2)
        for t in (None, False, True)
        for r in (None, 0, 1)
        for i in (None, 0, 1)
    ]
    assert_agree(grid, P)

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(ledger_facts(), min_size=1, max_size=40))
    def check(facts):
        assert_agree(facts, P)

    check()
