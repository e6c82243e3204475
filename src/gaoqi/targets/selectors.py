"""Target progress and the assessment table, read through gaoqi.accounts.scope.

Actuals come from the registry's certificates, as of any date:
- new_hte: firms with an HTE certificate issued from 1 January of the year up to the date (recertifications
  included: a certificate issued in the year is a certification of the year);
- valid_hte: firms holding an HTE certificate valid on the date;
- tech_sme: firms holding a tech-SME registration valid on the date;
- pool_size: firms in the cultivation pool on the date (admitted, within their period, not exited), from
  `programmes.pool.selectors.pool_size_by` (by the region of their application).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import NOT_FOUND, can_view_region, scope_related, scope_targets
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.programmes.pool.selectors import pool_size_by
from gaoqi.regions.models import Region
from gaoqi.registry.models import Certificate, CertificateKind, certificate_valid_q
from gaoqi.targets.models import Indicator, Target

# Indicators counted from the registry's certificates, and the pool's size from the pool programme.
MEASURED = (Indicator.NEW_HTE, Indicator.VALID_HTE, Indicator.TECH_SME, Indicator.POOL_SIZE)
OVERALL = "overall"


def checked_indicator(value: str | None, *, overall: bool = False) -> str | None:
    """An indicator filter as given, or ValidationFailed naming the bad value and the known ones (never
    silently dropped or replaced). None passes; `overall` also accepts OVERALL (the assessment's ranking)."""
    if value is None:
        return None
    known = [*Indicator.values, *([OVERALL] if overall else [])]
    if value not in known:
        raise ValidationFailed(
            _("未知的指标“%(v)s”") % {"v": value},
            [{"field": "indicator", "reason": _("可选：%(k)s") % {"k": ", ".join(known)}}],
        )
    return value


def rate_of(actual: int | None, target: int | None) -> Fraction | None:
    if actual is None or not target:
        return None
    return Fraction(actual, target)


def percent(rate: Fraction | None) -> Decimal | None:
    """A completion rate in percent, rounded down to one decimal (99.96% shows 99.9%, never 100%)."""
    if rate is None:
        return None
    return (Decimal(rate.numerator) * 100 / Decimal(rate.denominator)).quantize(Decimal("0.1"), ROUND_DOWN)


def year_pace(year: int, as_of: date) -> Decimal:
    """Share of the year elapsed on `as_of` (时序进度), in percent."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    if as_of < start:
        return Decimal(0)
    if as_of >= end:
        return Decimal(100)
    return percent(Fraction((as_of - start).days + 1, (end - start).days + 1))


@dataclass
class Cell:
    indicator: str
    target: int | None
    actual: int | None  # None: no data (pool_size)

    @property
    def rate(self) -> Fraction | None:
        return rate_of(self.actual, self.target)

    @property
    def percent(self) -> Decimal | None:
        return percent(self.rate)


@dataclass
class ProgressRow:
    region: Region
    cells: dict[str, Cell] = field(default_factory=dict)
    rank: int | None = None

    def overall(self) -> Fraction | None:
        """Mean completion of the indicators with a target and data (capped at 100% each, so one indicator far
        ahead cannot hide another behind)."""
        rates = [min(c.rate, Fraction(1)) for c in self.cells.values() if c.rate is not None]
        return sum(rates, Fraction(0)) / len(rates) if rates else None

    def rate(self, indicator: str) -> Fraction | None:
        return self.overall() if indicator == OVERALL else self.cells[indicator].rate

    def percent(self, indicator: str) -> Decimal | None:
        return percent(self.rate(indicator))


@dataclass
class Progress:
    region: Region
    year: int
    as_of: date
    pace: Decimal
    own: ProgressRow  # the region itself (its target is the one its parent set)
    rows: list[ProgressRow]  # its children (cities, or a city's counties); empty for a county
    indicators: tuple = tuple(Indicator.values)
    stored: bool = False  # the certificate indicators from the KPI snapshot of the day


def _region(actor, code: str | None) -> Region:
    code = code or actor.region_id
    can_view_region(actor, code).require()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(str(NOT_FOUND))
    return region


def _actuals(actor, region: Region, group: str, year: int, as_of: date) -> dict[str, dict[str, int]]:
    """{indicator: {region code: firms}} for the firms of `region`, grouped by `group` ("city" / "county").
    One query per measured indicator."""
    if region.level == "province":
        where = Q(enterprise__city__code__startswith=region.code[:2])
    elif region.level == "city":
        where = Q(enterprise__city_id=region.code)
    else:
        where = Q(enterprise__county_id=region.code)
    certs = scope_related(actor, Certificate.objects.filter(where))
    year_start = date(year, 1, 1)
    queries = {
        Indicator.NEW_HTE: certs.filter(
            kind=CertificateKind.HTE, issued_on__gte=year_start, issued_on__lte=min(as_of, date(year, 12, 31))
        ),
        Indicator.VALID_HTE: certs.filter(certificate_valid_q(as_of), kind=CertificateKind.HTE),
        # A revoked or lapsed registration counts until the day before it ended (Certificate.ended_on).
        Indicator.TECH_SME: certs.filter(certificate_valid_q(as_of), kind=CertificateKind.TECH_SME),
    }
    key = f"enterprise__{group}_id"
    out = {}
    for indicator, qs in queries.items():
        rows = qs.values(key).annotate(n=Count("enterprise_id", distinct=True)).order_by()
        out[indicator] = {r[key]: r["n"] for r in rows}
    # The region was checked by can_view_region above: an officer sees the pool of their region.
    out[Indicator.POOL_SIZE] = pool_size_by(region.code, group, as_of)
    return out


# The KPI snapshot's measures that are these indicators' actuals (gaoqi.monitoring.kpis: the same definitions).
SNAPSHOT_MEASURES = {
    "new_hte": Indicator.NEW_HTE,
    "valid_hte": Indicator.VALID_HTE,
    "tech_sme": Indicator.TECH_SME,
}


def _stored_actuals(region: Region, children: list[Region], year: int, as_of: date):
    """({indicator: {child code: firms}}, {indicator: the region's firms}) of the certificate indicators from
    the KPI snapshot taken as of `as_of` (`gaoqi kpi-snapshot`, one small indexed query), None without one.
    The snapshot counts new HTEs from 1 January of the as-of year: only for `year` itself."""
    from gaoqi.monitoring.models import KpiSnapshot

    if as_of.year != year:
        return None
    codes = [region.code, *[c.code for c in children]]
    rows = KpiSnapshot.objects.filter(as_of=as_of, region_id__in=codes, kpi__in=list(SNAPSHOT_MEASURES))
    found = {(r.region_id, r.kpi): int(r.numerator) for r in rows}
    if not any(code == region.code for code, _kpi in found):
        return None
    by_child = {
        ind: {c.code: found.get((c.code, kpi), 0) for c in children} for kpi, ind in SNAPSHOT_MEASURES.items()
    }
    own = {ind: found.get((region.code, kpi), 0) for kpi, ind in SNAPSHOT_MEASURES.items()}
    return by_child, own


def progress(*, actor, year: int, as_of: date, region_code: str | None = None) -> Progress:
    """Actual against target per indicator for the region and each of its children, as of `as_of`: from the
    KPI snapshot taken that day when there is one (`Progress.stored`), else counted from the certificates."""
    region = _region(actor, region_code)
    children = list(Region.objects.filter(parent=region).order_by("code")) if region.level != "county" else []
    group = "city" if region.level == "province" else "county"
    stored = _stored_actuals(region, children, year, as_of)
    if stored is not None:
        actual, own_stored = stored
        # The region was checked above: an officer sees the pool of their region (not in the snapshot).
        actual[Indicator.POOL_SIZE] = pool_size_by(region.code, group, as_of)
    else:
        actual = _actuals(actor, region, group, year, as_of)
    codes = [region.code] + [c.code for c in children]
    targets = {
        (t.region_id, t.indicator): t.value
        for t in scope_targets(actor, Target.objects.filter(year=year, is_current=True, region_id__in=codes))
    }

    def row(r: Region, counts: dict[str, int] | None) -> ProgressRow:
        out = ProgressRow(r)
        for indicator in Indicator.values:
            if indicator in MEASURED:
                value = counts[indicator] if counts is not None else actual[indicator].get(r.code, 0)
            else:
                value = None
            out.cells[indicator] = Cell(indicator, targets.get((r.code, indicator)), value)
        return out

    rows = [row(c, None) for c in children]
    if region.level == "county":
        own_counts = {i: actual[i].get(region.code, 0) for i in MEASURED}
    else:
        own_counts = {i: sum(actual[i].values()) for i in MEASURED}
    if stored is not None:
        own_counts.update(own_stored)
    return Progress(
        region, year, as_of, year_pace(year, as_of), row(region, own_counts), rows, stored=stored is not None
    )


def assessment(*, actor, year: int, as_of: date, region_code: str | None = None, indicator: str = OVERALL):
    """The assessment table (考核): the region's children ranked by completion rate of `indicator` (or the
    overall mean), best first; equal rates share a rank; children without a target come last, unranked."""
    p = progress(actor=actor, year=year, as_of=as_of, region_code=region_code)
    ranked = [r for r in p.rows if r.rate(indicator) is not None]
    ranked.sort(key=lambda r: (-r.rate(indicator), r.region.code))
    last, rank = None, 0
    for i, r in enumerate(ranked, start=1):
        if r.rate(indicator) != last:
            rank, last = i, r.rate(indicator)
        r.rank = rank
    unranked = [r for r in p.rows if r.rate(indicator) is None]
    p.rows = ranked + unranked
    return p


def target_history(*, actor, region_code: str, year: int, indicator: str | None = None):
    """Every version of the region's targets for the year, newest first (audit of who set what, when, why).
    An unknown `indicator` is a ValidationFailed naming it."""
    indicator = checked_indicator(indicator)
    _region(actor, region_code)
    qs = scope_targets(actor, Target.objects.filter(region_id=region_code, year=year)).select_related(
        "set_by"
    )
    if indicator:
        qs = qs.filter(indicator=indicator)
    return qs.order_by("indicator", "-version")


def current_targets(*, actor, year: int, regions) -> dict[tuple[str, str], Target]:
    codes = [r.code for r in regions]
    return {
        (t.region_id, t.indicator): t
        for t in scope_targets(actor, Target.objects.filter(year=year, is_current=True, region_id__in=codes))
    }
