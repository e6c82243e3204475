"""Both sides of every HTE threshold and band edge (国科发火〔2016〕32号 第十一条 and the 工作指引)."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from tests.policy.engine_facts import AS_OF, hte, policy

from gaoqi.policy import evaluate

P = policy("hte")


def _crit(facts, cid, as_of=AS_OF, p=P):
    return evaluate(facts, p, as_of, with_gaps=False).criterion(cid)


@pytest.mark.parametrize("employees", [1000, 101, 7])
def test_tech_staff_ten_percent(employees):
    at = -(-employees // 10)
    assert _crit(hte(employees=employees, tech_staff=at), "hte.tech_staff_ratio").passed is True
    assert _crit(hte(employees=employees, tech_staff=at - 1), "hte.tech_staff_ratio").passed is False


def _rnd_firm(revenue_y3: int, rnd_total: int):
    """Three equal revenue years; R&D (all domestic) put in year 3 on top of 1 yuan in years 1 and 2."""
    return hte(
        revenue_y1=revenue_y3,
        revenue_y2=revenue_y3,
        revenue_y3=revenue_y3,
        rnd_expense_y1=1,
        rnd_expense_y2=1,
        rnd_expense_y3=rnd_total - 2,
        rnd_expense_domestic_y1=1,
        rnd_expense_domestic_y2=1,
        rnd_expense_domestic_y3=rnd_total - 2,
    )


@pytest.mark.parametrize(
    "revenue_y3,required",
    [
        (50_000_000, Fraction(5, 100)),
        (50_000_001, Fraction(4, 100)),
        (200_000_000, Fraction(4, 100)),
        (200_000_001, Fraction(3, 100)),
        (1_000_000, Fraction(5, 100)),
    ],
)
def test_rnd_requirement_is_set_by_last_years_revenue_and_met_exactly(revenue_y3, required):
    total_revenue = 3 * revenue_y3
    at = -(-total_revenue * required.numerator // required.denominator)
    c = _crit(_rnd_firm(revenue_y3, at), "hte.rnd_ratio")
    assert c.threshold.value == required and c.passed is True
    assert _crit(_rnd_firm(revenue_y3, at - 1), "hte.rnd_ratio").passed is False


def test_rnd_band_uses_last_year_not_the_average():
    # Earlier years far above 50M do not matter: the last year (40M) asks for 5%.
    facts = hte(revenue_y1=300_000_000, revenue_y2=300_000_000, revenue_y3=40_000_000)
    assert _crit(facts, "hte.rnd_ratio").threshold.value == Fraction(1, 20)


def test_hitech_income_sixty_percent():
    assert _crit(hte(total_income=50_000_000, hitech_revenue=30_000_000), "hte.hitech_income_ratio").passed
    assert not _crit(
        hte(total_income=50_000_000, hitech_revenue=29_999_999), "hte.hitech_income_ratio"
    ).passed


def test_domestic_rnd_sixty_percent():
    # R&D 1.2 + 1.5 + 1.8 = 4.5 million; 60% = 2.7 million domestic.
    at = hte(rnd_expense_domestic_y1=0, rnd_expense_domestic_y2=900_000, rnd_expense_domestic_y3=1_800_000)
    below = hte(rnd_expense_domestic_y1=0, rnd_expense_domestic_y2=899_999, rnd_expense_domestic_y3=1_800_000)
    assert _crit(at, "hte.rnd_domestic_ratio").passed is True
    assert _crit(below, "hte.rnd_domestic_ratio").passed is False


@pytest.mark.parametrize(
    "founded",
    [
        date(2019, 3, 1),
        date(2020, 2, 29),
        date(2019, 2, 28),
        date(2019, 12, 31),
        date(2023, 3, 1),
        date(2022, 3, 1),
    ],
)
def test_registered_one_year_means_365_calendar_days(founded):
    """195号 三（一）: "注册成立365个日历天数以上" -- 365 days or more, whether or not a 29 February falls between."""
    facts = hte(founded_on=founded)
    first_day = founded + timedelta(days=365)
    assert _crit(facts, "hte.registered_one_year", first_day).passed is True
    assert _crit(facts, "hte.registered_one_year", first_day - timedelta(days=1)).passed is False


def test_a_leap_year_in_between_makes_365_days_come_a_day_before_the_anniversary():
    facts = hte(founded_on=date(2023, 3, 2))  # 2024-02-29 lies between: 365 days on 2024-03-01
    assert _crit(facts, "hte.registered_one_year", date(2024, 3, 1)).passed is True


def test_the_day_count_is_a_parameter():
    p = policy("hte", overrides={"registration.min_days": 730})
    facts = hte(founded_on=date(2020, 2, 29))
    assert _crit(facts, "hte.registered_one_year", date(2022, 2, 28), p).passed is True
    assert _crit(facts, "hte.registered_one_year", date(2022, 2, 27), p).passed is False


def _growth_points(values, two_year_rule="ratio"):
    p = (
        P
        if two_year_rule == "ratio"
        else policy("hte", overrides={"score.growth.two_year_rule": two_year_rule})
    )
    founded = {3: date(2015, 1, 1), 2: date(2022, 1, 1), 1: date(2023, 1, 1)}[len(values)]
    padded = [None] * (3 - len(values)) + list(values)
    facts = hte(founded_on=founded, revenue_y1=padded[0], revenue_y2=padded[1], revenue_y3=padded[2])
    c = _crit(facts, "hte.growth_revenue_score", p=p)
    return c.points_min, c.points_max


@pytest.mark.parametrize(
    "v3,points",
    [
        (170_000, (9, 10)),
        (169_999, (7, 8)),  # exactly 35% / just under: v1 = v2 = 100,000 so g = (v3/v2 - 1)/2
        (150_000, (7, 8)),
        (149_999, (5, 6)),  # 25%
        (130_000, (5, 6)),
        (129_999, (3, 4)),  # 15%
        (110_000, (3, 4)),
        (109_999, (1, 2)),  # 5%
        (100_001, (1, 2)),
        (100_000, (0, 0)),  # above 0 / exactly 0
        (90_000, (0, 0)),
    ],
)
def test_growth_band_edges_three_years(v3, points):
    assert _growth_points([100_000, 100_000, v3]) == points


def _rate(values):
    facts = hte(revenue_y1=values[0], revenue_y2=values[1], revenue_y3=values[2])
    return _crit(facts, "hte.growth_revenue_score").detail["rate"]


def test_growth_rate_is_exact_at_band_edges():
    assert _rate([100_000, 100_000, 170_000]) == Fraction(35, 100)
    assert _rate([1000, 1100, 1331]) == Fraction(31, 200)
    assert _rate([3, 3, 5]) == Fraction(1, 3)
    assert _rate([7, 7, 0]) == Fraction(-1, 2)


def test_negative_values_give_zero_points_by_a_named_convention_or_follow_the_formula():
    facts = hte(net_assets_y1=-1_000_000, net_assets_y2=2_000_000, net_assets_y3=4_000_000)
    zero = _crit(facts, "hte.growth_net_assets_score")
    assert (zero.points_min, zero.points_max) == (0, 0) and "负值" in zero.note_zh
    p = policy("hte", overrides={"score.growth.negative_rule": "formula"})
    formula = _crit(facts, "hte.growth_net_assets_score", p=p)
    # (2/-1 + 4/2)/2 - 1 = -1: the formula as written gives the lowest band, but it is computed
    assert formula.detail["rate"] == Fraction(-1)


def test_first_year_zero_uses_years_two_and_three():
    assert _growth_points([0, 100_000, 135_000]) == (9, 10)  # 35% exactly
    assert _growth_points([0, 100_000, 134_999]) == (7, 8)


def test_second_year_zero_scores_nothing():
    assert _growth_points([100_000, 0, 500_000]) == (0, 0)
    assert _growth_points([0, 0, 500_000]) == (0, 0)


def test_two_years_use_the_one_ratio_or_zero_by_parameter():
    assert _growth_points([100_000, 135_000]) == (9, 10)
    assert _growth_points([100_000, 134_999]) == (7, 8)
    assert _growth_points([100_000, 135_000], two_year_rule="zero") == (0, 0)
    assert _growth_points([0, 135_000]) == (0, 0)


def test_one_year_scores_nothing():
    assert _growth_points([135_000]) == (0, 0)


def test_negative_amounts_score_nothing():
    facts = hte(net_assets_y1=-1_000_000, net_assets_y2=1_000_000, net_assets_y3=5_000_000)
    c = _crit(facts, "hte.growth_net_assets_score")
    assert (c.points_min, c.points_max) == (0, 0)


@pytest.mark.parametrize(
    "conversions,points",
    [
        (15, (25, 30)),
        (14, (19, 24)),
        (12, (19, 24)),
        (11, (13, 18)),
        (9, (13, 18)),
        (8, (7, 12)),
        (6, (7, 12)),
        (5, (1, 6)),
        (3, (1, 6)),
        (2, (0, 0)),
        (0, (0, 0)),
    ],
)
def test_conversion_bands_by_yearly_average(conversions, points):
    c = _crit(hte(achievement_conversions=conversions), "hte.conversion_score")
    assert (c.points_min, c.points_max) == points


def test_conversion_average_uses_actual_years_of_a_young_firm():
    young = hte(
        founded_on=date(2022, 1, 1),
        revenue_y1=None,
        net_assets_y1=None,
        rnd_expense_y1=None,
        rnd_expense_domestic_y1=None,
        achievement_conversions=10,
    )
    c = _crit(young, "hte.conversion_score")
    assert c.detail["years"] == 2 and (c.points_min, c.points_max) == (25, 30)


@pytest.mark.parametrize(
    "class1,class2,points",
    [
        (0, 5, (5, 6)),
        (0, 4, (3, 4)),
        (0, 3, (3, 4)),
        (0, 2, (1, 2)),
        (0, 1, (1, 2)),
        (1, 0, (7, 8)),
    ],
)
def test_hte_ip_quantity_bands(class1, class2, points):
    c = _crit(hte(ip_class1=class1, ip_class2=class2), "hte.ip_quantity")
    assert (c.points_min, c.points_max) == points


def test_ip_indicator_is_capped_at_thirty_at_both_ends():
    facts = hte(expert_advancement=8, expert_core_support=8, standards_led=2, ip_class1=3)
    c = _crit(facts, "hte.ip_score")
    assert (c.points_min, c.points_max) == (25, 30)  # 8+8+7+1+1 = 25; 8+8+8+6+2 = 32 capped to 30
    generous = policy(
        "hte", overrides={"score.ip.acquisition_self": [6, 6], "score.ip.standards_bonus": [2, 2]}
    )
    c = _crit(facts, "hte.ip_score", p=generous)
    assert (c.points_min, c.points_max) == (30, 30)  # 8+8+7+6+2 = 31 capped to 30


def test_a_firm_founded_in_the_evaluation_year_has_no_accounting_year_and_fails_cleanly():
    blank = {
        f"{stem}_y{k}": None
        for stem in ("revenue", "net_assets", "rnd_expense", "rnd_expense_domestic")
        for k in (1, 2, 3)
    }
    ev = evaluate(hte(founded_on=date(2024, 1, 10), **blank), P, AS_OF)
    assert ev.outcome == "fail"
    assert {c.id for c in ev.failed_conditions} == {
        "hte.registered_one_year",
        "hte.rnd_ratio",
        "hte.rnd_domestic_ratio",
    }
    assert ev.criterion("hte.conversion_score").detail["years"] == 1
