"""Reads of the workflow core, always through the actor's scope (gaoqi.accounts.scope)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet

from gaoqi.accounts.scope import NOTHING, scope_applications
from gaoqi.registry.selectors import checked_page, checked_per_page
from gaoqi.workflow.models import Application, Decision, Notification
from gaoqi.workflow.table import programmes

PER_PAGE = 50


def waiting_q(actor) -> Q:
    """Applications in a phase where the actor's role has something to do, in any programme."""
    if not getattr(actor, "is_authenticated", False):
        return NOTHING
    q = NOTHING
    for prog in programmes():
        phases = prog.phases_acted_on_by(actor.role)
        if phases:
            q |= Q(programme=prog.code, phase__in=phases)
    return q


def inbox(*, actor) -> QuerySet:
    """What waits for the actor (待办): oldest first, in scope."""
    return (
        scope_applications(actor)
        .filter(waiting_q(actor))
        # Fetched for the page's 50 rows only: a join would be made for every waiting row before the sort.
        .prefetch_related("enterprise", "county")
        .order_by("phase_since", "id")
    )


def inbox_page(*, actor, page: int | str = 1):
    return checked_page(Paginator(inbox(actor=actor), PER_PAGE), page)


def inbox_count(*, actor) -> int:
    return scope_applications(actor).filter(waiting_q(actor)).count() if actor.is_authenticated else 0


@dataclass(frozen=True)
class QueueFilter:
    programme: str
    phase: str | None = None
    city: str | None = None
    county: str | None = None
    flagged: bool = False
    q: str | None = None


def queue(*, actor, filters: QueueFilter) -> QuerySet:
    """An officer's queue of one programme: in scope, by phase and region, oldest first."""
    qs = scope_applications(actor).filter(programme=filters.programme)
    if filters.phase:
        qs = qs.filter(phase=filters.phase)
    if filters.city:
        qs = qs.filter(city_id=filters.city)
    if filters.county:
        qs = qs.filter(county_id=filters.county)
    if filters.flagged:
        qs = qs.exclude(flags=[])
    if filters.q:
        qs = qs.filter(Q(enterprise__name__contains=filters.q) | Q(enterprise__credit_code=filters.q.upper()))
    return qs.prefetch_related("enterprise", "county").order_by("phase_since", "id")


def queue_page(*, actor, filters: QueueFilter, page: int | str = 1, per_page: int = PER_PAGE):
    return checked_page(Paginator(queue(actor=actor, filters=filters), checked_per_page(per_page, 200)), page)


def decisions_for(*, application: Application) -> QuerySet:
    """The decision history of an application the caller already obtained through scope."""
    return Decision.objects.filter(application=application).select_related("actor").order_by("at", "id")


def notifications_page(*, actor, page: int | str = 1, unread: bool = False):
    qs = Notification.objects.filter(user=actor)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return checked_page(Paginator(qs.order_by("-created_at", "-id"), PER_PAGE), page)


def notices_page(*, page: int | str = 1):
    """Public notices (公示), newest first, PER_PAGE at a time; a page beyond the last is a ValidationFailed
    naming the number of pages. Notices are public: every signed-in user reads them all."""
    from gaoqi.workflow.models import PublicNotice

    qs = PublicNotice.objects.select_related("region").order_by("-starts_on", "-id")
    return checked_page(Paginator(qs, PER_PAGE), page)


def unread_count(*, actor) -> int:
    if not getattr(actor, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=actor, read_at__isnull=True).count()


@dataclass(frozen=True)
class FirmApplication:
    """One row of the firm page's applications tab: the application and its programme's labels."""

    application: Application
    programme_label: str
    phase_label: str
    final: bool
    url: str


def applications_of_enterprise(*, actor, enterprise) -> list[FirmApplication]:
    """A firm's applications in every programme (newest first), for its page: the officers of its region and
    the firm itself (accounts.scope `view_applications`); NotFound/refusal for anyone else."""
    from django.urls import reverse

    from gaoqi.accounts.scope import can
    from gaoqi.workflow.table import programme

    can(actor, "view_applications", enterprise).require()
    rows = []
    for app in scope_applications(actor).filter(enterprise=enterprise).order_by("-created_at", "-id"):
        prog = programme(app.programme)
        phase = prog.phase(app.phase)
        rows.append(
            FirmApplication(
                app, str(prog.label), str(phase.label), phase.final, reverse(prog.detail_url, args=[app.pk])
            )
        )
    return rows
