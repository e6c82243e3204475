"""Targets over the API: the same scope and services as the pages."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from gaoqi.api.strict import In, IsoDate
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.regions.models import Region
from gaoqi.targets import selectors, services

router = Router(tags=["targets"])


class TargetIn(In):
    region_code: str
    year: int
    indicator: str  # new_hte | valid_hte | tech_sme | pool_size
    value: int
    reason: str = ""


class TargetOut(Schema):
    region_code: str
    year: int
    indicator: str
    value: int
    version: int
    is_current: bool
    reason: str
    set_by: str | None
    set_at: str


class CellOut(Schema):
    target: int | None
    actual: int | None  # null: no data yet (pool_size)
    rate_percent: str | None


class RowOut(Schema):
    region_code: str
    region: str
    rank: int | None
    overall_percent: str | None
    indicators: dict[str, CellOut]


class ProgressOut(Schema):
    region_code: str
    year: int
    as_of: date
    pace_percent: str
    own: RowOut
    rows: list[RowOut]


def _target(t) -> dict:
    return {
        "region_code": t.region_id,
        "year": t.year,
        "indicator": t.indicator,
        "value": t.value,
        "version": t.version,
        "is_current": t.is_current,
        "reason": t.reason,
        "set_by": t.set_by.username if t.set_by_id else None,
        "set_at": t.set_at.isoformat(),
    }


def _row(r) -> dict:
    pct = r.percent(selectors.OVERALL)
    return {
        "region_code": r.region.code,
        "region": r.region.name,
        "rank": r.rank,
        "overall_percent": None if pct is None else str(pct),
        "indicators": {
            code: {
                "target": c.target,
                "actual": c.actual,
                "rate_percent": None if c.percent is None else str(c.percent),
            }
            for code, c in r.cells.items()
        },
    }


@router.put("/", response=TargetOut)
def set_target(request, payload: TargetIn):
    region = Region.objects.filter(code=payload.region_code).first()
    if region is None:
        raise NotFound("对象不存在或无权访问")
    result = services.target_set(
        actor=request.user,
        region=region,
        year=payload.year,
        indicator=payload.indicator,
        value=payload.value,
        reason=payload.reason,
    )
    return _target(result.target)


@router.get("/history/{region_code}/{year}", response=list[TargetOut])
def history(request, region_code: str, year: int, indicator: str | None = None):
    return [
        _target(t)
        for t in selectors.target_history(
            actor=request.user, region_code=region_code, year=year, indicator=indicator
        )
    ]


@router.get("/progress", response=ProgressOut)
def progress(
    request,
    year: int | None = None,
    as_of: IsoDate | None = None,
    region: str | None = None,
    indicator: str = selectors.OVERALL,
):
    """Actual vs target per indicator for the region (default: the caller's) and its children, ranked by the
    completion rate of `indicator` (or `overall`): the assessment table."""
    today = timezone.localdate()
    year = year or today.year
    if not 2000 <= year <= 2099:  # a date must hold it (found by schemathesis: year 6756728 was a 500)
        raise ValidationFailed(_("年度有误"), [{"field": "year", "reason": _("年度须在 2000 到 2099 之间")}])
    as_of = as_of or (today if today.year == year else date(year, 12, 31))
    indicator = selectors.checked_indicator(indicator, overall=True)
    p = selectors.assessment(
        actor=request.user, year=year, as_of=as_of, region_code=region, indicator=indicator
    )
    return {
        "region_code": p.region.code,
        "year": p.year,
        "as_of": p.as_of,
        "pace_percent": str(p.pace),
        "own": _row(p.own),
        "rows": [_row(r) for r in p.rows],
    }
