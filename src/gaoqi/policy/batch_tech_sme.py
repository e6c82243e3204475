"""Bulk tech-SME evaluation (科技型中小企业评价办法): the rules of `rules/tech_sme.py` as Polars stages.

Each stage is a list of expressions evaluated with `with_columns`, so later stages read earlier
columns by name. Column names: `<criterion_id>__passed`, `__points`, `__value`.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from gaoqi.policy.batch_exprs import band_index, band_label, band_points, pick, shown_ratio
from gaoqi.policy.model import Policy
from gaoqi.policy.rules.tech_sme import DIRECT_PASS

c = pl.col


def stages(policy: Policy, as_of: date) -> list[list[pl.Expr]]:
    v = policy.value
    p = "tech_sme."
    ts_bands, rr_bands, rc_bands = (
        v("score.tech_staff_bands"),
        v("score.rnd_revenue_bands"),
        v("score.rnd_cost_bands"),
    )
    ip2_bands = v("score.ip_class2_bands")
    ip1_min, ip1_points, pass_min = v("score.ip_class1_min"), v("score.ip_class1_points"), v("score.pass_min")
    first = [
        (c("credit_code").is_not_null() & (c("credit_code").str.strip_chars() != "")).alias(
            p + "resident__passed"
        ),
        (c("employees") <= v("size.employees_max")).alias(p + "employees__passed"),
        c("employees").alias(p + "employees__value"),
        (c("revenue_y3") <= v("size.revenue_max")).alias(p + "revenue__passed"),
        c("revenue_y3").alias(p + "revenue__value"),
        (c("total_assets") <= v("size.assets_max")).alias(p + "assets__passed"),
        c("total_assets").alias(p + "assets__value"),
        (~c("restricted_industry")).alias(p + "industry__passed"),
        (~c("major_incident")).alias(p + "no_major_incident__passed"),
        (~c("bad_credit")).alias(p + "no_bad_credit__passed"),
        band_points(ts_bands, c("tech_staff"), c("employees")).alias(p + "tech_staff_score__points"),
        band_label(ts_bands, c("tech_staff"), c("employees")).alias(p + "tech_staff_score__band"),
        shown_ratio(c("tech_staff"), c("employees")).alias(p + "tech_staff_score__value"),
        band_points(rr_bands, c("rnd_expense_y3"), c("revenue_y3")).alias(p + "rnd_revenue_score__points"),
        shown_ratio(c("rnd_expense_y3"), c("revenue_y3")).alias(p + "rnd_revenue_score__value"),
        band_points(rc_bands, c("rnd_expense_y3"), c("total_cost")).alias(p + "rnd_cost_score__points"),
        shown_ratio(c("rnd_expense_y3"), c("total_cost")).alias(p + "rnd_cost_score__value"),
        pl.when(c("ip_class1") >= ip1_min)
        .then(pl.lit(ip1_points, pl.Int64))
        .otherwise(pick(band_index(ip2_bands, c("ip_class2")), [r.points_min for r in ip2_bands.rows]))
        .alias(p + "ip_score__points"),
    ]
    basic = [
        p + n + "__passed"
        for n in (
            "resident",
            "employees",
            "revenue",
            "assets",
            "industry",
            "no_major_incident",
            "no_bad_credit",
        )
    ]
    reason = pl.lit(None, pl.String)
    for fname, code, _ in reversed(DIRECT_PASS):
        reason = pl.when(c(fname)).then(pl.lit(code)).otherwise(reason)
    second = [
        (c(p + "tech_staff_score__points") > 0).alias(p + "tech_staff_score__passed"),
        pl.max_horizontal(c(p + "rnd_revenue_score__points"), c(p + "rnd_cost_score__points")).alias(
            p + "rnd_score__points"
        ),
        pl.all_horizontal([c(n) for n in basic]).alias("_basic_ok"),
        reason.alias("_reason"),
    ]
    third = [
        (c(p + "tech_staff_score__points") + c(p + "rnd_score__points") + c(p + "ip_score__points")).alias(
            "score"
        ),
        pl.when(c("_basic_ok")).then(c("_reason")).alias("direct_pass_reason"),
    ]
    fourth = [
        ((c("score") >= pass_min) & (c(p + "tech_staff_score__points") > 0)).alias(p + "score__passed"),
        c("score").alias(p + "score__points"),
        pl.when(c("direct_pass_reason").is_not_null())
        .then(True)
        .otherwise(pl.lit(None, pl.Boolean))
        .alias(p + "direct_pass__passed"),
    ]
    fifth = [
        (c("_basic_ok") & (c("direct_pass_reason").is_not_null() | c(p + "score__passed"))).alias("eligible"),
        c("score").alias("score_min"),
        c("score").alias("score_max"),
    ]
    last = [pl.when(c("eligible")).then(pl.lit("pass")).otherwise(pl.lit("fail")).alias("outcome")]
    return [first, second, third, fourth, fifth, last]


# The criteria whose verdict is a score (passed None) carry only points.
PASSED_NONE = (
    "tech_sme.rnd_revenue_score",
    "tech_sme.rnd_cost_score",
    "tech_sme.rnd_score",
    "tech_sme.ip_score",
)
