"""Shared pieces of the rule modules: the RuleSet record, criterion building, years, field checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from gaoqi.policy.bands import shown_ratio
from gaoqi.policy.errors import FieldError
from gaoqi.policy.facts import FIELD_SPECS, Kind
from gaoqi.policy.model import CriterionResult, Gap, Parameter, ParamUse, Policy, Threshold


@dataclass
class Core:
    """What a rule module's `evaluate` returns; the engine adds identity, trace and gaps."""

    outcome: str
    eligible: bool | None
    criteria: list[CriterionResult]
    score: int | None = None
    score_min: int | None = None
    score_max: int | None = None
    direct_pass_reason: str | None = None
    grade: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    name: str
    facts_type: type
    field_names: frozenset[str]
    params: Mapping[str, str]
    criteria: tuple[str, ...]
    validate: Callable[[Any, Policy, date | None], list[FieldError]]
    evaluate: Callable[[Any, Policy, date], Core]
    gaps: Callable[[Any, Policy, date, Core], list[Gap]]
    check_params: Callable[[Mapping[str, Parameter]], list[tuple[str, str]]] = lambda params: []
    subpolicies: tuple[str, ...] = ()


ENTERPRISE_FIELDS = frozenset(spec.name for spec in FIELD_SPECS)


def crit(policy: Policy, cid: str, kind: str, value: Any, unit: str, threshold: Threshold | None,
         passed: bool | None, params: Iterable[str] = (), *, points: int | None = None,
         points_min: int | None = None, points_max: int | None = None, band: str | None = None,
         note_zh: str = "", detail: Mapping[str, Any] | None = None) -> CriterionResult:
    """Build a CriterionResult with the labels/citation of the file and the parameters it used."""
    d = policy.criteria[cid]
    if points is not None and points_min is None:
        points_min = points_max = points
    if points is None and points_min is not None and points_min == points_max:
        points = points_min
    uses = tuple(ParamUse(n, policy.params[n].value, policy.params[n].effective_from) for n in params)
    return CriterionResult(cid, d.label_zh, d.label_en, d.citation, kind, value, unit, threshold, passed,
                           points, points_min, points_max, band, uses, note_zh, detail or {})


def ratio_detail(a: int, b: int) -> dict[str, int]:
    return {"numerator": a, "denominator": b}


def ratio_value(a: int, b: int):
    return shown_ratio(a, b)


YEAR_INDEXES = (1, 2, 3)


def operating_years(founded_on: date | None, as_of: date) -> tuple[int, ...]:
    """Which of _y1.._y3 (the three calendar years before as_of) the firm existed in.

    Year k is calendar year as_of.year - 4 + k; it counts when the firm was founded in or before it.
    Unknown founding date: all three years. A firm founded in as_of's own year has none.
    """
    if founded_on is None:
        return YEAR_INDEXES
    return tuple(k for k in YEAR_INDEXES if founded_on.year <= as_of.year - 4 + k)


def anniversary(founded_on: date, years: int) -> date:
    """The `years`-th anniversary; a 29 February founding's anniversary in a common year is 28 February.

    This follows the month-end rule of 民法典 第二百零二条 (no corresponding day -> last day of the month).
    """
    try:
        return founded_on.replace(year=founded_on.year + years)
    except ValueError:
        return date(founded_on.year + years, 2, 28)


def required_errors(facts: Any, names: Iterable[str], policy_name: str) -> list[FieldError]:
    return [
        FieldError(n, f"required by policy {policy_name}", f"{policy_name} 评价必填", missing=True)
        for n in names
        if getattr(facts, n) is None
    ]


def enterprise_field_errors(facts: Any) -> list[FieldError]:
    """Type and sign checks on every reported value, plus the cross-field rules of the template."""
    errors: list[FieldError] = []
    for spec in FIELD_SPECS:
        v = getattr(facts, spec.name)
        if v is None:
            continue
        if spec.kind in (Kind.MONEY, Kind.COUNT):
            if isinstance(v, bool) or not isinstance(v, int):
                errors.append(FieldError(spec.name, f"expected an integer, got {v!r}", "应为整数"))
            elif v < 0 and not spec.signed:
                errors.append(FieldError(spec.name, f"must not be negative (got {v})", "不能为负数"))
        elif spec.kind is Kind.BOOL and not isinstance(v, bool):
            errors.append(FieldError(spec.name, f"expected true/false, got {v!r}", "应为是/否"))
        elif spec.kind is Kind.DATE and not isinstance(v, date):
            errors.append(FieldError(spec.name, f"expected a date, got {v!r}", "应为日期"))
    if errors:
        return errors
    if facts.tech_staff is not None and facts.employees is not None and facts.tech_staff > facts.employees:
        errors.append(FieldError("tech_staff", f"tech_staff ({facts.tech_staff}) exceeds employees "
                                 f"({facts.employees})", "科技人员数不能超过职工总数"))
    for k in YEAR_INDEXES:
        dom, tot = getattr(facts, f"rnd_expense_domestic_y{k}"), getattr(facts, f"rnd_expense_y{k}")
        if dom is not None and tot is not None and dom > tot:
            errors.append(FieldError(f"rnd_expense_domestic_y{k}", f"domestic R&D ({dom}) exceeds total R&D "
                                     f"({tot})", "境内研发费用不能超过研发费用总额"))
    if facts.hitech_revenue is not None and facts.total_income is not None and (
        facts.hitech_revenue > facts.total_income
    ):
        errors.append(FieldError("hitech_revenue", f"hitech_revenue ({facts.hitech_revenue}) exceeds "
                                 f"total_income ({facts.total_income})", "高新技术产品（服务）收入不能超过总收入"))
    return errors


def wan(yuan: int) -> str:
    """Yuan as 万元 with one decimal, rounded UP so that a stated requirement is always sufficient."""
    tenths = -(-yuan // 1000)
    return f"{tenths // 10}.{tenths % 10}"


def wan_en(yuan: int) -> str:
    """The English twin of `wan`: "124.0 ×10k CNY" (same rounding up)."""
    return f"{wan(yuan)} ×10k CNY"


def bound_en(row: Any, percent: bool = False) -> str:
    """A band row's lower bound in words ("at least 5%", "above 10"), for English texts (labels may be Chinese)."""
    if row.lower is None:
        return "the lowest band"
    from gaoqi.policy.bands import num_text, pct_text

    shown = pct_text(row.lower) if percent else num_text(row.lower)
    return f"{'above' if row.strict else 'at least'} {shown}"


def pct(value: Fraction) -> str:
    from gaoqi.policy.bands import pct_text

    return pct_text(value)


def year_sum(facts: Any, stem: str, years: Iterable[int]) -> int:
    return sum(getattr(facts, f"{stem}_y{k}") or 0 for k in years)
