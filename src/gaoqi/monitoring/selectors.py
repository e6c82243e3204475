"""Reading the KPIs, the dashboards' stored aggregates, the missing-firm lists and the bulletins, always
through gaoqi.accounts.scope (a region outside the officer's answers "not found", like a missing one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from gaoqi.accounts.scope import NOT_FOUND, can_view_region, scope_bulletins, scope_enterprises
from gaoqi.errors import NotFound
from gaoqi.monitoring import kpis
from gaoqi.monitoring.kpis import KPI_BY_CODE, Counts, KpiValue
from gaoqi.monitoring.models import KpiSnapshot, KpiZoneCell, RegionalStatistic
from gaoqi.regions.models import Region
from gaoqi.registry.models import (
    AnnualReport,
    Certificate,
    CertificateKind,
    HitechZone,
    IntellectualProperty,
)
from gaoqi.registry.selectors import LIST_ORDER, KeysetPage, windowed_page

CHILD_LEVEL = {"province": "city", "city": "county"}


def region_for(actor, code: str | None) -> Region:
    """The region `code` (default: the officer's own) if the actor may see its figures; NotFound otherwise."""
    code = code or getattr(actor, "region_id", None)
    can_view_region(actor, code).require()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(str(NOT_FOUND))
    return region


def children_of(region: Region) -> list[Region]:
    if region.level not in CHILD_LEVEL:
        return []
    return list(Region.objects.filter(parent=region).order_by("code"))


def county_city_map(region: Region) -> dict[str, str]:
    qs = Region.objects.filter(level="county", province_code=region.province_code)
    return dict(qs.values_list("code", "city_code"))


def statistics_for(codes, year: int) -> dict[str, dict[str, RegionalStatistic]]:
    """{region code: {indicator: RegionalStatistic}} of `year` (statistics are public reference figures)."""
    out: dict[str, dict[str, RegionalStatistic]] = {}
    for s in RegionalStatistic.objects.filter(region_id__in=list(codes), year=year):
        out.setdefault(s.region_id, {})[s.indicator] = s
    return out


def valid_hte_goals(actor, year: int, regions) -> dict[str, int]:
    """The current 'valid HTE' targets set for the regions (gaoqi.targets), {region code: value}."""
    from gaoqi.targets.models import Indicator
    from gaoqi.targets.selectors import current_targets

    found = current_targets(actor=actor, year=year, regions=regions)
    return {code: t.value for (code, ind), t in found.items() if ind == Indicator.VALID_HTE}


@dataclass
class RegionKpis:
    region: Region
    counts: Counts
    values: list[KpiValue]

    def get(self, code: str) -> KpiValue:
        return next(v for v in self.values if v.kpi.code == code)


@dataclass
class ZoneRow:
    zone: HitechZone
    counts: Counts


@dataclass
class Overview:
    region: Region
    as_of: date
    own: RegionKpis
    children: list[RegionKpis]
    zones: list[ZoneRow] = field(default_factory=list)
    source: str = "live"  # "live" or "snapshot"
    computed_at: object = None


def _region_kpis(actor, regions, counts: dict[str, Counts], as_of: date) -> list[RegionKpis]:
    stats = statistics_for([r.code for r in regions], as_of.year - 1)
    goals = valid_hte_goals(actor, as_of.year, regions)
    return [
        RegionKpis(
            r,
            counts.get(r.code, Counts()),
            kpis.values_from(
                r, counts.get(r.code), stats.get(r.code, {}), as_of=as_of, valid_hte_goal=goals.get(r.code)
            ),
        )
        for r in regions
    ]


def kpi_overview(
    *, actor, as_of: date, region_code: str | None = None, region: Region | None = None
) -> Overview:
    """The six KPIs of the region computed now from the registry as of `as_of`, with its child regions and the
    high-tech zones of its firms. Five grouped queries whatever the size of the region (seconds to minutes at
    province scale: pages read `kpi_figures`). `region`: an already checked region instead of `region_code`."""
    region = region or region_for(actor, region_code)
    cells = kpis.compute_cells(region, as_of)
    counts = kpis.rollup(cells, county_city_map(region))
    children = children_of(region)
    rows = _region_kpis(actor, [region, *children], counts, as_of)
    return Overview(region, as_of, rows[0], rows[1:], _zone_rows(kpis.zone_rollup(cells)))


def _zone_rows(zone_counts: dict[str, Counts]) -> list[ZoneRow]:
    zones = HitechZone.objects.filter(code__in=list(zone_counts)).order_by("level", "city_id", "code")
    return [ZoneRow(z, zone_counts[z.code]) for z in zones]


def kpi_figures(*, actor, as_of: date | None = None, region_code: str | None = None) -> Overview:
    """The KPIs a KPI page or the API shows. Without a day: the latest monthly snapshot, as the dashboard
    shows it; for a day: the snapshot taken as of that day (a month's end, or the day the running month was
    computed). Computed live from the registry only when no snapshot holds that day."""
    region = region_for(actor, region_code)
    stored = stored_overview(actor=actor, region=region, as_of=as_of, zones=True)
    if stored is not None:
        return stored
    return kpi_overview(actor=actor, as_of=as_of or timezone.localdate(), region=region)


# --- Stored aggregates (dashboards) ---------------------------------------------------------------------------


def _counts_from_rows(rows) -> dict[str, Counts]:
    out: dict[str, Counts] = {}
    for s in rows:
        c = out.setdefault(s.region_id, Counts())
        n, d = int(s.numerator), (int(s.denominator) if s.denominator is not None else None)
        if s.kpi == "valid_hte":
            c.hte = n
        elif s.kpi == "rnd_coverage":
            c.covered, c.above = n, d or 0
        elif s.kpi == "rnd_share":
            c.rnd = n
        elif s.kpi == "invention_patents":
            c.patents = n
        elif s.kpi == "zone_share":
            c.in_zone = n
        elif s.kpi in ("new_hte", "tech_sme", "ledger"):
            setattr(c, s.kpi, n)
    return out


def latest_month(region: Region) -> date | None:
    return KpiSnapshot.objects.filter(region=region).aggregate(m=Max("month"))["m"]


def stored_overview(
    *,
    actor,
    region_code: str | None = None,
    region: Region | None = None,
    as_of: date | None = None,
    zones: bool = False,
) -> Overview | None:
    """The KPIs of the region and its children from the latest monthly snapshot, or from the snapshot taken as
    of `as_of` (None when there is none). `region`: an already checked region (from region_for) instead of
    `region_code`; `zones`: with the high-tech zones' table (the stored zone cells)."""
    region = region or region_for(actor, region_code)
    if as_of is None:
        month = latest_month(region)
    else:
        month = KpiSnapshot.objects.filter(region=region, as_of=as_of).values_list("month", flat=True).first()
    if month is None:
        return None
    children = children_of(region)
    codes = [region.code, *[c.code for c in children]]
    rows = list(KpiSnapshot.objects.filter(month=month, region_id__in=codes))
    as_of = max(r.as_of for r in rows)
    computed_at = max(r.computed_at for r in rows)
    regions = _region_kpis(actor, [region, *children], _counts_from_rows(rows), as_of)
    zone_rows = _stored_zones(region, month) if zones else []
    return Overview(region, as_of, regions[0], regions[1:], zone_rows, "snapshot", computed_at)


def _stored_zones(region: Region, month: date) -> list[ZoneRow]:
    """The zone table of the region summed from the month's stored (county, zone) cells."""
    cells = KpiZoneCell.objects.filter(month=month)
    if region.level == "province":
        cells = cells.filter(county__province_code=region.code)
    elif region.level == "city":
        cells = cells.filter(county__city_code=region.code)
    else:
        cells = cells.filter(county_id=region.code)
    out: dict[str, Counts] = {}
    for cell in cells:
        c = Counts(hte=cell.hte, above=cell.above, covered=cell.covered, patents=cell.patents)
        out.setdefault(cell.zone_id, Counts()).add(c)
    return _zone_rows(out)


def trend(
    *, actor, region_code: str | None = None, months: int = 12, region: Region | None = None
) -> list[tuple[date, RegionKpis]]:
    """The region's KPIs month by month (the latest `months` snapshots), oldest first. One query for the
    snapshots, then statistics and targets once per calendar year covered (at most two for 12 months)."""
    region = region or region_for(actor, region_code)
    rows = list(
        KpiSnapshot.objects.filter(region=region)
        .exclude(kpi__startswith="registry_")
        .order_by("-month")[: months * 16]
    )
    by_month: dict[date, list] = {}
    for r in rows:
        by_month.setdefault(r.month, []).append(r)
    wanted = sorted(by_month)[-months:]
    per_year: dict[int, tuple[dict, dict]] = {}
    out = []
    for m in wanted:
        month_rows = by_month[m]
        as_of = max(r.as_of for r in month_rows)
        if as_of.year not in per_year:
            per_year[as_of.year] = (
                statistics_for([region.code], as_of.year - 1).get(region.code, {}),
                valid_hte_goals(actor, as_of.year, [region]),
            )
        stats, goals = per_year[as_of.year]
        counts = _counts_from_rows(month_rows).get(region.code, Counts())
        values = kpis.values_from(region, counts, stats, as_of=as_of, valid_hte_goal=goals.get(region.code))
        out.append((m, RegionKpis(region, counts, values)))
    return out


# --- Missing firms (drill down) -------------------------------------------------------------------------------


def missing_firms_qs(
    *, actor, kpi: str, as_of: date, region_code: str | None = None, region: Region | None = None
):
    """The firms of the region missing from the KPI's numerator on `as_of` (see KpiDef.missing), in scope.
    `region`: an already checked region instead of `region_code`."""
    definition = KPI_BY_CODE.get(kpi)
    if definition is None or definition.missing is None:
        raise NotFound(str(NOT_FOUND))
    region = region or region_for(actor, region_code)
    firms = scope_enterprises(actor).filter(kpis.region_q(region))
    if kpi == "valid_hte":
        ever = Exists(
            Certificate.objects.filter(
                enterprise=OuterRef("pk"), kind=CertificateKind.HTE, issued_on__lte=as_of
            )
        )
        qs = firms.filter(ever).exclude(Q(hte_valid_until__gte=as_of) & kpis.valid_hte_exists(as_of))
    else:
        htes = firms.filter(hte_valid_until__gte=as_of).filter(kpis.valid_hte_exists(as_of))
        if kpi == "rnd_coverage":
            qs = htes.filter(above_scale=True).exclude(kpis.has_institution_exists(as_of))
        elif kpi == "rnd_share":
            # No figure from any department: the merged value (kpis.rnd_expense_subquery) is then empty too.
            figures = AnnualReport.objects.filter(
                enterprise=OuterRef("pk"), year=as_of.year - 1, rnd_expense__isnull=False
            )
            qs = htes.exclude(Exists(figures))
        elif kpi == "invention_patents":
            patents = IntellectualProperty.objects.filter(
                kpis.valid_patent_q(as_of), enterprise=OuterRef("pk")
            )
            qs = htes.exclude(Exists(patents))
        else:  # zone_share
            qs = htes.filter(in_hitech_zone=False)
    return qs.select_related("city", "county", "hitech_zone").order_by(*LIST_ORDER)


def figures_day(*, region: Region, as_of: date | None) -> date:
    """The day `kpi_figures` gives the region's figures as of, without reading them: the asked day, else the
    latest snapshot's day, else today. One indexed aggregate (the missing-firm list loaded after its page)."""
    if as_of is not None:
        return as_of
    latest = KpiSnapshot.objects.filter(region=region).aggregate(d=Max("as_of"))["d"]
    return latest or timezone.localdate()


def missing_firms(
    *,
    actor,
    kpi: str,
    as_of: date,
    region_code: str | None = None,
    region: Region | None = None,
    after: str | None = None,
    per_page=50,
) -> KeysetPage:
    """A page of the firms missing from the KPI's numerator in the enterprise list's name order, after the
    cursor `after`: `registry.selectors.windowed_page` over the region's firms (no count, no OFFSET).
    `region`: an already checked region instead of `region_code`."""
    region = region or region_for(actor, region_code)
    qs = missing_firms_qs(actor=actor, kpi=kpi, as_of=as_of, region=region)
    firms = scope_enterprises(actor).filter(kpis.region_q(region))
    return windowed_page(firms, qs, after=after, per_page=per_page)


# --- Bulletins and statistics ---------------------------------------------------------------------------------


def bulletins(*, actor, region_code: str | None = None):
    qs = scope_bulletins(actor).select_related("region", "created_by")
    if region_code:
        qs = qs.filter(region_id=region_code)
    return qs.order_by("-created_at", "-id")


def statistics_list(*, actor, region_code: str | None = None):
    """The statistics of the region and the regions below it (public figures; scoped to the officer's area)."""
    region = region_for(actor, region_code)
    qs = RegionalStatistic.objects.select_related("region")
    if region.level == "province":
        qs = qs.filter(region__province_code=region.code)
    elif region.level == "city":
        qs = qs.filter(Q(region_id=region.code) | Q(region__city_code=region.code))
    else:
        qs = qs.filter(region_id=region.code)
    return qs.order_by("-year", "region_id", "indicator")
