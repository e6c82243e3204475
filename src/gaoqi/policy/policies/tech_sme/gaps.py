"""对标找差 for the tech-SME evaluation: the cheapest set of band steps that reaches the pass, verified.

Year model. The evaluation reads the last closed year Y-1 (`_y3`; Y = the evaluation year) and figures as
reported (staff, IP...). Those cannot change any more: the advice is for the next evaluation, in Y+1, on the
figures of the current year Y, taken as equal to Y-1's unless the advice changes them; every message names the
year ("spend ... more on R&D in 2024 than in 2023", "before the evaluation in 2025"). Since the policy reads
only the latest year, `Gap.changes` are increments that give the same result whether applied to the facts as
reported (same evaluation date) or to the next window's facts (`hte.gaps.next_window`, one year later).

Gap kinds (tests rely on them):
- a finding (no `changes`): a basic condition figures cannot fix, or a ratio that cannot be computed;
- an option (`changes`, `field` set, `points_gain`, `cost`): one indicator's band step; applied alone it
  raises that indicator by `points_gain` and breaks no condition the firm meets. Tech staff come two ways:
  hire k (tech staff +k and employees +k, within the employee limit) or re-designate k existing employees
  (科技人员: at least 183 days of R&D in the year; tech staff +k, employees unchanged, only while tech staff
  stays within employees);
- the score combination (criterion `tech_sme.score`, `field` None, `changes` = its steps combined): applied
  alone the score condition is met (score >= `score.pass_min` with a tech-staff score above 0);
- the plan (criterion "tech_sme", `field` None, the same `changes`): present when no basic condition fails,
  so that applied alone the firm passes.

The combination is chosen by the cost model (parameters `gap.cost.*`, illustrative defaults, in
yuan-equivalents: one added tech person costs `tech_staff_person`; a re-designated employee a fifth of that
(`REDESIGNATE_SHARE`, until a parameter exists); one yuan of extra R&D `rnd_yuan`; one Class I / Class II IP
item `ip_class1` / `ip_class2`). The model is an estimate used only to rank plans and is labelled so in
every message ("估算，仅用于比较方案"), never a sum to spend. For each indicator the options are "stay" or
"reach band b" with the least integer change (points re-evaluated, not assumed); every combination is tried
and the cheapest reaching the pass line wins (ties: fewer indicators changed, then more points), after a
re-evaluation of the combined facts confirms it. R&D needs a ratio: with no sales revenue (or no total
costs) the ratio cannot be computed and the message says so instead of asking for one yuan of R&D.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Any

from gaoqi.policy.core.bands import min_add_for_band, pct_text
from gaoqi.policy.core.common import wan, wan_en
from gaoqi.policy.core.engine import validate_facts
from gaoqi.policy.core.gap import (
    STAFF_DAYS,
    Changes,
    apply_changes,
    count_needed,
    days_left_note,
    merge_changes,
    share_text,
)
from gaoqi.policy.core.model import Evaluation, Gap, Policy
from gaoqi.policy.core.rules import ScalarContext
from gaoqi.policy.policies.tech_sme.rules import BASIC, RULES, rnd_base

REDESIGNATE_SHARE = Fraction(1, 5)
REDESIGNATE_PARAM = "gap.cost.tech_staff_redesignated"  # read when the policy declares it
ESTIMATE_ZH = "估算，仅用于比较方案，不是需要支出的金额"
ESTIMATE_EN = "an estimate used only to compare plans, not a sum to spend"


@dataclass(frozen=True)
class _Option:
    points: int
    cost: int
    changes: Changes
    gap: Gap | None
    kind: str = ""  # "hire" / "redesignate" for tech staff


def _alt(x: ScalarContext, changes: Changes) -> ScalarContext | None:
    """The firm's context with `changes` applied (same date: the policy reads the latest year only)."""
    facts = apply_changes(x.facts, changes)
    if validate_facts(facts, x.policy, x.as_of):
        return None
    return ScalarContext(x.rules, x.policy, x.as_of, facts)


