"""Bulk cultivation-pool evaluation (`rules/pool.py`): the tech-SME stages of the sub-policy, then the
pool's own conditions. Values are whatever the pool parameter file says (illustrative defaults)."""

from __future__ import annotations

from datetime import date

import polars as pl

from gaoqi.policy import batch_tech_sme
from gaoqi.policy.batch_exprs import ratio_ge, shown_ratio
from gaoqi.policy.batch_hte import year_sum
from gaoqi.policy.model import Policy

c = pl.col


def extra_errors(policy: Policy, as_of: date) -> list[tuple[str, pl.Expr]]:
    n_op = c("_n_op")  # computed by batch.evaluate_table before the error check
    out = [
        (f"{stem}_y{k}", (n_op >= 4 - k) & c(f"{stem}_y{k}").is_null())
        for stem in ("revenue", "rnd_expense")
        for k in (1, 2, 3)
    ]
    out += [(n, c(n).is_null()) for n in policy.subpolicies["tech_sme"].requires]
    return out


def stages(policy: Policy, as_of: date) -> list[list[pl.Expr]]:
    v = policy.value
    p = "pool."
    sme = batch_tech_sme.stages(policy.subpolicies["tech_sme"], as_of)
    smin = v("tech_sme.score_min")
    first = [
        c("eligible").alias("_sme_eligible"),
        c("score").alias("_sme_score"),
        (c("ip_class1") + c("ip_class2")).alias("_ip_n"),
    ]
    second = [year_sum("rnd_expense").alias("_rnd"), year_sum("revenue").alias("_rev")]
    conditions = [
        (c("_sme_eligible") | (c("_sme_score") >= smin)).alias(p + "tech_sme__passed"),
        c("_sme_score").alias(p + "tech_sme__points"),
        (c("_ip_n") >= v("ip.min_count")).alias(p + "ip__passed"),
        c("_ip_n").alias(p + "ip__value"),
        ((c("_rev") > 0) & ratio_ge(c("_rnd"), c("_rev"), v("rnd.min_ratio"))).alias(p + "rnd_ratio__passed"),
        shown_ratio(c("_rnd"), c("_rev")).alias(p + "rnd_ratio__value"),
        ((c("employees") > 0) & ratio_ge(c("tech_staff"), c("employees"), v("tech_staff.min_ratio"))).alias(
            p + "tech_staff_ratio__passed"
        ),
        shown_ratio(c("tech_staff"), c("employees")).alias(p + "tech_staff_ratio__value"),
        (~c("major_incident")).alias(p + "no_major_incident__passed"),
        (~c("bad_credit")).alias(p + "no_bad_credit__passed"),
    ]
    names = ("tech_sme", "ip", "rnd_ratio", "tech_staff_ratio", "no_major_incident", "no_bad_credit")
    ok = pl.all_horizontal([c(f"{p}{n}__passed") for n in names])
    result = [
        ok.alias("eligible"),
        pl.when(ok).then(pl.lit("pass")).otherwise(pl.lit("fail")).alias("outcome"),
        c("_sme_score").alias("score"),
        c("_sme_score").alias("score_min"),
        c("_sme_score").alias("score_max"),
        pl.lit(None, pl.String).alias("direct_pass_reason"),
    ]
    return [*sme, first, second, conditions, result]
