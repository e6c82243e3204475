"""Reads of the cultivation ledger. Every function takes the actor; scope is gaoqi.accounts.scope's."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import scope_related
from gaoqi.ledger.models import Grade, LedgerEntry
from gaoqi.registry.selectors import ZONE_ANY, ZONE_NONE

# The lists the plan asks for, besides the whole ledger.
LISTS = {
    "all": Q(),
    "sme_due": Q(tech_sme_eligible=True, tech_sme_registered=False),  # 应评尽评: eligible, not registered
    "hte_reserve": Q(
        has_hte_certificate=False, hte_hard_failed=0
    ),  # 高企后备: hard conditions met, no certificate
}
PER_PAGE = 50


@dataclass(frozen=True)
class LedgerFilter:
    city: str | None = None
    county: str | None = None
    grade: str | None = None
    tech_field: str | None = None
    hitech_zone: str | None = None  # a zone code, ZONE_ANY or ZONE_NONE (as on the enterprise list)
    list: str = "all"
    q: str | None = None


def _scoped(actor) -> QuerySet:
    return scope_related(actor, LedgerEntry.objects.all(), "enterprise")


def _filtered(actor, f: LedgerFilter, *, with_grade: bool = True) -> QuerySet:
    qs = _scoped(actor).filter(LISTS.get(f.list, Q()))
    if f.city:
        qs = qs.filter(city_id=f.city)
    if f.county:
        qs = qs.filter(county_id=f.county)
    if f.tech_field:
        qs = (
            qs.filter(tech_field__code__startswith=f.tech_field)
            if len(f.tech_field) == 2
            else qs.filter(tech_field_id=f.tech_field)
        )
    if f.hitech_zone == ZONE_ANY:
        qs = qs.filter(in_hitech_zone=True)
    elif f.hitech_zone == ZONE_NONE:
        qs = qs.filter(in_hitech_zone=False)
    elif f.hitech_zone:
        qs = qs.filter(hitech_zone_id=f.hitech_zone)
    if f.q:
        qs = qs.filter(Q(enterprise__name__contains=f.q) | Q(enterprise__credit_code__startswith=f.q.upper()))
    if with_grade and f.grade:
        qs = qs.filter(grade=f.grade)
    return qs


def ledger_entries(*, actor, filters: LedgerFilter) -> QuerySet:
    """The filtered ledger in pinyin order of the names."""
    return (
        _filtered(actor, filters)
        .select_related("enterprise", "county", "city", "tech_field")
        .order_by("name_pinyin", "enterprise_id")
    )


def ledger_page(*, actor, filters: LedgerFilter, page: int | str = 1):
    return Paginator(ledger_entries(actor=actor, filters=filters), PER_PAGE).get_page(page)


@dataclass(frozen=True)
class Summary:
    by_grade: dict[str, int]
    rows: list[dict]  # per child region: {"region": Region, "counts": {grade: n}, "total": n}
    total: int
    as_of: object


def ledger_summary(*, actor, filters: LedgerFilter) -> Summary:
    """Counts by tier for the filtered set (whatever the tier filter), and per child region (cities for the
    province, counties for a city)."""
    qs = _filtered(actor, filters, with_grade=False)
    by_grade = {g: 0 for g in Grade.values}
    for grade, n in qs.values_list("grade").annotate(n=Count("pk")).order_by():
        by_grade[grade] = n
    level = "city" if actor.role == Role.PROVINCE_OFFICER and not filters.city else "county"
    counts: dict[str, dict[str, int]] = {}
    for region, grade, n in qs.values_list(f"{level}_id", "grade").annotate(n=Count("pk")).order_by():
        counts.setdefault(region, {g: 0 for g in Grade.values})[grade] = n
    from gaoqi.regions.models import Region

    regions = {r.code: r for r in Region.objects.filter(code__in=counts)}
    rows = [
        {"region": regions[code], "counts": c, "total": sum(c.values())} for code, c in sorted(counts.items())
    ]
    latest = qs.order_by("-as_of").values_list("as_of", flat=True).first()
    return Summary(by_grade, rows, sum(by_grade.values()), latest)
