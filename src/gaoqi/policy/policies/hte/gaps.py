"""对标找差 for HTE certification: advice the firm can still act on, every option checked by re-evaluation.

Year model. The facts `_y1.._y3` are the closed accounting years Y-3..Y-1 (Y = the evaluation year). An
application in Y uses exactly those years, so none of their figures can change any more. The advice targets
the NEXT application, in Y+1, whose window is Y-2..Y: `next_window(facts, as_of)` drops Y-3, moves Y-2 and
Y-1 down, and takes the current year Y (the new `_y3`) as equal to Y-1 unless the advice changes it; the
single-valued figures (staff, total and high-tech income, IP, conversions...) are read as the firm's figures
for Y, unchanged unless advised. Every message names the years ("to apply in 2025 (2022-2024), spend ... in
2024"). What a closed window lacked (e.g. the R&D shortfall of Y-3..Y-1) is stated first, as a fact.

`Gap.changes` are increments to the next-window facts, to be re-evaluated on `next_year(as_of)` under the same
policy: `evaluate(apply_gaps(facts_next, [gap]), policy, as_of_next)` with `facts_next, as_of_next =
next_window(facts, as_of)`. The tests do exactly that. Three kinds of gap:

- a finding (no `changes`): a condition figures cannot fix (founding date, field, incident), a ratio that
  cannot be computed (no revenue), or a statement (no plan exists, no change needed);
- an option (`changes`, `field` set): applied ALONE it does what its message says (meets its condition, or
  raises the maximum score by `points_gain`) and breaks no condition the firm meets in the next window
  (raising revenue for growth points also adds the R&D and high-tech income that keep those ratios met);
- the plan (criterion_id "hte", `field` None, `changes` = every step combined): applied alone, no hard
  condition fails and the maximum score (`points_max`, expert items at their maximum unless scored) is above
  `score.pass_above`. It is the cheapest verified combination across bands under the cost estimate below;
  when none exists the "hte" gap is a finding that says so (naming the expert-scored items when they decide).

Tech staff: the option hires (tech staff +k and employees +k); its message also gives the usually cheaper
re-designation of existing employees (科技人员: at least 183 days of R&D in the year; tech staff +k,
employees unchanged, only while tech staff stays within employees), which the plan uses when possible.

Cost estimate (`COST`, yuan-equivalents; illustrative and used ONLY to rank plans, never a sum to spend;
the HTE parameter file has no `gap.cost.*` yet): a hire 150,000, a re-designation 30,000, a Class I / II IP
item 80,000 / 10,000, a standard co-drafted 50,000, a conversion 50,000, R&D 1 per yuan, added sales
revenue 0.2 per yuan, added net assets 0.1 per yuan, income shifted to high-tech products 0.1 per yuan.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from itertools import product
from typing import Any

from gaoqi.policy.core.bands import min_add_for_ratio, pct_text
from gaoqi.policy.core.common import operating_years, wan, wan_en
from gaoqi.policy.core.engine import validate_facts
from gaoqi.policy.core.gap import (
    STAFF_DAYS,
    Changes,
    apply_changes,
    count_needed,
    days_left_note,
    merge_changes,
    next_window,
    share_text,
    span_text,
)
from gaoqi.policy.core.model import Evaluation, Gap
from gaoqi.policy.core.rules import ScalarContext
from gaoqi.policy.policies.hte.rules import (
    EXPERT_MAX,
    HARD,
    RULES,
    conversion_divisor,
    domestic_sum,
    revenue_sum,
    rnd_sum,
    rnd_tier,
    unused_class2,
)

RATIOS = ("hte.rnd_ratio", "hte.rnd_domestic_ratio", "hte.hitech_income_ratio")
NOT_BY_FIGURES = ("hte.tech_field", "hte.no_major_incident")  # blocks a plan in the next window too
COST: dict[str, Fraction] = {
    "hire": Fraction(150_000),
    "redesignate": Fraction(30_000),
    "ip_class1": Fraction(80_000),
    "ip_class2": Fraction(10_000),
    "standard": Fraction(50_000),
    "conversion": Fraction(50_000),
    "rnd_yuan": Fraction(1),
    "revenue_yuan": Fraction(1, 5),
    "net_assets_yuan": Fraction(1, 10),
    "hitech_yuan": Fraction(1, 10),
}
# --- the next application window -----------------------------------------------------------------------


class Window:
    """A firm's next application window: its baseline (no change) and the checks of changed facts."""

    def __init__(self, x: ScalarContext):
        facts, as_of = next_window(x.facts, x.as_of)
        self.rules, self.policy, self.as_of = x.rules, x.policy, as_of
        self.valid = not validate_facts(facts, x.policy, as_of)
        self.x = ScalarContext(x.rules, x.policy, as_of, facts)
        self.passed = {cid: self.x.crit(cid).passed for cid in x.rules.criteria} if self.valid else {}
        self.cache: dict[Any, Any] = {}

    def ctx(self, changes: Changes, check: bool = True) -> ScalarContext | None:
        """The context of the window's facts with `changes` applied; None when they would be invalid
        (`check=False` skips validation: for trial scores only, never for what is advised)."""
        if not changes:
            return self.x
        facts = apply_changes(self.x.facts, changes)
        if check and validate_facts(facts, self.policy, self.as_of):
            return None
        return ScalarContext(self.rules, self.policy, self.as_of, facts)

    def memo(self, key: Any, fn) -> Any:
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]

    def keeps(self, cx: ScalarContext) -> bool:
        """No condition (or score item with a verdict) the firm meets in the window fails in `cx`."""
        return not any(ok is True and cx.crit(cid).passed is False for cid, ok in self.passed.items())

    def fails(self, cid: str) -> bool:
        return self.passed.get(cid) is False


