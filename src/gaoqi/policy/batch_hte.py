"""Bulk HTE evaluation (国科发火〔2016〕32号 第十一条, 195号 scoring): `rules/hte.py` as Polars stages.

Score items are ranges: columns `<criterion_id>__points_min` / `__points_max`. Growth rates are compared
exactly in Int128: (v2/v1 + v3/v2)/2 - 1 >= t  <=>  v2*v2 + v1*v3 >= 2*(1+t)*v1*v2 for v1, v2 > 0.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from gaoqi.policy.bands import Bands
from gaoqi.policy.batch_exprs import band_index, pick, ratio_ge, shown_ratio
from gaoqi.policy.model import Policy
from gaoqi.policy.rules.common import anniversary
from gaoqi.policy.rules.hte import EXPERT_MAX, YEAR_STEMS

c = pl.col
I128 = pl.Int128


def operating_count(as_of: date) -> pl.Expr:
    """How many of _y1.._y3 the firm existed in (rules.common.operating_years); unknown date: 3."""
    n = (pl.lit(as_of.year) - c("founded_on").dt.year().cast(pl.Int32)).clip(0, 3)
    return pl.when(c("founded_on").is_null()).then(pl.lit(3, pl.Int32)).otherwise(n).cast(pl.Int32)


def operates(k: int) -> pl.Expr:
    """Year k (1..3) is one of the firm's operating years."""
    return c("_n_op") >= 4 - k


def year_sum(stem: str) -> pl.Expr:
    return pl.sum_horizontal(
        [pl.when(operates(k)).then(c(f"{stem}_y{k}").fill_null(0)).otherwise(0) for k in (1, 2, 3)]
    )


def extra_errors(policy: Policy, as_of: date) -> list[tuple[str, pl.Expr]]:
    n_op = c("_n_op")  # computed by batch.evaluate_table before the error check
    out = []
    for stem in YEAR_STEMS:
        for k in (1, 2, 3):
            name = f"{stem}_y{k}"
            out.append((name, (n_op >= 4 - k) & c(name).is_null()))
    for fname, pname in EXPERT_MAX.items():
        top = policy.value(pname)
        out.append((fname, (c(fname) < 0) | (c(fname) > top)))
    return out


def growth_terms(stem: str, two_year_rule: str) -> list[pl.Expr]:
    """Columns `_g_<stem>_num`, `_g_<stem>_den` (Int128) with rate >= t  <=>  num/den >= 1 + t, and
    `_g_<stem>_none` when the rate is None (0 points), per rules.hte.growth_rate:
    3 years: (y2/y1 + y3/y2)/2 = (y2*y2 + y1*y3) / (2*y1*y2); y1 = 0 -> y3/y2; y2 = 0 -> None.
    2 years: y3/y2 under the "ratio" rule (None if y2 = 0), else None. Fewer years or a negative value: None.
    """
    y1, y2, y3 = (c(f"{stem}_y{k}").cast(I128) for k in (1, 2, 3))
    n = c("_n_op")
    negative = pl.any_horizontal([operates(k) & (c(f"{stem}_y{k}") < 0) for k in (1, 2, 3)]).fill_null(False)
    simple = ((n == 3) & (y1 == 0)) | (n == 2)
    num = pl.when(simple).then(y3).otherwise(y2 * y2 + y1 * y3)
    den = pl.when(simple).then(y2).otherwise(2 * y1 * y2)
    none = negative | (n < 2) | (y2 == 0) | ((n == 2) & pl.lit(two_year_rule != "ratio"))
    return [num.alias(f"_g_{stem}_num"), den.alias(f"_g_{stem}_den"), none.alias(f"_g_{stem}_none")]


def _growth_band(bands: Bands, stem: str) -> pl.Expr:
    """Band index of the growth rate from the precomputed terms; None -> the last band."""
    last = len(bands.rows) - 1
    num, den = c(f"_g_{stem}_num"), c(f"_g_{stem}_den")
    expr = pl.when(c(f"_g_{stem}_none")).then(pl.lit(last))
    for i, row in enumerate(bands.rows):
        if row.lower is None:
            break
        k = 1 + row.lower
        left, right = num * k.denominator, den * k.numerator
        expr = expr.when(left > right if row.strict else left >= right).then(pl.lit(i))
    return expr.otherwise(pl.lit(last)).cast(pl.Int32)


def latest_founding(as_of: date, years: int) -> date:
    """The last founding date whose `years`-th anniversary (rules.common.anniversary, the rule's own
    function) is on or before as_of. Anniversaries never decrease as the founding date increases, so
    "registered long enough" is exactly founded_on <= this date (a comparison, not a date per row)."""
    guess = date(as_of.year - years, as_of.month, 28 if (as_of.month, as_of.day) == (2, 29) else as_of.day)
    day = timedelta(days=1)
    while anniversary(guess, years) <= as_of:
        guess += day
    while anniversary(guess, years) > as_of:
        guess -= day
    return guess


