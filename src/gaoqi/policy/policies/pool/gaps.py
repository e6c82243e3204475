"""对标找差 for the cultivation pool: the tech-SME score plan (if needed) plus the pool's own conditions.

The pool's R&D gap is computed after the tech-SME plan's R&D change, and its staff gap after the plan's
staff change, so applying every gap together is enough and not more than needed for each step.
"""

from __future__ import annotations

from gaoqi.policy.core.bands import min_add_for_ratio, pct_text
from gaoqi.policy.core.common import operating_years, wan, wan_en, year_sum
from gaoqi.policy.core.engine import evaluation_of
from gaoqi.policy.core.gap import apply_gaps
from gaoqi.policy.core.model import Evaluation, Gap
from gaoqi.policy.core.rules import ScalarContext
from gaoqi.policy.policies.pool.rules import RULES

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


@RULES.gap_analysis
def pool_gaps(x, ev: Evaluation) -> list[Gap]:
    f, p = x.facts, x.policy
    failed = {c.id for c in ev.criteria if c.passed is False}
    out: list[Gap] = []
    if "pool.tech_sme" in failed:  # the sub-policy's own gap analysis, through the engine (no import)
        out.extend(evaluation_of(x.sub("tech_sme")).gaps)
    g = apply_gaps(f, out)
    gx = ScalarContext(x.rules, p, x.as_of, g)
    if "pool.ip" in failed and g.ip_class1 + g.ip_class2 < p.value("ip.min_count"):
        k = p.value("ip.min_count") - (g.ip_class1 + g.ip_class2)
        out.append(
            Gap(
                "pool.ip",
                "ip_class2",
                g.ip_class2,
                g.ip_class2 + k,
                k,
                "items",
                f"需取得有效知识产权 {k} 项",
                f"Obtain {k} valid IP item(s)",
                (("ip_class2", k),),
            )
        )
    years = operating_years(x)
    rnd, rev = year_sum(gx, "rnd_expense"), year_sum(gx, "revenue")
    r = p.value("rnd.min_ratio")
    if rev > 0:
        x = min_add_for_ratio(rnd, rev, r, coupled=False)
        if x > 0:
            out.append(
                Gap(
                    "pool.rnd_ratio",
                    "rnd_expense_y3",
                    rnd,
                    rnd + x,
                    x,
                    "CNY",
                    f"近{len(years)}年研发费用需再增加 {wan(x)} 万元（占销售收入达到{pct_text(r)}）",
                    f"Raise {len(years)}-year R&D spending by {wan_en(x)} (share of sales revenue reaches {pct_text(r)})",
                    (("rnd_expense_y3", x), ("total_cost", x)),
                )
            )
    elif "pool.rnd_ratio" in failed:
        out.append(
            Gap(
                "pool.rnd_ratio",
                "revenue_y3",
                0,
                None,
                None,
                "CNY",
                "近年无销售收入，无法计算研发费用占比",
                "No sales revenue in recent years: the R&D share cannot be computed",
            )
        )
    t = p.value("tech_staff.min_ratio")
    k = min_add_for_ratio(g.tech_staff, g.employees, t, coupled=True)
    if k > 0:
        out.append(
            Gap(
                "pool.tech_staff_ratio",
                "tech_staff",
                g.tech_staff,
                g.tech_staff + k,
                k,
                "persons",
                f"需增加科技人员 {k} 人（占比达到{pct_text(t)}）",
                f"Add {k} tech staff (share reaches {pct_text(t)})",
                (("tech_staff", k), ("employees", k)),
            )
        )
    for cid, (zh, en) in _FLAGS.items():
        if cid in failed:
            out.append(Gap(cid, None, True, False, None, "", zh, en))
    return out
