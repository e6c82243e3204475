"""高新技术企业认定 (国科发火〔2016〕32号 第十一条) and the innovation score (国科发火〔2016〕195号), written once.

Hard conditions 1-6 and 8 are exact; the innovation score is a range (min, max) because some items are expert
judgements; given the expert columns those items are exact. Outcome: "fail" when a hard condition fails or
score_max <= pass_above; "pass" when score_min > pass_above; otherwise "undetermined" (the experts decide).
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from pathlib import Path

from gaoqi.policy.core.bands import shown_fraction
from gaoqi.policy.core.common import (
    n_operating,
    no_record,
    operates,
    operating_years,
    pct,
    required_yearly,
    revenue_sum,
    rnd_sum,
    share_at_least,
    wan_exact,
    year_sum,
)
from gaoqi.policy.core.facts import CROSS_RULES, FIELD_SPECS, EnterpriseFacts, common_checks
from gaoqi.policy.core.model import Parameter, Threshold
from gaoqi.policy.core.rules import Out, Ratio, RuleSet

PARAMS = {
    "registration.min_days": "count",
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
    "score.growth.negative_rule": "str",
}


def check_params(params: dict[str, Parameter]) -> list[tuple[str, str]]:
    out = []
    for name, choices in (
        ("score.growth.two_year_rule", ("ratio", "zero")),
        ("score.growth.negative_rule", ("zero", "formula")),
    ):
        if name in params and params[name].value not in choices:
            out.append((name, f"must be one of {', '.join(choices)}"))
    return out


HARD = (
    "hte.registered_one_year",
    "hte.core_ip",
    "hte.tech_field",
    "hte.tech_staff_ratio",
    "hte.rnd_ratio",
    "hte.rnd_domestic_ratio",
    "hte.hitech_income_ratio",
    "hte.no_major_incident",
)
RULES = RuleSet(
    "hte",
    EnterpriseFacts,
    frozenset(s.name for s in FIELD_SPECS),
    PARAMS,
    Path(__file__).parent / "params",
    check_params=check_params,
    groups={"hard": HARD},
)
criterion = RULES.criterion

# Year-dependent fields are required only for the years the firm operated (core.common.n_operating).
YEAR_STEMS = ("revenue", "net_assets", "rnd_expense", "rnd_expense_domestic")
EXPERT_MAX = {
    "expert_advancement": "score.ip.advancement_max",
    "expert_core_support": "score.ip.core_support_max",
    "expert_rnd_management": "score.rnd_management.max",
}
NO_IP = ("无知识产权", "no IP")


@RULES.validation
def validate(x) -> None:
    common_checks(x, FIELD_SPECS, x.policy.requires, CROSS_RULES)
    required_yearly(x, YEAR_STEMS)
    for fname, pname in EXPERT_MAX.items():
        top = x.p(pname)
        x.error(
            fname,
            x.ops.outside(getattr(x.f, fname), 0, top),
            lambda f=fname, t=top: f"must be between 0 and {t} (got {getattr(x.f, f)})",
            lambda t=top: f"应在 0～{t} 之间",
        )


# --- variables ---------------------------------------------------------------------------------------


def unused_class2(x):
    """Class II IP counts only once in an HTE certification (195号 三（二）): the items not yet used."""
    return x.f.ip_class2 - x.ops.fill_null(x.f.ip_class2_used, 0)


def ip_count(x):
    return x.f.ip_class1 + x(unused_class2)


def no_ip(x):
    return x(ip_count) == 0


def domestic_sum(x):
    return year_sum(x, "rnd_expense_domestic")


def last_revenue(x):
    """Last year's sales revenue; 0 for a firm founded in the evaluation year (it has no last year)."""
    return x.ops.where(operates(x, 3), x.ops.fill_null(x.f.revenue_y3, 0), 0)


def rnd_tier(x):
    """Index of the 第十一条（五） tier that last year's revenue falls in."""
    tiers = x.p("rnd.ratio_tiers")
    index = len(tiers) - 1
    for i in reversed(range(len(tiers))):
        if tiers[i].up_to is not None:
            index = x.ops.where(x(last_revenue) <= tiers[i].up_to, i, index)
    return index


