"""The two backends of each formula agree: bulk (Polars) equals per firm (scalar) on every criterion, the
outcome, the score and the validation errors.

Random firms and firms placed exactly on (and one unit either side of) every band edge, with the edges read
from the policy's own parameters, for every policy that declares bulk support (a declared policy that
breaks fails here; nothing is skipped).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaoqi.policy import RULES, RndInstitutionFacts
from gaoqi.policy.bulk.plan import evaluate_table, evaluate_tables, schema_of
from gaoqi.policy.core.bands import Bands
from gaoqi.policy.core.engine import evaluate
from gaoqi.policy.core.facts import EnterpriseFacts
from gaoqi.policy.core.model import jsonable
from gaoqi.policy.loader import load_policy

AS_OF = date(2024, 6, 30)
POLICIES = [name for name, rules in RULES.items() if rules.bulk and rules.facts_type is EnterpriseFacts]
ALL_BULK = [name for name, rules in RULES.items() if rules.bulk]
MONEY = 10**13 - 1


def _edges(policy) -> list[Fraction]:
    """Every threshold in the policy's parameters (band lower bounds, percents, tier ratios)."""
    out: set[Fraction] = set()

    def walk(value):
        if isinstance(value, Bands):
            out.update(r.lower for r in value.rows if r.lower is not None)
        elif isinstance(value, Fraction):
            out.add(value)
        elif isinstance(value, tuple | list):
            for x in value:
                walk(getattr(x, "required", x))

    for p in policy.params.values():
        walk(p.value)
    for sub in policy.subpolicies.values():
        out.update(_edges(sub))
    return sorted(f for f in out if 0 <= f <= 10)


