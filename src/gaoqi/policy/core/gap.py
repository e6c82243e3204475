"""对标找差: applying a plan. Gaps are computed by each policy's `gaps.py`; every `Gap.changes` lists the exact
field increments that realise it, so "apply the gaps, evaluate again" is a checkable promise (tests do it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from gaoqi.policy.core.model import Gap


def apply_gaps(facts: Any, gaps: Iterable[Gap]) -> Any:
    """The facts with every gap's `changes` added (increments accumulate per field)."""
    totals: dict[str, int] = {}
    for gap in gaps:
        for field, delta in gap.changes:
            totals[field] = totals.get(field, 0) + delta
    return replace(facts, **{f: (getattr(facts, f) or 0) + d for f, d in totals.items()})
