"""科技型中小企业评价办法 (国科发政〔2017〕115号): conditions (第六条), score (第七条), direct pass (第八条), once.

Reads the most recent year (`_y3`). Score = tech-staff points + the better of the two R&D ratios' points + IP
points. Eligible = basic conditions (第六条（一）～（四）) and (direct pass, or score >= pass_min with a
tech-staff score above 0). The R&D indicator uses the super-deduction base (财税〔2015〕119号) when given and
falls back to total R&D expenses with a visible note.
"""

from __future__ import annotations

from pathlib import Path

from gaoqi.policy.core.common import no_record, wan_exact
from gaoqi.policy.core.facts import CROSS_RULES, FIELD_SPECS, EnterpriseFacts, common_checks
from gaoqi.policy.core.model import Threshold
from gaoqi.policy.core.rules import Out, Ratio, RuleSet

PARAMS = {
    "resident.credit_code_types": "codes",
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

# 第八条 routes in the order of the article: (fact, code reported as `direct_pass_reason`).
DIRECT_PASS = (
    ("has_hte_certificate", "hte_certificate"),
    ("national_award_top3", "national_award"),
    ("provincial_rnd_institution", "rnd_institution"),
    ("led_standard_5y", "standard"),
)
LABELS = {
    "hte_certificate": ("有效期内高新技术企业资格", "A valid HTE certificate"),
    "national_award": (
        "近五年获国家级科技奖励并在获奖单位中排名前三",
        "A national S&T award in the last five years, among the top three winning units",
    ),
    "rnd_institution": (
        "拥有经认定的省部级以上研发机构",
        "A recognised provincial-or-higher R&D institution",
    ),
    "standard": (
        "近五年主导制定过国际标准、国家标准或行业标准",
        "Led an international, national or industry standard in the last five years",
    ),
}

BASIC = (
    "tech_sme.resident",
    "tech_sme.employees",
    "tech_sme.revenue",
    "tech_sme.assets",
    "tech_sme.industry",
    "tech_sme.no_major_incident",
    "tech_sme.no_research_misconduct",
    "tech_sme.no_bad_credit",
)

RULES = RuleSet(
    "tech_sme",
    EnterpriseFacts,
    frozenset(s.name for s in FIELD_SPECS),
    PARAMS,
    Path(__file__).parent / "params",
    labels=LABELS,
    groups={"basic": BASIC},  # 第六条（一）～（四）: read by the pool's score route
)
criterion = RULES.criterion


@RULES.validation
def validate(x) -> None:
    common_checks(x, FIELD_SPECS, x.policy.requires, CROSS_RULES)


# --- 第六条: conditions ---------------------------------------------------------------------------------


@criterion("tech_sme.resident", "condition", "code")
def resident(x) -> Out:
    kinds = x.p("resident.credit_code_types")
    return Out(
        passed=x.ops.prefix_in(x.f.credit_code, 2, kinds),
        value=x.f.credit_code,
        threshold=lambda: Threshold(
            "in",
            list(kinds),
            "境内注册的居民企业（统一社会信用代码登记管理部门和机构类别为" + "、".join(kinds) + "）",
            "A resident enterprise registered in China (credit code registration "
            "authority and entity type " + ", ".join(kinds) + ")",
        ),
        note=lambda: "按统一社会信用代码前两位（登记管理部门、机构类别，GB 32100-2015）判断",
    )


def _limit(x, pname: str, value, unit_zh: str, unit_en: str, money: bool) -> Out:
    limit = x.p(pname)
    shown = wan_exact(limit) if money else str(limit)
    return Out(
        passed=value <= limit,
        value=value,
        threshold=lambda: Threshold("<=", limit, f"不超过{shown}{unit_zh}", f"At most {shown} {unit_en}"),
    )


@criterion("tech_sme.employees", "condition", "persons")
def employees(x) -> Out:
    return _limit(x, "size.employees_max", x.f.employees, "人", "employees", False)


@criterion("tech_sme.revenue", "condition", "CNY")
def revenue(x) -> Out:
    return _limit(x, "size.revenue_max", x.f.revenue_y3, "万元", "×10k CNY of annual sales revenue", True)


@criterion("tech_sme.assets", "condition", "CNY")
def assets(x) -> Out:
    return _limit(x, "size.assets_max", x.f.total_assets, "万元", "×10k CNY of total assets", True)


@criterion("tech_sme.industry", "condition", "bool")
def industry(x) -> Out:
    return no_record(
        x,
        x.f.restricted_industry,
        "不属于禁止、限制和淘汰类",
        "Not in a prohibited, restricted or phased-out category",
    )


@criterion("tech_sme.no_major_incident", "condition", "bool")
def no_major_incident(x) -> Out:
    return no_record(
        x,
        x.f.major_incident,
        "上一年度至今无重大安全、重大质量事故和严重环境违法",
        "No major safety or quality incident or serious environmental violation since the previous year",
    )


@criterion("tech_sme.no_research_misconduct", "condition", "bool")
def no_research_misconduct(x) -> Out:
    return no_record(
        x,
        x.f.research_misconduct,
        "上一年度至今无科研严重失信行为",
        "No serious research misconduct since the previous year",
        optional=True,
    )


@criterion("tech_sme.no_bad_credit", "condition", "bool")
def no_bad_credit(x) -> Out:
    return no_record(
        x,
        x.f.bad_credit,
        "未列入经营异常名录和严重违法失信企业名单",
        "Not on the abnormal-operation list or the list of seriously dishonest enterprises",
    )


# --- 第七条: the score --------------------------------------------------------------------------------


def rnd_base(x):
    """R&D expenses for the indicator: the super-deduction base (财税〔2015〕119号) when reported."""
    return x.ops.fill_null(x.f.rnd_expense_deductible_y3, x.f.rnd_expense_y3)


def _base_note(x) -> str:
    if x.f.rnd_expense_deductible_y3 is None:
        return "未提供加计扣除口径研发费用，按研发费用总额计算（115号按财税〔2015〕119号归集口径）"
    return "按研发费用加计扣除口径计算"


def _banded(x, pname: str, a, b, note=None) -> Out:
    ops, bands = x.ops, x.p(pname)
    i = ops.band(bands, a, b)
    return Out(
        points=ops.pick(i, [r.points_min for r in bands.rows]),
        value=Ratio(a, b),
        band=i,
        labels=bands.labels,
        threshold=lambda: Threshold("band", bands, "按档计分", "By band"),
        note=note,
    )


@criterion("tech_sme.tech_staff_score", "score", "ratio")
def tech_staff_score(x) -> Out:
    out = _banded(x, "score.tech_staff_bands", x.f.tech_staff, x.f.employees)
    out.passed = out.points > 0
    out.threshold = lambda: Threshold(">", 0, "科技人员指标得分大于0", "Tech staff indicator score above 0")
    return out


@criterion("tech_sme.rnd_revenue_score", "score", "ratio")
def rnd_revenue_score(x) -> Out:
    return _banded(x, "score.rnd_revenue_bands", x(rnd_base), x.f.revenue_y3, lambda: _base_note(x))


@criterion("tech_sme.rnd_cost_score", "score", "ratio")
def rnd_cost_score(x) -> Out:
    return _banded(x, "score.rnd_cost_bands", x(rnd_base), x.f.total_cost, lambda: _base_note(x))


@criterion("tech_sme.rnd_score", "score", "points")
def rnd_score(x) -> Out:
    ops = x.ops
    by_revenue, by_cost = (
        x.crit("tech_sme.rnd_revenue_score").points,
        x.crit("tech_sme.rnd_cost_score").points,
    )
    return Out(
        points=ops.max_(by_revenue, by_cost),
        band=ops.where(by_revenue >= by_cost, 0, 1),
        labels=(("销售收入口径", "on revenue"), ("成本费用口径", "on total cost")),
        threshold=lambda: Threshold(
            "band", None, "两项研发投入指标取高分", "The higher of the two R&D indicator scores"
        ),
    )


@criterion("tech_sme.ip_score", "score", "count")
def ip_score(x) -> Out:
    ops = x.ops
    c1_min, c1_points, bands = (
        x.p("score.ip_class1_min"),
        x.p("score.ip_class1_points"),
        x.p("score.ip_class2_bands"),
    )
    first = x.f.ip_class1 >= c1_min
    i2 = ops.band(bands, x.f.ip_class2)
    labels = (
        (f"Ⅰ类≥{c1_min}", f"Class I at least {c1_min}"),
        *((f"Ⅱ类{zh}", f"Class II {en}") for zh, en in bands.labels),
    )
    return Out(
        points=ops.where(first, c1_points, ops.pick(i2, [r.points_min for r in bands.rows])),
        band=ops.where(first, 0, i2 + 1),
        labels=labels,
        shown=lambda: {"class1": x.f.ip_class1, "class2": x.f.ip_class2},
        threshold=lambda: Threshold(
            "band",
            None,
            "Ⅰ类知识产权或Ⅱ类知识产权数量按档计分",
            "By band of the number of Class I or Class II IP items",
        ),
    )


def total(x):
    return (
        x.crit("tech_sme.tech_staff_score").points
        + x.crit("tech_sme.rnd_score").points
        + x.crit("tech_sme.ip_score").points
    )


def direct_route(x):
    """The first 第八条 route the firm meets (codes), None when none; only with 第六条（一）～（四） met."""
    ops = x.ops
    route = None
    for fname, code in reversed(DIRECT_PASS):
        route = ops.where(getattr(x.f, fname), code, route)
    return ops.where(ops.all_(*(x.crit(c).passed for c in BASIC)), route, None)


@criterion("tech_sme.score", "condition", "points")
def score(x) -> Out:
    ops, pass_min = x.ops, x.p("score.pass_min")
    points = x(total)
    return Out(
        passed=ops.all_(points >= pass_min, x.crit("tech_sme.tech_staff_score").points > 0),
        points=points,
        shown=lambda: points,  # = the points: no bulk column
        threshold=lambda: Threshold(
            ">=",
            pass_min,
            f"综合评价得分不低于{pass_min}分且科技人员指标得分不为0",
            f"Total score of at least {pass_min} points with a tech staff score above 0",
        ),
        note=lambda: "符合第八条直接认定条件，不受评分限制" if x(direct_route) else "",
    )


@criterion("tech_sme.direct_pass", "info")
def direct_pass(x) -> Out:
    route = x(direct_route)
    met = lambda: [code for fname, code in DIRECT_PASS if getattr(x.f, fname)]  # noqa: E731 - explanation
    return Out(
        passed=x.ops.where(x.ops.is_null(route), None, True),
        shown=met,
        threshold=lambda: Threshold(
            "in",
            [code for _, code in DIRECT_PASS],
            "符合第八条任一条件且满足第六条（一）～（四）项",
            "Any one of the Article 8 routes, with Article 6 items (1)-(4) met",
        ),
        note=lambda: "；".join(LABELS[c][0] for c in met()),
    )


@RULES.verdict_of
def verdict(x) -> dict:
    ops = x.ops
    route = x(direct_route)
    basic = ops.all_(*(x.crit(c).passed for c in BASIC))
    eligible = ops.all_(basic, ops.any_(ops.not_(ops.is_null(route)), x.crit("tech_sme.score").passed))
    points = x(total)
    return {
        "outcome": ops.where(eligible, "pass", "fail"),
        "eligible": eligible,
        "score": points,
        "score_min": points,
        "score_max": points,
        "direct_pass_reason": route,
    }
