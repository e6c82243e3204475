"""Enterprises and their annual reports. Thin: parse, call a selector or service, shape the answer."""

from datetime import date, datetime

from ninja import Query, Router, Schema

from gaoqi.accounts.scope import get_enterprise_for_actor
from gaoqi.registry import selectors
from gaoqi.registry.models import FACT_FIELDS
from gaoqi.replica import replica_reads

router = Router(tags=["enterprises"])


class EnterpriseRow(Schema):
    id: int
    credit_code: str
    name: str
    county_code: str
    county_name: str
    city_code: str
    city_name: str
    tech_field: str | None
    founded_on: date
    status: str
    above_scale: bool
    in_hitech_zone: bool
    hitech_zone: str | None  # the zone's code (GET /api/hitech-zones); None also when only the flag is known


class EnterprisePage(Schema):
    # count, page and pages are null on a page read with `after` (past the counted rows: no totals)
    count: int | None
    count_capped: bool  # true when more rows match than are counted (10,000): narrow the filters
    page: int | None
    pages: int | None
    next_after: str | None  # pass as `after` for the next page (also past the counted rows); null: last page
    items: list[EnterpriseRow]


class ListParams(Schema):
    city: str | None = None
    county: str | None = None
    tech_field: str | None = None
    status: str | None = None
    hitech_zone: str | None = None  # a zone code, "any" (in a provincial-or-higher zone) or "none"
    q: str | None = None
    page: int = 1
    per_page: int = 20
    after: str | None = None  # a page's next_after: the list in pinyin order from there, no totals


class HitechZoneOut(Schema):
    code: str
    name: str
    short_name: str
    name_en: str
    level: str  # national | provincial
    county_code: str
    city_code: str
    to_verify: bool  # compiled from public information, not yet checked against the official list


class EnterpriseDetail(EnterpriseRow):
    talent_founded: bool
    hte_valid_until: date | None
    tech_sme_valid_until: date | None


class SourceOut(Schema):
    id: int
    department: str
    file_name: str
    imported_at: datetime
    synthetic: bool


class AnnualReportOut(Schema):
    id: int
    year: int
    source: SourceOut
    source_row: int | None
    values: dict


def _row(e, today=None) -> dict:
    return {
        "id": e.id,
        "credit_code": e.credit_code,
        "name": e.name,
        "county_code": e.county_id,
        "county_name": e.county.name,
        "city_code": e.city_id,
        "city_name": e.city.name,
        "tech_field": e.tech_field_id,
        "founded_on": e.founded_on,
        "status": selectors.enterprise_status(e, today),
        "above_scale": e.above_scale,
        "in_hitech_zone": e.in_hitech_zone,
        "hitech_zone": e.hitech_zone_id,
    }


@router.get("/enterprises", response=EnterprisePage)
def list_enterprises(request, params: Query[ListParams]):
    filters = selectors.EnterpriseFilter(
        city=params.city,
        county=params.county,
        tech_field=params.tech_field,
        status=params.status,
        hitech_zone=params.hitech_zone,
        q=params.q,
    )
    with replica_reads():  # a read-only list (gaoqi.replica)
        return _list_page(request, filters, params)


def _list_page(request, filters, params):
    page = selectors.enterprise_list(
        actor=request.user,
        filters=filters,
        page=params.page,
        per_page=params.per_page,
        after=params.after,
    )
    if page.keyset:
        return {
            "count": None,
            "count_capped": True,
            "page": None,
            "pages": None,
            "next_after": page.next_after,
            "items": [_row(e) for e in page.object_list],
        }
    return {
        "count": page.paginator.count,
        "count_capped": page.paginator.capped,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "next_after": page.next_after,
        "items": [_row(e) for e in page.object_list],
    }


@router.get("/enterprises/{credit_code}", response=EnterpriseDetail)
def get_enterprise(request, credit_code: str):
    e = get_enterprise_for_actor(request.user, credit_code=credit_code.upper())
    return {
        **_row(e),
        "talent_founded": e.talent_founded,
        "hte_valid_until": e.hte_valid_until,
        "tech_sme_valid_until": e.tech_sme_valid_until,
    }


@router.get("/enterprises/{credit_code}/annual-reports", response=list[AnnualReportOut])
def list_annual_reports(request, credit_code: str, year: int | None = None):
    e = get_enterprise_for_actor(request.user, credit_code=credit_code.upper())
    reports = selectors.annual_reports_for(actor=request.user, enterprise=e)
    if year is not None:
        reports = reports.filter(year=year)
    return [
        {
            "id": r.id,
            "year": r.year,
            "source": r.source,
            "source_row": r.source_row,
            "values": {f: getattr(r, f) for f in FACT_FIELDS if getattr(r, f) is not None},
        }
        for r in reports
    ]


@router.get("/hitech-zones", response=list[HitechZoneOut], tags=["reference"])
def list_hitech_zones(request, level: str | None = None, city: str | None = None):
    """Jiangsu's provincial-or-higher high-tech zones (public reference data)."""
    return [
        {
            "code": z.code,
            "name": z.name,
            "short_name": z.short_name,
            "name_en": z.name_en,
            "level": z.level,
            "county_code": z.county_id,
            "city_code": z.city_id,
            "to_verify": z.to_verify,
        }
        for z in selectors.hitech_zone_list(level=level, city=city)
    ]
