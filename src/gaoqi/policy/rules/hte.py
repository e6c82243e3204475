"""高新技术企业认定 (国科发火〔2016〕32号 第十一条) and the innovation score (国科发火〔2016〕195号).

Hard conditions 1-6 and 8 are checked exactly; the innovation score is a range (min, max) because some items
are expert judgements; given the expert columns those items are exact. Outcome: "fail" when a hard condition
fails or score_max <= pass_above; "pass" when score_min > pass_above; otherwise "undetermined".
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from gaoqi.policy.bands import ratio_ge, shown_fraction
from gaoqi.policy.errors import FieldError
from gaoqi.policy.facts import EnterpriseFacts
from gaoqi.policy.model import CriterionResult, Gap, Policy, Threshold
from gaoqi.policy.rules.common import (
    ENTERPRISE_FIELDS,
    Core,
    RuleSet,
    anniversary,
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
    "registration.min_years": "count",
    "ip.min_count": "count",
    "tech_field.codes": "codes",
    "tech_staff.min_ratio": "percent",
    "rnd.ratio_tiers": "money_tiers",
    "rnd.domestic_min_ratio": "percent",
    "hitech_income.min_ratio": "percent",
    "score.pass_above": "count",
    "score.ip.max": "count",
    "score.ip.advancement_max": "count",
    "score.ip.core_support_max": "count",
    "score.ip.quantity_class1_bands": "count_bands",
    "score.ip.quantity_class2_bands": "count_bands",
    "score.ip.acquisition_self": "points_range",
    "score.ip.acquisition_other": "points_range",
    "score.ip.standards_bonus": "points_range",
    "score.conversion.years": "count",
    "score.conversion.bands": "count_bands",
    "score.rnd_management.max": "count",
    "score.growth.bands": "percent_bands",
    "score.growth.two_year_rule": "str",
}

HARD = ("hte.registered_one_year", "hte.core_ip", "hte.tech_field", "hte.tech_staff_ratio", "hte.rnd_ratio",
        "hte.rnd_domestic_ratio", "hte.hitech_income_ratio", "hte.no_major_incident")
SCORE_ITEMS = ("hte.ip_advancement", "hte.ip_core_support", "hte.ip_quantity", "hte.ip_acquisition",
               "hte.ip_standards_bonus", "hte.ip_score", "hte.conversion_score", "hte.rnd_management_score",
               "hte.growth_net_assets_score", "hte.growth_revenue_score", "hte.score")
CRITERIA = HARD + SCORE_ITEMS

# Year-dependent fields are required only for the years the firm operated (see operating_years).
YEAR_STEMS = ("revenue", "net_assets", "rnd_expense", "rnd_expense_domestic")
EXPERT_MAX = {"expert_advancement": "score.ip.advancement_max", "expert_core_support": "score.ip.core_support_max",
              "expert_rnd_management": "score.rnd_management.max"}


def validate(facts: EnterpriseFacts, policy: Policy, as_of: date | None = None) -> list[FieldError]:
    years = operating_years(facts.founded_on, as_of) if as_of else (1, 2, 3)
    names = [*policy.requires, *(f"{s}_y{k}" for s in YEAR_STEMS for k in years)]
    errors = required_errors(facts, names, policy.name) + enterprise_field_errors(facts)
    for fname, pname in EXPERT_MAX.items():
        value, top = getattr(facts, fname), policy.value(pname)
        if isinstance(value, int) and not 0 <= value <= top:
            errors.append(FieldError(fname, f"must be between 0 and {top} (got {value})", f"应在 0～{top} 之间"))
    return errors


def ip_items(f: EnterpriseFacts, p: Policy) -> dict[str, tuple[int, int, str]]:
    """IP score items -> (min, max, band label); the total is capped at score.ip.max at both ends."""
    v = p.value
    if f.ip_class1 + f.ip_class2 == 0:
        zero = (0, 0, "无知识产权")
        return {k: zero for k in ("advancement", "core_support", "quantity", "acquisition", "bonus")}
    out: dict[str, tuple[int, int, str]] = {}
    for key, fname, pname in (("advancement", "expert_advancement", "score.ip.advancement_max"),
                              ("core_support", "expert_core_support", "score.ip.core_support_max")):
        given = getattr(f, fname)
        out[key] = (given, given, "专家评分") if given is not None else (0, v(pname), "待专家评分")
    b1, b2 = v("score.ip.quantity_class1_bands"), v("score.ip.quantity_class2_bands")
    r1 = b1.rows[b1.index_for(f.ip_class1)]
    row = r1 if r1.points_max > 0 else b2.rows[b2.index_for(f.ip_class2)]
    out["quantity"] = (row.points_min, row.points_max, ("Ⅰ类" if row is r1 else "Ⅱ类") + row.label)
    if f.ip_self_developed is None:
        lo = min(v("score.ip.acquisition_self")[0], v("score.ip.acquisition_other")[0])
        hi = max(v("score.ip.acquisition_self")[1], v("score.ip.acquisition_other")[1])
        out["acquisition"] = (lo, hi, "获得方式未填")
    elif f.ip_self_developed:
        out["acquisition"] = (*v("score.ip.acquisition_self"), "自主研发")
    else:
        out["acquisition"] = (*v("score.ip.acquisition_other"), "受让、受赠、并购")
    out["bonus"] = (*v("score.ip.standards_bonus"), "主导制定标准") if (f.standards_led or 0) > 0 else (0, 0, "无")
    return out


def ip_total(items: dict[str, tuple[int, int, str]], cap: int) -> tuple[int, int]:
    return min(cap, sum(i[0] for i in items.values())), min(cap, sum(i[1] for i in items.values()))


def conversion_average(f: EnterpriseFacts, p: Policy, as_of: date) -> tuple[Fraction, int]:
    """Yearly average of conversions over the firm's years (at most score.conversion.years, at least 1)."""
    divisor = max(1, min(p.value("score.conversion.years"), len(operating_years(f.founded_on, as_of))))
    return Fraction(f.achievement_conversions, divisor), divisor


