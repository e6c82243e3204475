"""Both sides of every tech-SME band edge and limit (the numbers of 国科发政〔2017〕115号 written out)."""

from __future__ import annotations

import pytest
from tests.policy.engine_facts import AS_OF, policy, sme

from gaoqi.policy import evaluate

P = policy("tech_sme")


def _points(facts, cid):
    return evaluate(facts, P, AS_OF, with_gaps=False).criterion(cid).points


@pytest.mark.parametrize("employees", [1000, 333, 97])
@pytest.mark.parametrize("pct,at,below", [(30, 20, 16), (25, 16, 12), (20, 12, 8), (15, 8, 4), (10, 4, 0)])
def test_tech_staff_share_edges(employees, pct, at, below):
    at_edge = -(-employees * pct // 100)  # the least head count whose share reaches pct
    facts = sme(employees=employees, tech_staff=at_edge)
    assert _points(facts, "tech_sme.tech_staff_score") == at
    assert _points(sme(employees=employees, tech_staff=at_edge - 1), "tech_sme.tech_staff_score") == below


@pytest.mark.parametrize("revenue", [100_000_000, 49_999_999, 333])
@pytest.mark.parametrize("pct,at,below", [(6, 50, 40), (5, 40, 30), (4, 30, 20), (3, 20, 10), (2, 10, 0)])
def test_rnd_share_of_revenue_edges(revenue, pct, at, below):
    rnd = -(-revenue * pct // 100)
    big_cost = 10**12  # keeps the cost route at 0 points
    assert (
        _points(sme(revenue_y3=revenue, rnd_expense_y3=rnd, total_cost=big_cost), "tech_sme.rnd_score") == at
    )
    assert (
        _points(sme(revenue_y3=revenue, rnd_expense_y3=rnd - 1, total_cost=big_cost), "tech_sme.rnd_score")
        == below
    )


@pytest.mark.parametrize("cost", [10_000_000, 3_333_333])
@pytest.mark.parametrize(
    "pct,at,below", [(30, 50, 40), (25, 40, 30), (20, 30, 20), (15, 20, 10), (10, 10, 0)]
)
def test_rnd_share_of_cost_edges(cost, pct, at, below):
    rnd = -(-cost * pct // 100)
    huge_revenue = 200_000_000  # keeps the revenue route below 2%
    assert (
        _points(sme(revenue_y3=huge_revenue, rnd_expense_y3=rnd, total_cost=cost), "tech_sme.rnd_score") == at
    )
    assert (
        _points(sme(revenue_y3=huge_revenue, rnd_expense_y3=rnd - 1, total_cost=cost), "tech_sme.rnd_score")
        == below
    )


def test_ratio_edges_are_exact_where_floats_are_not():
    # 0.07 * 100 is 7.000000000000001 in floating point: integer arithmetic puts 7/100 exactly on 6%+.
    facts = sme(revenue_y3=100, rnd_expense_y3=7, total_cost=10**9)
    assert _points(facts, "tech_sme.rnd_revenue_score") == 50
    # 29/100 of 100 tech staff of 100: 29% is below 30% however it is rounded for display.
    assert _points(sme(employees=100, tech_staff=29), "tech_sme.tech_staff_score") == 16


@pytest.mark.parametrize("class2,points", [(0, 0), (1, 6), (2, 12), (3, 18), (4, 24), (9, 24)])
def test_class2_ip_bands(class2, points):
    assert _points(sme(ip_class1=0, ip_class2=class2), "tech_sme.ip_score") == points


def test_any_class1_ip_gives_thirty():
    assert _points(sme(ip_class1=1, ip_class2=0), "tech_sme.ip_score") == 30


@pytest.mark.parametrize(
    "field,limit,extra",
    [
        ("employees", 500, {"tech_staff": 100}),
        ("revenue_y3", 200_000_000, {"rnd_expense_y3": 8_000_000}),
        ("total_assets", 200_000_000, {}),
    ],
)
def test_size_limits_include_the_limit(field, limit, extra):
    cid = {
        "employees": "tech_sme.employees",
        "revenue_y3": "tech_sme.revenue",
        "total_assets": "tech_sme.assets",
    }[field]
    at = evaluate(sme(**{field: limit}, **extra), P, AS_OF)
    over = evaluate(sme(**{field: limit + 1}, **extra), P, AS_OF)
    assert at.criterion(cid).passed is True and at.outcome == "pass"
    assert over.criterion(cid).passed is False and over.outcome == "fail"


@pytest.mark.parametrize("ip2,score,outcome", [(2, 54, "fail"), (3, 60, "pass")])
def test_pass_score_of_sixty_is_inclusive(ip2, score, outcome):
    ev = evaluate(sme(ip_class2=ip2), P, AS_OF)
    assert (ev.score, ev.outcome) == (score, outcome)
