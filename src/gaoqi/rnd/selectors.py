"""Reading R&D institutions, coverage and the performance ranking, always through gaoqi.accounts.scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q

from gaoqi.accounts.scope import (
    NOT_FOUND,
    can_view_region,
    scope_enterprises,
    scope_related,
    scope_rnd_institutions,
)
from gaoqi.errors import NotFound
from gaoqi.regions.models import Region
from gaoqi.registry.models import Certificate, CertificateKind, certificate_valid_q
from gaoqi.registry.selectors import CappedPaginator, checked_page, checked_per_page, windowed_page
from gaoqi.rnd.models import (
    ActionTier,
    InstitutionPerformance,
    InstitutionStatus,
    RndActionTag,
    RndInstitution,
)


@dataclass(frozen=True)
class InstitutionFilter:
    city: str | None = None
    county: str | None = None
    kind: str | None = None
    level: str | None = None
    status: str | None = None
    q: str | None = None


def institutions(*, actor, filters: InstitutionFilter | None = None):
    """The institutions whose host firm is in the actor's scope, filtered (a queryset, newest first)."""
    f = filters or InstitutionFilter()
    qs = scope_rnd_institutions(actor).select_related("enterprise", "enterprise__city", "enterprise__county")
    if f.city:
        qs = qs.filter(enterprise__city_id=f.city)
    if f.county:
        qs = qs.filter(enterprise__county_id=f.county)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.level:
        qs = qs.filter(level=f.level)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.q:
        qs = qs.filter(
            Q(name__icontains=f.q)
            | Q(enterprise__name__icontains=f.q)
            | Q(enterprise__credit_code=f.q.upper())
        )
    return qs.order_by("-recognized_on", "id")


def institution_page(*, actor, filters: InstitutionFilter | None = None, page=1, per_page: int = 30):
    paginator = CappedPaginator(institutions(actor=actor, filters=filters), checked_per_page(per_page))
    return checked_page(paginator, page)


def institutions_of(*, actor, enterprise):
    return scope_rnd_institutions(actor).filter(enterprise=enterprise).order_by("-recognized_on", "id")


def performances_of(*, actor, institution):
    """The institution's yearly evaluations (the institution must come from get_rnd_institution_for_actor)."""
    return InstitutionPerformance.objects.filter(institution=institution).order_by("-year")


# --- Coverage (研发机构建有率) --------------------------------------------------------------------------------


def valid_hte_q(as_of: date) -> Exists:
    """The firm held a valid HTE certificate on `as_of` (issued on or before, expiring on or after)."""
    return Exists(
        Certificate.objects.filter(
            certificate_valid_q(as_of), enterprise=OuterRef("pk"), kind=CertificateKind.HTE
        )
    )


def has_institution_q(as_of: date) -> Exists:
    """The firm hosted an institution valid on `as_of` (recognised by then, not revoked or lapsed by then)."""
    return Exists(
        RndInstitution.objects.filter(enterprise=OuterRef("pk"), recognized_on__lte=as_of).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=as_of)
        )
    )


def above_scale_htes(*, actor, as_of: date):
    """Above-scale firms (规模以上, the registry's `above_scale`) with a valid HTE certificate on `as_of`, in scope,
    annotated with `has_institution`. `above_scale` is the firm's current flag: the registry keeps no history."""
    return (
        scope_enterprises(actor)
        .filter(above_scale=True)
        .filter(valid_hte_q(as_of))
        .annotate(has_institution=has_institution_q(as_of))
    )


@dataclass
class CoverageRow:
    region: Region
    total: int = 0  # above-scale HTEs
    covered: int = 0  # of them hosting a valid institution
    tags: dict = field(default_factory=dict)  # ActionTier -> firms tagged (all firms in the region)

    @property
    def missing(self) -> int:
        return self.total - self.covered

    @property
    def rate(self):
        """Coverage as an exact fraction in percent with one decimal, None when there is no above-scale HTE."""
        from decimal import ROUND_DOWN, Decimal

        if not self.total:
            return None
        return (Decimal(self.covered) * 100 / Decimal(self.total)).quantize(
            Decimal("0.1"), rounding=ROUND_DOWN
        )


@dataclass
class Coverage:
    region: Region
    as_of: date
    total: CoverageRow
    rows: list[
        CoverageRow
    ]  # the region's children (cities of the province, counties of a city); none for a county
    child_level: str | None
    stored: bool = False  # the counts from the KPI snapshot of the day


def _default_region(actor) -> str:
    return actor.region_id


