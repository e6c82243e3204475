"""江苏省高新技术企业培育库 entry standard (苏政办发〔2019〕57号 names it; values are ILLUSTRATIVE).

Conditions: tech-SME qualified under the tech_sme policy in force (or its score >= `tech_sme.score_min`),
valid IP (Class I + Class II) >= `ip.min_count`, R&D / revenue over the firm's last three years (actual years
if fewer, as for HTE) >= `rnd.min_ratio`, tech staff share >= `tech_staff.min_ratio`, no major incident,
no bad credit. `reward.admission_amount` and `period_years` are carried for rewards and what-if costing.
"""

from __future__ import annotations

from datetime import date

from gaoqi.policy.bands import ratio_ge
from gaoqi.policy.errors import FieldError
from gaoqi.policy.facts import EnterpriseFacts
from gaoqi.policy.model import Gap, Policy, Threshold
from gaoqi.policy.rules import tech_sme
from gaoqi.policy.rules.common import (
    ENTERPRISE_FIELDS,
    Core,
    RuleSet,
    crit,
    enterprise_field_errors,
    operating_years,
    pct,
    ratio_detail,
    ratio_value,
    required_errors,
    year_sum,
)

PARAMS = {
    "tech_sme.score_min": "count",
    "ip.min_count": "count",
    "rnd.min_ratio": "percent",
    "tech_staff.min_ratio": "percent",
    "reward.admission_amount": "money",
    "period_years": "count",
}
CRITERIA = ("pool.tech_sme", "pool.ip", "pool.rnd_ratio", "pool.tech_staff_ratio", "pool.no_major_incident",
            "pool.no_bad_credit")


def validate(facts: EnterpriseFacts, policy: Policy, as_of: date | None = None) -> list[FieldError]:
    years = operating_years(facts.founded_on, as_of) if as_of else (1, 2, 3)
    names = [*policy.requires, *(f"{s}_y{k}" for s in ("revenue", "rnd_expense") for k in years)]
    names += [n for n in policy.subpolicies["tech_sme"].requires if n not in names]
    return required_errors(facts, names, policy.name) + enterprise_field_errors(facts)


def evaluate(f: EnterpriseFacts, p: Policy, as_of: date) -> Core:
    v = p.value
    sme_policy = p.subpolicies["tech_sme"]
    sme = tech_sme.evaluate(f, sme_policy, as_of)
    smin = v("tech_sme.score_min")
    sme_ok = bool(sme.eligible) or sme.score >= smin
    years = operating_years(f.founded_on, as_of)
    rnd, rev = year_sum(f, "rnd_expense", years), year_sum(f, "revenue", years)
    ip_n = f.ip_class1 + f.ip_class2
    r_min, t_min = v("rnd.min_ratio"), v("tech_staff.min_ratio")
    c = [
        crit(p, "pool.tech_sme", "condition", sme.score, "points",
             Threshold(">=", smin, f"符合科技型中小企业条件或评价得分不低于{smin}分",
                       f"Qualified as a tech-SME, or a tech-SME score of at least {smin} points"), sme_ok, ("tech_sme.score_min",),
             points=sme.score, band="符合" if sme.eligible else "不符合",
             detail={"tech_sme_eligible": sme.eligible, "tech_sme_param_hash": sme_policy.param_hash}),
        crit(p, "pool.ip", "condition", ip_n, "items", Threshold(">=", v("ip.min_count"),
             f"拥有有效知识产权不少于{v('ip.min_count')}项", f"At least {v('ip.min_count')} valid IP item(s)"), ip_n >= v("ip.min_count"), ("ip.min_count",)),
        crit(p, "pool.rnd_ratio", "condition", ratio_value(rnd, rev), "ratio",
             Threshold(">=", r_min, f"近{len(years)}年研发费用占销售收入比例不低于{pct(r_min)}",
                       f"R&D spending over the last {len(years)} year(s) at least {pct(r_min)} of sales revenue"),
             rev > 0 and ratio_ge(rnd, rev, r_min), ("rnd.min_ratio",), detail=ratio_detail(rnd, rev)),
        crit(p, "pool.tech_staff_ratio", "condition", ratio_value(f.tech_staff, f.employees), "ratio",
             Threshold(">=", t_min, f"科技人员占职工总数比例不低于{pct(t_min)}",
                       f"Tech staff at least {pct(t_min)} of employees"),
             f.employees > 0 and ratio_ge(f.tech_staff, f.employees, t_min), ("tech_staff.min_ratio",),
             detail=ratio_detail(f.tech_staff, f.employees)),
        crit(p, "pool.no_major_incident", "condition", f.major_incident, "bool",
             Threshold("==", False, "无重大安全、质量事故或严重环境违法",
                       "No major safety or quality incident or serious environmental violation"), not f.major_incident),
        crit(p, "pool.no_bad_credit", "condition", f.bad_credit, "bool",
             Threshold("==", False, "无失信或经营异常记录", "No bad-credit or abnormal-operation listing"), not f.bad_credit),
    ]
    ok = all(x.passed for x in c)
    return Core("pass" if ok else "fail", ok, c, score=sme.score, score_min=sme.score, score_max=sme.score,
                extra={"tech_sme": sme})


def gaps(f: EnterpriseFacts, p: Policy, as_of: date, core: Core) -> list[Gap]:
    from gaoqi.policy.gap_pool import pool_gaps

    return pool_gaps(f, p, as_of, core)


RULES = RuleSet("pool", EnterpriseFacts, ENTERPRISE_FIELDS, PARAMS, CRITERIA, validate, evaluate, gaps,
                subpolicies=("tech_sme",))