def stages(policy: Policy, as_of: date) -> list[list[pl.Expr]]:
    v = policy.value
    p = "hte."
    cutoff = latest_founding(as_of, v("registration.min_years"))
    tiers = v("rnd.ratio_tiers")
    # rules.hte.last_revenue: last year's revenue, 0 for a firm founded in the evaluation year
    last_revenue = pl.when(c("_n_op") >= 1).then(c("revenue_y3").fill_null(0)).otherwise(0)
    need_idx = pl.lit(len(tiers) - 1)
    for i, tier in reversed(list(enumerate(tiers))):
        if tier.up_to is not None:
            need_idx = pl.when(last_revenue <= tier.up_to).then(pl.lit(i)).otherwise(need_idx)
    rnd_ok = pl.lit(False)
    for i, tier in enumerate(tiers):
        rnd_ok = (
            pl.when(c("_need") == i).then(ratio_ge(c("_rnd"), c("_rev"), tier.required)).otherwise(rnd_ok)
        )
    ts_min, dom_min, hi_min = (
        v("tech_staff.min_ratio"),
        v("rnd.domestic_min_ratio"),
        v("hitech_income.min_ratio"),
    )

    first = [need_idx.alias("_need"), (c("ip_class1") + c("ip_class2")).alias("_ip_n")]
    rule = v("score.growth.two_year_rule")
    second = [
        year_sum("rnd_expense").alias("_rnd"),
        year_sum("revenue").alias("_rev"),
        year_sum("rnd_expense_domestic").alias("_dom"),
        *growth_terms("net_assets", rule),
        *growth_terms("revenue", rule),
    ]
    hard = [
        (c("founded_on") <= cutoff).alias(p + "registered_one_year__passed"),
        (c("_ip_n") >= v("ip.min_count")).alias(p + "core_ip__passed"),
        c("_ip_n").alias(p + "core_ip__value"),
        c("tech_field").is_in(list(v("tech_field.codes"))).fill_null(False).alias(p + "tech_field__passed"),
        ((c("employees") > 0) & ratio_ge(c("tech_staff"), c("employees"), ts_min)).alias(
            p + "tech_staff_ratio__passed"
        ),
        shown_ratio(c("tech_staff"), c("employees")).alias(p + "tech_staff_ratio__value"),
        ((c("_rev") > 0) & rnd_ok).alias(p + "rnd_ratio__passed"),
        shown_ratio(c("_rnd"), c("_rev")).alias(p + "rnd_ratio__value"),
        ((c("_rnd") > 0) & ratio_ge(c("_dom"), c("_rnd"), dom_min)).alias(p + "rnd_domestic_ratio__passed"),
        shown_ratio(c("_dom"), c("_rnd")).alias(p + "rnd_domestic_ratio__value"),
        ((c("total_income") > 0) & ratio_ge(c("hitech_revenue"), c("total_income"), hi_min)).alias(
            p + "hitech_income_ratio__passed"
        ),
        shown_ratio(c("hitech_revenue"), c("total_income")).alias(p + "hitech_income_ratio__value"),
        (~c("major_incident")).alias(p + "no_major_incident__passed"),
        *_score_indices(policy),
    ]
    return [first, second, hard, *_score_stages(policy, as_of)]


def _score_indices(policy: Policy) -> list[pl.Expr]:
    """Band indices used for both ends of a points range: computed once."""
    v = policy.value
    divisor = pl.max_horizontal(pl.lit(1), pl.min_horizontal(pl.lit(v("score.conversion.years")), c("_n_op")))
    return [
        _fraction_band(v("score.conversion.bands"), c("achievement_conversions"), divisor).alias("_conv_idx"),
        *[
            _growth_band(v("score.growth.bands"), stem).alias(f"_g_{stem}_idx")
            for stem in ("net_assets", "revenue")
        ],
    ]


def _range(cid: str, lo: pl.Expr, hi: pl.Expr) -> list[pl.Expr]:
    return [lo.cast(pl.Int64).alias(cid + "__points_min"), hi.cast(pl.Int64).alias(cid + "__points_max")]


