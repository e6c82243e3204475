"""对标找差 for the tech-SME evaluation: the cheapest set of band steps that reaches the pass score.

Cost model (parameters `gap.cost.*`, illustrative defaults, in yuan-equivalents): one added tech person
costs `tech_staff_person`; one yuan of extra R&D costs `rnd_yuan`; one added Class I / Class II IP item costs
`ip_class1` / `ip_class2`. For each indicator the options are "stay" or "reach band b" with the minimal
integer change; the search tries every combination (at most ~6 x 11 x 6) and keeps the cheapest whose total
reaches `score.pass_min` with a tech-staff score above 0 (ties: fewer indicators changed, then more points).

Coupling, computed exactly: a new tech person is also a new employee (ratio (t+k)/(e+k)), and must not push
employees over the size limit; new R&D spending is also a cost (ratio (r+x)/(c+x) for the cost route).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import product

from gaoqi.policy.core.bands import min_add_for_band, pct_text
from gaoqi.policy.core.common import wan, wan_en
from gaoqi.policy.core.facts import EnterpriseFacts
from gaoqi.policy.core.model import Evaluation, Gap, Policy
from gaoqi.policy.policies.tech_sme.rules import RULES, rnd_base


@dataclass(frozen=True)
class _Option:
    points: int
    cost: int
    changes: tuple[tuple[str, int], ...]
    gap: Gap | None


def _count_needed(lower: Fraction, strict: bool) -> int:
    return math.floor(lower) + 1 if strict else math.ceil(lower)


def _staff_options(f: EnterpriseFacts, p: Policy, current: int) -> list[_Option]:
    bands = p.value("score.tech_staff_bands")
    unit_cost = p.value("gap.cost.tech_staff_person")
    emp_max = p.value("size.employees_max")
    out = [_Option(current, 0, (), None)]
    for row in bands.rows:
        if row.lower is None or row.points_min <= current:
            continue
        k = min_add_for_band(f.tech_staff, f.employees, row.lower, row.strict, coupled=True)
        if k <= 0 or f.employees + k > emp_max:
            continue
        msg = f"需增加科技人员 {k} 人（科技人员占比达到{pct_text(row.lower)}，该项得 {row.points_min} 分）"
        en = f"Add {k} tech staff (share reaches {pct_text(row.lower)}; the indicator scores {row.points_min} points)"
        ch = (("tech_staff", k), ("employees", k))
        gap = Gap(
            "tech_sme.tech_staff_score",
            "tech_staff",
            f.tech_staff,
            f.tech_staff + k,
            k,
            "persons",
            msg,
            en,
            ch,
            k * unit_cost,
            row.points_min - current,
        )
        out.append(_Option(row.points_min, k * unit_cost, ch, gap))
    return out


def _rnd_options(f: EnterpriseFacts, p: Policy, current: int, base_rnd: int) -> list[_Option]:
    per_yuan = p.value("gap.cost.rnd_yuan")
    out = [_Option(current, 0, (), None)]
    routes = (
        ("score.rnd_revenue_bands", f.revenue_y3, False, "销售收入", "sales revenue"),
        ("score.rnd_cost_bands", f.total_cost, True, "成本费用总额", "total costs"),
    )
    for pname, base, coupled, label, label_en in routes:
        for row in p.value(pname).rows:
            if row.lower is None or row.points_min <= current:
                continue
            x = min_add_for_band(base_rnd, base, row.lower, row.strict, coupled)
            if x <= 0:
                continue
            cost = math.ceil(x * per_yuan)
            msg = (
                f"研发费用需再增加 {wan(x)} 万元（研发费用占{label}比例达到{pct_text(row.lower)}，"
                f"研发投入得 {row.points_min} 分）"
            )
            en = (
                f"Raise R&D spending by {wan_en(x)} (share of {label_en} reaches {pct_text(row.lower)}; "
                f"the R&D indicator scores {row.points_min} points)"
            )
            ch = (("rnd_expense_y3", x), ("total_cost", x))
            if f.rnd_expense_deductible_y3 is not None:  # the indicator reads the super-deduction base
                ch = (*ch, ("rnd_expense_deductible_y3", x))
            gap = Gap(
                "tech_sme.rnd_score",
                "rnd_expense_y3",
                f.rnd_expense_y3,
                f.rnd_expense_y3 + x,
                x,
                "CNY",
                msg,
                en,
                ch,
                cost,
                row.points_min - current,
            )
            out.append(_Option(row.points_min, cost, ch, gap))
    return out


def _ip_options(f: EnterpriseFacts, p: Policy, current: int) -> list[_Option]:
    out = [_Option(current, 0, (), None)]
    c1_min, c1_pts = p.value("score.ip_class1_min"), p.value("score.ip_class1_points")
    if c1_pts > current:
        k = c1_min - f.ip_class1
        cost = k * p.value("gap.cost.ip_class1")
        gap = Gap(
            "tech_sme.ip_score",
            "ip_class1",
            f.ip_class1,
            c1_min,
            k,
            "items",
            f"再取得 {k} 项Ⅰ类知识产权可得 {c1_pts} 分",
            f"Obtain {k} more Class I IP item(s) for {c1_pts} points",
            (("ip_class1", k),),
            cost,
            c1_pts - current,
        )
        out.append(_Option(c1_pts, cost, (("ip_class1", k),), gap))
    for row in p.value("score.ip_class2_bands").rows:
        if row.lower is None or row.points_min <= current:
            continue
        need = _count_needed(row.lower, row.strict)
        k = need - f.ip_class2
        if k <= 0:
            continue
        cost = k * p.value("gap.cost.ip_class2")
        gap = Gap(
            "tech_sme.ip_score",
            "ip_class2",
            f.ip_class2,
            need,
            k,
            "items",
            f"再取得 {k} 项Ⅱ类知识产权可升至 {row.points_min} 分档",
            f"Obtain {k} more Class II IP item(s) to reach the {row.points_min}-point band",
            (("ip_class2", k),),
            cost,
            row.points_min - current,
        )
        out.append(_Option(row.points_min, cost, (("ip_class2", k),), gap))
    return out


def _points(x) -> tuple[int, int, int]:
    return (
        x.crit("tech_sme.tech_staff_score").points,
        x.crit("tech_sme.rnd_score").points,
        x.crit("tech_sme.ip_score").points,
    )


def cheapest_score_plan(x) -> tuple[_Option, ...] | None:
    """The cheapest (staff, R&D, IP) option triple reaching the pass score, or None if none does."""
    f, p = x.facts, x.policy
    ts_p, rnd_p, ip_p = _points(x)
    pass_min = p.value("score.pass_min")
    best_key, best = None, None
    for combo in product(
        _staff_options(f, p, ts_p), _rnd_options(f, p, rnd_p, x(rnd_base)), _ip_options(f, p, ip_p)
    ):
        total = sum(o.points for o in combo)
        if total < pass_min or combo[0].points <= 0:
            continue
        key = (sum(o.cost for o in combo), sum(1 for o in combo if o.gap), -total)
        if best_key is None or key < best_key:
            best_key, best = key, combo
    return best


_FLAG_MESSAGES = {
    "tech_sme.industry": (
        "产品属于国家禁止、限制或淘汰类，不符合评价条件",
        "The products are in a prohibited, restricted or phased-out category: not eligible",
    ),
    "tech_sme.no_major_incident": (
        "存在重大安全、质量事故或严重环境违法记录，需待记录期满",
        "A major safety or quality incident or serious environmental violation is on record: wait until it expires",
    ),
    "tech_sme.no_bad_credit": (
        "列入经营异常名录或严重失信名单，需先完成信用修复",
        "On the abnormal-operation or seriously-dishonest list: repair the credit first",
    ),
    "tech_sme.no_research_misconduct": (
        "存在科研严重失信行为记录，需待记录期满",
        "A serious research misconduct record is on file: wait until it expires",
    ),
    "tech_sme.resident": (
        "需为境内注册的居民企业（个体工商户、社会组织、机关事业单位等不属于评价对象）",
        "Must be a resident enterprise registered in China (individual businesses, social organisations and public bodies are not evaluated)",
    ),
}


def basic_gaps(ev: Evaluation) -> list[Gap]:
    out: list[Gap] = []
    by_id = {c.id: c for c in ev.criteria}
    for cid, field, unit, what, what_en in (
        ("tech_sme.employees", "employees", "persons", "职工总数", "Employees exceed"),
        ("tech_sme.revenue", "revenue_y3", "CNY", "年销售收入", "Annual sales revenue exceeds"),
        ("tech_sme.assets", "total_assets", "CNY", "资产总额", "Total assets exceed"),
    ):
        c = by_id[cid]
        if c.passed is False:
            limit = c.threshold.value
            over = c.value - limit
            shown = f"{over} 人" if unit == "persons" else f"{wan(over)} 万元"
            shown_en = f"{over} person(s)" if unit == "persons" else wan_en(over)
            out.append(
                Gap(
                    cid,
                    field,
                    c.value,
                    limit,
                    -over,
                    unit,
                    f"{what}超出上限 {shown}，不属于中小企业规模（不可通过培育弥补）",
                    f"{what_en} the limit by {shown_en}: not an SME by size (cannot be closed by cultivation)",
                )
            )
    for cid, (zh, en) in _FLAG_MESSAGES.items():
        if by_id[cid].passed is False:
            out.append(Gap(cid, None, by_id[cid].value, None, None, "", zh, en))
    return out


@RULES.gap_analysis
def tech_sme_gaps(x, ev: Evaluation) -> list[Gap]:
    if ev.eligible:
        return []
    p = x.policy
    out = basic_gaps(ev)
    ts_p = _points(x)[0]
    score_ok = ev.score >= p.value("score.pass_min") and ts_p > 0
    if score_ok:
        return out
    plan = cheapest_score_plan(x)
    pass_min = p.value("score.pass_min")
    if plan is None:
        out.append(
            Gap(
                "tech_sme.score",
                None,
                ev.score,
                pass_min,
                pass_min - ev.score,
                "points",
                f"评价得分 {ev.score} 分，在职工人数上限内无法通过增加科技人员、研发投入和知识产权达到 {pass_min} 分",
                f"Score {ev.score}: no increase in tech staff, R&D or IP within the employee limit reaches {pass_min} points",
            )
        )
        return out
    steps = [o.gap for o in plan if o.gap]
    total = sum(o.points for o in plan)
    cost = sum(o.cost for o in plan)
    need = "且科技人员指标得分需大于0" if ts_p == 0 else ""
    need_en = " with a tech staff score above 0" if need else ""
    summary = Gap(
        "tech_sme.score",
        None,
        ev.score,
        pass_min,
        total - ev.score,
        "points",
        f"评价得分 {ev.score} 分，需达到 {pass_min} 分{need}；成本最低的组合（约 {wan(cost)} 万元当量）："
        + "；".join(g.message_zh for g in steps)
        + f"，合计可得 {total} 分",
        f"Score {ev.score}, needs {pass_min}{need_en}; cheapest combination (about {wan_en(cost)} "
        f"equivalent): " + "; ".join(g.message_en for g in steps) + f", for {total} points in all",
        (),
        cost,
        total - ev.score,
    )
    return [*out, summary, *steps]