def growth_terms(x, stem: str):
    """(num, den, none): the growth rate per 195号 is num/den - 1, or 0 points when `none`.

    3 years: (v2/v1 + v3/v2)/2 = (v2*v2 + v1*v3) / (2*v1*v2); v1 = 0 -> v3/v2; v2 = 0 -> none.
    2 years: v3/v2 under two_year_rule "ratio" (none if v2 = 0), else none. Fewer years: none. A negative
    value: none under negative_rule "zero" (a convention, not the text), the formula as written otherwise.
    """
    ops, n = x.ops, x(n_operating)
    y1, y2, y3 = (ops.wide(ops.fill_null(x.f.year(stem, k), 0)) for k in (1, 2, 3))  # squares need 128 bits
    simple = ops.any_(ops.all_(n == 3, y1 == 0), n == 2)
    num = ops.where(simple, y3, y2 * y2 + y1 * y3)
    den = ops.where(simple, y2, 2 * y1 * y2)
    negative = ops.any_(*(ops.all_(operates(x, k), y < 0) for k, y in ((1, y1), (2, y2), (3, y3))))
    none = ops.any_(
        n < 2,
        y2 == 0,
        ops.all_(n == 2, x.p("score.growth.two_year_rule") != "ratio"),
        ops.all_(negative, x.p("score.growth.negative_rule") == "zero"),
        den == 0,
    )
    return num, den, none


def growth_net_assets(x):
    return growth_terms(x, "net_assets")


def growth_revenue(x):
    return growth_terms(x, "revenue")


# --- hard conditions (32号 第十一条) -----------------------------------------------------------------


@criterion("hte.registered_one_year", "condition", "date")
def registered(x) -> Out:
    days = x.p("registration.min_days")
    since = lambda: x.f.founded_on + timedelta(days=days)  # noqa: E731 - scalar explanation only
    return Out(
        passed=x.f.founded_on <= x.as_of - timedelta(days=days),
        shown=lambda: x.f.founded_on,  # the fact itself: no bulk column
        threshold=lambda: Threshold(
            "<=",
            since(),
            f"注册成立满{days}个日历天（{since().isoformat()} 起）",
            f"Registered for at least {days} calendar days (from {since().isoformat()})",
        ),
        detail=lambda: {"qualifies_from": since()},
    )


@criterion("hte.core_ip", "condition", "items")
def core_ip(x) -> Out:
    need = x.p("ip.min_count")
    return Out(
        passed=x(ip_count) >= need,
        value=x(ip_count),
        threshold=lambda: Threshold(
            ">=",
            need,
            f"拥有核心支持作用的知识产权不少于{need}项",
            f"At least {need} IP item(s) giving core support to the main products",
        ),
        note=lambda: (
            f"已用于以往认定的Ⅱ类知识产权 {x.f.ip_class2_used} 项不再计入" if x.f.ip_class2_used else ""
        ),
    )


@criterion("hte.tech_field", "condition", "code")
def tech_field(x) -> Out:
    return Out(
        passed=x.ops.is_in(x.f.tech_field, x.p("tech_field.codes")),
        value=x.f.tech_field,
        threshold=lambda: Threshold(
            "in",
            "tech_field.codes",
            "属于《国家重点支持的高新技术领域》",
            "In the State-supported high-tech fields",
        ),
    )


@criterion("hte.tech_staff_ratio", "condition", "ratio")
def tech_staff_ratio(x) -> Out:
    return share_at_least(
        x,
        x.f.tech_staff,
        x.f.employees,
        "tech_staff.min_ratio",
        "科技人员占职工总数比例不低于{r}",
        "Tech staff at least {r} of employees",
    )


def tier_text(tiers, i: int) -> tuple[str, str]:
    """The tier in the words of 第十一条（五）: "小于5000万元（含）", "在5000万元至20000万元（含）", "在20000万元以上"."""
    up = tiers[i].up_to
    low = tiers[i - 1].up_to if i > 0 else None
    if low is None:
        return f"小于{wan_exact(up)}万元（含）", f"up to {wan_exact(up)} ×10k CNY (inclusive)"
    if up is None:
        return f"在{wan_exact(low)}万元以上", f"above {wan_exact(low)} ×10k CNY"
    return (
        f"在{wan_exact(low)}万元至{wan_exact(up)}万元（含）",
        f"above {wan_exact(low)} and up to {wan_exact(up)} ×10k CNY (inclusive)",
    )


