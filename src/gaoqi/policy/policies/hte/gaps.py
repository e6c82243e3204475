"""对标找差 for HTE certification: per failing hard condition the minimal change; then the score.

Hard-condition changes (all exact, integer, rounded up):
- tech staff: k new tech hires, each also an employee: (t+k)/(e+k) >= min ratio;
- R&D ratio / domestic share: extra *domestic* R&D in the latest year (`_y3`); the domestic gap is what is
  still missing after the ratio gap, so applying both reaches both (total = max of the two needs);
- high-tech income: a shift of product mix at constant total income (hitech + h)/total >= min ratio;
- core IP: one more Class II item. Founding date, tech field and incidents cannot be changed by figures.
Score (when score_max <= pass_above): which band steps could add the missing points, each with its gain in
the maximum score; they are options, not a combined plan.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from fractions import Fraction

from gaoqi.policy.core.bands import min_add_for_ratio, pct_text
from gaoqi.policy.core.common import operating_years, wan, wan_en
from gaoqi.policy.core.model import Evaluation, Gap
from gaoqi.policy.core.rules import ScalarContext
from gaoqi.policy.policies.hte.rules import (
    RULES,
    conversion_divisor,
    domestic_sum,
    revenue_sum,
    rnd_sum,
    rnd_tier,
    unused_class2,
)


def _bound_en(row) -> str:
    if row.lower is None:
        return "the lowest band"
    return f"{'above' if row.strict else 'at least'} {pct_text(row.lower)}"


def _max_after(x, **changes) -> int:
    """The maximum score with some facts changed (re-evaluated, not estimated)."""
    alt = ScalarContext(x.rules, x.policy, x.as_of, replace(x.facts, **changes))
    return alt.crit("hte.score").points_max


def _hard_gaps(x, failed: set[str]) -> list[Gap]:
    f, p, as_of = x.facts, x.policy, x.as_of
    out: list[Gap] = []
    years = operating_years(x)
    if "hte.registered_one_year" in failed:
        days = p.value("registration.min_days")
        since = f.founded_on + timedelta(days=days)
        out.append(
            Gap(
                "hte.registered_one_year",
                "founded_on",
                f.founded_on,
                since,
                (since - as_of).days,
                "days",
                f"注册成立未满{days}个日历天，{since.isoformat()} 起方可申请",
                f"Registered for less than {days} calendar days; may apply from {since.isoformat()}",
            )
        )
    if "hte.core_ip" in failed:
        k = p.value("ip.min_count") - (f.ip_class1 + x(unused_class2))
        out.append(
            Gap(
                "hte.core_ip",
                "ip_class2",
                f.ip_class2,
                f.ip_class2 + k,
                k,
                "items",
                f"需取得对主要产品起核心支持作用的知识产权 {k} 项",
                f"Obtain {k} IP item(s) giving core support to the main products",
                (("ip_class2", k),),
            )
        )
    if "hte.tech_field" in failed:
        out.append(
            Gap(
                "hte.tech_field",
                "tech_field",
                f.tech_field,
                None,
                None,
                "",
                "主要产品（服务）的核心技术需属于《国家重点支持的高新技术领域》",
                "The core technology of the main products (services) must be in the State-supported high-tech fields",
            )
        )
    if "hte.tech_staff_ratio" in failed:
        r = p.value("tech_staff.min_ratio")
        k = min_add_for_ratio(f.tech_staff, f.employees, r, coupled=True)
        out.append(
            Gap(
                "hte.tech_staff_ratio",
                "tech_staff",
                f.tech_staff,
                f.tech_staff + k,
                k,
                "persons",
                f"需增加科技人员 {k} 人（新增人员同时计入职工总数，占比达到{pct_text(r)}）",
                f"Add {k} tech staff (new hires also count as employees; share reaches {pct_text(r)})",
                (("tech_staff", k), ("employees", k)),
            )
        )
    rnd, rev, dom = x(rnd_sum), x(revenue_sum), x(domestic_sum)
    need = p.value("rnd.ratio_tiers")[x(rnd_tier)].required
    x_rnd = 0
    if "hte.rnd_ratio" in failed:
        if rev <= 0:
            out.append(
                Gap(
                    "hte.rnd_ratio",
                    "revenue_y3",
                    rev,
                    None,
                    None,
                    "CNY",
                    "近年无销售收入，无法计算研发费用占比",
                    "No sales revenue in recent years: the R&D share cannot be computed",
                )
            )
        else:
            x_rnd = min_add_for_ratio(rnd, rev, need, coupled=False)
            ch = (("rnd_expense_y3", x_rnd), ("rnd_expense_domestic_y3", x_rnd))
            out.append(
                Gap(
                    "hte.rnd_ratio",
                    "rnd_expense_y3",
                    rnd,
                    rnd + x_rnd,
                    x_rnd,
                    "CNY",
                    f"近{len(years)}年研发费用需再增加 {wan(x_rnd)} 万元（境内支出；占同期销售收入达到{pct_text(need)}）",
                    f"Raise {len(years)}-year R&D spending by {wan_en(x_rnd)} (domestic spending; share of sales revenue "
                    f"reaches {pct_text(need)})",
                    ch,
                )
            )
    if "hte.rnd_domestic_ratio" in failed:
        r = p.value("rnd.domestic_min_ratio")
        y = min_add_for_ratio(dom + x_rnd, rnd + x_rnd, r, coupled=True)
        if y == 0:
            out.append(
                Gap(
                    "hte.rnd_domestic_ratio",
                    "rnd_expense_domestic_y3",
                    dom,
                    dom + x_rnd,
                    0,
                    "CNY",
                    f"按上条增加境内研发费用后，境内研发费用占比即可达到{pct_text(r)}",
                    f"Met once the domestic R&D above is added: the domestic share then reaches {pct_text(r)}",
                )
            )
        else:
            out.append(
                Gap(
                    "hte.rnd_domestic_ratio",
                    "rnd_expense_domestic_y3",
                    dom + x_rnd,
                    dom + x_rnd + y,
                    y,
                    "CNY",
                    f"境内研发费用需再增加 {wan(y)} 万元（占全部研发费用达到{pct_text(r)}）",
                    f"Raise domestic R&D spending by {wan_en(y)} (share of all R&D reaches {pct_text(r)})",
                    (("rnd_expense_y3", y), ("rnd_expense_domestic_y3", y)),
                )
            )
    if "hte.hitech_income_ratio" in failed:
        r = p.value("hitech_income.min_ratio")
        if f.total_income <= 0:
            out.append(
                Gap(
                    "hte.hitech_income_ratio",
                    "total_income",
                    0,
                    None,
                    None,
                    "CNY",
                    "近一年无总收入",
                    "No total income in the last year",
                )
            )
        else:
            h = min_add_for_ratio(f.hitech_revenue, f.total_income, r, coupled=False)
            out.append(
                Gap(
                    "hte.hitech_income_ratio",
                    "hitech_revenue",
                    f.hitech_revenue,
                    f.hitech_revenue + h,
                    h,
                    "CNY",
                    f"高新技术产品（服务）收入需再增加 {wan(h)} 万元（总收入不变，占比达到{pct_text(r)}）",
                    f"Raise high-tech product (service) income by {wan_en(h)} (total income unchanged; share reaches "
                    f"{pct_text(r)})",
                    (("hitech_revenue", h),),
                )
            )
    if "hte.no_major_incident" in failed:
        out.append(
            Gap(
                "hte.no_major_incident",
                "major_incident",
                True,
                False,
                None,
                "",
                "申请前一年内发生重大安全、质量事故或严重环境违法，需待满一年后申请",
                "A major safety or quality incident or serious environmental violation in the year before applying: "
                "apply once a full year has passed",
            )
        )
    return out


def _count_needed(lower: Fraction, strict: bool) -> int:
    return math.floor(lower) + 1 if strict else math.ceil(lower)


def _ip_options(x, hi: int) -> list[Gap]:
    f, p = x.facts, x.policy
    out = []
    for fname, label, label_en, bands in (
        ("ip_class1", "Ⅰ类", "Class I", "score.ip.quantity_class1_bands"),
        ("ip_class2", "Ⅱ类", "Class II", "score.ip.quantity_class2_bands"),
    ):
        have = f.ip_class1 if fname == "ip_class1" else x(unused_class2)
        for row in reversed(p.value(bands).rows):
            if row.lower is None:
                continue
            need = _count_needed(row.lower, row.strict)
            k = need - have
            if k <= 0:
                continue
            gain = _max_after(x, **{fname: getattr(f, fname) + k}) - hi
            if gain > 0:
                out.append(
                    Gap(
                        "hte.ip_quantity",
                        fname,
                        getattr(f, fname),
                        getattr(f, fname) + k,
                        k,
                        "items",
                        f"再取得 {k} 项{label}知识产权可升至 {row.points_min}–{row.points_max} 分档（最高分 +{gain}）",
                        f"Obtain {k} more {label_en} IP item(s) to reach the {row.points_min}-{row.points_max} point band "
                        f"(max score +{gain})",
                        ((fname, k),),
                        points_gain=gain,
                    )
                )
                break
    if (f.standards_led or 0) == 0:
        gain = _max_after(x, standards_led=1) - hi
        if gain > 0:
            out.append(
                Gap(
                    "hte.ip_standards_bonus",
                    "standards_led",
                    0,
                    1,
                    1,
                    "items",
                    f"参与编制国家或行业标准、检测方法、技术规范可加分（最高分 +{gain}）",
                    f"Taking part in drafting a national or industry standard, test method or technical "
                    f"specification earns a bonus (max score +{gain})",
                    (("standards_led", 1),),
                    points_gain=gain,
                )
            )
    return out


def _conversion_option(x) -> list[Gap]:
    f, p = x.facts, x.policy
    divisor = x(conversion_divisor)
    bands = p.value("score.conversion.bands")
    i = bands.index_for_ratio(f.achievement_conversions, divisor)
    if i == 0:
        return []
    row = bands.rows[i - 1]
    need = _count_needed(row.lower * divisor, row.strict)
    k = need - f.achievement_conversions
    gain = row.points_max - bands.rows[i].points_max
    return [
        Gap(
            "hte.conversion_score",
            "achievement_conversions",
            f.achievement_conversions,
            need,
            k,
            "items",
            f"科技成果转化再增加 {k} 项可升至 {row.points_min}–{row.points_max} 分档（最高分 +{gain}）",
            f"{k} more technology conversion(s) reach the {row.points_min}-{row.points_max} point band (max score +{gain})",
            (("achievement_conversions", k),),
            points_gain=gain,
        )
    ]


def _growth_option(x, stem: str, cid: str, what: str, what_en: str) -> list[Gap]:
    f, p = x.facts, x.policy
    vals = [getattr(f, f"{stem}_y{k}") for k in operating_years(x)]
    g_hi = x.crit(cid).points_max
    bands = p.value("score.growth.bands")
    i = x.crit(cid).band
    if i == 0 or any(v < 0 for v in vals[:-1]):
        return []
    row = bands.rows[i - 1]
    if len(vals) == 3 and vals[1] > 0:
        v1, v2 = vals[0], vals[1]
        rhs = v2 * (1 + row.lower) if v1 == 0 else v2 * (2 * (1 + row.lower) - Fraction(v2, v1))
    elif len(vals) == 2 and vals[0] > 0 and p.value("score.growth.two_year_rule") == "ratio":
        rhs = vals[0] * (1 + row.lower)
    else:
        return []
    need = max(0, _count_needed(rhs, row.strict))
    k = need - vals[-1]
    if k <= 0:
        return []
    gain = row.points_max - g_hi
    return [
        Gap(
            cid,
            f"{stem}_y3",
            vals[-1],
            need,
            k,
            "CNY",
            f"最近一年{what}需达到 {wan(need)} 万元（增长率{row.label}），可升至 {row.points_min}–{row.points_max} 分档"
            f"（最高分 +{gain}）",
            f"Last year's {what_en} must reach {wan_en(need)} (growth rate {_bound_en(row)}) for the "
            f"{row.points_min}-{row.points_max} point band (max score +{gain})",
            ((f"{stem}_y3", k),),
            points_gain=gain,
        )
    ]


def _score_gaps(x, core: Evaluation) -> list[Gap]:
    p = x.policy
    bar = p.value("score.pass_above")
    if core.score_max > bar:
        missing = bar + 1 - core.score_min
        return [
            Gap(
                "hte.score",
                None,
                [core.score_min, core.score_max],
                bar + 1,
                missing,
                "points",
                f"创新能力评价得分区间 {core.score_min}–{core.score_max} 分，是否高于{bar}分取决于专家评分"
                f"（保底还差 {missing} 分）",
                f"Innovation score range {core.score_min}-{core.score_max}: whether it exceeds {bar} depends on the "
                f"expert scores ({missing} point(s) short at the minimum)",
            )
        ]
    options = [
        *_ip_options(x, core.score_max),
        *_conversion_option(x),
        *_growth_option(x, "revenue", "hte.growth_revenue_score", "销售收入", "sales revenue"),
        *_growth_option(x, "net_assets", "hte.growth_net_assets_score", "净资产", "net assets"),
    ]
    options.sort(key=lambda g: -g.points_gain)
    missing = bar + 1 - core.score_max
    head = Gap(
        "hte.score",
        None,
        core.score_max,
        bar + 1,
        missing,
        "points",
        f"创新能力评价最高可得 {core.score_max} 分，需高于{bar}分，至少还差 {missing} 分"
        + ("；可提分项：" + "；".join(g.message_zh for g in options) if options else "；无可计算的提分项"),
        f"Innovation score at most {core.score_max}, needs more than {bar}: at least {missing} point(s) short"
        + (
            "; options: " + "; ".join(g.message_en for g in options) if options else "; no computable options"
        ),
    )
    return [head, *options]


@RULES.gap_analysis
def hte_gaps(x, ev: Evaluation) -> list[Gap]:
    failed = {
        c.id for c in ev.criteria if c.kind == "condition" and c.passed is False and c.id != "hte.score"
    }
    out = _hard_gaps(x, failed)
    if ev.outcome != "pass":
        out.extend(_score_gaps(x, ev))
    return out