def window_years(x: ScalarContext) -> list[int]:
    """The calendar years `_y1.._y3` of a context that the firm operated in."""
    return [x.as_of.year - 4 + k for k in operating_years(x)]


def _bound_en(row) -> str:
    if row.lower is None:
        return "the lowest band"
    return f"{'above' if row.strict else 'at least'} {pct_text(row.lower)}"


def rnd_changes(facts: Any, amount: int) -> Changes:
    """Domestic R&D added to the current year; R&D is also a cost (R&D may not exceed total costs)."""
    if amount <= 0:
        return ()
    ch = [("rnd_expense_y3", amount), ("rnd_expense_domestic_y3", amount)]
    if facts.total_cost is not None:
        ch.append(("total_cost", amount))
    return tuple(ch)


# --- hard conditions ------------------------------------------------------------------------------------


def _fixed_findings(x: ScalarContext, failed_now: set[str], cid: str) -> list[Gap]:
    """Conditions no figure can change, as they stand today."""
    f, p, as_of = x.facts, x.policy, x.as_of
    if cid not in failed_now:
        return []
    if cid == "hte.registered_one_year":
        days = p.value("registration.min_days")
        since = f.founded_on + timedelta(days=days)
        return [
            Gap(
                cid,
                "founded_on",
                f.founded_on,
                since,
                (since - as_of).days,
                "days",
                f"注册成立未满{days}个日历天，{since.isoformat()} 起方可申请",
                f"Registered for less than {days} calendar days; may apply from {since.isoformat()}",
            )
        ]
    if cid == "hte.tech_field":
        return [
            Gap(
                cid,
                "tech_field",
                f.tech_field,
                None,
                None,
                "",
                "主要产品（服务）的核心技术需属于《国家重点支持的高新技术领域》",
                "The core technology of the main products (services) must be in the State-supported high-tech "
                "fields",
            )
        ]
    return [
        Gap(
            cid,
            "major_incident",
            True,
            False,
            None,
            "",
            "申请前一年内发生重大安全、质量事故或严重环境违法，需待满一年后申请",
            "A major safety or quality incident or serious environmental violation in the year before applying: "
            "apply once a full year has passed",
        )
    ]


def _staff_counts(f: Any, ratio: Fraction) -> tuple[int, int | None]:
    """(hires, re-designations) reaching `ratio`; re-designations None when too few employees."""
    hire = min_add_for_ratio(f.tech_staff, f.employees, ratio, coupled=True)
    redesignate = min_add_for_ratio(f.tech_staff, f.employees, ratio, coupled=False)
    if redesignate < 0 or f.tech_staff + redesignate > f.employees:
        redesignate = None
    return hire, redesignate


def _staff_gap(w: Window, as_of: date) -> list[Gap]:
    bx, y = w.x, as_of.year
    f, r = bx.facts, bx.policy.value("tech_staff.min_ratio")
    hire, redesignate = _staff_counts(f, r)
    note_zh, note_en = days_left_note(as_of)
    alt_zh = f"；现有职工不足，无法只通过认定现有职工达到{pct_text(r)}"
    alt_en = f"; there are too few employees to reach {pct_text(r)} by re-designation alone"
    if redesignate is not None and _verified(w, (("tech_staff", redesignate),), "hte.tech_staff_ratio"):
        alt_zh = (
            f"；或将现有职工中 {redesignate} 人认定为科技人员（{y}年内累计从事研发和技术创新活动满{STAFF_DAYS}天，"
            f"职工总数不变），通常成本更低"
        )
        alt_en = (
            f", or re-designate {redesignate} existing employee(s) as tech staff (engaged in R&D or "
            f"technological innovation for at least {STAFF_DAYS} days in {y}; employees unchanged), usually "
            f"cheaper"
        )
    ch = (("tech_staff", hire), ("employees", hire))
    if not _verified(w, ch, "hte.tech_staff_ratio"):
        return []
    return [
        Gap(
            "hte.tech_staff_ratio",
            "tech_staff",
            f.tech_staff,
            f.tech_staff + hire,
            hire,
            "persons",
            f"需增加科技人员 {hire} 人（{y}年内招聘，新增人员同时计入职工总数，占比达到{pct_text(r)}）"
            + alt_zh
            + note_zh,
            f"Add {hire} tech staff (hired in {y}; new hires also count as employees; share reaches "
            f"{pct_text(r)})" + alt_en + note_en,
            ch,
        )
    ]


def _verified(w: Window, changes: Changes, cid: str) -> bool:
    cx = w.ctx(changes)
    return cx is not None and cx.crit(cid).passed is True and w.keeps(cx)


