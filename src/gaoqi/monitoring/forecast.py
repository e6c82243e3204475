"""Year-end forecast of each region's valid HTEs, with a 90% interval, and its backtest (issue 10 §7).

For a day `as_of` of year Y (year end E = 31 December Y), per region (a city, or a city's counties):

    expected(E) = staying + expiring × r + new

- staying: firms holding an HTE certificate valid on `as_of` that stays valid through E;
- expiring: firms whose certificate valid on `as_of` ends before E (not renewed by `as_of`);
- r, the past re-certification pass rate: of the certificates that ended in the three years before `as_of`
  (up to RENEWAL_WINDOW days before it, so that a renewal had time to come), the share whose firm got a new
  certificate within RENEWAL_WINDOW days either side of the end. A region's rate is pulled towards the
  province's with SHRINK pseudo-certificates (small counties have few expiries);
- new: certifications of firms without a valid certificate in the rest of the year. Last year's count over
  the same days (as_of + 1 .. E of Y − 1) times the growth of such certifications (the last 12 months
  against the 12 before, province-wide, bounded to GROWTH_BOUNDS), and never more than the pipeline: the
  firms without a certificate that meet every HTE hard condition in their latest evaluation (the ledger's
  高企后备 list, pool firms included) plus the firms with an HTE application in review (when that programme
  exists).

Interval (90%): the renewals vary as a binomial (expiring × r × (1 − r)), the new certifications as a Poisson
count plus a TREND_ERROR relative error of the trend; expected ± 1.645 sd, never below `staying`.

Backtest: the forecast for the end of Y − 1 made from the data as of 30 June of Y − 1 (only certificates issued
by then; the pipeline cap is left out, the ledger of that day being not kept), against the firms actually
valid on 31 December of Y − 1.

Reads the certificate register only through selectors (no writes); scope: `selectors.region_for`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

RENEWAL_WINDOW = 180  # days
SHRINK = 20
GROWTH_BOUNDS = (0.8, 1.5)
TREND_ERROR = 0.15
Z90 = 1.645
HISTORY_YEARS = 3


@dataclass
class RegionForecast:
    code: str
    name: str = ""
    valid_now: int = 0
    staying: int = 0
    expiring: int = 0
    renewal_rate: float = 0.0
    renewals: float = 0.0
    new_last_year: int = 0
    growth: float = 1.0
    trend_new: float = 0.0
    pipeline: int | None = None
    new: float = 0.0
    capped: bool = False
    expected: int = 0
    low: int = 0
    high: int = 0
    target: int | None = None
    actual: int | None = None  # the backtest's outcome

    @property
    def error(self) -> int | None:
        return None if self.actual is None else self.expected - self.actual

    @property
    def covered(self) -> bool | None:
        return None if self.actual is None else self.low <= self.actual <= self.high

    @property
    def gap(self) -> int | None:
        return None if self.target is None else self.expected - self.target


@dataclass
class Backtest:
    as_of: date
    year_end: date
    rows: list[RegionForecast] = field(default_factory=list)

    @property
    def mae(self) -> float:
        return sum(abs(r.error) for r in self.rows) / len(self.rows) if self.rows else 0.0

    @property
    def mape(self) -> float | None:
        rows = [r for r in self.rows if r.actual]
        return 100 * sum(abs(r.error) / r.actual for r in rows) / len(rows) if rows else None

    @property
    def coverage(self) -> float | None:
        return sum(bool(r.covered) for r in self.rows) / len(self.rows) if self.rows else None

    @property
    def total_error(self) -> int:
        return sum(r.error for r in self.rows)


def certificate_frame(*, issued_by: date | None = None, key: str = "city_id") -> pl.DataFrame:
    """HTE certificates as (firm, region, issued, expires, ended); only those issued by `issued_by` when given.
    `known(frame, day)` gives what was known of them on a day."""
    from gaoqi.registry.models import Certificate, CertificateKind

    qs = Certificate.objects.filter(kind=CertificateKind.HTE)
    if issued_by is not None:
        qs = qs.filter(issued_on__lte=issued_by)
    rows = list(qs.values_list("enterprise_id", f"enterprise__{key}", "issued_on", "expires_on", "ended_on"))
    return pl.DataFrame(
        rows,
        schema={
            "firm": pl.Int64,
            "region": pl.String,
            "issued": pl.Date,
            "expires": pl.Date,
            "ended": pl.Date,
        },
        orient="row",
    )


def known(certs: pl.DataFrame, day: date) -> pl.DataFrame:
    """The certificates as known on `day`: issued by then, with `end` their last valid day (the expiry, or the
    day before an end recorded by then: a certificate ended later was still running on `day`)."""
    ended = pl.col("ended").is_not_null() & (pl.col("ended") <= day)
    end = pl.when(ended).then(pl.min_horizontal(pl.col("expires"), pl.col("ended") - timedelta(days=1)))
    return certs.filter(pl.col("issued") <= day).with_columns(end.otherwise(pl.col("expires")).alias("end"))


def _valid(certs: pl.DataFrame, day: date) -> pl.DataFrame:
    return certs.filter((pl.col("issued") <= day) & (pl.col("end") >= day))


def _firms_by_region(frame: pl.DataFrame) -> dict[str, int]:
    return dict(frame.group_by("region").agg(pl.col("firm").n_unique()).iter_rows())


def _same_day(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _newly_certified(certs: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Certificates issued in (start, end] that renew nothing: the firm held no certificate ending within
    RENEWAL_WINDOW days before (those are renewals, counted with the expiring certificates)."""
    issued = certs.filter((pl.col("issued") > start) & (pl.col("issued") <= end))
    before = certs.select("firm", pl.col("issued").alias("i0"), pl.col("end").alias("e0"))
    held = (
        issued.join(before, on="firm")
        .filter(
            (pl.col("i0") < pl.col("issued"))
            & (pl.col("e0") >= pl.col("issued") - timedelta(days=RENEWAL_WINDOW))
        )
        .select("firm", "issued")
        .unique()
    )
    return issued.join(held, on=["firm", "issued"], how="anti").unique(subset=["firm"])


