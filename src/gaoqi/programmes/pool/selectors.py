"""Reads of the cultivation pool, scoped through gaoqi.accounts.scope; plus the two unscoped counts other apps
build on: pool membership per firm (rewards) and the pool size of a region on a date (targets), whose callers
apply their own scope."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet

from gaoqi.accounts.scope import scope_applications, scope_pool_records
from gaoqi.programmes.pool.declaration import CODE
from gaoqi.programmes.pool.models import PoolRecord


def my_applications(*, actor) -> QuerySet:
    """A firm's own pool applications (an officer: those in scope), newest first."""
    return (
        scope_applications(actor)
        .filter(programme=CODE)
        .select_related("enterprise", "pool_record")
        .order_by("-created_at", "-id")
    )


def admissions(*, actor, year: int | None = None, batch_no: int | None = None) -> QuerySet:
    """The admission list: admitted records in scope, by year and batch, in admission-number order."""
    qs = scope_pool_records(actor).filter(admitted_on__isnull=False)
    if year:
        qs = qs.filter(application__year=year)
    if batch_no:
        qs = qs.filter(batch_no=batch_no)
    return qs.select_related("application__enterprise", "application__city", "application__county").order_by(
        "application__year", "batch_no", "application__reference_no", "id"
    )


def batches(*, actor) -> list[tuple[int, int, int]]:
    """(year, batch, firms) of the admissions in scope, newest first."""
    rows = (
        scope_pool_records(actor)
        .filter(admitted_on__isnull=False)
        .values("application__year", "batch_no")
        .annotate(n=Count("id"))
        .order_by("-application__year", "-batch_no")
    )
    return [(r["application__year"], r["batch_no"], r["n"]) for r in rows]


def exits(*, actor) -> QuerySet:
    """Records that left the pool (with the reason), newest first."""
    return (
        scope_pool_records(actor)
        .exclude(exit_reason="")
        .select_related("application__enterprise", "application__county")
        .order_by("-exited_on", "-id")
    )


def period_ended(*, actor, today: date) -> QuerySet:
    """Admitted firms still in the pool whose period ended before today (to exit)."""
    return (
        scope_pool_records(actor)
        .filter(application__phase="admitted", ends_on__lt=today)
        .select_related("application__enterprise", "application__county")
        .order_by("ends_on", "id")
    )


def _active_q(on: date) -> Q:
    return Q(admitted_on__lte=on, ends_on__gte=on) & (Q(exited_on__isnull=True) | Q(exited_on__gt=on))


def memberships(enterprise_ids: list[int]) -> dict[int, tuple[date, date | None]]:
    """The rewards' pool source (gaoqi.rewards.facts.register_pool_source): each firm's latest admission and
    the day it left the pool (None while in it)."""
    out: dict[int, tuple[date, date | None]] = {}
    rows = (
        PoolRecord.objects.filter(enterprise_id__in=enterprise_ids, admitted_on__isnull=False)
        .order_by("enterprise_id", "admitted_on")
        .values_list("enterprise_id", "admitted_on", "exited_on")
    )
    for firm, admitted, exited in rows:
        out[firm] = (admitted, exited)  # the latest admission wins
    return out


def pool_size(region_code: str, on: date) -> int:
    """Firms in the pool on `on` in the region (province, city or county code), by the application's region."""
    return sum(pool_size_by(region_code, "county", on).values())


def pool_size_by(region_code: str, group: str, on: date) -> dict[str, int]:
    """{city or county code: firms in the pool on `on`} within the region `region_code` (group: city/county)."""
    if region_code.endswith("0000"):
        where = Q(application__city__code__startswith=region_code[:2])
    elif region_code.endswith("00"):
        where = Q(application__city_id=region_code)
    else:
        where = Q(application__county_id=region_code)
    key = f"application__{group}_id"
    rows = (
        PoolRecord.objects.filter(where & _active_q(on))
        .values(key)
        .annotate(n=Count("enterprise_id", distinct=True))
        .order_by()
    )
    return {r[key]: r["n"] for r in rows}
