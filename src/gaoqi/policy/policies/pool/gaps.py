"""对标找差 for the cultivation pool: options per condition and one verified plan, for the next application.

Year model (as for HTE; the code mirrors `hte.gaps.next_window` because policies never import each other):
the facts `_y1.._y3` are the closed years Y-3..Y-1, so the advice is for an application in Y+1 on the window
Y-2..Y, the current year Y taken as equal to Y-1 unless the advice changes it; messages name the years.
`Gap.changes` are increments to those next-window facts (`next_window(facts, as_of)`), re-evaluated one year
later (`next_year(as_of)`) under the same policy.

Gap kinds: a finding (no `changes`: a record to clear, a ratio that cannot be computed, no plan); an option
(`changes`, `field` set: applied alone it meets its condition and breaks none the firm meets - tech staff
either hired, +k tech staff and +k employees, or re-designated from existing employees, +k tech staff only);
the tech-SME gaps (computed by the tech_sme policy through the engine when the pool's tech-SME condition
fails; its `tech_sme.score` combination meets the score); and the plan (criterion_id "pool", `field` None):
the tech-SME combination, then the pool's own IP, R&D and staff needs computed after it, applied alone the
firm enters the pool (checked by re-evaluation). Costs use the tech-SME cost model (`gap.cost.*` of the
sub-policy), an estimate used only to compare plans.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import Any

from gaoqi.policy.core.bands import min_add_for_ratio, pct_text
from gaoqi.policy.core.common import operating_years, wan, wan_en
from gaoqi.policy.core.engine import evaluation_of, validate_facts
from gaoqi.policy.core.gap import (
    STAFF_DAYS,
    Changes,
    days_left_note,
    merge_changes,
    next_window,
    share_text,
    span_text,
)
from gaoqi.policy.core.model import Evaluation, Gap
from gaoqi.policy.core.rules import ScalarContext
from gaoqi.policy.policies.pool.rules import RULES, revenue_sum, rnd_sum

FLAGS = ("pool.no_major_incident", "pool.no_bad_credit")
REDESIGNATE_SHARE = 5  # a re-designation is estimated at a fifth of a hire (as in the tech_sme gaps)
REDESIGNATE_PARAM = "gap.cost.tech_staff_redesignated"  # read when the tech_sme policy declares it
_FLAGS = {
    "pool.no_major_incident": (
        "存在重大安全、质量事故或严重环境违法记录",
        "A major safety or quality incident or serious environmental violation is on record",
    ),
    "pool.no_bad_credit": (
        "存在失信或经营异常记录，需先完成信用修复",
        "A bad-credit or abnormal-operation listing is on record: repair the credit first",
    ),
}


class _Window:
    def __init__(self, x: ScalarContext):
        facts, as_of = next_window(x.facts, x.as_of)
        self.rules, self.policy, self.as_of = x.rules, x.policy, as_of
        self.valid = not validate_facts(facts, x.policy, as_of)
        self.x = ScalarContext(x.rules, x.policy, as_of, facts)
        self.passed = {cid: self.x.crit(cid).passed for cid in x.rules.criteria} if self.valid else {}

    def ctx(self, changes: Changes) -> ScalarContext | None:
        if not changes:
            return self.x
        facts = replace(self.x.facts, **{f: (getattr(self.x.facts, f) or 0) + d for f, d in changes})
        if validate_facts(facts, self.policy, self.as_of):
            return None
        return ScalarContext(self.rules, self.policy, self.as_of, facts)

    def keeps(self, cx: ScalarContext) -> bool:
        return not any(ok is True and cx.crit(cid).passed is False for cid, ok in self.passed.items())

    def meets(self, changes: Changes, cid: str) -> bool:
        cx = self.ctx(changes)
        return cx is not None and cx.crit(cid).passed is True and self.keeps(cx)


def _years(x: ScalarContext) -> list[int]:
    return [x.as_of.year - 4 + k for k in operating_years(x)]


def _costs(x: ScalarContext) -> dict[str, int]:
    """The tech-SME cost model (an estimate used only to compare plans)."""
    sme = x.policy.subpolicies["tech_sme"]
    person = sme.value("gap.cost.tech_staff_person")
    redesignate = (
        sme.value(REDESIGNATE_PARAM)
        if REDESIGNATE_PARAM in sme.params
        else math.ceil(person / REDESIGNATE_SHARE)
    )
    return {
        "hire": person,
        "redesignate": redesignate,
        "rnd_yuan": sme.value("gap.cost.rnd_yuan"),
        "ip_class2": sme.value("gap.cost.ip_class2"),
    }


def _rnd_add(cx: ScalarContext, r) -> int | None:
    """The least R&D to add to the current year for the 3-year share; None without revenue."""
    rev = cx(revenue_sum)
    return None if rev <= 0 else min_add_for_ratio(cx(rnd_sum), rev, r, coupled=False)


def _rnd_gap(x: ScalarContext, w: _Window, failed_now: set[str]) -> list[Gap]:
    y, r = x.as_of.year, x.policy.value("rnd.min_ratio")
    pre_zh = pre_en = ""
    if "pool.rnd_ratio" in failed_now:
        now = _years(x)
        short = _rnd_add(x, r)
        if short is None:
            pre_zh = f"{span_text(now)}无销售收入，研发费用占比无法计算"
            pre_en = f"No sales revenue in {span_text(now, True)}: the R&D share cannot be computed"
        else:
            pre_zh = (
                f"近{len(now)}年研发费用需再增加 {wan(short)} 万元才能达到同期销售收入的{pct_text(r)}"
                f"（{span_text(now)}为已结束的会计年度，{y}年申请已无法补足）"
            )
            pre_en = (
                f"Raise {len(now)}-year R&D spending by {wan_en(short)} to reach {pct_text(r)} of sales revenue "
                f"in {span_text(now, True)} (closed years: too late for an application in {y})"
            )
    bx = w.x
    nxt = _years(bx)
    span, span_en, n = span_text(nxt), span_text(nxt, True), len(nxt)
    rnd, rev = bx(rnd_sum), bx(revenue_sum)
    if w.passed.get("pool.rnd_ratio") is not False:
        if not pre_zh:
            return []
        return [
            Gap(
                "pool.rnd_ratio",
                "rnd_expense_y3",
                rnd,
                None,
                0,
                "CNY",
                f"{pre_zh}；若{y}年研发费用和销售收入与{y - 1}年持平，{y + 1}年申请时（{span}）研发费用占比为 "
                f"{share_text(rnd, rev)}，可达到{pct_text(r)}",
                f"{pre_en}; if R&D spending and sales revenue in {y} equal those of {y - 1}, the share for an "
                f"application in {y + 1} ({span_en}) is {share_text(rnd, rev)}, which meets {pct_text(r)}",
            )
        ]
    lead_zh = pre_zh + "；" if pre_zh else ""
    lead_en = pre_en + "; " if pre_en else ""
    add = _rnd_add(bx, r)
    if add is None:
        return [
            Gap(
                "pool.rnd_ratio",
                "revenue_y3",
                0,
                None,
                None,
                "CNY",
                f"{lead_zh}若{y}年仍无销售收入，{y + 1}年申请时（{span}）研发费用占销售收入比例无法计算，"
                "不能通过增加研发投入满足",
                f"{lead_en}without sales revenue in {y} the R&D share for an application in {y + 1} ({span_en}) "
                "cannot be computed, and no amount of R&D spending meets it",
            )
        ]
    ch = (("rnd_expense_y3", add), ("total_cost", add))
    if not w.meets(ch, "pool.rnd_ratio"):
        return []
    if not pre_zh:
        lead_zh = (
            f"若{y}年数据与{y - 1}年持平，{y + 1}年申请时（{span}）近{n}年研发费用占比为 {share_text(rnd, rev)}，"
            f"低于{pct_text(r)}；"
        )
        lead_en = (
            f"If {y} equals {y - 1}, the {n}-year R&D share for an application in {y + 1} ({span_en}) is "
            f"{share_text(rnd, rev)}, below {pct_text(r)}; "
        )
    y3 = bx.facts.rnd_expense_y3
    return [
        Gap(
            "pool.rnd_ratio",
            "rnd_expense_y3",
            y3,
            y3 + add,
            add,
            "CNY",
            f"{lead_zh}{y + 1}年申请（{span}）：{y}年研发费用需达到 {wan(y3 + add)} 万元，比{y - 1}年多投入 "
            f"{wan(add)} 万元，近{n}年占比达到{pct_text(r)}",
            f"{lead_en}to apply in {y + 1} ({span_en}), spend {wan_en(y3 + add)} on R&D in {y}, {wan_en(add)} "
            f"more than in {y - 1}, so that the {n}-year share reaches {pct_text(r)}",
            ch,
        )
    ]


def _staff_steps(
    f: Any, r, as_of: date, costs: dict[str, int]
) -> list[tuple[str, int, Changes, int, str, str]]:
    """(kind, k, changes, cost, zh, en) of hiring and of re-designating, each reaching share `r`."""
    y = as_of.year
    note_zh, note_en = days_left_note(as_of)
    out = []
    hire = min_add_for_ratio(f.tech_staff, f.employees, r, coupled=True)
    if hire > 0:
        out.append(
            (
                "hire",
                hire,
                (("tech_staff", hire), ("employees", hire)),
                hire * costs["hire"],
                f"需增加科技人员 {hire} 人（{y}年内招聘，新增人员同时计入职工总数；占比达到{pct_text(r)}）{note_zh}",
                f"Add {hire} tech staff (hired in {y}; new hires also count as employees; share reaches "
                f"{pct_text(r)}){note_en}",
            )
        )
    rede = min_add_for_ratio(f.tech_staff, f.employees, r, coupled=False)
    if rede > 0 and f.tech_staff + rede <= f.employees:
        out.append(
            (
                "redesignate",
                rede,
                (("tech_staff", rede),),
                rede * costs["redesignate"],
                f"或将现有职工中 {rede} 人认定为科技人员（{y}年内累计从事研发和技术创新活动满{STAFF_DAYS}天，职工总数不变；"
                f"占比达到{pct_text(r)}，通常成本更低）{note_zh}",
                f"Or re-designate {rede} existing employee(s) as tech staff (engaged in R&D or technological "
                f"innovation for at least {STAFF_DAYS} days in {y}; employees unchanged; share reaches "
                f"{pct_text(r)}; usually cheaper){note_en}",
            )
        )
    return out


def _plan(x: ScalarContext, w: _Window, sme_combo: Gap | None) -> list[Gap]:
    y, p = x.as_of.year, x.policy
    bx = w.x
    span, span_en = span_text(_years(bx)), span_text(_years(bx), True)
    wfail = {c for c, ok in w.passed.items() if ok is False}
    if not wfail:
        return [
            Gap(
                "pool",
                None,
                None,
                None,
                None,
                "",
                f"若{y}年数据与{y - 1}年持平，{y + 1}年申请时（{span}）各项入库条件均满足",
                f"If {y} equals {y - 1}, an application in {y + 1} ({span_en}) meets every entry condition",
            )
        ]

    def no_plan(zh: str, en: str) -> list[Gap]:
        return [Gap("pool", None, None, None, None, "", zh, en)]

    blockers = [c for c in FLAGS if c in wfail]
    if blockers:
        return no_plan(
            "存在上述记录，消除之前不存在可入库的方案",
            "The records above must be cleared first: until then no plan reaches the pool",
        )
    costs = _costs(x)
    zh, en = [], []
    cost = 0
    changes: Changes = ()
    if "pool.tech_sme" in wfail:
        if sme_combo is None or not sme_combo.changes:
            return no_plan(
                "科技型中小企业评价得分无法通过增加投入达到要求（见上），不存在可入库的方案",
                "The tech-SME score cannot reach the requirement by adding resources (see above): no plan reaches "
                "the pool",
            )
        changes, cost = sme_combo.changes, sme_combo.cost or 0
        zh.append("按上述科技型中小企业评价的组合提高得分")
        en.append("raise the tech-SME score by the combination above")
    cx = w.ctx(changes)
    if cx is None:
        return no_plan("组合无法验证，不存在可入库的方案", "The combination cannot be checked: no plan")
    f = cx.facts
    need_ip = p.value("ip.min_count") - (f.ip_class1 + f.ip_class2)
    if need_ip > 0:
        changes = merge_changes(changes, (("ip_class2", need_ip),))
        cost += need_ip * costs["ip_class2"]
        zh.append(f"{y + 1}年申请前取得有效知识产权 {need_ip} 项")
        en.append(f"obtain {need_ip} valid IP item(s) before applying in {y + 1}")
    if not cx.crit("pool.rnd_ratio").passed:
        add = _rnd_add(cx, p.value("rnd.min_ratio"))
        if add is None:
            return no_plan(
                f"{y + 1}年申请时（{span}）无销售收入，研发费用占比无法计算，不存在可入库的方案",
                f"No sales revenue for an application in {y + 1} ({span_en}): the R&D share cannot be computed, "
                "so no plan reaches the pool",
            )
        changes = merge_changes(changes, (("rnd_expense_y3", add), ("total_cost", add)))
        cost += math.ceil(add * costs["rnd_yuan"])
        zh.append(
            f"{y}年研发费用再增加 {wan(add)} 万元（近{len(_years(bx))}年占比达到{pct_text(p.value('rnd.min_ratio'))}）"
        )
        en.append(
            f"{wan_en(add)} more R&D in {y} (the {len(_years(bx))}-year share reaches "
            f"{pct_text(p.value('rnd.min_ratio'))})"
        )
    if not cx.crit("pool.tech_staff_ratio").passed:
        steps = _staff_steps(f, p.value("tech_staff.min_ratio"), x.as_of, costs)
        if not steps:
            return no_plan(
                "科技人员占比无法达到要求，不存在可入库的方案",
                "The tech staff share cannot be reached: no plan",
            )
        kind, k, ch, c, _, _ = min(steps, key=lambda s: s[3])
        changes = merge_changes(changes, ch)
        cost += c
        if kind == "hire":
            zh.append(f"{y}年内招聘科技人员 {k} 人（同时计入职工总数）")
            en.append(f"hire {k} tech staff in {y} (also employees)")
        else:
            zh.append(f"将现有职工中 {k} 人认定为科技人员（{y}年内从事研发满{STAFF_DAYS}天）")
            en.append(
                f"re-designate {k} existing employee(s) as tech staff (at least {STAFF_DAYS} days of R&D in {y})"
            )
    final = w.ctx(changes)
    if final is None or not final.verdict()["eligible"] or not w.keeps(final):
        return no_plan("未找到经重新测算可入库的方案", "No plan passed the re-evaluation")
    return [
        Gap(
            "pool",
            None,
            None,
            None,
            None,
            "",
            f"{y + 1}年申请入库（{span}）的方案（估算成本约 {wan(cost)} 万元当量，估算，仅用于比较方案）："
            + "；".join(zh)
            + "。采取以上全部措施后各项入库条件均满足（已按入库标准重新测算）",
            f"Plan to enter the pool in {y + 1} ({span_en}; estimated cost about {wan_en(cost)} equivalent, an "
            "estimate used only to compare plans): "
            + "; ".join(en)
            + ". With all of these every entry condition "
            "is met (re-evaluated under the entry standard)",
            changes,
            cost,
        )
    ]


@RULES.gap_analysis
def pool_gaps(x, ev: Evaluation) -> list[Gap]:
    p, y = x.policy, x.as_of.year
    failed_now = {c.id for c in ev.criteria if c.passed is False}
    w = _Window(x)
    out: list[Gap] = []
    if not w.valid:
        for cid, (zh, en) in _FLAGS.items():
            if cid in failed_now:
                out.append(Gap(cid, None, True, False, None, "", zh, en))
        out.append(
            Gap(
                "pool",
                None,
                None,
                None,
                None,
                "",
                f"尚无可用于{y + 1}年申请的已结束会计年度数据，{y}年度结束后再测算方案",
                f"No closed accounting year yet for an application in {y + 1}: plan again once {y} is closed",
            )
        )
        return out
    bx = w.x
    wfail = {c for c, ok in w.passed.items() if ok is False}
    sme_combo = None
    if "pool.tech_sme" in wfail:  # the sub-policy's own gap analysis, through the engine (no import)
        sme_gaps = evaluation_of(x.sub("tech_sme")).gaps
        out.extend(sme_gaps)
        sme_combo = next((g for g in sme_gaps if g.criterion_id == "tech_sme.score"), None)
    if "pool.ip" in wfail:
        f = bx.facts
        k = p.value("ip.min_count") - (f.ip_class1 + f.ip_class2)
        ch = (("ip_class2", k),)
        if w.meets(ch, "pool.ip"):
            out.append(
                Gap(
                    "pool.ip",
                    "ip_class2",
                    f.ip_class2,
                    f.ip_class2 + k,
                    k,
                    "items",
                    f"需在{y + 1}年申请前取得有效知识产权 {k} 项",
                    f"Obtain {k} valid IP item(s) before applying in {y + 1}",
                    ch,
                    k * _costs(x)["ip_class2"],
                )
            )
    out.extend(_rnd_gap(x, w, failed_now))
    if "pool.tech_staff_ratio" in wfail:
        for _kind, k, ch, cost, zh, en in _staff_steps(
            bx.facts, p.value("tech_staff.min_ratio"), x.as_of, _costs(x)
        ):
            if w.meets(ch, "pool.tech_staff_ratio"):
                out.append(
                    Gap(
                        "pool.tech_staff_ratio",
                        "tech_staff",
                        bx.facts.tech_staff,
                        bx.facts.tech_staff + k,
                        k,
                        "persons",
                        zh,
                        en,
                        ch,
                        cost,
                    )
                )
    for cid, (zh, en) in _FLAGS.items():
        if cid in failed_now:
            out.append(Gap(cid, None, True, False, None, "", zh, en))
    out.extend(_plan(x, w, sme_combo))
    return out