def coverage(*, actor, as_of: date, region_code: str | None = None) -> Coverage:
    """Above-scale HTEs with and without an institution in `region_code` (default: the actor's region), by
    child region: from the KPI snapshot taken as of `as_of` when there is one, else one grouped query; the
    action tags, one grouped query. Whatever the number of children."""
    code = region_code or _default_region(actor)
    can_view_region(actor, code).require()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(str(NOT_FOUND))
    child_level = {"province": "city", "city": "county"}.get(region.level)
    group = {"city": "city_id", "county": "county_id"}.get(child_level or "", "county_id")
    children = list(Region.objects.filter(parent=region).order_by("code")) if child_level else [region]
    counts = _stored_counts([c.code for c in children], as_of)
    stored = counts is not None
    if counts is None:
        qs = above_scale_htes(actor=actor, as_of=as_of).filter(_region_filter(region))
        counts = {
            r[group]: r
            for r in qs.values(group).annotate(
                total=Count("pk"), covered=Count("pk", filter=Q(has_institution=True))
            )
        }
    tag_rows = (
        scope_related(actor, RndActionTag.objects.all())
        .filter(_region_filter(region, "enterprise__"))
        .values(f"enterprise__{group}", "tier")
        .annotate(n=Count("pk"))
    )
    tags: dict[str, dict] = {}
    for t in tag_rows:
        tags.setdefault(t[f"enterprise__{group}"], {})[t["tier"]] = t["n"]
    rows = []
    for child in children:
        c = counts.get(child.code, {})
        rows.append(
            CoverageRow(
                child,
                c.get("total", 0),
                c.get("covered", 0),
                {t: tags.get(child.code, {}).get(t, 0) for t in ActionTier.values},
            )
        )
    total = CoverageRow(
        region,
        sum(r.total for r in rows),
        sum(r.covered for r in rows),
        {t: sum(r.tags[t] for r in rows) for t in ActionTier.values},
    )
    return Coverage(region, as_of, total, rows if child_level else [], child_level, stored)


def _stored_counts(codes: list[str], as_of: date) -> dict[str, dict] | None:
    """{region code: {"total", "covered"}} from the KPI snapshot taken as of `as_of` (the KPI "rnd_coverage"
    stores exactly these: covered / above-scale HTEs, gaoqi.monitoring.kpis), None when no snapshot holds
    that day for these regions."""
    from gaoqi.monitoring.models import KpiSnapshot

    rows = KpiSnapshot.objects.filter(as_of=as_of, region_id__in=codes, kpi="rnd_coverage")
    found = {r.region_id: {"total": int(r.denominator or 0), "covered": int(r.numerator)} for r in rows}
    return found if len(found) == len(codes) else None


def _region_filter(region: Region, path: str = "") -> Q:
    if region.level == "province":
        return Q(**{f"{path}city__code__startswith": region.code[:2]})
    if region.level == "city":
        return Q(**{f"{path}city_id": region.code})
    return Q(**{f"{path}county_id": region.code})


def missing_firms(
    *, actor, as_of: date, region_code: str | None = None, after: str | None = None, per_page: int = 50
):
    """A page of the above-scale HTEs in the region with no valid institution on `as_of` (the KPI's gap), in
    name order after the cursor `after` (registry.selectors.windowed_page: no count, no OFFSET; the page
    gives the number from `coverage`)."""
    code = region_code or _default_region(actor)
    can_view_region(actor, code).require()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(str(NOT_FOUND))
    qs = (
        above_scale_htes(actor=actor, as_of=as_of)
        .filter(_region_filter(region))
        .filter(has_institution=False)
        .select_related("city", "county", "rnd_action_tag")
    )
    firms = scope_enterprises(actor).filter(_region_filter(region))
    return windowed_page(firms, qs, after=after, per_page=per_page)


def missing_firm_rows(*, actor, as_of: date, region_code: str | None = None):
    """All of them, for an export (a queryset)."""
    code = region_code or _default_region(actor)
    can_view_region(actor, code).require()
    region = Region.objects.get(code=code)
    return (
        above_scale_htes(actor=actor, as_of=as_of)
        .filter(_region_filter(region))
        .filter(has_institution=False)
        .select_related("city", "county")
        .order_by("city_id", "county_id", "name", "id")
    )


# --- Performance ranking --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedPerformance:
    rank: int
    performance: InstitutionPerformance


def evaluation_years(*, actor) -> list[int]:
    return sorted(
        set(
            InstitutionPerformance.objects.filter(institution__in=scope_rnd_institutions(actor))
            .values_list("year", flat=True)
            .distinct()
        ),
        reverse=True,
    )


def ranking(*, actor, year: int, city: str | None = None) -> list[RankedPerformance]:
    """The year's evaluated institutions the actor may see, best first: exact total score descending, then
    grade, then the institution id (a stable order). Equal totals share a rank (1, 2, 2, 4)."""
    qs = (
        InstitutionPerformance.objects.filter(year=year, institution__in=scope_rnd_institutions(actor))
        .select_related("institution", "institution__enterprise", "institution__enterprise__city")
        .order_by("-total", "-grade_rank", "institution_id")
    )
    if city:
        qs = qs.filter(institution__enterprise__city_id=city)
    out, rank, last = [], 0, None
    for i, p in enumerate(qs, start=1):
        if p.total != last:
            rank, last = i, p.total
        out.append(RankedPerformance(rank, p))
    return out


def grade_counts(rows: list[RankedPerformance]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.performance.grade] = counts.get(r.performance.grade, 0) + 1
    return counts


def institution_counts(*, actor) -> dict:
    """Valid institutions in scope by level (for the registry page's header). One query."""
    rows = (
        scope_rnd_institutions(actor)
        .filter(status=InstitutionStatus.VALID)
        .values("level")
        .annotate(n=Count("pk"))
    )
    return {r["level"]: r["n"] for r in rows}