@criterion("hte.rnd_ratio", "condition", "ratio")
def rnd_ratio(x) -> Out:
    ops, tiers = x.ops, x.p("rnd.ratio_tiers")
    rnd, rev, tier = x(rnd_sum), x(revenue_sum), x(rnd_tier)
    passed = ops.any_(
        *(ops.all_(tier == i, ops.ratio_at_least(rnd, rev, t.required)) for i, t in enumerate(tiers))
    )

    def threshold() -> Threshold:
        need, n = tiers[tier].required, len(operating_years(x))
        zh, en = tier_text(tiers, tier)
        last = wan_exact(x(last_revenue))
        return Threshold(
            ">=",
            need,
            f"最近一年销售收入{zh}的企业，近{n}个会计年度研发费用占同期销售收入比例不低于{pct(need)}"
            f"（本企业最近一年销售收入{last}万元）",
            f"Last year's sales revenue {en}: R&D spending over the last {n} fiscal year(s) at least {pct(need)} "
            f"of sales revenue (this firm: {last} ×10k CNY)",
        )

    return Out(
        passed=passed,
        value=Ratio(rnd, rev),
        threshold=threshold,
        detail=lambda: {"years": [x.as_of.year - 4 + k for k in operating_years(x)], "tier": tier},
    )


@criterion("hte.rnd_domestic_ratio", "condition", "ratio")
def rnd_domestic_ratio(x) -> Out:
    out = share_at_least(
        x,
        x(domestic_sum),
        x(rnd_sum),
        "rnd.domestic_min_ratio",
        "境内研发费用占全部研发费用比例不低于{r}",
        "Domestic R&D at least {r} of all R&D spending",
    )
    out.detail = lambda: {"years": [x.as_of.year - 4 + k for k in operating_years(x)]}
    return out


@criterion("hte.hitech_income_ratio", "condition", "ratio")
def hitech_income_ratio(x) -> Out:
    return share_at_least(
        x,
        x.f.hitech_revenue,
        x.f.total_income,
        "hitech_income.min_ratio",
        "近一年高新技术产品（服务）收入占总收入比例不低于{r}",
        "High-tech product (service) income at least {r} of last year's total income",
    )


@criterion("hte.no_major_incident", "condition", "bool")
def no_major_incident(x) -> Out:
    return no_record(
        x,
        x.f.major_incident,
        "申请前一年内未发生重大安全、重大质量事故或严重环境违法行为",
        "No major safety or quality incident or serious environmental violation in the year before applying",
    )


# --- innovation score (195号 附件) -------------------------------------------------------------------


def _expert_item(x, fname: str, pname: str) -> Out:
    ops, top = x.ops, x.p(pname)
    given, empty = getattr(x.f, fname), x(no_ip)
    return Out(
        points_min=ops.where(empty, 0, ops.fill_null(given, 0)),
        points_max=ops.where(empty, 0, ops.fill_null(given, top)),
        band=ops.where(empty, 0, ops.where(ops.is_null(given), 1, 2)),
        labels=(NO_IP, ("待专家评分", "awaiting experts"), ("专家评分", "expert-scored")),
    )


@criterion("hte.ip_advancement", "score", "points")
def ip_advancement(x) -> Out:
    return _expert_item(x, "expert_advancement", "score.ip.advancement_max")


@criterion("hte.ip_core_support", "score", "points")
def ip_core_support(x) -> Out:
    return _expert_item(x, "expert_core_support", "score.ip.core_support_max")