def _rnd_gap(x: ScalarContext, w: Window, failed_now: set[str]) -> list[Gap]:
    """The 3-year R&D share: what the closed window lacked, then what the current year must add."""
    y = x.as_of.year
    tiers = x.policy.value("rnd.ratio_tiers")
    now_years, next_years = window_years(x), window_years(w.x)
    pre_zh = pre_en = ""
    if "hte.rnd_ratio" in failed_now:
        rev, rnd, need = x(revenue_sum), x(rnd_sum), tiers[x(rnd_tier)].required
        n = len(now_years)
        if rev <= 0:
            pre_zh = f"{span_text(now_years)}无销售收入，研发费用占比无法计算"
            pre_en = f"No sales revenue in {span_text(now_years, True)}: the R&D share cannot be computed"
        else:
            short = min_add_for_ratio(rnd, rev, need, coupled=False)
            pre_zh = (
                f"近{n}年研发费用需再增加 {wan(short)} 万元才能达到同期销售收入的{pct_text(need)}"
                f"（{span_text(now_years)}为已结束的会计年度，{y}年申报已无法补足）"
            )
            pre_en = (
                f"Raise {n}-year R&D spending by {wan_en(short)} to reach {pct_text(need)} of sales revenue in "
                f"{span_text(now_years, True)} (closed years: too late for an application in {y})"
            )
    bx = w.x
    rev, rnd, need = bx(revenue_sum), bx(rnd_sum), tiers[bx(rnd_tier)].required
    n = len(next_years)
    span, span_en = span_text(next_years), span_text(next_years, True)
    if not w.fails("hte.rnd_ratio"):
        if not pre_zh:
            return []
        return [
            Gap(
                "hte.rnd_ratio",
                "rnd_expense_y3",
                rnd,
                None,
                0,
                "CNY",
                f"{pre_zh}；若{y}年研发费用和销售收入与{y - 1}年持平，{y + 1}年申报时（{span}）研发费用占比为"
                f" {share_text(rnd, rev)}，可达到{pct_text(need)}",
                f"{pre_en}; if R&D spending and sales revenue in {y} equal those of {y - 1}, the share for an "
                f"application in {y + 1} ({span_en}) is {share_text(rnd, rev)}, which meets {pct_text(need)}",
            )
        ]
    lead_zh = pre_zh + "；" if pre_zh else ""
    lead_en = pre_en + "; " if pre_en else ""
    if rev <= 0:
        return [
            Gap(
                "hte.rnd_ratio",
                "revenue_y3",
                0,
                None,
                None,
                "CNY",
                f"{lead_zh}若{y}年仍无销售收入，{y + 1}年申报时（{span}）研发费用占销售收入比例无法计算，"
                "不能通过增加研发投入满足",
                f"{lead_en}without sales revenue in {y} the R&D share for an application in {y + 1} ({span_en}) "
                "cannot be computed, and no amount of R&D spending meets it",
            )
        ]
    add = min_add_for_ratio(rnd, rev, need, coupled=False)
    ch = rnd_changes(bx.facts, add)
    if not _verified(w, ch, "hte.rnd_ratio"):
        return []
    if not pre_zh:
        lead_zh = (
            f"若{y}年数据与{y - 1}年持平，{y + 1}年申报时（{span}）近{n}年研发费用占比为 {share_text(rnd, rev)}，"
            f"低于{pct_text(need)}；"
        )
        lead_en = (
            f"If {y} equals {y - 1}, the {n}-year R&D share for an application in {y + 1} ({span_en}) is "
            f"{share_text(rnd, rev)}, below {pct_text(need)}; "
        )
    y3 = bx.facts.rnd_expense_y3
    return [
        Gap(
            "hte.rnd_ratio",
            "rnd_expense_y3",
            y3,
            y3 + add,
            add,
            "CNY",
            f"{lead_zh}{y + 1}年申报（{span}）：{y}年研发费用需达到 {wan(y3 + add)} 万元，比{y - 1}年多投入"
            f" {wan(add)} 万元（新增部分为境内研发支出），近{n}年占比达到{pct_text(need)}",
            f"{lead_en}to apply in {y + 1} ({span_en}), spend {wan_en(y3 + add)} on R&D in {y}, {wan_en(add)} "
            f"more than in {y - 1} (the extra spent in China), so that the {n}-year share reaches "
            f"{pct_text(need)}",
            ch,
        )
    ]


def _domestic_gap(x: ScalarContext, w: Window, failed_now: set[str]) -> list[Gap]:
    y = x.as_of.year
    r = x.policy.value("rnd.domestic_min_ratio")
    bx = w.x
    dom, rnd = bx(domestic_sum), bx(rnd_sum)
    span, span_en = span_text(window_years(bx)), span_text(window_years(bx), True)
    pre_zh = pre_en = ""
    if "hte.rnd_domestic_ratio" in failed_now:
        pre_zh = (
            f"{span_text(window_years(x))}境内研发费用占全部研发费用 {share_text(x(domestic_sum), x(rnd_sum))}，"
            f"低于{pct_text(r)}（已结束的会计年度）；"
        )
        pre_en = (
            f"Domestic R&D was {share_text(x(domestic_sum), x(rnd_sum))} of all R&D in "
            f"{span_text(window_years(x), True)}, below {pct_text(r)} (closed years); "
        )
    if not w.fails("hte.rnd_domestic_ratio"):
        if not pre_zh:
            return []
        return [
            Gap(
                "hte.rnd_domestic_ratio",
                "rnd_expense_domestic_y3",
                dom,
                None,
                0,
                "CNY",
                f"{pre_zh}若{y}年研发支出结构与{y - 1}年相同，{y + 1}年申报时（{span}）占比为 {share_text(dom, rnd)}，"
                f"可达到{pct_text(r)}",
                f"{pre_en}if R&D in {y} is spent as in {y - 1}, the domestic share for an application in "
                f"{y + 1} ({span_en}) is {share_text(dom, rnd)}, which meets {pct_text(r)}",
            )
        ]
    if rnd <= 0:
        return [
            Gap(
                "hte.rnd_domestic_ratio",
                "rnd_expense_domestic_y3",
                0,
                None,
                None,
                "CNY",
                f"{pre_zh}{span}没有研发费用，境内研发费用占比无法计算；按研发费用占比一项增加的研发费用在境内支出即可满足",
                f"{pre_en}there is no R&D spending in {span_en}, so the domestic share cannot be computed; R&D "
                "added for the R&D share and spent in China meets it",
            )
        ]
    add = min_add_for_ratio(dom, rnd, r, coupled=True)
    ch = rnd_changes(bx.facts, add)
    if not _verified(w, ch, "hte.rnd_domestic_ratio"):
        return []
    y3 = bx.facts.rnd_expense_domestic_y3
    return [
        Gap(
            "hte.rnd_domestic_ratio",
            "rnd_expense_domestic_y3",
            y3,
            y3 + add,
            add,
            "CNY",
            f"{pre_zh}{y + 1}年申报（{span}）：{y}年境内研发费用需比{y - 1}年多 {wan(add)} 万元，"
            f"境内研发费用占全部研发费用达到{pct_text(r)}",
            f"{pre_en}to apply in {y + 1} ({span_en}), spend {wan_en(add)} more on domestic R&D in {y} than in "
            f"{y - 1}, so that domestic R&D reaches {pct_text(r)} of all R&D",
            ch,
        )
    ]


