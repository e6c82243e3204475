"""The six KPIs, their missing-firm lists and the archived bulletins over the API (same scope as the pages:
a region outside the caller's answers 404 like a missing one)."""

from __future__ import annotations

from datetime import date

from django.http import FileResponse
from django.utils import timezone
from ninja import Router, Schema

from gaoqi.accounts.scope import get_bulletin_for_actor
from gaoqi.api.strict import IsoDate
from gaoqi.errors import NotFound
from gaoqi.monitoring import selectors
from gaoqi.monitoring.bulletins import bulletin_file

router = Router(tags=["monitoring"])


class KpiOut(Schema):
    code: str
    label: str
    unit: str
    value: str | None
    numerator: str | None
    denominator: str | None
    goal: str | None
    gap: str | None
    met: bool | None
    year: int | None
    definition: str
    sources: str
    denominator_updated_at: str | None
    note: str


class RegionKpisOut(Schema):
    region_code: str
    region: str
    kpis: list[KpiOut]


class OverviewOut(Schema):
    as_of: date
    source: str  # "snapshot" (the stored monthly snapshot) or "live" (computed from the registry)
    computed_at: str | None
    region: RegionKpisOut
    children: list[RegionKpisOut]


class FirmOut(Schema):
    credit_code: str
    name: str
    city_code: str
    county_code: str
    hitech_zone: str | None


class MissingOut(Schema):
    kpi: str
    as_of: date
    items: list[FirmOut]
    next_after: str | None  # pass as `after` for the next page; None: this is the last page


class BulletinOut(Schema):
    id: int
    region_code: str
    period: str
    format: str
    as_of: date
    size: int
    sha256: str
    created_at: str


def _s(v) -> str | None:
    return None if v is None else str(v)


def _kpi(v) -> dict:
    return {
        "code": v.kpi.code,
        "label": str(v.kpi.label),
        "unit": v.kpi.unit,
        "value": _s(v.value),
        "numerator": _s(v.numerator),
        "denominator": _s(v.denominator),
        "goal": _s(v.goal),
        "gap": _s(v.gap),
        "met": v.met,
        "year": v.year,
        "definition": str(v.kpi.definition),
        "sources": str(v.kpi.sources),
        "denominator_updated_at": v.denominator_updated_at.isoformat() if v.denominator_updated_at else None,
        "note": v.note,
    }


def _region(r) -> dict:
    return {"region_code": r.region.code, "region": r.region.name, "kpis": [_kpi(v) for v in r.values]}


@router.get("/kpis", response=OverviewOut)
def kpis(request, region: str | None = None, as_of: IsoDate | None = None):
    """The six KPIs of `region` (default: the caller's) and of its child regions: without `as_of` the latest
    monthly snapshot (as the dashboard), with it the snapshot of that day, else computed live as of `as_of`."""
    o = selectors.kpi_figures(actor=request.user, as_of=as_of, region_code=region)
    return {
        "as_of": o.as_of,
        "source": o.source,
        "computed_at": o.computed_at.isoformat() if o.computed_at else None,
        "region": _region(o.own),
        "children": [_region(c) for c in o.children],
    }


@router.get("/kpis/{code}/missing", response=MissingOut)
def missing(
    request, code: str, region: str | None = None, as_of: IsoDate | None = None, after: str | None = None
):
    """The firms missing from a KPI's numerator on `as_of` (default today; drill down), 50 a page in name
    order; the next page: `after` = this page's `next_after` (no totals: the KPI's figures give the gap)."""
    as_of = as_of or timezone.localdate()
    p = selectors.missing_firms(actor=request.user, kpi=code, as_of=as_of, region_code=region, after=after)
    return {
        "kpi": code,
        "as_of": as_of,
        "next_after": p.next_after,
        "items": [
            {
                "credit_code": e.credit_code,
                "name": e.name,
                "city_code": e.city_id,
                "county_code": e.county_id,
                "hitech_zone": e.hitech_zone_id,
            }
            for e in p.object_list
        ],
    }


@router.get("/bulletins", response=list[BulletinOut])
def bulletin_list(request, region: str | None = None):
    return [
        {
            "id": b.pk,
            "region_code": b.region_id,
            "period": b.period,
            "format": b.format,
            "as_of": b.as_of,
            "size": b.size,
            "sha256": b.sha256,
            "created_at": b.created_at.isoformat(),
        }
        for b in selectors.bulletins(actor=request.user, region_code=region)[:200]
    ]


@router.get("/bulletins/{bulletin_id}/file")
def bulletin_download(request, bulletin_id: int):
    b = get_bulletin_for_actor(request.user, bulletin_id)
    path = bulletin_file(b)
    if not path.is_file():
        raise NotFound("通报文件已不在归档目录中")
    return FileResponse(
        open(path, "rb"), as_attachment=True, filename=f"bulletin-{b.region_id}-{b.period}.{b.format}"
    )  # noqa: SIM115


class ForecastRowOut(Schema):
    region_code: str
    region: str
    valid_now: int
    staying: int
    expiring: int
    renewal_rate: float
    new_last_year: int
    growth: float
    pipeline: int | None
    method: (
        str  # "applications" (pipeline × pass rates) or "certificates" (the trend, no application history)
    )
    in_review: int
    pass_rate: float | None  # P(certified | submitted) from past decided HTE applications
    from_review: float
    from_later: float
    new: float
    capped: bool
    expected: int
    low: int
    high: int
    target: int | None
    actual: int | None = None


class BacktestOut(Schema):
    as_of: date
    year_end: date
    mae: float
    mape: float | None
    coverage: float | None
    total_error: int
    rows: list[ForecastRowOut]


class ForecastOut(Schema):
    as_of: date
    year_end: date
    method: str
    rows: list[ForecastRowOut]
    total: ForecastRowOut
    backtest: BacktestOut


def _forecast_row(r) -> dict:
    return {
        "region_code": r.code,
        "region": r.name,
        **{k: getattr(r, k) for k in ("valid_now", "staying", "expiring", "new_last_year", "pipeline")},
        **{k: getattr(r, k) for k in ("capped", "expected", "low", "high", "target", "actual")},
        "renewal_rate": round(r.renewal_rate, 4),
        "growth": round(r.growth, 4),
        "new": round(r.new, 2),
        "method": r.method,
        "in_review": r.in_review,
        "pass_rate": None if r.pass_rate is None else round(r.pass_rate, 4),
        "from_review": round(r.from_review, 2),
        "from_later": round(r.from_later, 2),
    }


@router.get("/forecast", response=ForecastOut)
def forecast(request, region: str | None = None):
    """Each child region's expected valid HTEs on 31 December (90% interval) beside its valid-HTE target, and
    the backtest (last year's end forecast from 30 June of last year). The method: `method`."""
    from gaoqi.monitoring import forecast as fc

    today = timezone.localdate()
    page = fc.region_forecast(actor=request.user, region_code=region, today=today)
    b = page.backtest
    return {
        "as_of": today,
        "year_end": date(today.year, 12, 31),
        "method": (fc.__doc__ or "").split("\n\n", 1)[1].split("\n\nReads", 1)[0],
        "rows": [_forecast_row(r) for r in page.rows],
        "total": _forecast_row(page.total),
        "backtest": {
            "as_of": b.as_of,
            "year_end": b.year_end,
            "mae": round(b.mae, 2),
            "mape": None if b.mape is None else round(b.mape, 2),
            "coverage": b.coverage,
            "total_error": b.total_error,
            "rows": [_forecast_row(r) for r in b.rows],
        },
    }