@criterion("hte.ip_quantity", "score", "points")
def ip_quantity(x) -> Out:
    ops = x.ops
    b1, b2 = x.p("score.ip.quantity_class1_bands"), x.p("score.ip.quantity_class2_bands")
    i1, i2 = ops.band(b1, x.f.ip_class1), ops.band(b2, x(unused_class2))
    first = ops.pick(i1, [r.points_max for r in b1.rows]) > 0
    lo = ops.where(
        first, ops.pick(i1, [r.points_min for r in b1.rows]), ops.pick(i2, [r.points_min for r in b2.rows])
    )
    hi = ops.where(
        first, ops.pick(i1, [r.points_max for r in b1.rows]), ops.pick(i2, [r.points_max for r in b2.rows])
    )
    labels = (
        *((f"Ⅰ类{zh}", f"Class I {en}") for zh, en in b1.labels),
        *((f"Ⅱ类{zh}", f"Class II {en}") for zh, en in b2.labels),
        NO_IP,
    )
    empty = x(no_ip)
    return Out(
        points_min=ops.where(empty, 0, lo),
        points_max=ops.where(empty, 0, hi),
        band=ops.where(empty, len(labels) - 1, ops.where(first, i1, len(b1.rows) + i2)),
        labels=labels,
    )


@criterion("hte.ip_acquisition", "score", "points")
def ip_acquisition(x) -> Out:
    ops = x.ops
    own, other = x.p("score.ip.acquisition_self"), x.p("score.ip.acquisition_other")
    flag, empty = x.f.ip_self_developed, x(no_ip)
    unknown = ops.is_null(flag)

    def end(i: int, pick):
        return ops.where(
            empty, 0, ops.where(unknown, pick(own[i], other[i]), ops.where(flag, own[i], other[i]))
        )

    return Out(
        points_min=end(0, min),
        points_max=end(1, max),
        band=ops.where(empty, 0, ops.where(unknown, 1, ops.where(flag, 2, 3))),
        labels=(
            NO_IP,
            ("获得方式未填", "not stated"),
            ("自主研发", "self-developed"),
            ("受让、受赠、并购", "transferred, donated or acquired"),
        ),
    )


@criterion("hte.ip_standards_bonus", "score", "points")
def ip_standards_bonus(x) -> Out:
    ops, bonus = x.ops, x.p("score.ip.standards_bonus")
    has = ops.all_(ops.not_(x(no_ip)), ops.fill_null(x.f.standards_led, 0) > 0)
    return Out(
        points_min=ops.where(has, bonus[0], 0),
        points_max=ops.where(has, bonus[1], 0),
        band=ops.where(has, 1, 0),
        labels=(
            ("无", "none"),
            ("参与编制标准、检测方法或技术规范", "co-drafted a standard, method or specification"),
        ),
    )


IP_ITEMS = (
    "hte.ip_advancement",
    "hte.ip_core_support",
    "hte.ip_quantity",
    "hte.ip_acquisition",
    "hte.ip_standards_bonus",
)


@criterion("hte.ip_score", "score", "points")
def ip_score(x) -> Out:
    ops, cap = x.ops, x.p("score.ip.max")
    items = [x.crit(c) for c in IP_ITEMS]
    return Out(
        points_min=ops.min_(cap, ops.sum_([i.points_min for i in items])),
        points_max=ops.min_(cap, ops.sum_([i.points_max for i in items])),
        shown=lambda: {"class1": x.f.ip_class1, "class2": x.f.ip_class2},
        threshold=lambda: Threshold(
            "<=", cap, f"知识产权指标合计不超过{cap}分", f"IP items total at most {cap} points"
        ),
    )


def conversion_divisor(x):
    """Conversions are averaged over the firm's years (at most score.conversion.years, at least 1)."""
    return x.ops.max_(1, x.ops.min_(x.p("score.conversion.years"), x(n_operating)))


@criterion("hte.conversion_score", "score", "per_year")
def conversion_score(x) -> Out:
    ops, bands = x.ops, x.p("score.conversion.bands")
    conv, divisor = x.f.achievement_conversions, x(conversion_divisor)
    i = ops.band(bands, conv, divisor)
    return Out(
        points_min=ops.pick(i, [r.points_min for r in bands.rows]),
        points_max=ops.pick(i, [r.points_max for r in bands.rows]),
        value=Ratio(conv, divisor),
        band=i,
        labels=bands.labels,
        threshold=lambda: Threshold(
            "band", bands, "年均转化数按档计分", "By band of yearly average conversions"
        ),
        detail=lambda: {"conversions": conv, "years": divisor},
    )