def _hitech_gap(w: Window) -> list[Gap]:
    bx = w.x
    f, y = bx.facts, w.as_of.year - 1
    r = bx.policy.value("hitech_income.min_ratio")
    if f.total_income <= 0:
        return [
            Gap(
                "hte.hitech_income_ratio",
                "total_income",
                0,
                None,
                None,
                "CNY",
                "近一年无总收入，高新技术产品（服务）收入占比无法计算",
                "No total income in the last year: the high-tech income share cannot be computed",
            )
        ]
    h = min_add_for_ratio(f.hitech_revenue, f.total_income, r, coupled=False)
    ch = (("hitech_revenue", h),)
    if not _verified(w, ch, "hte.hitech_income_ratio"):
        return []
    return [
        Gap(
            "hte.hitech_income_ratio",
            "hitech_revenue",
            f.hitech_revenue,
            f.hitech_revenue + h,
            h,
            "CNY",
            f"高新技术产品（服务）收入需再增加 {wan(h)} 万元（总收入不变，占比达到{pct_text(r)}）：{y}年比{y - 1}年"
            f"多实现这部分收入，用于{y + 1}年申报",
            f"Raise high-tech product (service) income by {wan_en(h)} (total income unchanged; share reaches "
            f"{pct_text(r)}): earn that much more of it in {y} than in {y - 1}, for an application in {y + 1}",
            ch,
        )
    ]


def _core_ip_gap(w: Window) -> list[Gap]:
    bx = w.x
    f, y = bx.facts, w.as_of.year - 1
    k = bx.policy.value("ip.min_count") - (f.ip_class1 + bx(unused_class2))
    ch = (("ip_class2", k),)
    if not _verified(w, ch, "hte.core_ip"):
        return []
    return [
        Gap(
            "hte.core_ip",
            "ip_class2",
            f.ip_class2,
            f.ip_class2 + k,
            k,
            "items",
            f"需在{y + 1}年申报前取得对主要产品起核心支持作用的知识产权 {k} 项",
            f"Obtain {k} IP item(s) giving core support to the main products before applying in {y + 1}",
            ch,
        )
    ]


def _hard_gaps(x: ScalarContext, w: Window, failed_now: set[str]) -> list[Gap]:
    out: list[Gap] = []
    for cid in HARD:
        if cid in ("hte.registered_one_year", *NOT_BY_FIGURES):
            out.extend(_fixed_findings(x, failed_now, cid))
        elif not w.valid:
            continue
        elif cid == "hte.core_ip" and w.fails(cid):
            out.extend(_core_ip_gap(w))
        elif cid == "hte.tech_staff_ratio" and w.fails(cid):
            out.extend(_staff_gap(w, x.as_of))
        elif cid == "hte.rnd_ratio":
            out.extend(_rnd_gap(x, w, failed_now))
        elif cid == "hte.rnd_domestic_ratio":
            out.extend(_domestic_gap(x, w, failed_now))
        elif cid == "hte.hitech_income_ratio" and w.fails(cid):
            out.extend(_hitech_gap(w))
    return out


# --- score moves (one band step of one item) ----------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One step: its changes (before any repair), estimated cost, texts and the option gap's fields."""

    group: str
    cid: str
    field: str
    current: int
    needed: int
    delta: int
    unit: str
    changes: Changes
    cost: int
    zh: str
    en: str


NONE = Move("", "", "", 0, 0, 0, "", (), 0, "", "")


def _ip_moves(bx: ScalarContext, y: int) -> list[Move]:
    f, p = bx.facts, bx.policy
    out = []
    for fname, label, label_en, pname, have in (
        ("ip_class1", "Ⅰ类", "Class I", "score.ip.quantity_class1_bands", f.ip_class1),
        ("ip_class2", "Ⅱ类", "Class II", "score.ip.quantity_class2_bands", bx(unused_class2)),
    ):
        for row in reversed(p.value(pname).rows):
            if row.lower is None:
                continue
            k = count_needed(row.lower, row.strict) - have
            if k <= 0:
                continue
            now = getattr(f, fname)
            out.append(
                Move(
                    "ip",
                    "hte.ip_quantity",
                    fname,
                    now,
                    now + k,
                    k,
                    "items",
                    ((fname, k),),
                    math.ceil(k * COST[fname]),
                    f"{y + 1}年申报前再取得 {k} 项{label}知识产权（数量升至 {row.points_min}–{row.points_max} 分档）",
                    f"obtain {k} more {label_en} IP item(s) before applying in {y + 1} (the "
                    f"{row.points_min}-{row.points_max} point quantity band)",
                )
            )
    return out


