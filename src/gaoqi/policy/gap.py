"""对标找差: the public face of gap analysis.

Gaps are computed by `evaluate` (see gap_tech_sme, gap_hte, gap_pool). Each `Gap.changes` lists the exact
field increments that realise it; `apply_gaps` adds them to the facts, so "apply the gaps, evaluate again"
is a checkable promise (the property tests do exactly that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from gaoqi.policy.model import Evaluation, Gap


def apply_gaps(facts: Any, gaps: Iterable[Gap]) -> Any:
    """The facts with every gap's `changes` added (increments accumulate per field)."""
    totals: dict[str, int] = {}
    for gap in gaps:
        for field, delta in gap.changes:
            totals[field] = totals.get(field, 0) + delta
    return replace(facts, **{f: (getattr(facts, f) or 0) + d for f, d in totals.items()})


def actionable(evaluation: Evaluation) -> list[Gap]:
    """The gaps that change figures (and so can be applied), in the engine's order."""
    return [g for g in evaluation.gaps if g.changes]