def _score_stages(policy: Policy, as_of: date) -> list[list[pl.Expr]]:
    v = policy.value
    p = "hte."
    no_ip = c("_ip_n") == 0
    b1, b2 = v("score.ip.quantity_class1_bands"), v("score.ip.quantity_class2_bands")
    i1, i2 = band_index(b1, c("ip_class1")), band_index(b2, c("ip_class2"))
    r1_max = pick(i1, [r.points_max for r in b1.rows])
    q_lo = (
        pl.when(r1_max > 0)
        .then(pick(i1, [r.points_min for r in b1.rows]))
        .otherwise(pick(i2, [r.points_min for r in b2.rows]))
    )
    q_hi = pl.when(r1_max > 0).then(r1_max).otherwise(pick(i2, [r.points_max for r in b2.rows]))
    a_self, a_other = v("score.ip.acquisition_self"), v("score.ip.acquisition_other")
    acq_lo = (
        pl.when(c("ip_self_developed").is_null())
        .then(min(a_self[0], a_other[0]))
        .when(c("ip_self_developed"))
        .then(a_self[0])
        .otherwise(a_other[0])
    )
    acq_hi = (
        pl.when(c("ip_self_developed").is_null())
        .then(max(a_self[1], a_other[1]))
        .when(c("ip_self_developed"))
        .then(a_self[1])
        .otherwise(a_other[1])
    )
    bonus = v("score.ip.standards_bonus")
    has_std = c("standards_led").fill_null(0) > 0
    items = {
        "ip_advancement": (
            c("expert_advancement").fill_null(0),
            c("expert_advancement").fill_null(v("score.ip.advancement_max")),
        ),
        "ip_core_support": (
            c("expert_core_support").fill_null(0),
            c("expert_core_support").fill_null(v("score.ip.core_support_max")),
        ),
        "ip_quantity": (q_lo, q_hi),
        "ip_acquisition": (acq_lo, acq_hi),
        "ip_standards_bonus": (
            pl.when(has_std).then(bonus[0]).otherwise(0),
            pl.when(has_std).then(bonus[1]).otherwise(0),
        ),
    }
    ip_stage = []
    for key, (lo, hi) in items.items():
        ip_stage += _range(
            p + key, pl.when(no_ip).then(0).otherwise(lo), pl.when(no_ip).then(0).otherwise(hi)
        )
    cap = v("score.ip.max")
    cb = v("score.conversion.bands")
    conv_idx = c("_conv_idx")
    gb = v("score.growth.bands")
    mg = c("expert_rnd_management")
    other = [
        *_range(
            p + "conversion_score",
            pick(conv_idx, [r.points_min for r in cb.rows]),
            pick(conv_idx, [r.points_max for r in cb.rows]),
        ),
        *_range(p + "rnd_management_score", mg.fill_null(0), mg.fill_null(v("score.rnd_management.max"))),
    ]
    for cid, stem in (("growth_net_assets_score", "net_assets"), ("growth_revenue_score", "revenue")):
        idx = c(f"_g_{stem}_idx")
        other += _range(
            p + cid, pick(idx, [r.points_min for r in gb.rows]), pick(idx, [r.points_max for r in gb.rows])
        )
    keys = list(items)
    ip_total = _range(
        p + "ip_score",
        pl.min_horizontal(pl.lit(cap), pl.sum_horizontal([c(f"{p}{k}__points_min") for k in keys])),
        pl.min_horizontal(pl.lit(cap), pl.sum_horizontal([c(f"{p}{k}__points_max") for k in keys])),
    )
    parts = (
        "ip_score",
        "conversion_score",
        "rnd_management_score",
        "growth_net_assets_score",
        "growth_revenue_score",
    )
    bar = v("score.pass_above")
    totals = [
        pl.sum_horizontal([c(f"{p}{k}__points_min") for k in parts]).alias("score_min"),
        pl.sum_horizontal([c(f"{p}{k}__points_max") for k in parts]).alias("score_max"),
    ]
    hard = [
        c(f"{p}{k}__passed")
        for k in (
            "registered_one_year",
            "core_ip",
            "tech_field",
            "tech_staff_ratio",
            "rnd_ratio",
            "rnd_domestic_ratio",
            "hitech_income_ratio",
            "no_major_incident",
        )
    ]
    lo, hi = c("score_min"), c("score_max")
    verdict = [
        pl.when(lo == hi).then(lo).alias("score"),
        pl.when(lo > bar)
        .then(True)
        .when(hi <= bar)
        .then(False)
        .otherwise(pl.lit(None, pl.Boolean))
        .alias(p + "score__passed"),
        lo.alias(p + "score__points_min"),
        hi.alias(p + "score__points_max"),
        pl.when(~pl.all_horizontal(hard) | (hi <= bar))
        .then(pl.lit("fail"))
        .when(lo > bar)
        .then(pl.lit("pass"))
        .otherwise(pl.lit("undetermined"))
        .alias("outcome"),
    ]
    eligible = [
        pl.when(c("outcome") == "pass")
        .then(True)
        .when(c("outcome") == "fail")
        .then(False)
        .otherwise(pl.lit(None, pl.Boolean))
        .alias("eligible")
    ]
    return [ip_stage + other, ip_total, totals, verdict, eligible]


def _fraction_band(bands: Bands, numerator: pl.Expr, divisor: pl.Expr) -> pl.Expr:
    """Band index of numerator/divisor (divisor >= 1) against count bands, exactly."""
    last = len(bands.rows) - 1
    expr = None
    for i, row in enumerate(bands.rows):
        if row.lower is None:
            break
        left = numerator.cast(pl.Int64) * row.lower.denominator
        right = divisor.cast(pl.Int64) * row.lower.numerator
        cond = left > right if row.strict else left >= right
        expr = pl.when(cond).then(pl.lit(i)) if expr is None else expr.when(cond).then(pl.lit(i))
    return (pl.lit(last) if expr is None else expr.otherwise(pl.lit(last))).cast(pl.Int32)