def _standard_moves(bx: ScalarContext, y: int) -> list[Move]:
    if bx.facts.standards_led:
        return []
    return [
        Move(
            "standard",
            "hte.ip_standards_bonus",
            "standards_led",
            0,
            1,
            1,
            "items",
            (("standards_led", 1),),
            math.ceil(COST["standard"]),
            f"{y + 1}年申报前参与编制国家或行业标准、检测方法或技术规范（加分项）",
            f"take part in drafting a national or industry standard, test method or technical specification "
            f"before applying in {y + 1} (a bonus item)",
        )
    ]


def _conversion_moves(bx: ScalarContext, y: int) -> list[Move]:
    f, p = bx.facts, bx.policy
    divisor = bx(conversion_divisor)
    bands = p.value("score.conversion.bands")
    span, span_en = span_text(window_years(bx)), span_text(window_years(bx), True)
    out = []
    for row in bands.rows[: bx.crit("hte.conversion_score").band]:
        need = count_needed(row.lower * divisor, row.strict)
        k = need - f.achievement_conversions
        if k <= 0:
            continue
        out.append(
            Move(
                "conversion",
                "hte.conversion_score",
                "achievement_conversions",
                f.achievement_conversions,
                need,
                k,
                "items",
                (("achievement_conversions", k),),
                math.ceil(k * COST["conversion"]),
                f"{span}科技成果转化合计需达到 {need} 项（按现有 {f.achievement_conversions} 项计，{y}年内再完成 {k} 项；"
                f"升至 {row.points_min}–{row.points_max} 分档）",
                f"reach {need} technology conversions over {span_en} (counting the {f.achievement_conversions} "
                f"reported, {k} more in {y}; the {row.points_min}-{row.points_max} point band)",
            )
        )
    return out


def _growth_need(bx: ScalarContext, stem: str, row) -> int | None:
    """The least increase of `{stem}_y3` (the current year) whose growth rate reaches `row`, or None."""
    f, p = bx.facts, bx.policy
    vals = [getattr(f, f"{stem}_y{k}") for k in operating_years(bx)]
    if any(v is None for v in vals) or any(v < 0 for v in vals[:-1]):
        return None
    if len(vals) == 3 and vals[1] > 0:
        v1, v2 = vals[0], vals[1]
        rhs = v2 * (1 + row.lower) if v1 == 0 else v2 * (2 * (1 + row.lower) - Fraction(v2, v1))
    elif len(vals) == 2 and vals[0] > 0 and p.value("score.growth.two_year_rule") == "ratio":
        rhs = vals[0] * (1 + row.lower)
    else:
        return None
    k = max(0, count_needed(rhs, row.strict)) - vals[-1]
    return k if k > 0 else None


def _growth_moves(w: Window, stem: str, cid: str, y: int) -> list[Move]:
    return w.memo(("growth", stem), lambda: _growth_moves_of(w, stem, cid, y))


def _growth_moves_of(w: Window, stem: str, cid: str, y: int) -> list[Move]:
    bx = w.x
    bands = bx.policy.value("score.growth.bands")
    out = []
    now = getattr(bx.facts, f"{stem}_y3")
    for row in bands.rows[: bx.crit(cid).band]:
        if row.lower is None:
            continue
        k = _growth_need(bx, stem, row)
        if k is None:
            continue
        for extra in (0, 1):  # rounding at a band edge: verified by re-evaluation below
            ch: Changes = ((f"{stem}_y3", k + extra),)
            if stem == "revenue":  # sales revenue is part of total income
                ch = (*ch, ("total_income", k + extra))
            cx = w.ctx(ch, check=False)
            if cx.crit(cid).points_max >= row.points_max:
                k += extra
                break
        else:
            continue
        if stem == "revenue":
            zh = (
                f"{y}年销售收入需达到 {wan(now + k)} 万元（比{y - 1}年增加 {wan(k)} 万元，增长率{row.label}，"
                f"升至 {row.points_min}–{row.points_max} 分档）"
            )
            en = (
                f"reach {wan_en(now + k)} of sales revenue in {y}, {wan_en(k)} more than in {y - 1} (growth "
                f"rate {_bound_en(row)}; the {row.points_min}-{row.points_max} point band)"
            )
            unit_cost = COST["revenue_yuan"]
        else:
            zh = (
                f"{y}年末净资产需达到 {wan(now + k)} 万元（比{y - 1}年末增加 {wan(k)} 万元，增长率{row.label}，"
                f"升至 {row.points_min}–{row.points_max} 分档）"
            )
            en = (
                f"reach {wan_en(now + k)} of net assets at the end of {y}, {wan_en(k)} more than at the end of "
                f"{y - 1} (growth rate {_bound_en(row)}; the {row.points_min}-{row.points_max} point band)"
            )
            unit_cost = COST["net_assets_yuan"]
        out.append(
            Move(stem, cid, f"{stem}_y3", now, now + k, k, "CNY", ch, math.ceil(k * unit_cost), zh, en)
        )
    return out


