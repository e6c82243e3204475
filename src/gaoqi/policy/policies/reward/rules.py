"""Rewards of the cultivation plan (苏政办发〔2019〕57号 二（三）): 入库奖励, 培育奖励 by contribution and 首次认定奖励,
written once for every issuer.

One issuer's scheme (the province, a city, a county) is one set of dated parameter files: `params/` holds the
province's, `params/city/` and `params/county/` the default schemes of those levels, and `params/<code>/`
an issuer's own (see `schemes.py`). The plan names the rewards but fixes no amount: every value is an
ILLUSTRATIVE parameter until the issuer's document is recorded.

The reward year is the calendar year Y of the evaluation date (callers use 31 December of Y):
- admission: admitted to the pool in Y;
- cultivation: in the pool during the contribution year Y-1 (`_y3`; the pool period counts whole years from
  the admission year), and R&D expenses grew from Y-2 to Y-1 by at least `cultivation.min_growth_rate`
  (from zero: any growth); amount = growth x `cultivation.share`, rounded down to the yuan, capped;
- first certification: the firm's first HTE certificate was issued in Y (and, when the scheme says so, the
  firm was in the pool on that day);
- no reward to a firm with a serious-discredit / abnormal-operation record (not reported = no record).
A reward whose amount parameter is 0 is not granted by that issuer. The verdict's `score` is the total in
yuan; `outcome` is "pass" when any reward is due.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gaoqi.policy.core.common import pct, wan_exact
from gaoqi.policy.core.facts import common_checks
from gaoqi.policy.core.model import Threshold
from gaoqi.policy.core.rules import Out, RuleSet
from gaoqi.policy.policies.reward.facts import (
    REWARD_CROSS_RULES,
    REWARD_FIELDS,
    REWARD_SPECS,
    RewardFacts,
)

PARAMS = {
    "admission.amount": "money",
    "cultivation.pool_years": "count",
    "cultivation.min_growth_rate": "percent",
    "cultivation.share": "percent",
    "cultivation.cap": "money",
    "first_certification.amount": "money",
    "first_certification.requires_pool": "bool",
}
# The reward kinds and the criterion that carries each amount (the platform's entitlements follow this).
AMOUNTS = {
    "admission": "reward.admission",
    "cultivation": "reward.cultivation",
    "first_certification": "reward.first_certification",
}
NEVER = date(1, 1, 1)  # stands for "no such event" inside year tests (both backends), never shown

RULES = RuleSet("reward", RewardFacts, REWARD_FIELDS, PARAMS, Path(__file__).parent / "params")
criterion = RULES.criterion


@RULES.validation
def validate(x) -> None:
    common_checks(x, REWARD_SPECS, x.policy.requires, REWARD_CROSS_RULES)


def _year(x, d):
    """The year of an event date; 1 when there was none."""
    return x.ops.year_of(x.ops.fill_null(d, NEVER))


def _yuan(v: int) -> str:
    return f"{wan_exact(v)}万元"


@criterion("reward.standing", "condition", "bool")
def standing(x) -> Out:
    value = x.f.bad_credit
    return Out(
        passed=x.ops.not_(value),
        value=value,
        threshold=lambda: Threshold(
            "==", False, "无严重失信或经营异常记录", "No serious-discredit or abnormal-operation record"
        ),
        note=lambda: "未报告，按无记录处理" if value is None else "",
    )


@criterion("reward.admission", "condition", "CNY")
def admission(x) -> Out:
    ops, amount, year = x.ops, x.p("admission.amount"), x.as_of.year
    admitted = _year(x, x.f.admitted_on) == year
    passed = ops.all_(x.crit("reward.standing").passed, admitted, amount > 0)
    return Out(
        passed=passed,
        value=ops.where(passed, amount, 0),
        threshold=lambda: Threshold(
            "==",
            year,
            f"{year}年入选高新技术企业培育库，给予入库奖励{_yuan(amount)}",
            f"Admitted to the cultivation pool in {year}: an admission reward of {amount} CNY",
        ),
        note=lambda: "本级未设入库奖励" if amount == 0 else "",
        detail=lambda: {"admitted_on": x.f.admitted_on},
    )


@criterion("reward.in_pool", "condition", "bool")
def in_pool(x) -> Out:
    ops, years, y3 = x.ops, x.p("cultivation.pool_years"), x.as_of.year - 1
    first = _year(x, x.f.admitted_on)
    left = ops.any_(ops.is_null(x.f.pool_exited_on), _year(x, x.f.pool_exited_on) >= y3)
    passed = ops.all_(ops.not_(ops.is_null(x.f.admitted_on)), first <= y3, first + years > y3, left)
    return Out(
        passed=passed,
        threshold=lambda: Threshold(
            "==",
            True,
            f"{y3}年在培育库内（培育期自入库当年起{years}年）",
            f"In the cultivation pool during {y3} (the pool period: {years} years from the admission year)",
        ),
        shown=lambda: {"admitted_on": x.f.admitted_on, "pool_exited_on": x.f.pool_exited_on},
    )


def rnd_growth_yuan(x):
    """R&D growth from the year before last to last year, in yuan (0 when either year is not reported)."""
    ops = x.ops
    return ops.fill_null(x.f.rnd_expense_y3, 0) - ops.fill_null(x.f.rnd_expense_y2, 0)


@criterion("reward.rnd_growth", "condition", "CNY")
def rnd_growth(x) -> Out:
    ops, rate, y3 = x.ops, x.p("cultivation.min_growth_rate"), x.as_of.year - 1
    y2v, y3v = x.f.rnd_expense_y2, x.f.rnd_expense_y3
    known = ops.all_(ops.not_(ops.is_null(y2v)), ops.not_(ops.is_null(y3v)))
    growth = x(rnd_growth_yuan)
    base = ops.fill_null(y2v, 0)
    passed = ops.all_(known, growth > 0, ops.any_(base == 0, ops.ratio_at_least(growth, base, rate)))
    return Out(
        passed=passed,
        value=ops.where(known, growth, None),
        threshold=lambda: Threshold(
            ">=",
            rate,
            f"{y3}年研发费用比上年增长，增幅不低于{pct(rate)}（上年为0时增长即可）",
            f"R&D expenses of {y3} grew on the year before by at least {pct(rate)} (from zero: any growth)",
        ),
        note=lambda: "研发费用未报送，无法计算增长" if y2v is None or y3v is None else "",
        detail=lambda: {"rnd_expense_y2": y2v, "rnd_expense_y3": y3v},
    )


@criterion("reward.cultivation", "condition", "CNY")
def cultivation(x) -> Out:
    ops, share, cap = x.ops, x.p("cultivation.share"), x.p("cultivation.cap")
    growth = x(rnd_growth_yuan)
    raw = ops.floordiv(ops.max_(growth, 0) * share.numerator, share.denominator)
    amount = ops.min_(raw, cap)
    passed = ops.all_(
        x.crit("reward.standing").passed,
        x.crit("reward.in_pool").passed,
        x.crit("reward.rnd_growth").passed,
        amount > 0,
    )
    return Out(
        passed=passed,
        value=ops.where(passed, amount, 0),
        threshold=lambda: Threshold(
            "<=",
            cap,
            f"按研发费用增长额的{pct(share)}给予培育奖励（取整到元），最高{_yuan(cap)}",
            f"{pct(share)} of the R&D growth (rounded down to the yuan), at most {cap} CNY",
        ),
        note=lambda: "已按上限计" if passed and raw > cap else "",
        detail=lambda: {"growth": growth, "uncapped": raw if growth > 0 else 0},
    )


@criterion("reward.first_certification", "condition", "CNY")
def first_certification(x) -> Out:
    ops, amount, year = x.ops, x.p("first_certification.amount"), x.as_of.year
    requires_pool = x.p("first_certification.requires_pool")
    issued = x.f.first_hte_issued_on
    in_year = _year(x, issued) == year
    pooled = ops.all_(ops.not_(ops.is_null(x.f.admitted_on)), ops.not_(ops.exceeds(x.f.admitted_on, issued)))
    passed = ops.all_(
        x.crit("reward.standing").passed, in_year, pooled if requires_pool else True, amount > 0
    )
    pool_zh = "，且认定时已在培育库内" if requires_pool else ""
    pool_en = ", a member of the cultivation pool on that day" if requires_pool else ""
    return Out(
        passed=passed,
        value=ops.where(passed, amount, 0),
        threshold=lambda: Threshold(
            "==",
            year,
            f"{year}年首次获得高新技术企业认定{pool_zh}，给予首次认定奖励{_yuan(amount)}",
            f"First certified as an HTE in {year}{pool_en}: a reward of {amount} CNY",
        ),
        note=lambda: "本级未设首次认定奖励" if amount == 0 else "",
        detail=lambda: {"first_hte_issued_on": issued, "admitted_on": x.f.admitted_on},
    )


@RULES.verdict_of
def verdict(x) -> dict:
    total = x.ops.sum_([x.crit(cid).value for cid in AMOUNTS.values()])
    return {"outcome": x.ops.where(total > 0, "pass", "fail"), "eligible": total > 0, "score": total}
