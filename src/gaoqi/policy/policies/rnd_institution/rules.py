"""Performance index of enterprise R&D institutions (苏政办发〔2019〕57号: 经费投入、人员投入、知识产权创造、
关键技术突破), written once. The plan names the four dimensions only; weights, bands and grades are
ILLUSTRATIVE parameters.

Each dimension scores 0-100 by its band table; total = sum(weight_i * score_i) / 100 (weights sum to 100),
exact; the grade comes from `grade.bands` on the exact total (points = grade rank) and the institution passes
when the rank is at least `grade.pass_min_rank`. Reported `score` is the total rounded down.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from gaoqi.policy.core.bands import shown_fraction
from gaoqi.policy.core.facts import common_checks
from gaoqi.policy.core.model import Parameter, Threshold
from gaoqi.policy.core.rules import Out, Ratio, RuleSet
from gaoqi.policy.policies.rnd_institution.facts import (
    RND_CROSS_RULES,
    RND_FIELDS,
    RND_SPECS,
    RndInstitutionFacts,
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
GRADES_EN = {"优秀": "Excellent", "良好": "Good", "合格": "Pass", "不合格": "Fail"}


def check_params(params: dict[str, Parameter]) -> list[tuple[str, str]]:
    weights = [params[f"weights.{d}"].value for d in DIMENSIONS if f"weights.{d}" in params]
    if len(weights) == len(DIMENSIONS) and sum(weights) != 100:
        return [("weights.funding", f"the four weights must sum to 100 (got {sum(weights)})")]
    return []


RULES = RuleSet(
    "rnd_institution",
    RndInstitutionFacts,
    RND_FIELDS,
    PARAMS,
    Path(__file__).parent / "params",
    check_params=check_params,
    labels={k: (k, v) for k, v in GRADES_EN.items()},
)
criterion = RULES.criterion


@RULES.validation
def validate(x) -> None:
    common_checks(x, RND_SPECS, x.policy.requires, RND_CROSS_RULES)


def _dimension(x, d: str, a, b=None) -> Out:
    ops, bands = x.ops, x.p(f"{d}.bands")
    x.p(f"weights.{d}")
    i = ops.band(bands, a, b)
    return Out(
        points=ops.pick(i, [r.points_min for r in bands.rows]),
        value=Ratio(a, b) if b is not None else a,
        band=i,
        labels=bands.labels,
        threshold=lambda: Threshold("band", bands, "按档计分", "By band"),
    )


@criterion("rnd_institution.funding", "score", "ratio")
def funding(x) -> Out:
    return _dimension(x, "funding", x.f.rnd_spend, x.f.revenue)


@criterion("rnd_institution.staff", "score", "ratio")
def staff(x) -> Out:
    return _dimension(x, "staff", x.f.rnd_staff, x.f.employees)


@criterion("rnd_institution.ip", "score", "count")
def ip(x) -> Out:
    weighted = x.f.invention_patents * x.p("ip.invention_weight") + x.f.other_ip * x.p("ip.other_weight")
    out = _dimension(x, "ip", weighted)
    out.detail = lambda: {"invention": x.f.invention_patents, "other": x.f.other_ip}
    return out


@criterion("rnd_institution.breakthroughs", "score", "count")
def breakthroughs(x) -> Out:
    return _dimension(x, "breakthroughs", x.f.key_breakthroughs)


def total_hundredths(x):
    """sum(weight * points) over the dimensions: the total score times 100, an exact integer."""
    return x.ops.sum_([x.p(f"weights.{d}") * x.crit(f"rnd_institution.{d}").points for d in DIMENSIONS])


@criterion("rnd_institution.total", "condition", "points")
def total(x) -> Out:
    ops, grades, rank_min = x.ops, x.p("grade.bands"), x.p("grade.pass_min_rank")
    t100 = x(total_hundredths)
    i = ops.band(grades, t100, 100)
    return Out(
        passed=ops.pick(i, [r.points_min for r in grades.rows]) >= rank_min,
        points=ops.floordiv(t100, 100),
        band=i,
        labels=grades.labels,
        shown=lambda: shown_fraction(Fraction(t100, 100)),
        detail=lambda: {"total": Fraction(t100, 100)},
        threshold=lambda: Threshold(
            ">=", rank_min, "绩效等级达到合格及以上", "Performance grade of pass or better"
        ),
    )


@RULES.verdict_of
def verdict(x) -> dict:
    c = x.crit("rnd_institution.total")
    grades = x.p("grade.bands")
    return {
        "outcome": x.ops.where(c.passed, "pass", "fail"),
        "eligible": c.passed,
        "score": c.points,
        "score_min": c.points,
        "score_max": c.points,
        "grade": x.ops.pick(c.band, [r.label for r in grades.rows]),
    }