def repair(cx: ScalarContext, require: Iterable[str]) -> tuple[Changes, int, str, str] | None:
    """The least domestic R&D and high-tech income to add so that the ratios in `require` are met in `cx`
    (after a revenue change): (changes, cost, zh, en); None when a ratio cannot be met (no revenue...)."""
    require = set(require)
    f, p = cx.facts, cx.policy
    y = cx.as_of.year - 1
    add = 0
    if "hte.rnd_ratio" in require and not cx.crit("hte.rnd_ratio").passed:
        rev = cx(revenue_sum)
        if rev <= 0:
            return None
        add = min_add_for_ratio(cx(rnd_sum), rev, p.value("rnd.ratio_tiers")[cx(rnd_tier)].required, False)
    if "hte.rnd_domestic_ratio" in require:
        more = min_add_for_ratio(
            cx(domestic_sum) + add, cx(rnd_sum) + add, p.value("rnd.domestic_min_ratio"), coupled=True
        )
        if more < 0:
            return None
        add += more
    h = 0
    if "hte.hitech_income_ratio" in require and not cx.crit("hte.hitech_income_ratio").passed:
        if f.total_income <= 0:
            return None
        h = min_add_for_ratio(f.hitech_revenue, f.total_income, p.value("hitech_income.min_ratio"), False)
    ch = merge_changes(rnd_changes(f, add), (("hitech_revenue", h),) if h else ())
    zh, en = [], []
    if add:
        zh.append(f"{y}年境内研发费用再增加 {wan(add)} 万元以满足研发费用占比")
        en.append(f"{wan_en(add)} more domestic R&D in {y} to meet the R&D shares")
    if h:
        zh.append(f"{y}年高新技术产品（服务）收入至少增加 {wan(h)} 万元以满足其占比")
        en.append(f"at least {wan_en(h)} more high-tech product (service) income in {y} to meet its share")
    cost = math.ceil(add * COST["rnd_yuan"] + h * COST["hitech_yuan"])
    return ch, cost, "，".join(zh), ", ".join(en)


# --- options (each alone) and the plan (combined) ------------------------------------------------------


def _option_gaps(w: Window, y: int) -> list[Gap]:
    """Per item the smallest band step that raises the maximum score, each verified alone."""
    bx = w.x
    base_max = bx.crit("hte.score").points_max
    keep = [c for c in RATIOS if w.passed.get(c) is True]
    groups: dict[str, list[Move]] = {}
    for m in (
        *_ip_moves(bx, y),
        *_standard_moves(bx, y),
        *_conversion_moves(bx, y),
        *_growth_moves(w, "revenue", "hte.growth_revenue_score", y),
        *_growth_moves(w, "net_assets", "hte.growth_net_assets_score", y),
    ):
        groups.setdefault(m.group if m.group != "ip" else m.field, []).append(m)
    out = []
    for moves in groups.values():
        for m in sorted(moves, key=lambda m: m.delta):
            ch, cost, zh, en = m.changes, m.cost, m.zh, m.en
            if m.group == "revenue":
                fix = repair(w.ctx(ch, check=False), keep)
                if fix is None:
                    continue
                ch, cost = merge_changes(ch, fix[0]), cost + fix[1]
                if fix[2]:
                    zh, en = f"{zh}，同时{fix[2]}", f"{en}, with {fix[3]}"
            cx = w.ctx(ch)
            if cx is None or not w.keeps(cx):
                continue
            gain = cx.crit("hte.score").points_max - base_max
            if gain <= 0:
                continue
            out.append(
                Gap(
                    m.cid,
                    m.field,
                    m.current,
                    m.needed,
                    m.delta,
                    m.unit,
                    f"{zh}，最高分 +{gain}",
                    f"{en[0].upper()}{en[1:]}, max score +{gain}",
                    ch,
                    math.ceil(cost),
                    gain,
                )
            )
            break
    return out


@dataclass(frozen=True)
class _Choice:
    moves: tuple[Move, ...]
    changes: Changes
    cost: int
    gain: int
    zh: tuple[str, ...]
    en: tuple[str, ...]


def _choice(moves: tuple[Move, ...], changes: Changes, cost: int, gain: int, zh=(), en=()) -> _Choice:
    real = tuple(m for m in moves if m.changes)
    return _Choice(
        real,
        changes,
        cost,
        gain,
        tuple(m.zh for m in real) + tuple(zh),
        tuple(m.en for m in real) + tuple(en),
    )


def _staff_choice(w: Window, as_of: date) -> _Choice | None:
    bx, y = w.x, as_of.year
    if not w.fails("hte.tech_staff_ratio"):
        return _choice((), (), 0, 0)
    f, r = bx.facts, bx.policy.value("tech_staff.min_ratio")
    hire, redesignate = _staff_counts(f, r)
    note_zh, note_en = days_left_note(as_of)
    if redesignate is not None and _verified(w, (("tech_staff", redesignate),), "hte.tech_staff_ratio"):
        return _choice(
            (),
            (("tech_staff", redesignate),),
            math.ceil(redesignate * COST["redesignate"]),
            0,
            (
                f"将现有职工中 {redesignate} 人认定为科技人员（{y}年内累计从事研发和技术创新活动满{STAFF_DAYS}天，"
                f"科技人员占比达到{pct_text(r)}）{note_zh}",
            ),
            (
                f"re-designate {redesignate} existing employee(s) as tech staff (at least {STAFF_DAYS} days of "
                f"R&D in {y}; the share reaches {pct_text(r)}){note_en}",
            ),
        )
    ch = (("tech_staff", hire), ("employees", hire))
    if hire < 0 or not _verified(w, ch, "hte.tech_staff_ratio"):
        return None
    return _choice(
        (),
        ch,
        math.ceil(hire * COST["hire"]),
        0,
        (f"{y}年内招聘科技人员 {hire} 人（同时计入职工总数，占比达到{pct_text(r)}）{note_zh}",),
        (f"hire {hire} tech staff in {y} (also employees; the share reaches {pct_text(r)}){note_en}",),
    )


