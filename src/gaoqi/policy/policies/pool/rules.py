"""江苏省高新技术企业培育库 entry standard (苏政办发〔2019〕57号 names it; the values are ILLUSTRATIVE), once.

Conditions: tech-SME qualified under the tech_sme policy in force (its evaluation runs as a sub-policy, or its
score >= `tech_sme.score_min`), valid IP (Class I + Class II) >= `ip.min_count`, R&D / revenue over the firm's
last three years (actual years if fewer, as for HTE) >= `rnd.min_ratio`, tech staff share >=
`tech_staff.min_ratio`, no major incident, no bad credit. `reward.admission_amount` and `period_years` are
carried for rewards and what-if costing.
"""

from __future__ import annotations

from pathlib import Path

from gaoqi.policy.core.common import (
    no_record,
    operating_years,
    pct,
    required_yearly,
    revenue_sum,
    rnd_sum,
    share_at_least,
)
from gaoqi.policy.core.facts import CROSS_RULES, FIELD_SPECS, EnterpriseFacts, common_checks
from gaoqi.policy.core.model import Threshold
from gaoqi.policy.core.rules import Out, Ratio, RuleSet

PARAMS = {
    "tech_sme.score_min": "count",
    "ip.min_count": "count",
    "rnd.min_ratio": "percent",
    "tech_staff.min_ratio": "percent",
    "reward.admission_amount": "money",
    "period_years": "count",
}

RULES = RuleSet(
    "pool",
    EnterpriseFacts,
    frozenset(s.name for s in FIELD_SPECS),
    PARAMS,
    Path(__file__).parent / "params",
    subpolicies=("tech_sme",),
)
criterion = RULES.criterion


@RULES.validation
def validate(x) -> None:
    sme = x.policy.subpolicies["tech_sme"]
    common_checks(x, FIELD_SPECS, [*x.policy.requires, *sme.requires], CROSS_RULES)
    required_yearly(x, ("revenue", "rnd_expense"))


@criterion("pool.tech_sme", "condition", "points")
def tech_sme(x) -> Out:
    ops, smin = x.ops, x.p("tech_sme.score_min")
    sme = x.sub("tech_sme")
    eligible, points = sme.verdict()["eligible"], sme.verdict()["score"]
    # The score route is for a firm not (yet) registered: it must still be a tech-SME-sized resident
    # enterprise (第六条（一）～（四）), or a large certified HTE would enter through its score.
    basic = ops.all_(*(sme.crit(c).passed for c in sme.rules.groups["basic"]))
    return Out(
        passed=ops.any_(eligible, ops.all_(basic, points >= smin)),
        points=points,
        shown=lambda: points,  # = the points: no bulk column
        band=ops.where(eligible, 0, 1),
        labels=(("符合", "qualified"), ("不符合", "not qualified")),
        threshold=lambda: Threshold(
            ">=",
            smin,
            f"符合科技型中小企业条件，或符合其基本条件（第六条）且评价得分不低于{smin}分",
            f"Qualified as a tech-SME, or meets its basic conditions (Art. 6) with a score of at least {smin}",
        ),
        detail=lambda: {
            "tech_sme_eligible": eligible,
            "tech_sme_basic_conditions": basic,
            "tech_sme_param_hash": sme.policy.param_hash,
        },
    )


@criterion("pool.ip", "condition", "items")
def ip(x) -> Out:
    need = x.p("ip.min_count")
    count = x.f.ip_class1 + x.f.ip_class2
    return Out(
        passed=count >= need,
        value=count,
        threshold=lambda: Threshold(
            ">=", need, f"拥有有效知识产权不少于{need}项", f"At least {need} valid IP item(s)"
        ),
    )


@criterion("pool.rnd_ratio", "condition", "ratio")
def rnd_ratio(x) -> Out:
    r = x.p("rnd.min_ratio")
    rnd, rev = x(rnd_sum), x(revenue_sum)
    n = lambda: len(operating_years(x))  # noqa: E731 - scalar explanation only
    return Out(
        passed=x.ops.ratio_at_least(rnd, rev, r),
        value=Ratio(rnd, rev),
        threshold=lambda: Threshold(
            ">=",
            r,
            f"近{n()}年研发费用占销售收入比例不低于{pct(r)}",
            f"R&D spending over the last {n()} year(s) at least {pct(r)} of sales revenue",
        ),
    )


@criterion("pool.tech_staff_ratio", "condition", "ratio")
def tech_staff_ratio(x) -> Out:
    return share_at_least(
        x,
        x.f.tech_staff,
        x.f.employees,
        "tech_staff.min_ratio",
        "科技人员占职工总数比例不低于{r}",
        "Tech staff at least {r} of employees",
    )


@criterion("pool.no_major_incident", "condition", "bool")
def no_major_incident(x) -> Out:
    return no_record(
        x,
        x.f.major_incident,
        "无重大安全、质量事故或严重环境违法",
        "No major safety or quality incident or serious environmental violation",
    )


@criterion("pool.no_bad_credit", "condition", "bool")
def no_bad_credit(x) -> Out:
    return no_record(x, x.f.bad_credit, "无失信或经营异常记录", "No bad-credit or abnormal-operation listing")


@RULES.verdict_of
def verdict(x) -> dict:
    ok = x.ops.all_(*(x.crit(c).passed for c in RULES.criteria))
    points = x.sub("tech_sme").verdict()["score"]
    return {
        "outcome": x.ops.where(ok, "pass", "fail"),
        "eligible": ok,
        "score": points,
        "score_min": points,
        "score_max": points,
    }
