"""Performance index of enterprise R&D institutions (苏政办发〔2019〕57号: 经费投入、人员投入、知识产权创造、
关键技术突破). The plan names the four dimensions only; weights, bands and grades are ILLUSTRATIVE parameters.

Each dimension scores 0-100 by its band table; total = sum(weight_i * score_i) / 100 (weights sum to 100),
exact as a Fraction; the grade comes from `grade.bands` on the exact total (points = grade rank) and the
institution passes when the rank is at least `grade.pass_min_rank`. Reported `score` is the total rounded down.
"""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

from gaoqi.policy.bands import shown_fraction
from gaoqi.policy.errors import FieldError
from gaoqi.policy.model import Gap, Parameter, Policy, Threshold
from gaoqi.policy.rnd_facts import RND_COUNT_FIELDS, RND_FIELDS, RndInstitutionFacts
from gaoqi.policy.rules.common import (
    Core,
    RuleSet,
    bound_en,
    crit,
    ratio_detail,
    ratio_value,
    required_errors,
)

DIMENSIONS = ("funding", "staff", "ip", "breakthroughs")
PARAMS = {
    **{f"weights.{d}": "count" for d in DIMENSIONS},
    "funding.bands": "percent_bands",
    "staff.bands": "percent_bands",
    "ip.invention_weight": "count",
    "ip.other_weight": "count",
    "ip.bands": "count_bands",
    "breakthroughs.bands": "count_bands",
    "grade.bands": "count_bands",
    "grade.pass_min_rank": "count",
}
CRITERIA = tuple(f"rnd_institution.{d}" for d in DIMENSIONS) + ("rnd_institution.total",)


def _pts(value: Fraction) -> str:
    return format(shown_fraction(value).normalize(), "f")


GRADES_EN = {"优秀": "Excellent", "良好": "Good", "合格": "Pass", "不合格": "Fail"}


def _grade_en(label: str) -> str:
    return f"the grade '{GRADES_EN[label]}'" if label in GRADES_EN else "the passing grade"


def validate(facts: RndInstitutionFacts, policy: Policy, as_of: date | None = None) -> list[FieldError]:
    errors = required_errors(facts, policy.requires, policy.name)
    for name in RND_COUNT_FIELDS:
        value = getattr(facts, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            errors.append(FieldError(name, f"expected an integer >= 0, got {value!r}", "应为非负整数"))
    if not errors and facts.rnd_staff > facts.employees:
        errors.append(FieldError("rnd_staff", "rnd_staff exceeds employees", "研发人员数不能超过职工总数"))
    return errors


def dimension_scores(f: RndInstitutionFacts, p: Policy) -> dict[str, tuple[int, str, object, dict]]:
    v = p.value
    fb, sb, ib, bb = v("funding.bands"), v("staff.bands"), v("ip.bands"), v("breakthroughs.bands")
    weighted_ip = f.invention_patents * v("ip.invention_weight") + f.other_ip * v("ip.other_weight")
    rows = {
        "funding": (fb.rows[fb.index_for_ratio(f.rnd_spend, f.revenue)], ratio_value(f.rnd_spend, f.revenue),
                    ratio_detail(f.rnd_spend, f.revenue)),
        "staff": (sb.rows[sb.index_for_ratio(f.rnd_staff, f.employees)], ratio_value(f.rnd_staff, f.employees),
                  ratio_detail(f.rnd_staff, f.employees)),
        "ip": (ib.rows[ib.index_for(weighted_ip)], weighted_ip, {"invention": f.invention_patents,
                                                               "other": f.other_ip}),
        "breakthroughs": (bb.rows[bb.index_for(f.key_breakthroughs)], f.key_breakthroughs, {}),
    }
    return {d: (row.points_min, row.label, value, detail) for d, (row, value, detail) in rows.items()}


def evaluate(f: RndInstitutionFacts, p: Policy, as_of: date) -> Core:
    v = p.value
    scores = dimension_scores(f, p)
    total = sum((Fraction(v(f"weights.{d}") * scores[d][0], 100) for d in DIMENSIONS), Fraction(0))
    c = []
    for d in DIMENSIONS:
        pts, label, value, detail = scores[d]
        unit = "ratio" if d in ("funding", "staff") else "count"
        c.append(crit(p, f"rnd_institution.{d}", "score", value, unit, Threshold("band", v(f"{d}.bands"), "按档计分", "By band"),
                      None, (f"{d}.bands", f"weights.{d}"), points=pts, band=label, detail=detail))
    grades = v("grade.bands")
    row = grades.rows[grades.index_for(total)]
    ok = row.points_min >= v("grade.pass_min_rank")
    c.append(crit(p, "rnd_institution.total", "condition", shown_fraction(total), "points",
                  Threshold(">=", v("grade.pass_min_rank"), "绩效等级达到合格及以上",
                            "Performance grade of pass or better"), ok,
                  ("grade.bands", "grade.pass_min_rank", *(f"weights.{d}" for d in DIMENSIONS)),
                  points=math.floor(total), band=row.label, detail={"total": total}))
    return Core("pass" if ok else "fail", ok, c, score=math.floor(total), score_min=math.floor(total),
                score_max=math.floor(total), grade=row.label, extra={"total": total})


def gaps(f: RndInstitutionFacts, p: Policy, as_of: date, core: Core) -> list[Gap]:
    """Per dimension, the next band up and what it adds to the weighted total (options, not a plan)."""
    v = p.value
    grades = v("grade.bands")
    target = next(r for r in reversed(grades.rows) if r.points_min >= v("grade.pass_min_rank"))
    missing = target.lower - core.extra["total"]
    out = [Gap("rnd_institution.total", None, shown_fraction(core.extra["total"]), target.lower,
               shown_fraction(missing), "points",
               f"绩效总分 {_pts(core.extra['total'])} 分，达到“{target.label}”还差 {_pts(missing)} 分",
               f"Total score {_pts(core.extra['total'])}, {_pts(missing)} point(s) short of "
               f"{_grade_en(target.label)}")]
    for d, what, what_en in (("funding", "经费投入", "Funding input"), ("staff", "人员投入", "Staff input"),
                             ("ip", "知识产权创造", "IP creation"), ("breakthroughs", "关键技术突破", "Key breakthroughs")):
        bands = v(f"{d}.bands")
        pts = core.criteria[DIMENSIONS.index(d)].points
        better = [r for r in bands.rows if r.lower is not None and r.points_min > pts]
        if better:
            r = better[-1]
            gain = Fraction(v(f"weights.{d}") * (r.points_min - pts), 100)
            out.append(Gap(f"rnd_institution.{d}", None, pts, r.points_min, r.points_min - pts, "points",
                           f"{what}达到“{r.label}”档可得 {r.points_min} 分（总分 +{_pts(gain)}）",
                           f"{what_en}: reaching the band {bound_en(r, percent=d in ('funding', 'staff'))} scores "
                           f"{r.points_min} points (total +{_pts(gain)})"))
    return out


def check_params(params: dict[str, Parameter]) -> list[tuple[str, str]]:
    weights = [params[f"weights.{d}"].value for d in DIMENSIONS if f"weights.{d}" in params]
    if len(weights) == len(DIMENSIONS) and sum(weights) != 100:
        return [("weights.funding", f"the four weights must sum to 100 (got {sum(weights)})")]
    return []


RULES = RuleSet("rnd_institution", RndInstitutionFacts, RND_FIELDS, PARAMS, CRITERIA, validate, evaluate, gaps,
                check_params)
