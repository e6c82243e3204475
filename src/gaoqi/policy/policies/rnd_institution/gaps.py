"""对标找差 for an R&D institution: per dimension, the next band up and what it adds to the weighted total."""

from __future__ import annotations

from fractions import Fraction

from gaoqi.policy.core.bands import num_text, pct_text, shown_fraction
from gaoqi.policy.core.model import Evaluation, Gap
from gaoqi.policy.policies.rnd_institution.rules import DIMENSIONS, GRADES_EN, RULES, total_hundredths


def _pts(value: Fraction) -> str:
    return format(shown_fraction(value).normalize(), "f")


def _grade_en(label: str) -> str:
    return f"the grade '{GRADES_EN[label]}'" if label in GRADES_EN else "the passing grade"


def _bound_en(row, percent: bool) -> str:
    shown = pct_text(row.lower) if percent else num_text(row.lower)
    return f"{'above' if row.strict else 'at least'} {shown}"


@RULES.gap_analysis
def gaps(x, ev: Evaluation) -> list[Gap]:
    """Options, not a plan: each dimension's next band and its gain in the total."""
    p = x.policy
    v = p.value
    total = Fraction(x(total_hundredths), 100)
    grades = v("grade.bands")
    target = next(r for r in reversed(grades.rows) if r.points_min >= v("grade.pass_min_rank"))
    missing = target.lower - total
    out = [
        Gap(
            "rnd_institution.total",
            None,
            shown_fraction(total),
            target.lower,
            shown_fraction(missing),
            "points",
            f"绩效总分 {_pts(total)} 分，达到“{target.label}”还差 {_pts(missing)} 分",
            f"Total score {_pts(total)}, {_pts(missing)} point(s) short of {_grade_en(target.label)}",
        )
    ]
    for d, what, what_en in (
        ("funding", "经费投入", "Funding input"),
        ("staff", "人员投入", "Staff input"),
        ("ip", "知识产权创造", "IP creation"),
        ("breakthroughs", "关键技术突破", "Key breakthroughs"),
    ):
        bands = v(f"{d}.bands")
        pts = ev.criteria[DIMENSIONS.index(d)].points
        better = [r for r in bands.rows if r.lower is not None and r.points_min > pts]
        if better:
            r = better[-1]
            gain = Fraction(v(f"weights.{d}") * (r.points_min - pts), 100)
            out.append(
                Gap(
                    f"rnd_institution.{d}",
                    None,
                    pts,
                    r.points_min,
                    r.points_min - pts,
                    "points",
                    f"{what}达到“{r.label}”档可得 {r.points_min} 分（总分 +{_pts(gain)}）",
                    f"{what_en}: reaching the band {_bound_en(r, d in ('funding', 'staff'))} scores "
                    f"{r.points_min} points (total +{_pts(gain)})",
                )
            )
    return out
