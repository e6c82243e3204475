"""R&D institutions over the API: the same scope and services as the pages."""

from datetime import date

from django.utils import timezone
from ninja import Router, Schema, Status

from gaoqi.accounts.scope import get_enterprise_for_actor, get_rnd_institution_for_actor
from gaoqi.api.strict import In, IsoDate
from gaoqi.errors import NotFound
from gaoqi.rnd import selectors, services
from gaoqi.rnd.models import InstitutionStatus

router = Router(tags=["R&D institutions"])


class InstitutionIn(In):
    credit_code: str
    name: str
    kind: str  # key_lab | innovation_center | engineering_center | enterprise_tech_center | new_rnd_institution ...
    level: str  # national | provincial | city
    recognized_on: date
    source: str = ""


class StatusIn(In):
    status: str  # valid | revoked | lapsed
    ended_on: date | None = None
    reason: str


class InstitutionOut(Schema):
    id: int
    name: str
    kind: str
    level: str
    credit_code: str
    enterprise: str
    city: str
    county: str
    recognized_on: date
    status: str
    ended_on: date | None
    source: str


class InstitutionPage(Schema):
    count: int
    page: int
    pages: int
    items: list[InstitutionOut]


class PerformanceIn(In):
    year: int
    rnd_spend: int
    revenue: int
    rnd_staff: int
    employees: int
    invention_patents: int
    other_ip: int
    key_breakthroughs: int
    reason: str = ""


class PerformanceOut(Schema):
    institution_id: int
    institution: str
    credit_code: str
    year: int
    rank: int | None = None
    total: str  # exact, two decimals
    grade: str
    outcome: str
    criteria: list[dict]
    policy_version: str
    param_hash: str


class CoverageRowOut(Schema):
    region_code: str
    region: str
    above_scale_htes: int
    with_institution: int
    without_institution: int
    rate_percent: str | None
    tags: dict[str, int]


class CoverageOut(Schema):
    as_of: date
    total: CoverageRowOut
    rows: list[CoverageRowOut]


class TagIn(In):
    tier: str | None  # hundred_demo | thousand_pilot | ten_thousand_action; null removes the tag
    year: int | None = None


def _inst(i) -> dict:
    e = i.enterprise
    return {
        "id": i.pk,
        "name": i.name,
        "kind": i.kind,
        "level": i.level,
        "credit_code": e.credit_code,
        "enterprise": e.name,
        "city": e.city_id,
        "county": e.county_id,
        "recognized_on": i.recognized_on,
        "status": i.status,
        "ended_on": i.ended_on,
        "source": i.source,
    }


def _perf(p, rank=None) -> dict:
    return {
        "institution_id": p.institution_id,
        "institution": p.institution.name,
        "credit_code": p.institution.enterprise.credit_code,
        "year": p.year,
        "rank": rank,
        "total": str(p.total),
        "grade": p.grade,
        "outcome": p.outcome,
        "criteria": p.criteria,
        "policy_version": p.policy_version,
        "param_hash": p.param_hash,
    }


def _cov_row(r) -> dict:
    return {
        "region_code": r.region.code,
        "region": r.region.name,
        "above_scale_htes": r.total,
        "with_institution": r.covered,
        "without_institution": r.missing,
        "rate_percent": None if r.rate is None else str(r.rate),
        "tags": r.tags,
    }


@router.get("/institutions", response=InstitutionPage)
def list_institutions(
    request,
    city: str | None = None,
    county: str | None = None,
    kind: str | None = None,
    level: str | None = None,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
):
    filters = selectors.InstitutionFilter(
        city=city, county=county, kind=kind, level=level, status=status, q=q
    )
    result = selectors.institution_page(actor=request.user, filters=filters, page=page, per_page=per_page)
    return {
        "count": result.paginator.count,
        "page": result.number,
        "pages": result.paginator.num_pages,
        "items": [_inst(i) for i in result.object_list],
    }


@router.post("/institutions", response={201: InstitutionOut})
def create_institution(request, payload: InstitutionIn):
    e = get_enterprise_for_actor(request.user, credit_code=payload.credit_code.strip().upper())
    data = payload.dict()
    data.pop("credit_code")
    inst = services.institution_create(actor=request.user, enterprise=e, **data)
    return Status(201, _inst(inst))


@router.get("/institutions/{pk}", response=InstitutionOut)
def get_institution(request, pk: int):
    return _inst(get_rnd_institution_for_actor(request.user, pk))


@router.post("/institutions/{pk}/status", response=InstitutionOut)
def set_status(request, pk: int, payload: StatusIn):
    inst = get_rnd_institution_for_actor(request.user, pk)
    if payload.status not in InstitutionStatus.values:
        payload.status = ""
    services.institution_set_status(actor=request.user, institution=inst, **payload.dict())
    return _inst(inst)


@router.get("/institutions/{pk}/performance", response=list[PerformanceOut])
def list_performance(request, pk: int):
    inst = get_rnd_institution_for_actor(request.user, pk)
    return [_perf(p) for p in selectors.performances_of(actor=request.user, institution=inst)]


@router.put("/institutions/{pk}/performance", response=PerformanceOut)
def record_performance(request, pk: int, payload: PerformanceIn):
    inst = get_rnd_institution_for_actor(request.user, pk)
    row = services.performance_record(actor=request.user, institution=inst, **payload.dict())
    return _perf(row)


@router.get("/evaluations/{year}", response=list[PerformanceOut])
def evaluation_ranking(request, year: int, city: str | None = None):
    if not request.user.is_officer:
        raise NotFound("对象不存在或无权访问")
    return [_perf(r.performance, r.rank) for r in selectors.ranking(actor=request.user, year=year, city=city)]


@router.get("/coverage", response=CoverageOut)
def coverage(request, region: str | None = None, as_of: IsoDate | None = None):
    cov = selectors.coverage(actor=request.user, as_of=as_of or timezone.localdate(), region_code=region)
    return {"as_of": cov.as_of, "total": _cov_row(cov.total), "rows": [_cov_row(r) for r in cov.rows]}


@router.put("/enterprises/{credit_code}/action-tag", response={200: dict})
def set_action_tag(request, credit_code: str, payload: TagIn):
    e = get_enterprise_for_actor(request.user, credit_code=credit_code.upper())
    tag = services.action_tag_set(actor=request.user, enterprise=e, tier=payload.tier, year=payload.year)
    return {
        "credit_code": e.credit_code,
        "tier": tag.tier if tag else None,
        "year": tag.year if tag else None,
    }
