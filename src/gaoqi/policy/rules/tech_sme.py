"""科技型中小企业评价办法 (国科发政〔2017〕115号): eligibility, score and direct pass (第八条).

Reads the most recent year (`_y3`). Score = tech-staff points + the better of the two R&D ratios' points +
IP points. Eligible = basic conditions (第六条（一）～（四）) and (direct pass, or score >= pass_min with a
tech-staff score above 0).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gaoqi.policy.errors import FieldError
from gaoqi.policy.facts import EnterpriseFacts
from gaoqi.policy.model import Gap, Policy, Threshold
from gaoqi.policy.rules.common import (
    ENTERPRISE_FIELDS,
    Core,
    RuleSet,
    crit,
    enterprise_field_errors,
    ratio_detail,
    ratio_value,
    required_errors,
)

PARAMS = {
    "size.employees_max": "count",
    "size.revenue_max": "money",
    "size.assets_max": "money",
    "score.pass_min": "count",
    "score.tech_staff_bands": "percent_bands",
    "score.rnd_revenue_bands": "percent_bands",
    "score.rnd_cost_bands": "percent_bands",
    "score.ip_class1_min": "count",
    "score.ip_class1_points": "count",
    "score.ip_class2_bands": "count_bands",
    "gap.cost.tech_staff_person": "money",
    "gap.cost.rnd_yuan": "number",
    "gap.cost.ip_class1": "money",
    "gap.cost.ip_class2": "money",
}

CRITERIA = (
    "tech_sme.resident", "tech_sme.employees", "tech_sme.revenue", "tech_sme.assets", "tech_sme.industry",
    "tech_sme.no_major_incident", "tech_sme.no_bad_credit", "tech_sme.tech_staff_score",
    "tech_sme.rnd_revenue_score", "tech_sme.rnd_cost_score", "tech_sme.rnd_score", "tech_sme.ip_score",
    "tech_sme.score", "tech_sme.direct_pass",
)

BASIC = CRITERIA[:7]

# 第八条 routes in the order of the article; the code is what `direct_pass_reason` reports.
DIRECT_PASS = (
    ("has_hte_certificate", "hte_certificate", "有效期内高新技术企业资格"),
    ("national_award_top3", "national_award", "近五年获国家级科技奖励并在获奖单位中排名前三"),
    ("provincial_rnd_institution", "rnd_institution", "拥有经认定的省部级以上研发机构"),
    ("led_standard_5y", "standard", "近五年主导制定过国际标准、国家标准或行业标准"),
)


def validate(facts: EnterpriseFacts, policy: Policy, as_of: date | None = None) -> list[FieldError]:
    return required_errors(facts, policy.requires, policy.name) + enterprise_field_errors(facts)


def indicator_points(policy: Policy, tech_staff: int, employees: int, rnd: int, revenue: int, cost: int,
                     ip1: int, ip2: int) -> tuple[int, int, int, int]:
    """(tech-staff, R&D-by-revenue, R&D-by-cost, IP) points; shared by evaluate and the gap search."""
    v = policy.value
    ts = v("score.tech_staff_bands")
    rr = v("score.rnd_revenue_bands")
    rc = v("score.rnd_cost_bands")
    ts_p = ts.rows[ts.index_for_ratio(tech_staff, employees)].points_min
    rr_p = rr.rows[rr.index_for_ratio(rnd, revenue)].points_min
    rc_p = rc.rows[rc.index_for_ratio(rnd, cost)].points_min
    if ip1 >= v("score.ip_class1_min"):
        ip_p = v("score.ip_class1_points")
    else:
        b = v("score.ip_class2_bands")
        ip_p = b.rows[b.index_for(ip2)].points_min
    return ts_p, rr_p, rc_p, ip_p


def _limit(policy: Policy, cid: str, value: int, pname: str, unit: str, text: str, text_en: str) -> Any:
    limit = policy.value(pname)
    return crit(policy, cid, "condition", value, unit, Threshold("<=", limit, f"不超过{text}", f"At most {text_en}"),
                value <= limit, (pname,))


def _flag(policy: Policy, cid: str, value: bool, text: str, text_en: str) -> Any:
    return crit(policy, cid, "condition", value, "bool", Threshold("==", False, text, text_en), not value)


def evaluate(facts: EnterpriseFacts, policy: Policy, as_of: date) -> Core:
    v = policy.value
    emp, ts = facts.employees, facts.tech_staff
    rnd, rev, cost = facts.rnd_expense_y3, facts.revenue_y3, facts.total_cost
    ip1, ip2 = facts.ip_class1, facts.ip_class2
    ts_p, rr_p, rc_p, ip_p = indicator_points(policy, ts, emp, rnd, rev, cost, ip1, ip2)
    rnd_p = max(rr_p, rc_p)
    score = ts_p + rnd_p + ip_p
    pass_min = v("score.pass_min")

    resident = bool(facts.credit_code and facts.credit_code.strip())
    c = [
        crit(policy, "tech_sme.resident", "condition", facts.credit_code, "",
             Threshold("==", True, "境内注册居民企业", "A resident enterprise registered in China"),
             resident, note_zh="以统一社会信用代码认定为境内注册企业"),
        _limit(policy, "tech_sme.employees", emp, "size.employees_max", "persons",
               f"{v('size.employees_max')}人", f"{v('size.employees_max')} employees"),
        _limit(policy, "tech_sme.revenue", rev, "size.revenue_max", "CNY", f"{v('size.revenue_max') // 10**4}万元",
               f"{v('size.revenue_max') // 10**4} ×10k CNY of annual sales revenue"),
        _limit(policy, "tech_sme.assets", facts.total_assets, "size.assets_max", "CNY",
               f"{v('size.assets_max') // 10**4}万元",
               f"{v('size.assets_max') // 10**4} ×10k CNY of total assets"),
        _flag(policy, "tech_sme.industry", facts.restricted_industry, "不属于禁止、限制和淘汰类",
              "Not in a prohibited, restricted or phased-out category"),
        _flag(policy, "tech_sme.no_major_incident", facts.major_incident, "上一年度至今无重大安全、质量事故和严重环境违法",
              "No major safety or quality incident or serious environmental violation since the previous year"),
        _flag(policy, "tech_sme.no_bad_credit", facts.bad_credit, "未列入经营异常名录和严重违法失信企业名单",
              "Not on the abnormal-operation list or the list of seriously dishonest enterprises"),
    ]
    bands = v("score.tech_staff_bands")
    c.append(crit(policy, "tech_sme.tech_staff_score", "score", ratio_value(ts, emp), "ratio",
                  Threshold(">", 0, "科技人员指标得分大于0", "Tech staff indicator score above 0"), ts_p > 0, ("score.tech_staff_bands",),
                  points=ts_p, band=bands.rows[bands.index_for_ratio(ts, emp)].label,
                  detail=ratio_detail(ts, emp)))
    for cid, a, b, pname, pts in (("tech_sme.rnd_revenue_score", rnd, rev, "score.rnd_revenue_bands", rr_p),
                                  ("tech_sme.rnd_cost_score", rnd, cost, "score.rnd_cost_bands", rc_p)):
        bt = v(pname)
        c.append(crit(policy, cid, "score", ratio_value(a, b), "ratio", Threshold("band", bt, "按档计分", "By band"), None,
                      (pname,), points=pts, band=bt.rows[bt.index_for_ratio(a, b)].label,
                      detail=ratio_detail(a, b)))
    c.append(crit(policy, "tech_sme.rnd_score", "score", rnd_p, "points",
                  Threshold("band", None, "两项研发投入指标取高分",
                            "The higher of the two R&D indicator scores"), None, points=rnd_p,
                  band="销售收入口径" if rr_p >= rc_p else "成本费用口径"))
    if ip1 >= v("score.ip_class1_min"):
        ip_band = f"Ⅰ类≥{v('score.ip_class1_min')}"
    else:
        b2 = v("score.ip_class2_bands")
        ip_band = f"Ⅱ类{b2.rows[b2.index_for(ip2)].label}"
    c.append(crit(policy, "tech_sme.ip_score", "score", {"class1": ip1, "class2": ip2}, "count",
                  Threshold("band", None, "Ⅰ类知识产权或Ⅱ类知识产权数量按档计分",
                            "By band of the number of Class I or Class II IP items"), None,
                  ("score.ip_class1_min", "score.ip_class1_points", "score.ip_class2_bands"),
                  points=ip_p, band=ip_band))
    score_ok = score >= pass_min and ts_p > 0
    reasons = [(code, label) for fname, code, label in DIRECT_PASS if getattr(facts, fname)]
    basic_ok = all(x.passed for x in c[: len(BASIC)])
    direct = reasons[0][0] if basic_ok and reasons else None
    c.append(crit(policy, "tech_sme.score", "condition", score, "points",
                  Threshold(">=", pass_min, f"综合评价得分不低于{pass_min}分且科技人员指标得分不为0",
                            f"Total score of at least {pass_min} points with a tech staff score above 0"), score_ok,
                  ("score.pass_min",), points=score,
                  note_zh="符合第八条直接认定条件，不受评分限制" if direct else ""))
    c.append(crit(policy, "tech_sme.direct_pass", "info", [code for code, _ in reasons], "",
                  Threshold("in", [code for _, code, _ in DIRECT_PASS], "符合第八条任一条件且满足第六条（一）～（四）项",
                            "Any one of the Article 8 routes, with Article 6 items (1)-(4) met"),
                  True if direct else None, note_zh="；".join(label for _, label in reasons)))
    eligible = basic_ok and (direct is not None or score_ok)
    return Core("pass" if eligible else "fail", eligible, c, score=score, score_min=score, score_max=score,
                direct_pass_reason=direct, extra={"ts_p": ts_p, "rnd_p": rnd_p, "ip_p": ip_p})


def gaps(facts: EnterpriseFacts, policy: Policy, as_of: date, core: Core) -> list[Gap]:
    from gaoqi.policy.gap_tech_sme import tech_sme_gaps

    return tech_sme_gaps(facts, policy, core)


def check_params(params: dict) -> list[tuple[str, str]]:
    return []


RULES = RuleSet("tech_sme", EnterpriseFacts, ENTERPRISE_FIELDS, PARAMS, CRITERIA, validate, evaluate, gaps,
                check_params)