def growth_rate(values: list[int], two_year_rule: str) -> tuple[Fraction | None, str]:
    """Growth rate per 工作指引 over the operating years' values (oldest first); None = 0 points.

    Edge rules: any negative value -> None (engine convention: a ratio of negative amounts means nothing);
    3 years: v2 = 0 -> None; v1 = 0 -> v3/v2 - 1; else (v2/v1 + v3/v2)/2 - 1.
    2 years: two_year_rule "ratio" -> v2/v1 - 1 (None if v1 = 0), "zero" -> None. 1 year -> None.
    """
    if any(x < 0 for x in values):
        return None, "存在负值，按0分"
    if len(values) == 3:
        v1, v2, v3 = values
        if v2 == 0:
            return None, "第二年为0，按0分"
        if v1 == 0:
            return Fraction(v3, v2) - 1, "第一年为0，按第二、三年计算"
        return (Fraction(v2, v1) + Fraction(v3, v2)) / 2 - 1, "三年数据"
    if len(values) == 2 and two_year_rule == "ratio":
        v1, v2 = values
        if v1 == 0:
            return None, "第一年为0，按0分"
        return Fraction(v2, v1) - 1, "两年数据"
    return None, "经营不足两年，按0分" if len(values) < 2 else "两年数据按0分（参数设定）"


def growth_points(f: EnterpriseFacts, p: Policy, as_of: date, stem: str) -> tuple[Fraction | None, int, str, str]:
    years = operating_years(f.founded_on, as_of)
    rate, how = growth_rate([getattr(f, f"{stem}_y{k}") for k in years], p.value("score.growth.two_year_rule"))
    bands = p.value("score.growth.bands")
    row = bands.rows[-1] if rate is None else bands.rows[bands.index_for(rate)]
    return rate, row.points_min, row.points_max, f"{row.label}（{how}）" if rate is None else row.label


def last_revenue(f: EnterpriseFacts, as_of: date) -> int:
    """Last year's sales revenue, 0 for a firm founded in the evaluation year (it has no last year)."""
    return (f.revenue_y3 or 0) if 3 in operating_years(f.founded_on, as_of) else 0


def rnd_required(p: Policy, revenue_y3: int) -> Fraction:
    for tier in p.value("rnd.ratio_tiers"):
        if tier.up_to is None or revenue_y3 <= tier.up_to:
            return tier.required
    raise AssertionError("money_tiers always end with an `otherwise` tier")