@criterion("hte.rnd_management_score", "score", "points")
def rnd_management_score(x) -> Out:
    ops, given = x.ops, x.f.expert_rnd_management
    return Out(
        points_min=ops.fill_null(given, 0),
        points_max=ops.fill_null(given, x.p("score.rnd_management.max")),
        shown=lambda: given,  # = the points when given: no bulk column
        band=ops.where(ops.is_null(given), 0, 1),
        labels=(("待专家评分", "awaiting experts"), ("专家评分", "expert-scored")),
    )


def _growth(x, terms) -> Out:
    ops, bands = x.ops, x.p("score.growth.bands")
    num, den, none = x(terms)
    i = ops.where(none, len(bands.rows) - 1, ops.band(bands, num, den, shift=1))
    rate = lambda: None if none else Fraction(num, den) - 1  # noqa: E731 - scalar explanation only
    return Out(
        points_min=ops.pick(i, [r.points_min for r in bands.rows]),
        points_max=ops.pick(i, [r.points_max for r in bands.rows]),
        band=i,
        labels=bands.labels,
        shown=lambda: shown_fraction(rate()) if rate() is not None else None,
        threshold=lambda: Threshold("band", bands, "增长率按档计分", "By band of growth rate"),
        note=lambda: growth_note(x, terms),
        detail=lambda: {"rate": rate()} if rate() is not None else {},
    )


def growth_note(x, terms) -> str:
    """How the rate was computed (scalar explanation)."""
    stem = "net_assets" if terms is growth_net_assets else "revenue"
    values = [getattr(x.f, f"{stem}_y{k}") for k in operating_years(x)]
    if len(values) < 2:
        return "经营不足两年，按0分"
    if any(v < 0 for v in values) and x.p("score.growth.negative_rule") == "zero":
        return "存在负值，按0分（平台约定，见参数 score.growth.negative_rule）"
    if len(values) == 2:
        if x.p("score.growth.two_year_rule") != "ratio":
            return "两年数据按0分（参数设定）"
        return "第一年为0，按0分" if values[0] == 0 else "两年数据"
    if values[1] == 0:
        return "第二年为0，按0分"
    return "第一年为0，按第二、三年计算" if values[0] == 0 else "三年数据"


@criterion("hte.growth_net_assets_score", "score", "ratio")
def growth_net_assets_score(x) -> Out:
    return _growth(x, growth_net_assets)


@criterion("hte.growth_revenue_score", "score", "ratio")
def growth_revenue_score(x) -> Out:
    return _growth(x, growth_revenue)


SCORE_PARTS = (
    "hte.ip_score",
    "hte.conversion_score",
    "hte.rnd_management_score",
    "hte.growth_net_assets_score",
    "hte.growth_revenue_score",
)


@criterion("hte.score", "condition", "points")
def score(x) -> Out:
    ops, bar = x.ops, x.p("score.pass_above")
    parts = [x.crit(c) for c in SCORE_PARTS]
    lo, hi = ops.sum_([p.points_min for p in parts]), ops.sum_([p.points_max for p in parts])
    return Out(
        passed=ops.where(lo > bar, True, ops.where(hi <= bar, False, None)),
        points_min=lo,
        points_max=hi,
        shown=lambda: lo if lo == hi else None,  # = the points: no bulk column
        threshold=lambda: Threshold(
            ">", bar, f"企业创新能力评价得分高于{bar}分", f"Innovation-capability score above {bar} points"
        ),
        band_text=lambda: (f"{lo}–{hi}",) * 2 if lo != hi else (str(lo),) * 2,
    )


@RULES.verdict_of
def verdict(x) -> dict:
    ops, bar = x.ops, x.p("score.pass_above")
    total = x.crit("hte.score")
    lo, hi = total.points_min, total.points_max
    hard_ok = ops.all_(*(x.crit(c).passed for c in HARD))
    outcome = ops.where(
        ops.any_(ops.not_(hard_ok), hi <= bar), "fail", ops.where(lo > bar, "pass", "undetermined")
    )
    return {
        "outcome": outcome,
        "eligible": ops.where(outcome == "pass", True, ops.where(outcome == "fail", False, None)),
        "score": ops.where(lo == hi, lo, None),
        "score_min": lo,
        "score_max": hi,
    }