def _keeps(x: ScalarContext, cx: ScalarContext) -> bool:
    """No criterion with a verdict that passes for the firm fails after the change."""
    return not any(x.crit(c).passed is True and cx.crit(c).passed is False for c in x.rules.criteria)


def lower_first(text: str) -> str:
    """An English sentence continued inside another one ("...: re-designate 2 ...")."""
    return text[:1].lower() + text[1:]


def staff_costs(p: Policy) -> tuple[int, int]:
    """(cost of a hire, cost of a re-designation) under the cost model."""
    person = p.value("gap.cost.tech_staff_person")
    if REDESIGNATE_PARAM in p.params:
        return person, p.value(REDESIGNATE_PARAM)
    return person, math.ceil(person * REDESIGNATE_SHARE)


def _staff_options(x: ScalarContext, current: int) -> list[_Option]:
    f, p, y = x.facts, x.policy, x.as_of.year
    bands = p.value("score.tech_staff_bands")
    emp_max = p.value("size.employees_max")
    hire_cost, re_cost = staff_costs(p)
    note_zh, note_en = days_left_note(x.as_of)
    out = [_Option(current, 0, (), None)]
    for row in bands.rows:
        if row.lower is None or row.points_min <= current:
            continue
        hire = min_add_for_band(f.tech_staff, f.employees, row.lower, row.strict, coupled=True)
        rede = min_add_for_band(f.tech_staff, f.employees, row.lower, row.strict, coupled=False)
        variants = []
        if hire > 0 and f.employees + hire <= emp_max:
            variants.append(("hire", hire, (("tech_staff", hire), ("employees", hire)), hire * hire_cost))
        if rede > 0 and f.tech_staff + rede <= f.employees:
            variants.append(("redesignate", rede, (("tech_staff", rede),), rede * re_cost))
        for kind, k, ch, cost in variants:
            cx = _alt(x, ch)
            if cx is None or not _keeps(x, cx):
                continue
            pts = cx.crit("tech_sme.tech_staff_score").points
            if pts <= current:
                continue
            share = pct_text(row.lower)
            if kind == "hire":
                zh = (
                    f"{y}年内新招聘科技人员 {k} 人（新增人员同时计入职工总数；科技人员占比达到{share}，该项得 {pts} 分）"
                    f"{note_zh}"
                )
                en = (
                    f"Hire {k} new tech staff in {y} (they also count as employees; the share reaches {share}; "
                    f"the indicator scores {pts} points){note_en}"
                )
            else:
                zh = (
                    f"将现有职工中 {k} 人认定为科技人员（{y}年内累计从事研发和技术创新活动满{STAFF_DAYS}天，职工总数不变；"
                    f"科技人员占比达到{share}，该项得 {pts} 分）{note_zh}"
                )
                en = (
                    f"Re-designate {k} existing employee(s) as tech staff (engaged in R&D or technological "
                    f"innovation for at least {STAFF_DAYS} days in {y}; employees unchanged; the share reaches "
                    f"{share}; the indicator scores {pts} points){note_en}"
                )
            gap = Gap(
                "tech_sme.tech_staff_score",
                "tech_staff",
                f.tech_staff,
                f.tech_staff + k,
                k,
                "persons",
                zh,
                en,
                ch,
                cost,
                pts - current,
            )
            out.append(_Option(pts, cost, ch, gap, kind))
    return out


def rnd_routes(f: Any) -> list[tuple[str, int, bool, str, str]]:
    """The R&D ratios a change can move: (band parameter, denominator, coupled, label zh, label en).

    No sales revenue: the revenue ratio cannot be computed. No total costs: neither route is offered (any
    R&D spending is itself a cost, so a figure of 0 cannot be built on: 1 yuan would make the ratio 100%).
    """
    if f.total_cost <= 0:
        return []
    routes = [("score.rnd_cost_bands", f.total_cost, True, "成本费用总额", "total costs")]
    if f.revenue_y3 > 0:
        routes.insert(0, ("score.rnd_revenue_bands", f.revenue_y3, False, "销售收入", "sales revenue"))
    return routes