@st.composite
def pair(draw, edges: list[Fraction], b_max: int):
    """(a, b) with a/b random, or exactly on an edge, or one unit either side of it."""
    if edges and draw(st.booleans()):
        edge = draw(st.sampled_from(edges))
        m = draw(st.integers(1, max(1, b_max // max(edge.denominator, 1))))
        b = edge.denominator * m
        a = edge.numerator * m + draw(st.sampled_from([-1, 0, 0, 1]))
        return max(a, 0), b
    b = draw(st.integers(0, b_max))
    return draw(st.integers(0, max(b, 1) * 2)), b


@st.composite
def firms(draw, edges: list[Fraction]):
    employees_ts = draw(pair(edges, 600))
    tech_staff, employees = min(employees_ts), max(employees_ts)
    rev3 = draw(
        st.sampled_from([50_000_000, 50_000_001, 200_000_000, 200_000_001, 0]) | st.integers(0, 5 * 10**9)
    )
    rnd3, rev3b = draw(pair(edges, 10**9))
    rev3 = draw(st.sampled_from([rev3, rev3b]))
    rnd3 = min(rnd3, MONEY)
    cost_rnd = draw(pair(edges, 10**9))
    growth = draw(st.lists(st.integers(-(10**6), 10**9), min_size=3, max_size=3))
    revs = draw(
        st.sampled_from(
            [
                [draw(st.integers(0, 10**9)), draw(st.integers(0, 10**9)), rev3],
                [100, 110, 121],
                [0, 100, 150],
                [100, 0, 50],
                [100, 135, 182],
                [100, 125, 157],
            ]
        )
    )
    net = draw(st.sampled_from([growth, [100, 135, 182], [0, 5, 7], [-1, 5, 9], [10, 0, 3]]))
    rnd = [draw(st.integers(0, 10**8)), draw(st.integers(0, 10**8)), rnd3]
    dom = [draw(st.integers(0, r)) if draw(st.booleans()) else r * 3 // 5 for r in rnd]
    income_hi = draw(pair(edges, 10**9))
    anniversary = date(AS_OF.year - 1, AS_OF.month, AS_OF.day)
    founded = draw(
        st.sampled_from(
            [
                anniversary,
                anniversary + timedelta(days=1),
                date(2020, 2, 29),
                date(2023, 2, 28),
                date(2022, 1, 1),
                date(2021, 12, 31),
                date(2024, 1, 1),
            ]
        )
        | st.dates(date(1990, 1, 1), AS_OF)
    )
    maybe = st.none() | st.booleans()
    expert = draw(st.booleans())
    return EnterpriseFacts(
        credit_code="91320505MA1XXXXXXX",
        region_code="320505",
        founded_on=founded,
        tech_field=draw(st.sampled_from(["101", "102", "999", None, "801"])),
        employees=employees,
        tech_staff=tech_staff,
        revenue_y1=revs[0],
        revenue_y2=revs[1],
        revenue_y3=rev3,
        total_income=max(income_hi),
        hitech_revenue=min(income_hi),
        total_cost=max(cost_rnd[1], 0),
        total_assets=draw(st.sampled_from([200_000_000, 200_000_001]) | st.integers(0, 10**10)),
        net_assets_y1=net[0],
        net_assets_y2=net[1],
        net_assets_y3=net[2],
        rnd_expense_y1=rnd[0],
        rnd_expense_y2=rnd[1],
        rnd_expense_y3=rnd[2],
        rnd_expense_domestic_y1=dom[0],
        rnd_expense_domestic_y2=dom[1],
        rnd_expense_domestic_y3=dom[2],
        ip_class1=draw(st.integers(0, 3)),
        ip_class2=draw(st.integers(0, 8)),
        ip_self_developed=draw(maybe),
        achievement_conversions=draw(st.integers(0, 20)),
        standards_led=draw(st.none() | st.integers(0, 2)),
        major_incident=draw(st.booleans()),
        bad_credit=draw(st.booleans()),
        restricted_industry=draw(st.booleans()),
        has_hte_certificate=draw(maybe),
        national_award_top3=draw(maybe),
        provincial_rnd_institution=draw(maybe),
        led_standard_5y=draw(maybe),
        expert_advancement=draw(st.integers(0, 8)) if expert else None,
        expert_core_support=draw(st.integers(0, 8)) if expert else None,
        expert_rnd_management=draw(st.integers(0, 20)) if expert else None,
    )


@st.composite
def near_pass(draw, edges: list[Fraction]):
    """A firm that meets most conditions, with ratios placed on (or one unit beside) the edges."""
    small = [e for e in edges if 0 < e < 1] or [Fraction(1, 10)]

    def on_edge(b: int, choices: list[Fraction], usual: Fraction = Fraction(7, 10)) -> int:
        e = draw(st.sampled_from(choices)) if draw(st.integers(0, 3)) == 0 else usual
        return max(0, b * e.numerator // e.denominator + draw(st.sampled_from([-1, 0, 0, 1])))

    employees = 100 * draw(st.integers(1, 6))
    tech_staff = min(employees, on_edge(employees, small, Fraction(3, 10)))
    rev3 = draw(
        st.sampled_from([50_000_000, 200_000_000, 200_010_000])
        | st.integers(100, 50_000).map(lambda x: x * 10**4)
    )
    growth = draw(
        st.sampled_from(
            [
                Fraction(0),
                Fraction(1, 20),
                Fraction(3, 20),
                Fraction(1, 4),
                Fraction(7, 20),
                Fraction(1, 2),
                Fraction(-1, 10),
            ]
        )
    )
    rev2 = int(rev3 / (1 + growth)) // 10**4 * 10**4
    rev1 = int(rev2 / (1 + growth)) // 10**4 * 10**4
    revs = [rev1, rev2, rev3]
    rnd = [on_edge(r, small, Fraction(7, 100)) for r in revs]
    dom = [on_edge(r, small, Fraction(1)) for r in rnd]
    dom = [min(d, r) for d, r in zip(dom, rnd, strict=True)]
    income = rev3 + draw(st.integers(0, 10**6)) * 100
    hitech = min(income, on_edge(income, small, Fraction(4, 5)))
    net = [10**7, 10**7 + int(10**7 * growth), 10**7 + 2 * int(10**7 * growth)]
    anniversary = date(AS_OF.year - 1, AS_OF.month, AS_OF.day)
    expert = draw(st.booleans())
    return EnterpriseFacts(
        credit_code="91320505MA1XXXXXXX",
        founded_on=draw(
            st.sampled_from(
                [date(2015, 3, 1), anniversary, anniversary + timedelta(days=1), date(2022, 5, 5)]
            )
        ),
        tech_field="101",
        employees=employees,
        tech_staff=tech_staff,
        revenue_y1=revs[0],
        revenue_y2=revs[1],
        revenue_y3=revs[2],
        total_income=income,
        hitech_revenue=hitech,
        total_cost=on_edge(rev3, small) + rnd[2],
        total_assets=draw(st.sampled_from([10**8, 200_000_000, 200_000_001])),
        net_assets_y1=net[0],
        net_assets_y2=net[1],
        net_assets_y3=net[2],
        rnd_expense_y1=rnd[0],
        rnd_expense_y2=rnd[1],
        rnd_expense_y3=rnd[2],
        rnd_expense_domestic_y1=dom[0],
        rnd_expense_domestic_y2=dom[1],
        rnd_expense_domestic_y3=dom[2],
        ip_class1=draw(st.integers(0, 3)),
        ip_class2=draw(st.integers(0, 8)),
        ip_self_developed=draw(st.booleans()),
        achievement_conversions=draw(st.integers(0, 20) | st.just(15)),
        standards_led=draw(st.integers(0, 2)),
        major_incident=False,
        bad_credit=False,
        restricted_industry=False,
        has_hte_certificate=draw(st.booleans()),
        national_award_top3=False,
        provincial_rnd_institution=False,
        led_standard_5y=False,
        expert_advancement=draw(st.integers(0, 8) | st.just(8)) if expert else None,
        expert_core_support=draw(st.integers(0, 8) | st.just(8)) if expert else None,
        expert_rnd_management=draw(st.integers(0, 20) | st.just(20)) if expert else None,
    )


def table(facts: list) -> pl.DataFrame:
    return pl.DataFrame([f.as_dict() for f in facts], schema=schema_of(type(facts[0])))


def assert_agree(facts: list[EnterpriseFacts], policy, as_of: date = AS_OF) -> None:
    bulk = evaluate_table(table(facts), policy, as_of)
    columns = set(bulk.columns)
    for f, row in zip(facts, bulk.iter_rows(named=True), strict=True):
        ev = evaluate(f, policy, as_of, on_error="report", with_gaps=False)
        if ev.errors:
            assert row["outcome"] is None and ev.outcome is None  # one convention for invalid input
            assert set(row["errors"].split(",")) == {e.field for e in ev.errors}, f
            continue
        assert row["errors"] is None
        assert (row["outcome"], row["eligible"], row["score"], row["score_min"], row["score_max"]) == (
            ev.outcome,
            ev.eligible,
            ev.score,
            ev.score_min,
            ev.score_max,
        ), f
        assert (row["grade"], row["direct_pass_reason"]) == (ev.grade, ev.direct_pass_reason), f
        for cr in ev.criteria:
            covered = [n for n in columns if n.startswith(cr.id + "__")]
            assert covered, f"criterion {cr.id} has no bulk column"
            if cr.id + "__passed" in columns:
                assert row[cr.id + "__passed"] == cr.passed, (cr.id, f)
            else:
                assert cr.passed is None, cr.id
            if cr.id + "__points" in columns:
                assert row[cr.id + "__points"] == cr.points, (cr.id, f)
            if cr.id + "__points_min" in columns:
                assert (row[cr.id + "__points_min"], row[cr.id + "__points_max"]) == (
                    cr.points_min,
                    cr.points_max,
                ), (cr.id, f)
            if cr.id + "__value" in columns:
                assert jsonable(row[cr.id + "__value"]) == jsonable(cr.value), (cr.id, f)
            if cr.id + "__band" in columns:
                assert row[cr.id + "__band"] == cr.band, (cr.id, f)


def _policy(name: str):
    policy = load_policy(name, AS_OF)
    assert policy.rules.bulk
    return policy


@pytest.mark.parametrize("name", POLICIES)
def test_bulk_equals_per_firm_on_random_and_edge_firms(name):
    policy = _policy(name)

    # Fewer, larger tables: each example pays one bulk query (~20 ms of planning), so 30 examples of up
    # to 40 firms check about as many firms as 60 of up to 25 did, in half the time. The deterministic
    # edge grid below keeps every band edge covered whatever hypothesis draws.
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(firms(_edges(policy)) | near_pass(_edges(policy)), min_size=1, max_size=40))
    def check(facts):
        assert_agree(facts, policy)

    check()


BASE = EnterpriseFacts(
    credit_code="91320505MA1XXXXXXX",
    region_code="320505",
    founded_on=date(2015, 3, 1),
    tech_field="101",
    employees=300,
    tech_staff=90,
    revenue_y1=40_000_000,
    revenue_y2=45_000_000,
    revenue_y3=50_000_000,
    total_income=60_000_000,
    hitech_revenue=45_000_000,
    total_cost=40_000_000,
    total_assets=100_000_000,
    net_assets_y1=10_000_000,
    net_assets_y2=12_000_000,
    net_assets_y3=15_000_000,
    rnd_expense_y1=2_400_000,
    rnd_expense_y2=2_700_000,
    rnd_expense_y3=3_000_000,
    rnd_expense_domestic_y1=2_000_000,
    rnd_expense_domestic_y2=2_200_000,
    rnd_expense_domestic_y3=2_500_000,
    ip_class1=1,
    ip_class2=3,
    ip_self_developed=True,
    achievement_conversions=6,
    standards_led=0,
    major_incident=False,
    bad_credit=False,
    restricted_industry=False,
)


def edge_grid(policy) -> list[EnterpriseFacts]:
    """Deterministic firms with every ratio the rules read placed exactly on each of the policy's edges
    and one unit either side (at two scales), and growth / conversion counts on their band edges."""
    out = []
    for edge in _edges(policy):
        for m in (1, 100_000):
            for d in (-1, 0, 1):
                b = edge.denominator * m * 100
                a = max(0, edge.numerator * m * 100 + d)
                staff_b = edge.denominator * (m if m == 1 else 10)
                staff_a = max(0, edge.numerator * (m if m == 1 else 10) + d)
                out.append(replace(BASE, employees=staff_b, tech_staff=min(staff_a, staff_b)))
                out.append(
                    replace(BASE, revenue_y3=b, rnd_expense_y3=a, rnd_expense_domestic_y3=min(a, 2_500_000))
                )
                out.append(
                    replace(BASE, total_cost=b, rnd_expense_y3=a, rnd_expense_domestic_y3=min(a, 2_500_000))
                )
                out.append(replace(BASE, total_income=b, hitech_revenue=min(a, b)))
                r = [edge.denominator * m * 100] * 3
                out.append(
                    replace(
                        BASE,
                        revenue_y1=r[0],
                        revenue_y2=r[1],
                        revenue_y3=r[2],
                        rnd_expense_y1=a,
                        rnd_expense_y2=a,
                        rnd_expense_y3=a,
                        rnd_expense_domestic_y1=a * 3 // 5,
                        rnd_expense_domestic_y2=a * 3 // 5,
                        rnd_expense_domestic_y3=a * 3 // 5 + d,
                    )
                )
                y1 = edge.denominator * m
                out.append(
                    replace(
                        BASE,
                        net_assets_y1=y1,
                        net_assets_y2=y1,
                        net_assets_y3=max(0, y1 + edge.numerator * m + d),
                    )
                )
                out.append(
                    replace(BASE, revenue_y1=0, revenue_y2=y1, revenue_y3=max(0, y1 + edge.numerator * m + d))
                )
        out.append(replace(BASE, achievement_conversions=max(0, int(edge * 3))))
        out.append(replace(BASE, achievement_conversions=max(0, int(edge * 3)) + 1))
    for founded in (date(AS_OF.year - 1, AS_OF.month, AS_OF.day), date(2023, 7, 1), date(2022, 1, 1), AS_OF):
        out.append(replace(BASE, founded_on=founded))
    for rev in (50_000_000, 50_000_001, 200_000_000, 200_000_001, 0):
        out.append(replace(BASE, revenue_y3=rev))
    return out


@pytest.mark.parametrize("name", POLICIES)
def test_bulk_equals_per_firm_on_every_band_edge(name):
    """Explicit edge cases, in one table per policy (whatever the random test above happens to draw)."""
    policy = _policy(name)
    facts = edge_grid(policy)
    assert len(facts) > 100
    assert_agree(facts, policy)


@st.composite
def institutions(draw, edges: list[Fraction]):
    spend, revenue = draw(pair(edges, 10**9))
    staff_pair = draw(pair(edges, 2_000))
    return RndInstitutionFacts(
        institution_id=f"LAB-{draw(st.integers(1, 10**6))}",
        rnd_spend=spend,
        revenue=revenue,
        rnd_staff=min(staff_pair),
        employees=max(staff_pair),
        invention_patents=draw(st.integers(0, 30)),
        other_ip=draw(st.integers(0, 60)),
        key_breakthroughs=draw(st.integers(0, 8) | st.none()),
    )


def test_rnd_institution_bulk_equals_per_firm():
    """rnd_institution got bulk for free (no hand-written twin): both backends agree."""
    policy = _policy("rnd_institution")
    edges = _edges(policy)
    grid = [
        RndInstitutionFacts(
            "E",
            rnd_spend=e.numerator * m + d,
            revenue=e.denominator * m,
            rnd_staff=5,
            employees=50,
            invention_patents=k,
            other_ip=k * 2,
            key_breakthroughs=k,
        )
        for e in edges
        if e <= 1
        for m in (1, 1000)
        for d in (-1, 0, 1)
        for k in (0, 1, 3, 5)
        if e.numerator * m + d >= 0
    ]
    assert_agree(grid, policy)

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(institutions(edges), min_size=1, max_size=40))
    def check(facts):
        assert_agree(facts, policy)

    check()


def test_every_policy_with_bulk_is_tested_here():
    assert set(ALL_BULK) == set(POLICIES) | {"rnd_institution", "ledger_tier", "reward"}  # test_<name>.py


@pytest.mark.parametrize("name", POLICIES)
def test_invalid_rows_are_reported_not_evaluated(name):
    policy = _policy(name)
    good = EnterpriseFacts(credit_code="X", founded_on=date(2015, 1, 1), employees=10, tech_staff=20)
    bulk = evaluate_table(table([good]), policy, AS_OF)
    ev = evaluate(good, policy, AS_OF, on_error="report", with_gaps=False)
    assert bulk.row(0, named=True)["outcome"] is None
    assert set(bulk.row(0, named=True)["errors"].split(",")) == {e.field for e in ev.errors}
    assert "tech_staff" in bulk.row(0, named=True)["errors"]


def test_bulk_output_has_keys_and_result_columns():
    policy = _policy("tech_sme")
    df = table(
        [
            EnterpriseFacts(
                credit_code="91320505MA1XXXXXXX",
                employees=10,
                tech_staff=3,
                revenue_y3=10**6,
                total_cost=10**6,
                total_assets=10**6,
                rnd_expense_y3=6 * 10**4,
                ip_class1=1,
                ip_class2=0,
                restricted_industry=False,
                major_incident=False,
                bad_credit=False,
            )
        ]
    )
    out = evaluate_table(df.with_row_index("_row", offset=2), policy, AS_OF)
    row = out.row(0, named=True)
    assert (row["_row"], row["credit_code"], row["outcome"], row["score"]) == (
        2,
        "91320505MA1XXXXXXX",
        "pass",
        20 + 50 + 30,
    )
    assert row["tech_sme.tech_staff_score__points"] == 20 and row["tech_sme.tech_staff_score__value"] == 0.3


def _same_frames(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.columns == b.columns
    assert a.equals(b, null_equal=True)


def test_policies_evaluated_together_equal_each_alone():
    """One query for several policies shares what they compute alike (the pool's tech-SME stage, the
    common validation); each policy's result must be exactly what it gives alone, invalid rows included."""
    policies = [_policy(n) for n in ("tech_sme", "hte", "pool")]
    facts = edge_grid(policies[1]) + [replace(BASE, employees=-1), replace(BASE, hitech_revenue=10**13)]
    df = table(facts)
    together = evaluate_tables(df, policies, AS_OF)
    assert list(together) == ["tech_sme", "hte", "pool"]
    for p in policies:
        _same_frames(together[p.name], evaluate_table(df, p, AS_OF))
    assert together["tech_sme"]["errors"].null_count() < len(facts)  # the invalid rows are in the test


def test_a_reformed_sub_policy_does_not_borrow_the_baseline_columns():
    """The pool evaluated with a reformed tech-SME stage beside the baseline tech-SME policy: two parameter
    sets of one rule set in one query must not share columns (each gets its own prefix)."""
    sme = _policy("tech_sme")
    pool = _policy("pool")
    strict = sme.with_overrides({"size.employees_max": 100})
    pool_strict = replace(pool, subpolicies={"tech_sme": strict}, param_hash="")
    pool_strict = replace(pool_strict, param_hash=pool_strict.compute_hash())
    facts = [replace(BASE, employees=e, tech_staff=min(BASE.tech_staff, e)) for e in (50, 100, 101, 400)]
    df = table(facts)
    together = evaluate_tables(df, [sme, pool_strict], AS_OF)
    _same_frames(together["tech_sme"], evaluate_table(df, sme, AS_OF))
    _same_frames(together["pool"], evaluate_table(df, pool_strict, AS_OF))
    band = "pool.tech_sme__band"  # qualified as a tech-SME or not: the reform changes it for 101 and 400
    assert together["pool"][band].to_list() == ["符合", "符合", "不符合", "不符合"]
    assert evaluate_table(df, pool, AS_OF)[band].to_list() == ["符合"] * 4
