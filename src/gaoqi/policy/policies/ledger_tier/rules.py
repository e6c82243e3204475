"""分类分级台账: the ledger tiers of 苏政办发〔2019〕57号's screening (摸排建档), written once.

A 已认定高企 (a valid HTE certificate); B 高企后备 (no certificate, the HTE hard conditions met or at most
`tier_b.max_failed_conditions` of them failing); C 科技型中小企业 (registered, or meeting the evaluation);
D 潜在 (R&D spending or IP present); E 其他. The first tier a firm reaches is its grade. The plan names the
graded ledger but not the tiers: the thresholds are ILLUSTRATIVE parameters for the province to confirm.
Outcome: "pass" = in the cultivation ledger (A-D), "fail" = E.
"""

from __future__ import annotations

from pathlib import Path

from gaoqi.policy.core.facts import common_checks
from gaoqi.policy.core.model import Threshold
from gaoqi.policy.core.rules import Out, RuleSet
from gaoqi.policy.policies.ledger_tier.facts import LEDGER_FIELDS, LEDGER_SPECS, LedgerFacts

PARAMS = {
    "tier_b.max_failed_conditions": "count",
    "tier_d.min_rnd_expense": "money",
    "tier_d.min_ip_count": "count",
}
TIERS = {
    "A": ("已认定高企", "Certified HTE"),
    "B": ("高企后备", "HTE reserve"),
    "C": ("科技型中小企业", "Tech-based SME"),
    "D": ("潜在培育对象", "Potential"),
    "E": ("其他", "Other"),
}

RULES = RuleSet(
    "ledger_tier", LedgerFacts, LEDGER_FIELDS, PARAMS, Path(__file__).parent / "params", labels=TIERS
)
criterion = RULES.criterion


@RULES.validation
def validate(x) -> None:
    common_checks(x, LEDGER_SPECS, x.policy.requires)


@criterion("ledger_tier.hte_certified", "condition", "bool")
def hte_certified(x) -> Out:
    return Out(
        passed=x.ops.fill_null(x.f.has_hte_certificate, False),
        value=x.f.has_hte_certificate,
        threshold=lambda: Threshold(
            "==", True, "持有有效期内高新技术企业证书", "Holds a valid HTE certificate"
        ),
    )


@criterion("ledger_tier.hte_reserve", "condition", "items")
def hte_reserve(x) -> Out:
    most = x.p("tier_b.max_failed_conditions")
    failed = x.f.hte_hard_failed
    return Out(
        passed=x.ops.all_(x.ops.not_(x.ops.is_null(failed)), x.ops.fill_null(failed, 0) <= most),
        value=failed,
        threshold=lambda: Threshold(
            "<=",
            most,
            f"高企认定硬性条件未满足项不超过{most}项（已满足或接近满足）",
            f"At most {most} HTE hard condition(s) not met (met or within reach)",
        ),
        note=lambda: "高企认定评价资料不全，无法判断" if failed is None else "",
    )


@criterion("ledger_tier.tech_sme", "condition", "bool")
def tech_sme(x) -> Out:
    ops = x.ops
    return Out(
        passed=ops.any_(x.f.tech_sme_registered, x.f.tech_sme_eligible),
        value=x.f.tech_sme_eligible,
        threshold=lambda: Threshold(
            "==",
            True,
            "已入库科技型中小企业或符合评价条件",
            "A registered tech-based SME, or meeting the evaluation",
        ),
    )


@criterion("ledger_tier.potential", "condition", "bool")
def potential(x) -> Out:
    ops, rnd_min, ip_min = x.ops, x.p("tier_d.min_rnd_expense"), x.p("tier_d.min_ip_count")
    return Out(
        passed=ops.any_(
            ops.fill_null(x.f.rnd_expense_y3, 0) >= rnd_min, ops.fill_null(x.f.ip_count, 0) >= ip_min
        ),
        threshold=lambda: Threshold(
            ">=",
            rnd_min,
            f"最近一年研发费用不低于{rnd_min}元或拥有知识产权不少于{ip_min}项",
            f"Last year's R&D at least {rnd_min} CNY or at least {ip_min} IP item(s)",
        ),
        shown=lambda: {"rnd_expense_y3": x.f.rnd_expense_y3, "ip_count": x.f.ip_count},
    )


ORDER = (
    ("A", "ledger_tier.hte_certified"),
    ("B", "ledger_tier.hte_reserve"),
    ("C", "ledger_tier.tech_sme"),
    ("D", "ledger_tier.potential"),
)


@RULES.verdict_of
def verdict(x) -> dict:
    ops = x.ops
    grade = "E"
    for letter, cid in reversed(ORDER):
        grade = ops.where(x.crit(cid).passed, letter, grade)
    return {"outcome": ops.where(grade == "E", "fail", "pass"), "eligible": grade != "E", "grade": grade}