def _rnd_options(x: ScalarContext, current: int, base_rnd: int) -> list[_Option]:
    f, p, y = x.facts, x.policy, x.as_of.year
    per_yuan = p.value("gap.cost.rnd_yuan")
    deductible = f.rnd_expense_deductible_y3 is not None
    out = [_Option(current, 0, (), None)]
    for pname, base, coupled, label, label_en in rnd_routes(f):
        for row in p.value(pname).rows:
            if row.lower is None or row.points_min <= current:
                continue
            add = min_add_for_band(base_rnd, base, row.lower, row.strict, coupled)
            if add <= 0:
                continue
            ch: Changes = (("rnd_expense_y3", add), ("total_cost", add))
            if deductible:  # the indicator reads the super-deduction base
                ch = (*ch, ("rnd_expense_deductible_y3", add))
            cx = _alt(x, ch)
            if cx is None or not _keeps(x, cx):
                continue
            pts = cx.crit("tech_sme.rnd_score").points
            if pts <= current:
                continue
            cost = math.ceil(add * per_yuan)
            kind_zh = "可加计扣除的" if deductible else ""
            kind_en = " deductible" if deductible else ""
            gap = Gap(
                "tech_sme.rnd_score",
                "rnd_expense_y3",
                f.rnd_expense_y3,
                f.rnd_expense_y3 + add,
                add,
                "CNY",
                f"{y}年{kind_zh}研发费用需比{y - 1}年增加 {wan(add)} 万元（研发费用占{label}比例达到{pct_text(row.lower)}，"
                f"研发投入得 {pts} 分）",
                f"Spend {wan_en(add)} more on{kind_en} R&D in {y} than in {y - 1} (the share of {label_en} "
                f"reaches {pct_text(row.lower)}; the R&D indicator scores {pts} points)",
                ch,
                cost,
                pts - current,
            )
            out.append(_Option(pts, cost, ch, gap))
    return out


def _ip_options(x: ScalarContext, current: int) -> list[_Option]:
    f, p, y = x.facts, x.policy, x.as_of.year
    out = [_Option(current, 0, (), None)]
    c1_min = p.value("score.ip_class1_min")
    steps = [("ip_class1", c1_min - f.ip_class1, "Ⅰ类", "Class I", p.value("gap.cost.ip_class1"))]
    for row in p.value("score.ip_class2_bands").rows:
        if row.lower is not None:
            k = count_needed(row.lower, row.strict) - f.ip_class2
            steps.append(("ip_class2", k, "Ⅱ类", "Class II", p.value("gap.cost.ip_class2")))
    for fname, k, label, label_en, unit_cost in steps:
        if k <= 0:
            continue
        ch = ((fname, k),)
        cx = _alt(x, ch)
        if cx is None or not _keeps(x, cx):
            continue
        pts = cx.crit("tech_sme.ip_score").points
        if pts <= current:
            continue
        now = getattr(f, fname)
        gap = Gap(
            "tech_sme.ip_score",
            fname,
            now,
            now + k,
            k,
            "items",
            f"{y + 1}年参评前再取得 {k} 项{label}知识产权可升至 {pts} 分档",
            f"Obtain {k} more {label_en} IP item(s) before the evaluation in {y + 1} to reach the {pts}-point band",
            ch,
            k * unit_cost,
            pts - current,
        )
        out.append(_Option(pts, k * unit_cost, ch, gap))
    return out


def _points(x) -> tuple[int, int, int]:
    return (
        x.crit("tech_sme.tech_staff_score").points,
        x.crit("tech_sme.rnd_score").points,
        x.crit("tech_sme.ip_score").points,
    )


def _all_options(x) -> tuple[list[_Option], list[_Option], list[_Option]]:
    ts_p, rnd_p, ip_p = _points(x)
    return (
        _staff_options(x, ts_p),
        _rnd_options(x, rnd_p, x(rnd_base)),
        _ip_options(x, ip_p),
    )


