"""The reward policy: every band edge of every issuer's scheme, both backends, explained like any policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.policy.test_batch import assert_agree

from gaoqi.policy import PolicyFileError, evaluate, load_policy
from gaoqi.policy.policies import ENTERPRISE_POLICIES, RULES
from gaoqi.policy.policies.reward.facts import RewardFacts
from gaoqi.policy.policies.reward.rules import AMOUNTS
from gaoqi.policy.policies.reward.schemes import LEVELS, scheme_dir

Y = 2025
AS_OF = date(Y, 12, 31)
CODE = "91320505MA1XXXXXXX"
SCHEMES = {level: load_policy("reward", AS_OF, params_dir=scheme_dir(level)) for level in LEVELS}
P = SCHEMES["province"]
BASE = RewardFacts(CODE)


def amounts(facts: RewardFacts, policy=P) -> dict[str, int]:
    ev = evaluate(facts, policy, AS_OF)
    out = {kind: ev.criterion(cid).value for kind, cid in AMOUNTS.items()}
    assert ev.score == sum(out.values())
    assert ev.outcome == ("pass" if ev.score > 0 else "fail") and ev.eligible is (ev.score > 0)
    return out


def test_reward_is_a_policy_of_its_own_facts_not_an_enterprise_policy():
    assert "reward" in RULES and "reward" not in ENTERPRISE_POLICIES
    assert RULES["reward"].facts_type is RewardFacts


def test_each_issuer_level_has_its_own_dated_illustrative_scheme():
    hashes = {p.param_hash for p in SCHEMES.values()}
    assert len(hashes) == 3
    for level, p in SCHEMES.items():
        assert p.illustrative, level
        for name, param in p.params.items():
            assert param.source.illustrative and param.source.document == "ILLUSTRATIVE DEFAULT", name
    assert load_policy("reward", AS_OF).param_hash == P.param_hash  # the default folder is the province's
    with pytest.raises(ValueError):
        scheme_dir("township")
    assert scheme_dir("city", "320500") == scheme_dir("city")  # no Suzhou scheme of its own: the default


# --- admission: admitted in the reward year --------------------------------------------------------------


@pytest.mark.parametrize(
    "admitted_on,expected",
    [
        (date(Y, 1, 1), 100_000),  # first day of the year
        (date(Y, 12, 31), 100_000),  # last day
        (date(Y - 1, 12, 31), 0),  # one day before: last year's reward
        (date(Y + 1, 1, 1), 0),
        (None, 0),
    ],
)
def test_admission_edges(admitted_on, expected):
    assert amounts(replace(BASE, admitted_on=admitted_on))["admission"] == expected


def test_an_issuer_without_the_reward_grants_none_and_says_so():
    no_admission = P.with_overrides({"admission.amount": 0})
    ev = evaluate(replace(BASE, admitted_on=date(Y, 3, 1)), no_admission, AS_OF)
    c = ev.criterion("reward.admission")
    assert c.value == 0 and c.passed is False and "未设" in c.note_zh


# --- cultivation: in the pool in Y-1, R&D growth at least the rate, share capped ---------------------------

POOLED = replace(BASE, admitted_on=date(Y - 2, 6, 1))


@pytest.mark.parametrize(
    "y2,y3,expected",
    [
        (1_000_000, 1_100_000, 10_000),  # exactly +10%: 10% of 100,000
        (1_000_000, 1_099_999, 0),  # one yuan short of +10%
        (1_000_000, 1_100_001, 10_000),  # 10% of 100,001 rounded down to the yuan
        (1_000_000, 1_000_000, 0),  # no growth
        (1_000_000, 900_000, 0),  # decline
        (0, 1, 0),  # from zero any growth counts, but 10% of 1 yuan rounds down to 0: nothing due
        (0, 10, 1),  # from zero: 10% of 10 yuan
        (0, 0, 0),
        (1_000_000, 4_000_000, 300_000),  # 10% of 3,000,000 = the cap exactly
        (1_000_000, 4_000_010, 300_000),  # above the cap: the cap
        (1_000_000, 3_999_990, 299_999),  # just below the cap
        (None, 5_000_000, 0),  # a year not reported: growth unknown
        (1_000_000, None, 0),
    ],
)
def test_cultivation_edges(y2, y3, expected):
    facts = replace(POOLED, rnd_expense_y2=y2, rnd_expense_y3=y3)
    assert amounts(facts)["cultivation"] == expected


@pytest.mark.parametrize(
    "admitted_on,exited_on,expected",
    [
        (date(Y - 1, 12, 31), None, True),  # admitted on the last day of the contribution year
        (date(Y, 1, 1), None, False),  # admitted after it
        (date(Y - 3, 1, 1), None, True),  # pool period 3 years from the admission year: Y-3, Y-2, Y-1
        (date(Y - 4, 12, 31), None, False),  # period ended with Y-2
        (date(Y - 2, 1, 1), date(Y - 1, 1, 1), True),  # left during the contribution year
        (date(Y - 3, 1, 1), date(Y - 2, 12, 31), False),  # left the year before
        (None, None, False),
    ],
)
def test_pool_period_edges(admitted_on, exited_on, expected):
    facts = RewardFacts(
        CODE, admitted_on=admitted_on, pool_exited_on=exited_on, rnd_expense_y2=100, rnd_expense_y3=1000
    )
    ev = evaluate(facts, P, AS_OF)
    assert ev.criterion("reward.in_pool").passed is expected
    assert (ev.criterion("reward.cultivation").value > 0) is expected


def test_the_pool_period_is_a_parameter():
    facts = RewardFacts(CODE, admitted_on=date(Y - 4, 5, 1), rnd_expense_y2=100, rnd_expense_y3=1000)
    assert amounts(facts)["cultivation"] == 0
    assert amounts(facts, P.with_overrides({"cultivation.pool_years": 4}))["cultivation"] == 90


def test_county_rate_edge_is_its_own():
    county = SCHEMES["county"]  # +20%, 5%, cap 100,000
    at = replace(POOLED, rnd_expense_y2=1_000_000, rnd_expense_y3=1_200_000)
    below = replace(at, rnd_expense_y3=1_199_999)
    assert amounts(at, county)["cultivation"] == 10_000
    assert amounts(below, county)["cultivation"] == 0
    assert amounts(below, P)["cultivation"] == 19_999  # the province's 10% threshold is met


# --- first certification -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "issued,admitted,province,city",
    [
        (date(Y, 1, 1), date(Y - 1, 1, 1), 100_000, 100_000),
        (date(Y, 12, 31), None, 0, 100_000),  # the province rewards pool members only
        (date(Y, 6, 1), date(Y, 6, 1), 100_000, 100_000),  # admitted the same day: a member
        (date(Y, 6, 1), date(Y, 6, 2), 0, 100_000),  # admitted one day later: not yet
        (date(Y - 1, 12, 31), date(Y - 2, 1, 1), 0, 0),  # certified last year
        (None, date(Y - 2, 1, 1), 0, 0),
    ],
)
def test_first_certification_edges(issued, admitted, province, city):
    facts = replace(BASE, first_hte_issued_on=issued, admitted_on=admitted)
    assert amounts(facts, P)["first_certification"] == province
    assert amounts(facts, SCHEMES["city"])["first_certification"] == city


@pytest.mark.parametrize("bad,expected", [(True, 0), (False, 100_000), (None, 100_000)])
def test_a_discredited_firm_gets_nothing(bad, expected):
    facts = replace(BASE, first_hte_issued_on=date(Y, 3, 1), admitted_on=date(Y, 1, 2), bad_credit=bad)
    got = amounts(facts)
    assert got["first_certification"] == expected and got["admission"] == expected
    if bad is None:
        assert "未报告" in evaluate(facts, P, AS_OF).criterion("reward.standing").note_zh


def test_every_amount_is_explained_with_its_parameters_and_source():
    facts = replace(POOLED, rnd_expense_y2=1_000_000, rnd_expense_y3=5_000_000)
    ev = evaluate(facts, P, AS_OF)
    c = ev.criterion("reward.cultivation")
    assert c.value == 300_000 and "已按上限" in c.note_zh
    assert {u.name for u in c.params_used} >= {"cultivation.share", "cultivation.cap"}
    assert c.detail["uncapped"] == 400_000 and c.detail["growth"] == 4_000_000
    assert "30万元" in c.threshold.text_zh and c.citation.startswith("苏政办发〔2019〕57号")
    assert ev.criterion("reward.rnd_growth").source.illustrative
    d = ev.to_dict()
    assert d["param_hash"] == P.param_hash and d["score"] == 300_000


def test_invalid_input_is_reported_not_evaluated():
    facts = RewardFacts(CODE, admitted_on=date(Y, 5, 1), pool_exited_on=date(Y, 4, 30), rnd_expense_y3=-1)
    ev = evaluate(facts, P, AS_OF, on_error="report")
    assert ev.outcome is None and {e.field for e in ev.errors} == {"admitted_on", "rnd_expense_y3"}


def test_a_scheme_file_is_checked_strictly(tmp_path):
    text = (scheme_dir("city") / "reward_2019.yaml").read_text("utf-8")
    (tmp_path / "reward_2019.yaml").write_text(text.replace("value: 50000,", "value: -5,"), "utf-8")
    with pytest.raises(PolicyFileError):
        load_policy("reward", AS_OF, params_dir=tmp_path)


# --- both backends; properties -----------------------------------------------------------------------------

DAYS = [date(Y - 5, 1, 1) + timedelta(days=d) for d in (0, 364, 365, 730, 1095, 1460, 1825, 1826, 2190)]


@st.composite
def reward_facts(draw):
    day = st.none() | st.sampled_from(DAYS) | st.dates(date(Y - 6, 1, 1), date(Y + 1, 12, 31))
    admitted = draw(day)
    exited = draw(st.none() | st.dates(admitted or date(Y - 6, 1, 1), date(Y + 1, 12, 31)))
    y2 = draw(st.none() | st.sampled_from([0, 1, 1_000_000]) | st.integers(0, 10**9))
    growth = draw(
        st.sampled_from([0, 1, -1, 100_000, 99_999, 3_000_000, 3_000_001]) | st.integers(-(10**8), 10**9)
    )
    y3 = draw(st.none() | st.just(max(0, (y2 or 0) + growth)))
    return RewardFacts(
        CODE,
        admitted_on=admitted,
        pool_exited_on=exited,
        first_hte_issued_on=draw(day),
        rnd_expense_y2=y2,
        rnd_expense_y3=y3,
        bad_credit=draw(st.none() | st.booleans()),
    )


def test_bulk_equals_per_firm_on_the_edges_and_random_firms():
    grid = [
        RewardFacts(
            CODE,
            admitted_on=a,
            pool_exited_on=e,
            first_hte_issued_on=c,
            rnd_expense_y2=y2,
            rnd_expense_y3=y3,
            bad_credit=b,
        )
        for a in (None, date(Y, 1, 1), date(Y - 1, 12, 31), date(Y - 3, 1, 1), date(Y - 4, 12, 31))
        for e in (None, date(Y - 1, 1, 1))
        for c in (None, date(Y, 1, 1), date(Y - 1, 12, 31))
        for y2, y3 in (
            (1_000_000, 1_100_000),
            (1_000_000, 1_099_999),
            (0, 10),
            (1_000_000, 4_000_010),
            (None, 1),
        )
        for b in (None, True)
        if e is None or a is None or a <= e
    ]
    for policy in SCHEMES.values():
        assert_agree(grid, policy, AS_OF)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(reward_facts(), min_size=1, max_size=40))
    def check(facts):
        for policy in SCHEMES.values():
            assert_agree(facts, policy, AS_OF)

    check()


@settings(max_examples=200, deadline=None)
@given(reward_facts(), st.integers(0, 10**8))
def test_properties_more_growth_never_less_reward_and_never_above_the_cap(facts, extra):
    for policy in SCHEMES.values():
        got = amounts(facts, policy)
        cap = policy.params["cultivation.cap"].value
        assert 0 <= got["cultivation"] <= cap
        for kind in ("admission", "first_certification"):
            assert got[kind] in (0, policy.params[f"{kind}.amount"].value)
        if facts.rnd_expense_y3 is not None:
            more = replace(facts, rnd_expense_y3=facts.rnd_expense_y3 + extra)
            assert amounts(more, policy)["cultivation"] >= got["cultivation"]
        if facts.bad_credit:
            assert sum(got.values()) == 0
        assert amounts(facts, policy) == got  # deterministic