def _score_gain(w: Window, changes: Changes, cid: str) -> int:
    return w.ctx(changes, check=False).crit(cid).points_max - w.x.crit(cid).points_max


def _ip_choices(w: Window, y: int) -> list[_Choice]:
    out = []
    for ip, std in product([NONE, *_ip_moves(w.x, y)], [NONE, *_standard_moves(w.x, y)]):
        ch = merge_changes(ip.changes, std.changes)
        cx = w.ctx(ch, check=False)
        if cx.crit("hte.core_ip").passed is not True:
            continue
        gain = cx.crit("hte.ip_score").points_max - w.x.crit("hte.ip_score").points_max
        if ch and gain <= 0 and w.passed.get("hte.core_ip") is True:
            continue
        out.append(_choice((ip, std), ch, ip.cost + std.cost, gain))
    return out


def _simple_choices(w: Window, moves: list[Move], cid: str) -> list[_Choice]:
    out = [_choice((), (), 0, 0)]
    for m in moves:
        gain = _score_gain(w, m.changes, cid)
        if gain > 0:
            out.append(_choice((m,), m.changes, m.cost, gain))
    return out


def _revenue_choices(w: Window, y: int) -> list[_Choice]:
    """Revenue growth steps (and none), each with the R&D / high-tech income repair every ratio needs."""
    out = []
    for m in [NONE, *_growth_moves(w, "revenue", "hte.growth_revenue_score", y)]:
        cx = w.ctx(m.changes, check=False)
        fix = repair(cx, RATIOS)
        if fix is None:
            continue
        gain = (
            cx.crit("hte.growth_revenue_score").points_max - w.x.crit("hte.growth_revenue_score").points_max
        )
        if m.changes and gain <= 0:
            continue
        zh = (fix[2],) if fix[2] else ()
        en = (fix[3],) if fix[3] else ()
        out.append(_choice((m,), merge_changes(m.changes, fix[0]), m.cost + fix[1], gain, zh, en))
    return out


def _plan(x: ScalarContext, w: Window, ev: Evaluation) -> list[Gap]:
    """The cheapest verified combination reaching the pass line in the next window, or why there is none."""
    y = x.as_of.year
    bx = w.x
    bar = x.policy.value("score.pass_above")
    span, span_en = span_text(window_years(bx)), span_text(window_years(bx), True)
    base_max = bx.crit("hte.score").points_max
    hard_ok = all(w.passed.get(c) is True for c in HARD)
    if hard_ok and base_max > bar:
        if ev.outcome != "fail":
            return []
        return [
            Gap(
                "hte",
                None,
                base_max,
                bar + 1,
                0,
                "points",
                f"若{y}年数据与{y - 1}年持平，{y + 1}年申报时（{span}）硬性条件均满足，创新能力评价最高可得 {base_max} 分"
                f"（高于{bar}分，是否通过取决于专家评分）",
                f"If {y} equals {y - 1}, an application in {y + 1} ({span_en}) meets every hard condition with a "
                f"maximum score of {base_max} (above {bar}; the experts decide)",
            )
        ]
    blockers = [c for c in NOT_BY_FIGURES if w.fails(c)]
    if blockers:
        labels = "、".join(x.policy.criteria[c].label_zh for c in blockers)
        labels_en = ", ".join(x.policy.criteria[c].label_en for c in blockers)
        return [
            Gap(
                "hte",
                None,
                None,
                None,
                None,
                "",
                f"{labels}不满足，不能通过改变经营数据解决：在此之前不存在可通过认定的方案",
                f"Not met and not changeable by figures: {labels_en}; until then no plan can reach certification",
            )
        ]
    staff = _staff_choice(w, x.as_of)
    ips = _ip_choices(w, y)
    convs = _simple_choices(w, _conversion_moves(bx, y), "hte.conversion_score")
    revs = _revenue_choices(w, y)
    nas = _simple_choices(
        w, _growth_moves(w, "net_assets", "hte.growth_net_assets_score", y), "hte.growth_net_assets_score"
    )
    if staff is None or not ips or not revs:
        return [
            Gap(
                "hte",
                None,
                None,
                None,
                None,
                "",
                f"{y + 1}年申报（{span}）：有硬性条件无法通过增加投入满足（见上），不存在可通过认定的方案",
                f"For an application in {y + 1} ({span_en}) a hard condition cannot be met by adding resources "
                "(see above): no plan reaches certification",
            )
        ]
    combos = []
    best_max = base_max
    for parts in product(ips, convs, revs, nas):
        total = base_max + sum(c.gain for c in parts)
        best_max = max(best_max, total)
        if total <= bar:
            continue
        steps = sum(len(c.moves) for c in parts) + (1 if staff.changes else 0)
        combos.append((staff.cost + sum(c.cost for c in parts), steps, -total, parts))
    for cost, _steps, _neg_total, parts in heapq.nsmallest(40, combos, key=lambda c: c[:3]):
        chosen = (staff, *parts)
        ch = merge_changes(*(c.changes for c in chosen))
        cx = w.ctx(ch)
        if cx is None or not w.keeps(cx):
            continue
        if not all(cx.crit(c).passed for c in HARD) or cx.crit("hte.score").points_max <= bar:
            continue
        total = cx.crit("hte.score").points_max
        zh = [s for c in chosen for s in c.zh]
        en = [s for c in chosen for s in c.en]
        expert = any(getattr(bx.facts, name) is None for name in EXPERT_MAX)
        note_zh = "；其中专家评分项按最高分计，实际得分以专家评审为准" if expert else ""
        note_en = (
            "; expert-scored items at their maximum, the experts decide the actual score" if expert else ""
        )
        return [
            Gap(
                "hte",
                None,
                base_max,
                bar + 1,
                total - base_max,
                "points",
                f"{y + 1}年申报（{span}）的可行方案（按估算成本最低选出；估算，仅用于比较方案，约 {wan(math.ceil(cost))} "
                f"万元当量）："
                + "；".join(zh)
                + f"。采取以上全部措施后硬性条件均满足，创新能力评价最高可得 {total} 分，"
                f"高于{bar}分（已按认定规则重新测算{note_zh}）",
                f"Plan to apply in {y + 1} ({span_en}), the cheapest by an estimate used only to compare plans "
                f"(about {wan_en(math.ceil(cost))} equivalent): "
                + "; ".join(en)
                + f". With all of these every "
                f"hard condition is met and the innovation score reaches at most {total}, above {bar} "
                f"(re-evaluated under the certification rules{note_en})",
                ch,
                math.ceil(cost),
                total - base_max,
            )
        ]
    expert_given = all(getattr(bx.facts, name) is not None for name in EXPERT_MAX)
    if expert_given:
        zh = (
            f"按已给出的专家评分，即使采取全部可计算的措施，{y + 1}年申报（{span}）最高也只有 {best_max} 分，不高于{bar}分："
            "不提高专家评分项（技术先进程度、核心支持作用、研究开发组织管理水平）就不存在可行方案"
        )
        en = (
            f"With the expert scores given, even every computable step leaves an application in {y + 1} "
            f"({span_en}) at most {best_max} points, not above {bar}: no plan exists without better expert-scored "
            "items (technical advancement, core support, R&D management)"
        )
    else:
        zh = (
            f"即使专家评分项（技术先进程度、核心支持作用、研究开发组织管理水平）按最高分计并采取全部可计算的措施，"
            f"{y + 1}年申报（{span}）最高也只有 {best_max} 分，不高于{bar}分：不存在可行方案"
        )
        en = (
            f"Even with the expert-scored items (technical advancement, core support, R&D management) at their "
            f"maximum and every computable step, an application in {y + 1} ({span_en}) reaches at most {best_max} "
            f"points, not above {bar}: no plan exists"
        )
    return [Gap("hte", None, base_max, bar + 1, bar + 1 - best_max, "points", zh, en)]