def _hard(f: EnterpriseFacts, p: Policy, as_of: date) -> list[CriterionResult]:
    v = p.value
    years = operating_years(f.founded_on, as_of)
    n_years = v("registration.min_years")
    since = anniversary(f.founded_on, n_years)
    ip_n = f.ip_class1 + f.ip_class2
    codes = v("tech_field.codes")
    ts_min = v("tech_staff.min_ratio")
    rnd, rev = year_sum(f, "rnd_expense", years), year_sum(f, "revenue", years)
    dom = year_sum(f, "rnd_expense_domestic", years)
    last = last_revenue(f, as_of)
    need = rnd_required(p, last)
    dom_min, hi_min = v("rnd.domestic_min_ratio"), v("hitech_income.min_ratio")
    yrs = {"years": [as_of.year - 4 + k for k in years]}
    return [
        crit(p, "hte.registered_one_year", "condition", f.founded_on, "date",
             Threshold("<=", since, f"注册成立满{n_years}年（{since.isoformat()} 起）",
                       f"Registered for at least {n_years} year(s) (from {since.isoformat()})"), since <= as_of,
             ("registration.min_years",), detail={"qualifies_from": since}),
        crit(p, "hte.core_ip", "condition", ip_n, "items", Threshold(">=", v("ip.min_count"),
             f"拥有核心支持作用的知识产权不少于{v('ip.min_count')}项",
             f"At least {v('ip.min_count')} IP item(s) giving core support to the main products"), ip_n >= v("ip.min_count"), ("ip.min_count",)),
        crit(p, "hte.tech_field", "condition", f.tech_field, "code",
             Threshold("in", "tech_field.codes", "属于《国家重点支持的高新技术领域》",
                       "In the State-supported high-tech fields"), f.tech_field in codes,
             ("tech_field.codes",)),
        crit(p, "hte.tech_staff_ratio", "condition", ratio_value(f.tech_staff, f.employees), "ratio",
             Threshold(">=", ts_min, f"科技人员占职工总数比例不低于{pct(ts_min)}",
                       f"Tech staff at least {pct(ts_min)} of employees"),
             f.employees > 0 and ratio_ge(f.tech_staff, f.employees, ts_min), ("tech_staff.min_ratio",),
             detail=ratio_detail(f.tech_staff, f.employees)),
        crit(p, "hte.rnd_ratio", "condition", ratio_value(rnd, rev), "ratio",
             Threshold(">=", need, f"近{len(years) or '0'}个会计年度研发费用占同期销售收入比例不低于{pct(need)}"
                       f"（最近一年销售收入{last // 10**4}万元）",
                       f"R&D spending over the last {len(years) or '0'} fiscal year(s) at least {pct(need)} of "
                       f"sales revenue (last year's sales revenue {last // 10**4} ×10k CNY)"),
             rev > 0 and ratio_ge(rnd, rev, need), ("rnd.ratio_tiers",), detail={**ratio_detail(rnd, rev), **yrs}),
        crit(p, "hte.rnd_domestic_ratio", "condition", ratio_value(dom, rnd), "ratio",
             Threshold(">=", dom_min, f"境内研发费用占全部研发费用比例不低于{pct(dom_min)}",
                       f"Domestic R&D at least {pct(dom_min)} of all R&D spending"),
             rnd > 0 and ratio_ge(dom, rnd, dom_min), ("rnd.domestic_min_ratio",),
             detail={**ratio_detail(dom, rnd), **yrs}),
        crit(p, "hte.hitech_income_ratio", "condition", ratio_value(f.hitech_revenue, f.total_income), "ratio",
             Threshold(">=", hi_min, f"近一年高新技术产品（服务）收入占总收入比例不低于{pct(hi_min)}",
                       f"High-tech product (service) income at least {pct(hi_min)} of last year's total income"),
             f.total_income > 0 and ratio_ge(f.hitech_revenue, f.total_income, hi_min),
             ("hitech_income.min_ratio",), detail=ratio_detail(f.hitech_revenue, f.total_income)),
        crit(p, "hte.no_major_incident", "condition", f.major_incident, "bool",
             Threshold("==", False, "申请前一年内未发生重大安全、重大质量事故或严重环境违法行为",
                       "No major safety or quality incident or serious environmental violation in the year "
                       "before applying"), not f.major_incident),
    ]


