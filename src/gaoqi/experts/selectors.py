"""Reads of the expert review, through gaoqi.accounts.scope: an expert's own assignments, and the panel of an
application (complete or not, the average once everyone has scored)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from gaoqi.accounts.scope import can_see_panel_scores, scope_expert_assignments
from gaoqi.experts.models import ExpertAssignment


def my_assignments(*, actor, programme: str | None = None, open_only: bool = False) -> QuerySet:
    """The expert's assignments, those waiting for a score first, then the oldest."""
    qs = scope_expert_assignments(actor).select_related("application__enterprise", "application__county")
    if programme:
        qs = qs.filter(application__programme=programme)
    if open_only:
        qs = qs.filter(scored_at__isnull=True)
    return qs.order_by("-scored_at", "assigned_at", "id")


@dataclass
class Panel:
    assigned: int
    scored: int
    size: int  # how many experts the programme wants
    average: Decimal | None  # only when complete
    members: list[ExpertAssignment]  # for the officers' view; individual scores only when `show_scores`
    show_scores: bool

    @property
    def complete(self) -> bool:
        return self.assigned >= self.size and self.scored == self.assigned


def average_of(totals: list[Decimal]) -> Decimal | None:
    if not totals:
        return None
    return (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def panel(*, application, size: int, actor=None) -> Panel:
    """The panel of `application` (which the caller obtained through scope). `actor` decides whether the
    individual scores may be shown (can_see_panel_scores); the average is given once the panel is complete."""
    members = list(
        ExpertAssignment.objects.filter(application=application).select_related("expert").order_by("id")
    )
    scored = [m for m in members if m.scored_at is not None]
    complete = len(members) >= size and len(scored) == len(members)
    show = bool(actor is not None and can_see_panel_scores(actor, application, complete=complete))
    return Panel(
        assigned=len(members),
        scored=len(scored),
        size=size,
        average=average_of([m.total for m in scored]) if complete else None,
        members=members,
        show_scores=show,
    )