def cheapest_score_plan(x, options=None) -> tuple[_Option, ...] | None:
    """The cheapest verified (staff, R&D, IP) option triple meeting the score condition, or None."""
    p = x.policy
    pass_min = p.value("score.pass_min")
    staff, rnd, ip = options or _all_options(x)
    candidates = []
    for combo in product(staff, rnd, ip):
        total = sum(o.points for o in combo)
        if total < pass_min or combo[0].points <= 0:
            continue
        candidates.append(((sum(o.cost for o in combo), sum(1 for o in combo if o.gap), -total), combo))
    candidates.sort(key=lambda c: c[0])
    for _key, combo in candidates[:20]:
        cx = _alt(x, merge_changes(*(o.changes for o in combo)))
        if cx is not None and cx.crit("tech_sme.score").passed and _keeps(x, cx):
            return combo
    return None


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


def _undefined_rnd(x) -> list[Gap]:
    """R&D ratios that cannot be computed, said plainly (instead of asking for one yuan of R&D)."""
    f, y = x.facts, x.as_of.year
    out = []
    if f.revenue_y3 <= 0:
        rest_zh = (
            "两种口径都无法计算，增加研发投入不能提高研发投入得分"
            if f.total_cost <= 0
            else "只能按成本费用口径提高研发投入得分"
        )
        rest_en = (
            "neither ratio can be computed, so more R&D cannot raise the R&D score"
            if f.total_cost <= 0
            else "only the ratio to total costs can raise the R&D score"
        )
        out.append(
            Gap(
                "tech_sme.rnd_revenue_score",
                "revenue_y3",
                f.revenue_y3,
                None,
                None,
                "CNY",
                f"{y - 1}年销售收入为0，研发费用占销售收入比例无法计算（该口径得0分）；{rest_zh}",
                f"No sales revenue in {y - 1}: the R&D share of revenue cannot be computed (0 points on that "
                f"ratio); {rest_en}",
            )
        )
    if f.total_cost <= 0:
        out.append(
            Gap(
                "tech_sme.rnd_cost_score",
                "total_cost",
                f.total_cost,
                None,
                None,
                "CNY",
                f"{y - 1}年成本费用总额为0，研发费用占成本费用比例无法计算；研发费用本身计入成本费用，"
                "无法据此测算需增加的研发投入，请核实该数据",
                f"Total costs of 0 in {y - 1}: the R&D share of total costs cannot be computed, and since R&D "
                "spending is itself a cost no amount can be derived from it; please check the figure",
            )
        )
    return out


def _head_text(x, ev: Evaluation, ts_p: int) -> tuple[str, str]:
    """What is missing, exactly: the score, the tech-staff score, or both."""
    f, p = x.facts, x.policy
    pass_min = p.value("score.pass_min")
    bands = p.value("score.tech_staff_bands")
    lowest = min(r.lower for r in bands.rows if r.lower is not None and r.points_min > 0)
    share = share_text(f.tech_staff, f.employees)
    if ts_p > 0:
        return (f"评价得分 {ev.score} 分，需达到 {pass_min} 分", f"Score {ev.score}, needs {pass_min}")
    staff_zh = f"科技人员指标得 0 分（科技人员占职工总数 {share}，不足{pct_text(lowest)}）"
    staff_en = (
        f"the tech staff indicator scores 0 (tech staff are {share} of employees, below {pct_text(lowest)})"
    )
    if f.employees <= 0:
        staff_zh = "科技人员指标得 0 分（职工总数为0，科技人员占比无法计算）"
        staff_en = (
            "the tech staff indicator scores 0 (no employees, so the tech staff share cannot be computed)"
        )
    if ev.score >= pass_min:
        return (
            f"评价得分 {ev.score} 分，已达到 {pass_min} 分，但{staff_zh}；通过评价还要求科技人员指标得分需大于0",
            f"Score {ev.score}, which reaches {pass_min}, but {staff_en}; passing also requires a tech staff "
            "score above 0",
        )
    return (
        f"评价得分 {ev.score} 分，低于 {pass_min} 分，且{staff_zh}；通过评价需得分不低于 {pass_min} 分且科技人员指标得分需大于0",
        f"Score {ev.score}, below {pass_min}, and {staff_en}; passing requires at least {pass_min} points and "
        "a tech staff score above 0",
    )