def score_parts(f: EnterpriseFacts, p: Policy, as_of: date) -> tuple[list[CriterionResult], int, int]:
    v = p.value
    items = ip_items(f, p)
    cap = v("score.ip.max")
    ip_lo, ip_hi = ip_total(items, cap)
    out = []
    for cid, key, pnames in (
        ("hte.ip_advancement", "advancement", ("score.ip.advancement_max",)),
        ("hte.ip_core_support", "core_support", ("score.ip.core_support_max",)),
        ("hte.ip_quantity", "quantity", ("score.ip.quantity_class1_bands", "score.ip.quantity_class2_bands")),
        ("hte.ip_acquisition", "acquisition", ("score.ip.acquisition_self", "score.ip.acquisition_other")),
        ("hte.ip_standards_bonus", "bonus", ("score.ip.standards_bonus",)),
    ):
        lo, hi, label = items[key]
        out.append(crit(p, cid, "score", None, "points", None, None, pnames, points_min=lo, points_max=hi, band=label))
    out.append(crit(p, "hte.ip_score", "score", {"class1": f.ip_class1, "class2": f.ip_class2}, "points",
                    Threshold("<=", cap, f"知识产权指标合计不超过{cap}分",
                              f"IP items total at most {cap} points"), None, ("score.ip.max",),
                    points_min=ip_lo, points_max=ip_hi))
    avg, divisor = conversion_average(f, p, as_of)
    cb = v("score.conversion.bands")
    crow = cb.rows[cb.index_for(avg)]
    conv_t = Threshold("band", cb, "年均转化数按档计分", "By band of yearly average conversions")
    out.append(crit(p, "hte.conversion_score", "score", shown_fraction(avg), "per_year", conv_t,
                    None, ("score.conversion.bands", "score.conversion.years"), points_min=crow.points_min,
                    points_max=crow.points_max, band=crow.label,
                    detail={"conversions": f.achievement_conversions, "years": divisor}))
    mg = f.expert_rnd_management
    mg_lo, mg_hi = (mg, mg) if mg is not None else (0, v("score.rnd_management.max"))
    out.append(crit(p, "hte.rnd_management_score", "score", mg, "points", None, None, ("score.rnd_management.max",),
                    points_min=mg_lo, points_max=mg_hi, band="专家评分" if mg is not None else "待专家评分"))
    lo_sum, hi_sum = ip_lo + crow.points_min + mg_lo, ip_hi + crow.points_max + mg_hi
    for cid, stem in (("hte.growth_net_assets_score", "net_assets"), ("hte.growth_revenue_score", "revenue")):
        rate, g_lo, g_hi, label = growth_points(f, p, as_of, stem)
        out.append(crit(p, cid, "score", shown_fraction(rate) if rate is not None else None, "ratio",
                        Threshold("band", v("score.growth.bands"), "增长率按档计分", "By band of growth rate"), None,
                        ("score.growth.bands", "score.growth.two_year_rule"), points_min=g_lo, points_max=g_hi,
                        band=label, detail={"rate": rate} if rate is not None else {}))
        lo_sum, hi_sum = lo_sum + g_lo, hi_sum + g_hi
    return out, lo_sum, hi_sum


def evaluate(f: EnterpriseFacts, p: Policy, as_of: date) -> Core:
    hard = _hard(f, p, as_of)
    parts, lo, hi = score_parts(f, p, as_of)
    bar = p.value("score.pass_above")
    score_passed = True if lo > bar else False if hi <= bar else None
    total = crit(p, "hte.score", "condition", lo if lo == hi else None, "points",
                 Threshold(">", bar, f"企业创新能力评价得分高于{bar}分",
                           f"Innovation-capability score above {bar} points"), score_passed, ("score.pass_above",),
                 points_min=lo, points_max=hi, band=f"{lo}–{hi}" if lo != hi else str(lo))
    if any(c.passed is False for c in hard) or hi <= bar:
        outcome, eligible = "fail", False
    elif lo > bar:
        outcome, eligible = "pass", True
    else:
        outcome, eligible = "undetermined", None
    return Core(outcome, eligible, [*hard, *parts, total], score=lo if lo == hi else None, score_min=lo,
                score_max=hi)


def gaps(f: EnterpriseFacts, p: Policy, as_of: date, core: Core) -> list[Gap]:
    from gaoqi.policy.gap_hte import hte_gaps

    return hte_gaps(f, p, as_of, core)


def check_params(params: dict) -> list[tuple[str, str]]:
    rule = params.get("score.growth.two_year_rule")
    if rule is not None and rule.value not in ("ratio", "zero"):
        return [("score.growth.two_year_rule", "must be 'ratio' or 'zero'")]
    return []


RULES = RuleSet("hte", EnterpriseFacts, ENTERPRISE_FIELDS, PARAMS, CRITERIA, validate, evaluate, gaps, check_params)
