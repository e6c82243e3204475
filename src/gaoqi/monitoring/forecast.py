"""Year-end forecast of each region's valid HTEs, with a 90% interval, and its backtest (issue 10 §7).

For a day `as_of` of year Y (year end E = 31 December Y), per region (a city, or a city's counties):

    expected(E) = staying + expiring × r + new

- staying: firms holding an HTE certificate valid on `as_of` that stays valid through E;
- expiring: firms whose certificate valid on `as_of` ends before E (not renewed by `as_of`);
- r, the past re-certification pass rate: of the certificates that ended in the three years before `as_of`
  (up to RENEWAL_WINDOW days before it, so that a renewal had time to come), the share whose firm got a new
  certificate within RENEWAL_WINDOW days either side of the end. A region's rate is pulled towards the
  province's with SHRINK pseudo-certificates (small counties have few expiries);
- new: certifications of firms without a valid certificate in the rest of the year, from the HTE
  application pipeline and past pass rates (when the workflow holds HTE applications):
    new = t × Σ_phase (applications in review in that phase) × p(phase)  +  later × p(submitted)
  p(phase): of the HTE applications decided in the three years before `as_of` (certified, or rejected /
  withdrawn) that had reached that phase, the share certified; per region, pulled towards the province's rate
  with SHRINK_APPLICATIONS pseudo-applications, the province's towards a stated prior (STAGE_PRIORS) with
  PRIOR_WEIGHT (so a region without history gets the province's rate, a province without history the prior);
  t: of the applications in review on the same day last year, the share decided by that year's end;
  later: last year's applications submitted after the same day and decided by the year end, times the
  growth of submissions (last 12 months against the 12 before, bounded to GROWTH_BOUNDS), and never more
  than the untapped pipeline: the firms without a certificate that meet every HTE hard condition in their
  latest evaluation (the ledger's 高企后备 list, pool firms included) and have no application in review, plus
  the pool applications in review times their own pass rate.
  Without any HTE application history (a platform that has not run the programme), the certificate trend:
  last year's count of such certifications over the same days (as_of + 1 .. E of Y − 1) times the growth of
  certifications (province-wide, bounded to GROWTH_BOUNDS), capped by the pipeline (reserve firms plus the
  applications in review).
  The pass rates of tech-SME registrations and pool admissions (the funnel's earlier stages) are computed
  the same way and shown beside; the tech-SME rate does not enter the year-end count (a firm registered
  this year is rarely certified the same year).

Interval (90%): the renewals vary as a binomial (expiring × r × (1 − r)), the new certifications as a Poisson
count plus a TREND_ERROR relative error of the trend; expected ± 1.645 sd, never below `staying`.

Backtest: the forecast for the end of Y − 1 made from the data as of 30 June of Y − 1 (only certificates issued
by then, applications' phases and pass rates as of that day from their decision history; the ledger cap is left
out, the ledger of that day being not kept), against the firms actually valid on 31 December of Y − 1.

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
SHRINK_APPLICATIONS = 20
PRIOR_WEIGHT = 10
# Stated priors, used only as far as the province has no decided applications: P(outcome | reached phase).
STAGE_PRIORS = {
    "hte": {
        "submitted": 0.70,
        "recommended": 0.75,
        "accepted": 0.78,
        "reviewed": 0.85,
        "approved": 0.97,
        "in_notice": 0.98,
    },
    "pool": {
        "submitted": 0.60,
        "recommended": 0.70,
        "expert_review": 0.75,
        "reviewed": 0.95,
        "in_notice": 0.98,
    },
    "tech_sme": {"submitted": 0.85, "accepted": 0.97, "in_notice": 0.99},
}
SUCCESS = {"hte": "certified", "pool": "admitted", "tech_sme": "registered"}
FAILURE = {
    "hte": ("rejected", "withdrawn"),
    "pool": ("rejected", "withdrawn"),
    "tech_sme": ("rejected", "withdrawn"),
}
STAGE_ALIAS = {"returned": "submitted"}  # an application sent back is counted at the stage it left


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
    method: str = "certificates"  # or "applications": how `new` was estimated
    in_review: int = 0  # HTE applications in review on as_of
    from_review: float = 0.0  # their expected certifications by the year end
    pass_rate: float | None = None  # P(certified | submitted), the region's
    later: float = 0.0  # applications expected to be submitted and decided before the year end
    from_later: float = 0.0
    new: float = 0.0
    variance: float = 0.0
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


# --- The application pipeline and its pass rates (gaoqi.workflow) ---------------------------------------------

REVIEW = {
    "hte": ("submitted", "returned", "recommended", "accepted", "reviewed", "approved", "in_notice"),
    "pool": ("submitted", "returned", "recommended", "expert_review", "reviewed", "in_notice"),
    "tech_sme": ("submitted", "returned", "accepted", "in_notice"),
}
DECISION_SCHEMA = {"app": pl.Int64, "firm": pl.Int64, "region": pl.String, "phase": pl.String, "at": pl.Date}


def decision_frame(programme: str, *, key: str = "city_id") -> pl.DataFrame:
    """Every decision on the programme's applications as (app, firm, region, phase entered, day), the day in
    the platform's time zone."""
    from django.conf import settings

    from gaoqi.workflow.models import Decision

    qs = Decision.objects.filter(application__programme=programme).order_by("at", "id")
    rows = list(
        qs.values_list(
            "application_id", "application__enterprise_id", f"application__{key}", "to_phase", "at"
        )
    )
    if not rows:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    frame = pl.DataFrame(
        rows,
        schema={
            "app": pl.Int64,
            "firm": pl.Int64,
            "region": pl.String,
            "phase": pl.String,
            "at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    return frame.with_columns(pl.col("at").dt.convert_time_zone(settings.TIME_ZONE).dt.date())


def phases_on(decisions: pl.DataFrame, day: date) -> pl.DataFrame:
    """Each application's phase on `day` (its latest decision by then): (app, firm, region, phase, at)."""
    return decisions.filter(pl.col("at") <= day).group_by("app", maintain_order=True).last()


@dataclass
class StageRates:
    """P(outcome | reached stage) of one programme's applications: per region shrunk to the province's, the
    province's to the stated prior. `counts[region][stage] = (succeeded, decided)`."""

    programme: str
    counts: dict[str, dict[str, tuple[int, int]]]
    province: dict[str, tuple[int, int]]

    def province_rate(self, stage: str) -> float:
        s, n = self.province.get(stage, (0, 0))
        prior = STAGE_PRIORS[self.programme].get(stage, 0.5)
        return (s + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT)

    def rate(self, region: str, stage: str) -> float:
        stage = STAGE_ALIAS.get(stage, stage)
        s, n = self.counts.get(region, {}).get(stage, (0, 0))
        return (s + SHRINK_APPLICATIONS * self.province_rate(stage)) / (n + SHRINK_APPLICATIONS)

    def decided(self, region: str | None = None, stage: str = "submitted") -> int:
        table = self.province if region is None else self.counts.get(region, {})
        return table.get(stage, (0, 0))[1]


def stage_rates(decisions: pl.DataFrame, as_of: date, programme: str) -> StageRates:
    """The pass rates per stage from the applications decided in the HISTORY_YEARS years before `as_of`: a
    success is an application that reached SUCCESS (whatever came after, e.g. a certificate's expiry); a failure
    one rejected or withdrawn without reaching it."""
    lo = _same_day(as_of, HISTORY_YEARS)
    seen = decisions.filter(pl.col("at") <= as_of)
    success = SUCCESS[programme]
    won = seen.filter(pl.col("phase") == success).group_by("app").agg(pl.col("at").min().alias("decided_on"))
    won = won.filter(pl.col("decided_on") >= lo).with_columns(pl.lit(True).alias("ok"))
    now = phases_on(seen, as_of)
    lost = (
        now.filter(pl.col("phase").is_in(FAILURE[programme]) & (pl.col("at") >= lo))
        .join(won.select("app"), on="app", how="anti")
        .select("app", pl.lit(False).alias("ok"))
    )
    decided = pl.concat([won.select("app", "ok"), lost])
    stages = (
        seen.with_columns(pl.col("phase").replace(STAGE_ALIAS))
        .filter(pl.col("phase").is_in(list(STAGE_PRIORS[programme])))
        .select("app", "region", pl.col("phase").alias("stage"))
        .unique()
        .join(decided, on="app")
    )
    grouped = stages.group_by("region", "stage").agg(pl.col("ok").sum().alias("s"), pl.len().alias("n"))
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    province: dict[str, tuple[int, int]] = {}
    for region, stage, s, n in grouped.iter_rows():
        counts.setdefault(region, {})[stage] = (int(s), int(n))
        ps, pn = province.get(stage, (0, 0))
        province[stage] = (ps + int(s), pn + int(n))
    return StageRates(programme, counts, province)


def in_review(decisions: pl.DataFrame, day: date, programme: str) -> pl.DataFrame:
    """The applications in review on `day`: (app, firm, region, phase)."""
    return phases_on(decisions, day).filter(pl.col("phase").is_in(REVIEW[programme]))


@dataclass
class Pipeline:
    """What the application-based estimate of new certifications needs, as known on one day."""

    hte: pl.DataFrame  # decision_frame("hte")
    pool: pl.DataFrame  # decision_frame("pool")
    reserve: dict[str, int] | None = None  # ledger reserve firms without an HTE application in review

    @classmethod
    def load(cls, *, key: str = "city_id", with_reserve: bool = True, day: date | None = None) -> Pipeline:
        """The decisions so far; `with_reserve`: and today's ledger reserve (firms with an HTE application
        in review on `day`, default today, left out: they are counted through their application)."""
        hte = decision_frame("hte", key=key)
        pool = decision_frame("pool", key=key)
        reserve = None
        if with_reserve:
            from django.utils import timezone

            busy = set(in_review(hte, day or timezone.localdate(), "hte")["firm"].to_list())
            reserve = pipeline_counts(key=key, in_review=False, exclude=busy)
        return cls(hte, pool, reserve)


def _estimate_new(pipe: Pipeline, as_of: date, codes: list[str]) -> dict[str, dict]:
    """Per region: the certifications expected by the year end from the HTE applications in review and those
    still to come (see the module's method); {} when the workflow holds no HTE application history."""
    if pipe.hte.filter(pl.col("at") <= as_of).is_empty():
        return {}
    rates = stage_rates(pipe.hte, as_of, "hte")
    pool_rates = stage_rates(pipe.pool, as_of, "pool")
    review = in_review(pipe.hte, as_of, "hte")
    last = _same_day(as_of, 1)
    last_end = date(last.year, 12, 31)
    then = in_review(pipe.hte, last, "hte")
    settled = phases_on(pipe.hte, last_end).filter(~pl.col("phase").is_in(REVIEW["hte"]))
    timing = then.join(settled.select("app"), on="app").height / then.height if then.height else 1.0
    first = (
        pipe.hte.filter(pl.col("phase") == "submitted")
        .group_by("app")
        .agg(pl.col("region").first(), pl.col("at").min().alias("submitted"))
    )
    late = first.filter((pl.col("submitted") > last) & (pl.col("submitted") <= last_end)).join(
        settled.select("app"), on="app"
    )
    late_by_region = dict(late.group_by("region").agg(pl.len()).iter_rows())
    recent = first.filter((pl.col("submitted") > last) & (pl.col("submitted") <= as_of)).height
    earlier = first.filter((pl.col("submitted") > _same_day(as_of, 2)) & (pl.col("submitted") <= last)).height
    growth = min(max(recent / earlier, GROWTH_BOUNDS[0]), GROWTH_BOUNDS[1]) if earlier else 1.0
    pool_review = in_review(pipe.pool, as_of, "pool")
    out = {}
    for code in codes:
        mine = review.filter(pl.col("region") == code)
        probs = [rates.rate(code, phase) for phase in mine["phase"].to_list()]
        later = late_by_region.get(code, 0) * growth
        cap = None
        if pipe.reserve is not None:
            pooled = sum(
                pool_rates.rate(code, ph) for ph in pool_review.filter(pl.col("region") == code)["phase"]
            )
            cap = pipe.reserve.get(code, 0) + pooled
        capped = cap is not None and cap < later
        later = min(later, cap) if cap is not None else later
        p_sub = rates.rate(code, "submitted")
        out[code] = {
            "in_review": len(probs),
            "from_review": timing * sum(probs),
            "review_var": sum(timing * p * (1 - timing * p) for p in probs),
            "pass_rate": p_sub,
            "later": later,
            "from_later": later * p_sub,
            "capped": capped,
            "cap": None if cap is None else round(cap),
            "growth": growth,
        }
    return out


def forecast_regions(
    certs: pl.DataFrame,
    as_of: date,
    *,
    pipeline: dict[str, int] | None = None,
    regions: list[str] | None = None,
    applications: Pipeline | None = None,
) -> dict[str, RegionForecast]:
    """The forecast of the valid HTEs on 31 December of `as_of`'s year for each region of `certs` (or of
    `regions`), see the module's method: new certifications from `applications` (the HTE application pipeline
    and its pass rates) when it holds any history, else from the certificates' trend capped by `pipeline`."""
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
    estimated = _estimate_new(applications, as_of, codes) if applications is not None else {}
    out = {}
    for code in codes:
        renewed, ended = rates.get(code, (0, 0))
        r = (renewed + SHRINK * province_rate) / (ended + SHRINK)
        x = expiring.get(code, 0)
        trend = window_last_year.get(code, 0) * growth
        cap = pipeline.get(code, 0) if pipeline is not None else None
        new = trend if cap is None else min(trend, cap)
        new_var = new + (TREND_ERROR * new) ** 2
        capped = cap is not None and cap < trend
        est = estimated.get(code)
        if est is not None:
            new = est["from_review"] + est["from_later"]
            later = est["from_later"]
            new_var = est["review_var"] + later + (TREND_ERROR * later) ** 2
            cap, capped = est["cap"], est["capped"]
        mean = staying.get(code, 0) + x * r + new
        var = x * r * (1 - r) + new_var
        sd = math.sqrt(var)
        out[code] = RegionForecast(
            code=code,
            valid_now=now.get(code, 0),
            staying=staying.get(code, 0),
            expiring=x,
            renewal_rate=r,
            renewals=x * r,
            new_last_year=window_last_year.get(code, 0),
            growth=est["growth"] if est else growth,
            trend_new=trend,
            pipeline=cap,
            method="applications" if est is not None else "certificates",
            in_review=est["in_review"] if est else 0,
            from_review=est["from_review"] if est else 0.0,
            pass_rate=est["pass_rate"] if est else None,
            later=est["later"] if est else 0.0,
            from_later=est["from_later"] if est else 0.0,
            new=new,
            variance=var,
            capped=capped,
            expected=round(mean),
            low=max(staying.get(code, 0), math.floor(mean - Z90 * sd)),
            high=math.ceil(mean + Z90 * sd),
        )
    return out


def _total(code: str, rows: list[RegionForecast]) -> RegionForecast:
    """The region's own row: the sum of its parts (variances added: the parts vary independently)."""
    t = RegionForecast(code=code)
    for r in rows:
        for name in ("valid_now", "staying", "expiring", "new_last_year", "in_review"):
            setattr(t, name, getattr(t, name) + getattr(r, name))
        for name in ("renewals", "trend_new", "new", "variance", "from_review", "later", "from_later"):
            setattr(t, name, getattr(t, name) + getattr(r, name))
        if r.pipeline is not None:
            t.pipeline = (t.pipeline or 0) + r.pipeline
        t.capped = t.capped or r.capped
    t.renewal_rate = t.renewals / t.expiring if t.expiring else (rows[0].renewal_rate if rows else 0.0)
    t.method = rows[0].method if rows else "certificates"
    t.growth = rows[0].growth if rows else 1.0
    decided = [r for r in rows if r.pass_rate is not None]
    if decided:
        t.pass_rate = sum(r.pass_rate for r in decided) / len(decided)
    mean = t.staying + t.renewals + t.new
    sd = math.sqrt(t.variance)
    t.expected = round(mean)
    t.low = max(t.staying, math.floor(mean - Z90 * sd))
    t.high = math.ceil(mean + Z90 * sd)
    return t


def pipeline_counts(*, key: str = "city_id", in_review: bool = True, exclude=()) -> dict[str, int]:
    """Firms in the pipeline per region: without an HTE certificate and meeting every HTE hard condition in the
    ledger (高企后备, pool firms among them), or (`in_review`) with an HTE application in review (programme
    `hte`, if it exists: applications neither drafts nor closed); firms in `exclude` left out."""
    from gaoqi.ledger.models import LISTS, LedgerEntry

    firms: dict[int, str] = dict(
        LedgerEntry.objects.filter(LISTS["hte_reserve"]).values_list("enterprise_id", key)
    )
    if in_review:
        for firm, region in _hte_applications_in_review(key):
            firms.setdefault(firm, region)
    for firm in exclude:
        firms.pop(firm, None)
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


def backtest(
    *,
    today: date,
    key: str = "city_id",
    regions: list[str] | None = None,
    applications: bool = True,
    certs: pl.DataFrame | None = None,
    pipeline: Pipeline | None = None,
) -> Backtest:
    """Forecast the end of last year from the data as of 30 June of last year; compare with what happened.
    `applications=False`: the certificate trend alone (to compare the two estimates of new certifications).
    `certs` and `pipeline` (its decisions; the reserve is not used) when the caller has them loaded already."""
    as_of, year_end = date(today.year - 1, 6, 30), date(today.year - 1, 12, 31)
    certs = certs if certs is not None else certificate_frame(key=key)
    apps = None
    if applications:
        loaded = pipeline or Pipeline.load(key=key, with_reserve=False)
        apps = Pipeline(loaded.hte, loaded.pool)
    rows = forecast_regions(certs, as_of, regions=regions, applications=apps)
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
    method: str = "certificates"
    stages: list[dict] = field(default_factory=list)  # pass rates per stage, per row and the region's


TABLE_STAGES = (
    ("hte", "submitted"),
    ("hte", "recommended"),
    ("hte", "accepted"),
    ("hte", "reviewed"),
    ("hte", "approved"),
    ("pool", "submitted"),
    ("tech_sme", "submitted"),
)


def stage_table(
    frames: dict[str, pl.DataFrame], as_of: date, codes: list[str], names: dict[str, str]
) -> list[dict]:
    """Rows for the page: per region, P(outcome | reached stage) of each programme, and the decided counts
    behind them; the last row is the province's (its rate before the region's shrinkage)."""
    rates = {programme: stage_rates(frame, as_of, programme) for programme, frame in frames.items()}
    rows = []
    for code in codes:
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "rates": [rates[p].rate(code, st) for p, st in TABLE_STAGES],
                "decided": {p: rates[p].decided(code) for p in frames},
            }
        )
    rows.append(
        {
            "code": "",
            "name": None,
            "rates": [rates[p].province_rate(st) for p, st in TABLE_STAGES],
            "decided": {p: rates[p].decided() for p in frames},
        }
    )
    return rows


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
    apps = Pipeline.load(key=key, day=today)
    rows = forecast_regions(certs, today, pipeline=pipe, regions=codes, applications=apps)
    total = _total(region.code, [rows[c] for c in codes])
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
    check = backtest(today=today, key=key, regions=codes, certs=certs, pipeline=apps)
    for row in check.rows:
        row.name = names.get(row.code, row.code)
    return ForecastPage(
        region=region,
        as_of=today,
        rows=[rows[c] for c in codes],
        total=total,
        backtest=check,
        hte_programme=hte_programme() is not None,
        method=total.method,
        stages=stage_table(
            {"hte": apps.hte, "pool": apps.pool, "tech_sme": decision_frame("tech_sme", key=key)},
            today,
            codes,
            names,
        ),
    )
