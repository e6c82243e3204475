"""Reading service records, always through gaoqi.accounts.scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from gaoqi.accounts.scope import can, scope_service_records
from gaoqi.coaching.models import ServiceRecord
from gaoqi.registry.selectors import CappedPaginator, checked_page, checked_per_page

UPCOMING_DAYS = 30
WHEN = ("overdue", "upcoming")


@dataclass(frozen=True)
class RecordRow:
    record: ServiceRecord
    follow_up: str  # "overdue" | "due" | "done" (a later record followed up) | "" (no follow-up asked)


def follow_up_state(record: ServiceRecord, *, latest: bool, today: date) -> str:
    if record.follow_up_on is None:
        return ""
    if not latest:
        return "done"
    return "overdue" if record.follow_up_on < today else "due"


def service_records_for(*, actor, enterprise, today: date | None = None) -> list[RecordRow]:
    """The firm's records, newest first, each with its follow-up state. One query."""
    can(actor, "view_service_records", enterprise).require()
    today = today or timezone.localdate()
    records = scope_service_records(
        actor, ServiceRecord.objects.filter(enterprise=enterprise)
    ).select_related("author", "author__region", "agency")
    return [
        RecordRow(r, follow_up_state(r, latest=i == 0, today=today))
        for i, r in enumerate(records.order_by("-served_on", "-id"))
    ]


def _open_follow_ups(actor):
    """Records asking for a follow-up with no later record of the same firm: the pending follow-ups."""
    later = ServiceRecord.objects.filter(enterprise=OuterRef("enterprise_id")).filter(
        Q(served_on__gt=OuterRef("served_on")) | Q(served_on=OuterRef("served_on"), pk__gt=OuterRef("pk"))
    )
    return scope_service_records(actor).filter(follow_up_on__isnull=False).filter(~Exists(later))


def follow_ups(*, actor, when: str = "overdue", page=1, per_page: int = 50, today: date | None = None):
    """A page of pending follow-ups: overdue (oldest first) or due within UPCOMING_DAYS (soonest first)."""
    today = today or timezone.localdate()
    qs = _open_follow_ups(actor)
    if when == "upcoming":
        qs = qs.filter(follow_up_on__gte=today, follow_up_on__lte=today + timedelta(days=UPCOMING_DAYS))
    else:
        qs = qs.filter(follow_up_on__lt=today)
    qs = qs.select_related(
        "enterprise", "enterprise__county", "enterprise__city", "author", "agency"
    ).order_by("follow_up_on", "enterprise_id", "-id")
    return checked_page(CappedPaginator(qs, checked_per_page(per_page)), page)


def overdue_count(*, actor, today: date | None = None) -> int:
    """How many firms in scope have an overdue follow-up (the to-do on the home page). One query."""
    return _open_follow_ups(actor).filter(follow_up_on__lt=today or timezone.localdate()).count()
