"""对标找差: applying a plan. Gaps are computed by each policy's `gaps.py`; every `Gap.changes` lists the exact
field increments that realise it, so "apply the gaps, evaluate again" is a checkable promise (tests do it)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from fractions import Fraction
from typing import Any

from gaoqi.policy.core.bands import shown_ratio
from gaoqi.policy.core.facts import FIELD_SPECS
from gaoqi.policy.core.model import Gap


def apply_gaps(facts: Any, gaps: Iterable[Gap]) -> Any:
    """The facts with every gap's `changes` added (increments accumulate per field)."""
    totals: dict[str, int] = {}
    for gap in gaps:
        for field, delta in gap.changes:
            totals[field] = totals.get(field, 0) + delta
    return replace(facts, **{f: (getattr(facts, f) or 0) + d for f, d in totals.items()})


# --- shared by the policies' gap analyses (policies never import each other) ----------------------------

Changes = tuple[tuple[str, int], ...]
STAFF_DAYS = 183  # 科技人员: engaged in R&D for at least 183 days in the year (195号)
YEARLY_STEMS = tuple(dict.fromkeys(s.stem for s in FIELD_SPECS if s.year == 1))


def merge_changes(*parts: Iterable[tuple[str, int]]) -> Changes:
    """Several change lists as one (increments add up per field, in order of first appearance)."""
    totals: dict[str, int] = {}
    for part in parts:
        for name, delta in part:
            totals[name] = totals.get(name, 0) + delta
    return tuple((name, delta) for name, delta in totals.items() if delta)


def apply_changes(facts: Any, changes: Changes) -> Any:
    """The facts with one change list applied (a field not reported counts 0)."""
    return replace(facts, **{f: (getattr(facts, f) or 0) + d for f, d in changes}) if changes else facts


def next_year(d: date) -> date:
    """The same day a year later (29 February -> 28 February)."""
    try:
        return d.replace(year=d.year + 1)
    except ValueError:
        return d.replace(year=d.year + 1, day=28)


def next_window(facts: Any, as_of: date) -> tuple[Any, date]:
    """The facts and date of the next application: Y-2, Y-1 become `_y1`, `_y2`; `_y3` (the current year Y)
    keeps Y-1's figures until a gap changes them; every other field is read as Y's figure, unchanged."""
    moved = {}
    for stem in YEARLY_STEMS:
        moved[f"{stem}_y1"] = getattr(facts, f"{stem}_y2")
        moved[f"{stem}_y2"] = getattr(facts, f"{stem}_y3")
    return replace(facts, **moved), next_year(as_of)


def span_text(years: list[int], en: bool = False) -> str:
    if not years:
        return ""
    if len(years) == 1:
        return f"{years[0]}" if en else f"{years[0]}年度"
    return f"{years[0]}-{years[-1]}" if en else f"{years[0]}–{years[-1]}年度"


def share_text(a: int, b: int) -> str:
    shown = shown_ratio(a, b)
    return "—" if shown is None else f"{(shown * 100).normalize():f}%"


def count_needed(lower: Fraction, strict: bool) -> int:
    """The least whole count reaching a band edge (`strict`: above it)."""
    return math.floor(lower) + 1 if strict else math.ceil(lower)


def days_left_note(as_of: date) -> tuple[str, str]:
    """A re-designated employee counts for year Y only with 183 days of R&D in Y: say when Y is nearly over."""
    left = (date(as_of.year, 12, 31) - as_of).days + 1
    if left >= STAFF_DAYS:
        return "", ""
    return (
        f"；{as_of.year}年剩余不足{STAFF_DAYS}天，年内新招聘或新认定的人员难以累计满{STAFF_DAYS}天，只有年内已从事研发的人员能够计入",
        f"; fewer than {STAFF_DAYS} days of {as_of.year} remain, so new hires or newly designated staff can hardly "
        f"reach {STAFF_DAYS} days: only people already doing R&D this year can count",
    )