def renewal_rates(certs: pl.DataFrame, as_of: date) -> tuple[dict[str, tuple[int, int]], float]:
    """{region: (renewed, ended)} over the certificates that ended in the HISTORY_YEARS years before `as_of`
    (and at least RENEWAL_WINDOW days before it), and the province-wide rate."""
    lo = _same_day(as_of, HISTORY_YEARS)
    hi = as_of - timedelta(days=RENEWAL_WINDOW)
    ended = certs.filter((pl.col("end") >= lo) & (pl.col("end") <= hi)).with_row_index("cert")
    later = certs.select("firm", pl.col("issued").alias("next_issued"))
    window = timedelta(days=RENEWAL_WINDOW)
    renewed = (
        ended.join(later, on="firm")
        .filter(
            (pl.col("next_issued") > pl.col("issued"))
            & (pl.col("next_issued") >= pl.col("end") - window)
            & (pl.col("next_issued") <= pl.col("end") + window)
        )
        .select("cert")
        .unique()
    )
    ended = ended.with_columns(pl.col("cert").is_in(renewed["cert"].implode()).alias("renewed"))
    by_region = {
        region: (int(r), int(n))
        for region, r, n in ended.group_by("region").agg(pl.col("renewed").sum(), pl.len()).iter_rows()
    }
    total_r = sum(r for r, _ in by_region.values())
    total_n = sum(n for _, n in by_region.values())
    return by_region, (total_r / total_n if total_n else 0.0)


def forecast_regions(
    certs: pl.DataFrame,
    as_of: date,
    *,
    pipeline: dict[str, int] | None = None,
    regions: list[str] | None = None,
) -> dict[str, RegionForecast]:
    """The forecast of the valid HTEs on 31 December of `as_of`'s year for each region of `certs` (or of
    `regions`), from the certificates in `certs` only (see the module's method)."""
    certs = known(certs, as_of)
    year_end = date(as_of.year, 12, 31)
    valid = _valid(certs, as_of)
    # A firm's latest end among its certificates valid on as_of: stays through the year end or not.
    last_end = valid.group_by("firm", "region").agg(pl.col("end").max())
    staying = _firms_by_region(last_end.filter(pl.col("end") >= year_end))
    expiring = _firms_by_region(last_end.filter(pl.col("end") < year_end))
    now = _firms_by_region(last_end)
    rates, province_rate = renewal_rates(certs, as_of)
    a_year_ago, two_years_ago = _same_day(as_of, 1), _same_day(as_of, 2)
    window_last_year = _firms_by_region(_newly_certified(certs, a_year_ago, date(as_of.year - 1, 12, 31)))
    recent = _newly_certified(certs, a_year_ago, as_of).height
    earlier = _newly_certified(certs, two_years_ago, a_year_ago).height
    growth = min(max(recent / earlier, GROWTH_BOUNDS[0]), GROWTH_BOUNDS[1]) if earlier else 1.0
    codes = regions if regions is not None else sorted(set(now) | set(window_last_year) | set(rates))
    out = {}
    for code in codes:
        renewed, ended = rates.get(code, (0, 0))
        r = (renewed + SHRINK * province_rate) / (ended + SHRINK)
        x = expiring.get(code, 0)
        trend = window_last_year.get(code, 0) * growth
        cap = pipeline.get(code, 0) if pipeline is not None else None
        new = trend if cap is None else min(trend, cap)
        mean = staying.get(code, 0) + x * r + new
        var = x * r * (1 - r) + new + (TREND_ERROR * new) ** 2
        sd = math.sqrt(var)
        out[code] = RegionForecast(
            code=code,
            valid_now=now.get(code, 0),
            staying=staying.get(code, 0),
            expiring=x,
            renewal_rate=r,
            renewals=x * r,
            new_last_year=window_last_year.get(code, 0),
            growth=growth,
            trend_new=trend,
            pipeline=cap,
            new=new,
            capped=cap is not None and cap < trend,
            expected=round(mean),
            low=max(staying.get(code, 0), math.floor(mean - Z90 * sd)),
            high=math.ceil(mean + Z90 * sd),
        )
    return out