def _score_head(x: ScalarContext, w: Window, ev: Evaluation) -> list[Gap]:
    """The score as it stands (the closed window) and, when it differs, in the next window."""
    y = x.as_of.year
    bar = x.policy.value("score.pass_above")
    later_zh = later_en = ""
    if w.valid:
        nmax = w.x.crit("hte.score").points_max
        if nmax != ev.score_max:
            span, span_en = span_text(window_years(w.x)), span_text(window_years(w.x), True)
            later_zh = f"；若{y}年数据与{y - 1}年持平，{y + 1}年申报时（{span}）最高可得 {nmax} 分"
            later_en = f"; if {y} equals {y - 1}, an application in {y + 1} ({span_en}) scores at most {nmax}"
    if ev.score_max > bar:
        missing = bar + 1 - ev.score_min
        return [
            Gap(
                "hte.score",
                None,
                [ev.score_min, ev.score_max],
                bar + 1,
                missing,
                "points",
                f"创新能力评价得分区间 {ev.score_min}–{ev.score_max} 分，是否高于{bar}分取决于专家评分"
                f"（保底还差 {missing} 分）" + later_zh,
                f"Innovation score range {ev.score_min}-{ev.score_max}: whether it exceeds {bar} depends on the "
                f"expert scores ({missing} point(s) short at the minimum)" + later_en,
            )
        ]
    missing = bar + 1 - ev.score_max
    return [
        Gap(
            "hte.score",
            None,
            ev.score_max,
            bar + 1,
            missing,
            "points",
            f"创新能力评价最高可得 {ev.score_max} 分，需高于{bar}分，至少还差 {missing} 分" + later_zh,
            f"Innovation score at most {ev.score_max}, needs more than {bar}: at least {missing} point(s) short"
            + later_en,
        )
    ]


@RULES.gap_analysis
def hte_gaps(x, ev: Evaluation) -> list[Gap]:
    failed_now = {c.id for c in ev.failed_conditions if c.id in HARD}
    w = Window(x)
    out = _hard_gaps(x, w, failed_now)
    out.extend(_score_head(x, w, ev))
    y = x.as_of.year
    if not w.valid:
        out.append(
            Gap(
                "hte",
                None,
                None,
                None,
                None,
                "",
                f"尚无可用于{y + 1}年申报的已结束会计年度数据，{y}年度结束后再测算方案",
                f"No closed accounting year yet for an application in {y + 1}: plan again once {y} is closed",
            )
        )
        return out
    if w.x.crit("hte.score").points_max <= x.policy.value("score.pass_above"):
        out.extend(_option_gaps(w, y))
    out.extend(_plan(x, w, ev))
    return out
