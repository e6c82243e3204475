"""Reads of the cultivation ledger. Every function takes the actor; scope is gaoqi.accounts.scope's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, QuerySet

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import regional_q
from gaoqi.ledger.models import LISTS as LEDGER_LISTS
from gaoqi.ledger.models import Grade, LedgerEntry
from gaoqi.registry.name_search import name_contains_q
from gaoqi.registry.selectors import ZONE_ANY, ZONE_NONE, tech_field_q

CREDIT_CODE_CHARS = re.compile(r"[0-9A-Z]+")

LISTS = {"all": Q(), **LEDGER_LISTS}
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
    # The entry carries its firm's city, county and id: scoped without a join (at 300,000 firms a join to the
    # enterprises cost 0.2-0.3 s per count on SQLite).
    return LedgerEntry.objects.filter(regional_q(actor))


def _filtered(actor, f: LedgerFilter, *, with_grade: bool = True) -> QuerySet:
    qs = _scoped(actor).filter(LISTS.get(f.list, Q()))
    if f.city:
        qs = qs.filter(city_id=f.city)
    if f.county:
        qs = qs.filter(county_id=f.county)
    if f.tech_field:
        qs = qs.filter(tech_field_q(f.tech_field))
    if f.hitech_zone == ZONE_ANY:
        qs = qs.filter(in_hitech_zone=True)
    elif f.hitech_zone == ZONE_NONE:
        qs = qs.filter(in_hitech_zone=False)
    elif f.hitech_zone:
        qs = qs.filter(hitech_zone_id=f.hitech_zone)
    if f.q:
        # The name through the gram index (registry.name_search); a credit-code prefix only when the term
        # could be one (a Chinese fragment cannot: no join to test it).
        by_name = name_contains_q(f.q, prefix="enterprise__")
        code = f.q.upper()
        qs = qs.filter(
            by_name | Q(enterprise__credit_code__startswith=code)
            if CREDIT_CODE_CHARS.fullmatch(code)
            else by_name
        )
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


def ledger_entries_by_ids(*, actor, enterprise_ids: list[int]) -> list[LedgerEntry]:
    """The entries of these firms that are in the actor's scope (others are left out, silently: not found)."""
    return list(
        _scoped(actor).filter(enterprise_id__in=enterprise_ids).order_by("name_pinyin", "enterprise_id")
    )


def ledger_page(*, actor, filters: LedgerFilter, page: int | str = 1, summary: Summary | None = None):
    """One page of the filtered ledger. The page's keys are read from the ledger alone, off an index in list
    order; the rows with their firm, regions and field are fetched for those keys only (a join first let
    the planner sort the whole selection). Given the `summary` of the same filters, its counts are the
    page's total (no second count). ValidationFailed for a page number that is not one (never another page
    instead)."""
    keys = _filtered(actor, filters).order_by("name_pinyin", "enterprise_id").values_list("pk", flat=True)
    from gaoqi.registry.selectors import checked_page

    paginator = Paginator(keys, PER_PAGE)
    if summary is not None:
        paginator.count = summary.by_grade.get(filters.grade, 0) if filters.grade else summary.total
    current = checked_page(paginator, page)  # ValidationFailed for a page that is not one
    ids = list(current.object_list)
    rows = LedgerEntry.objects.filter(pk__in=ids).select_related("enterprise", "county", "city", "tech_field")
    by_id = {row.pk: row for row in rows}
    current.object_list = [by_id[i] for i in ids if i in by_id]
    return current


@dataclass(frozen=True)
class Summary:
    by_grade: dict[str, int]
    rows: list[dict]  # per child region: {"region": Region, "counts": {grade: n}, "total": n}
    total: int
    as_of: object


def ledger_summary(*, actor, filters: LedgerFilter) -> Summary:
    """Counts by tier for the filtered set (whatever the tier filter), and per child region (cities for the
    province, counties for a city): one grouped query."""
    from gaoqi.ledger import tally

    level = "city" if actor.role == Role.PROVINCE_OFFICER and not filters.city else "county"
    by_grade = {g: 0 for g in Grade.values}
    counts: dict[str, dict[str, int]] = {}
    latest = None
    stored = tally.rows_for(actor=actor, filters=filters, level=level)
    if stored is not None:  # the materialised counts (ledger.tally), current with the ledger
        for region, grade, n, as_of in stored:
            counts.setdefault(region, {g: 0 for g in Grade.values})[grade] += n
            by_grade[grade] += n
            if as_of and (latest is None or as_of > latest):
                latest = as_of
    else:
        # The latest evaluation date in the same grouped query: read separately off the as_of index, a rare
        # name fragment had the planner walk the whole index down from the latest date (0.4 s at 1M firms).
        qs = _filtered(actor, filters, with_grade=False)
        grouped = (
            qs.values_list(f"{level}_id", "grade").annotate(n=Count("pk"), latest=Max("as_of")).order_by()
        )
        for region, grade, n, as_of in grouped:
            counts.setdefault(region, {g: 0 for g in Grade.values})[grade] = n
            by_grade[grade] += n
            if as_of and (latest is None or as_of > latest):
                latest = as_of
    from gaoqi.regions.models import Region

    regions = {r.code: r for r in Region.objects.filter(code__in=counts)}
    rows = [
        {"region": regions[code], "counts": c, "total": sum(c.values())} for code, c in sorted(counts.items())
    ]
    return Summary(by_grade, rows, sum(by_grade.values()), latest)