def pipeline_counts(*, key: str = "city_id") -> dict[str, int]:
    """Firms in the pipeline per region: without an HTE certificate and meeting every HTE hard condition in the
    ledger (高企后备, pool firms among them), or with an HTE application in review (programme `hte`, if it
    exists: applications neither drafts nor closed)."""
    from gaoqi.ledger.models import LISTS, LedgerEntry

    firms: dict[int, str] = dict(
        LedgerEntry.objects.filter(LISTS["hte_reserve"]).values_list("enterprise_id", key)
    )
    for firm, region in _hte_applications_in_review(key):
        firms.setdefault(firm, region)
    out: dict[str, int] = {}
    for region in firms.values():
        out[region] = out.get(region, 0) + 1
    return out


def hte_programme():
    """The HTE application programme of the workflow, or None while it does not exist."""
    from gaoqi.workflow.table import programmes

    return next((p for p in programmes() if p.code == "hte"), None)


def _hte_applications_in_review(key: str) -> list[tuple[int, str]]:
    from gaoqi.workflow.models import Application

    programme = hte_programme()
    if programme is None:
        return []
    closed = [p.code for p in programme.phases if p.final] + ["draft"]
    qs = Application.objects.filter(programme="hte").exclude(phase__in=closed)
    return list(qs.values_list("enterprise_id", key).distinct())


def backtest(*, today: date, key: str = "city_id", regions: list[str] | None = None) -> Backtest:
    """Forecast the end of last year from the data as of 30 June of last year; compare with what happened."""
    as_of, year_end = date(today.year - 1, 6, 30), date(today.year - 1, 12, 31)
    certs = certificate_frame(key=key)
    rows = forecast_regions(certs, as_of, regions=regions)
    actual = _firms_by_region(_valid(known(certs, year_end), year_end).unique(subset=["firm"]))
    for code, row in rows.items():
        row.actual = actual.get(code, 0)
    return Backtest(as_of, year_end, [rows[c] for c in sorted(rows)])


@dataclass
class ForecastPage:
    region: object
    as_of: date
    rows: list[RegionForecast]
    total: RegionForecast
    backtest: Backtest
    hte_programme: bool


def region_forecast(*, actor, region_code: str | None, today: date) -> ForecastPage:
    """The forecast of the region the actor may see (NotFound otherwise): one row per child region (the
    cities of the province, the counties of a city; a county alone), the region's total, the valid-HTE target
    beside each, and the backtest of the same rows."""
    from gaoqi.monitoring import selectors
    from gaoqi.targets.models import Indicator
    from gaoqi.targets.selectors import current_targets

    region = selectors.region_for(actor, region_code)
    children = selectors.children_of(region)
    key = "city_id" if region.level == "province" else "county_id"
    codes = [c.code for c in children] or [region.code]
    names = {c.code: c.name for c in children} | {region.code: region.name}
    certs = certificate_frame(key=key)
    pipe = pipeline_counts(key=key)
    rows = forecast_regions(certs, today, pipeline=pipe, regions=codes)
    mine = certs.filter(pl.col("region").is_in(codes)).with_columns(pl.lit(region.code).alias("region"))
    total = forecast_regions(
        mine, today, pipeline={region.code: sum(pipe.get(c, 0) for c in codes)}, regions=[region.code]
    )[region.code]
    targets = {
        code: t.value
        for (code, indicator), t in current_targets(
            actor=actor, year=today.year, regions=[region, *children]
        ).items()
        if indicator == Indicator.VALID_HTE
    }
    for code, row in [*rows.items(), (region.code, total)]:
        row.name = names.get(code, code)
        row.target = targets.get(code)
    if total.target is None and any(rows[c].target is not None for c in codes if c != region.code):
        total.target = sum(rows[c].target or 0 for c in codes)
    check = backtest(today=today, key=key, regions=codes)
    for row in check.rows:
        row.name = names.get(row.code, row.code)
    return ForecastPage(
        region=region,
        as_of=today,
        rows=[rows[c] for c in codes],
        total=total,
        backtest=check,
        hte_programme=hte_programme() is not None,
    )