def _alternative(chosen: _Option, staff: list[_Option]) -> _Option | None:
    """The other way (hire / re-designate) to the same tech-staff points as the chosen staff step."""
    for o in staff:
        if o.gap and o.kind != chosen.kind and o.points == chosen.points:
            return o
    return None


@RULES.gap_analysis
def tech_sme_gaps(x, ev: Evaluation) -> list[Gap]:
    if ev.eligible:
        return []
    p, y = x.policy, x.as_of.year
    out = basic_gaps(ev)
    ts_p, rnd_p, _ = _points(x)
    pass_min = p.value("score.pass_min")
    if ev.score >= pass_min and ts_p > 0:
        return out
    if rnd_p < max(r.points_max for r in p.value("score.rnd_revenue_bands").rows):
        out.extend(_undefined_rnd(x))
    options = _all_options(x)
    plan = cheapest_score_plan(x, options)
    head_zh, head_en = _head_text(x, ev, ts_p)
    blocked = any(x.crit(c).passed is False for c in BASIC)
    if plan is None:
        out.append(
            Gap(
                "tech_sme.score",
                None,
                ev.score,
                pass_min,
                pass_min - ev.score,
                "points",
                f"{head_zh}；在职工总数上限内，增加科技人员（招聘或认定现有职工）、研发投入和知识产权都无法达到要求",
                f"{head_en}; no increase in tech staff (hired or re-designated), R&D or IP within the employee "
                f"limit reaches it",
            )
        )
        return out
    steps = [o for o in plan if o.gap]
    total = sum(o.points for o in plan)
    cost = sum(o.cost for o in plan)
    changes = merge_changes(*(o.changes for o in steps))
    after_zh = "；另需先满足上述基本条件才能通过评价" if blocked else ""
    after_en = "; the basic conditions above must be met as well to pass" if blocked else ""
    out.append(
        Gap(
            "tech_sme.score",
            None,
            ev.score,
            pass_min,
            total - ev.score,
            "points",
            f"{head_zh}。{y + 1}年参评（以{y}年度数据，其他数据按与{y - 1}年持平估计）按估算成本最低的组合"
            f"（约 {wan(cost)} 万元当量，{ESTIMATE_ZH}）："
            + "；".join(g.gap.message_zh for g in steps)
            + f"，合计可得 {total} 分"
            + after_zh,
            f"{head_en}. For the evaluation in {y + 1} (on {y} figures, the rest as in {y - 1}) the cheapest "
            f"combination (about {wan_en(cost)} equivalent, {ESTIMATE_EN}): "
            + "; ".join(lower_first(g.gap.message_en) for g in steps)
            + f", for {total} points in all"
            + after_en,
            changes,
            cost,
            total - ev.score,
        )
    )
    if not blocked:
        out.append(
            Gap(
                "tech_sme",
                None,
                ev.score,
                pass_min,
                total - ev.score,
                "points",
                f"{y}年按上述组合完成后，以{y}年度数据于{y + 1}年参评可通过评价：合计 {total} 分，科技人员指标得分大于0"
                f"（已按评价规则重新测算；成本为{ESTIMATE_ZH}）",
                f"With the combination above carried out in {y}, the firm passes the evaluation in {y + 1} on its "
                f"{y} figures: {total} points with a tech staff score above 0 (re-evaluated under the rules; the "
                f"cost is {ESTIMATE_EN})",
                changes,
                cost,
                total - ev.score,
            )
        )
    staff = options[0]
    for o in plan:
        if not o.gap:
            continue
        if o.kind:
            alt = _alternative(o, staff)
            pair = [o, alt] if alt else [o]
            pair.sort(key=lambda v: v.kind != "hire")  # hiring first, then re-designating
            out.extend(v.gap for v in pair)
        else:
            out.append(o.gap)
    return out
