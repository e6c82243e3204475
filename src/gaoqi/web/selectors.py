"""Reads shaped for pages. Every query starts from gaoqi.accounts.scope; nothing here decides scope itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from gaoqi.accounts.scope import regions_for_filter, scope_enterprises, zones_for_filter
from gaoqi.regions.models import Level, Region
from gaoqi.registry.models import (
    COUNT_FIELDS,
    FACT_FIELDS,
    FLAG_FIELDS,
    MONEY_FIELDS,
    SIGNED_MONEY_FIELDS,
    AnnualReport,
    TechField,
)
from gaoqi.registry.selectors import (
    STATUSES,
    ZONE_ANY,
    ZONE_NONE,
    annual_reports_for,
    merge_reports,
    status_counts,
)

FIELD_KIND = {
    **{f: "money" for f in (*MONEY_FIELDS, *SIGNED_MONEY_FIELDS)},
    **{f: "count" for f in COUNT_FIELDS},
    **{f: "flag" for f in FLAG_FIELDS},
}
# The figures an officer looks at first on the overview tab.
KEY_FIELDS = ("employees", "tech_staff", "revenue", "hitech_revenue", "rnd_expense", "ip_class1", "ip_class2")


def _stored(region_codes: list[str], today) -> dict[str, dict] | None:
    """The key figures of these regions from today's KPI snapshot (`gaoqi kpi-snapshot`, the dashboard's
    recompute, a nightly job): {region code: figures with "as_of" and "computed_at"}; None when there is none
    for today (then the figures are counted live: exact, but a count over every firm in scope)."""
    from gaoqi.monitoring.kpis import REGISTRY_MEASURES
    from gaoqi.monitoring.models import KpiSnapshot

    rows = list(
        KpiSnapshot.objects.filter(
            month=today.replace(day=1),
            as_of=today,
            region_id__in=region_codes,
            kpi__in=[f"registry_{m}" for m in REGISTRY_MEASURES],
        )
    )
    if not rows or region_codes[0] not in {r.region_id for r in rows}:
        return None
    out: dict[str, dict] = {}
    for r in rows:
        figures = out.setdefault(r.region_id, {m: 0 for m in REGISTRY_MEASURES})
        figures[r.kpi.removeprefix("registry_")] = int(r.numerator)
        figures["as_of"], figures["computed_at"] = r.as_of, r.computed_at
    return out


def _with_share(figures: dict) -> dict:
    figures["hte_zone_share"] = figures["hte_in_zone"] / figures["hte"] if figures["hte"] else None
    return figures


def key_figures(*, actor) -> dict:
    """Firms in the actor's scope, valid HTEs, valid tech SMEs, candidates, and the plan's zone KPI (the share
    of valid HTEs in provincial-or-higher high-tech zones, target > 50%). For an officer, from today's KPI
    snapshot of their region when there is one ("as_of"/"computed_at" say so: a province's 4 million firms are
    not counted per page view); else one aggregate query."""
    today = timezone.localdate()
    if getattr(actor, "is_officer", False) and actor.region_id:
        stored = _stored([actor.region_id], today)
        if stored:
            return _with_share(stored[actor.region_id])
    figures = scope_enterprises(actor).aggregate(
        **status_counts(today),
        hte_in_zone=Count("id", filter=Q(hte_valid_until__gte=today, in_hitech_zone=True)),
    )
    return _with_share(figures)


SUBREGION_FIELDS = ("total", "hte", "tech_sme", "candidate")


@dataclass
class SubregionRow:
    region: Region
    total: int = 0
    hte: int = 0
    tech_sme: int = 0
    candidate: int = 0


def subregion_counts(*, actor) -> list[SubregionRow]:
    """The key figures per city (province officers) or per county (city officers); [] below that.

    Every child region is listed, with zeros where no firm is registered. From today's KPI snapshot when
    there is one (see key_figures), else two queries.
    """
    region = getattr(actor, "region", None) if getattr(actor, "is_officer", False) else None
    if region is None or region.level == Level.COUNTY:
        return []
    children = list(Region.objects.filter(parent_id=region.code).order_by("code"))
    stored = _stored([region.code, *[c.code for c in children]], timezone.localdate())
    if stored:
        return [
            SubregionRow(c, *(stored.get(c.code, {}).get(m, 0) for m in SUBREGION_FIELDS)) for c in children
        ]
    key = "city_id" if region.level == Level.PROVINCE else "county_id"
    counts = {
        row[key]: row
        for row in scope_enterprises(actor)
        .order_by()
        .values(key)
        .annotate(**status_counts(timezone.localdate()))
    }
    rows = []
    for child in children:
        c = counts.get(child.code, {})
        rows.append(
            SubregionRow(
                child, c.get("total", 0), c.get("hte", 0), c.get("tech_sme", 0), c.get("candidate", 0)
            )
        )
    return rows


def visible_firms(*, actor, limit: int = 50):
    """The firms an enterprise user or a service agency works with (their whole scope, name order)."""
    return list(
        scope_enterprises(actor).select_related("county", "city", "tech_field").order_by("name", "id")[:limit]
    )


@dataclass(frozen=True)
class FilterOptions:
    cities: list
    counties: list
    tech_fields: list
    zones: list = field(default_factory=list)  # HitechZone, national first
    statuses: tuple = STATUSES
    zone_any: str = ZONE_ANY
    zone_none: str = ZONE_NONE


def filter_options(*, actor) -> FilterOptions:
    """Choices for the enterprise-list filters, limited to the actor's own regions. Three queries for an
    officer (regions, zones, tech fields), one for the others."""
    regions = list(regions_for_filter(actor).order_by("code"))
    cities = [r for r in regions if r.level == Level.CITY]
    counties = [r for r in regions if r.level == Level.COUNTY]
    # A single choice (a city officer's own city, a county officer's own county) is no filter at all.
    cities = cities if len(cities) > 1 else []
    counties = counties if len(counties) > 1 else []
    fields = list(TechField.objects.filter(parent__isnull=True).order_by("code"))
    zones = list(zones_for_filter(actor))  # none for non-officers, without a query
    return FilterOptions(cities=cities, counties=counties, tech_fields=fields, zones=zones)


@dataclass
class FactCell:
    value: object
    source: object  # DataSource
    source_row: int | None
    # Other sources that reported a different value for the same year and field: [(source, row, value)].
    others: list = field(default_factory=list)


@dataclass
class FactRow:
    field: str
    label: str
    kind: str
    cells: list  # FactCell | None, one per year


@dataclass
class FactsTable:
    years: list
    rows: list
    sources: list  # DataSource, each one used by at least one report

    @property
    def latest(self) -> dict:
        """{field: FactCell} for the latest year, for the overview."""
        if not self.years:
            return {}
        return {row.field: row.cells[-1] for row in self.rows if row.cells[-1] is not None}


def facts_table(*, actor, enterprise) -> FactsTable:
    """The merged yearly facts with the source of every value and the disagreeing sources. One query."""
    reports = list(annual_reports_for(actor=actor, enterprise=enterprise))
    merged = merge_reports(reports)
    years = sorted(merged)
    by_year: dict[int, list[AnnualReport]] = {}
    for report in reports:
        by_year.setdefault(report.year, []).append(report)
    rows = []
    for name in FACT_FIELDS:
        cells = []
        for year in years:
            item = merged[year].get(name)
            if item is None:
                cells.append(None)
                continue
            others = [
                (r.source, r.source_row, getattr(r, name))
                for r in by_year[year]
                if getattr(r, name) is not None and getattr(r, name) != item.value
            ]
            cells.append(FactCell(item.value, item.source, item.source_row, others))
        if any(cells):
            rows.append(
                FactRow(name, AnnualReport._meta.get_field(name).verbose_name, FIELD_KIND[name], cells)
            )
    sources = sorted(
        {r.source_id: r.source for r in reports}.values(), key=lambda s: (s.department, s.imported_at)
    )
    return FactsTable(years=years, rows=rows, sources=sources)
