"""Service records over the API: the same scope and services as the pages."""

from datetime import date, datetime

from ninja import Router, Schema, Status

from gaoqi.accounts.scope import get_enterprise_for_actor
from gaoqi.api.strict import In
from gaoqi.coaching import selectors
from gaoqi.coaching.services import service_record_create

router = Router(tags=["service records"])


class ServiceRecordIn(In):
    kind: str  # visit | training | check | remote | other
    served_on: date
    content: str
    next_step: str = ""
    follow_up_on: date | None = None


class ServiceRecordOut(Schema):
    id: int
    credit_code: str
    kind: str
    served_on: date
    content: str
    next_step: str
    follow_up_on: date | None
    follow_up: str  # overdue | due | done | "" (none asked); list endpoints of one firm only
    author: str
    agency: str | None
    created_at: datetime


class FollowUpPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ServiceRecordOut]


def _out(record, follow_up: str = "") -> dict:
    return {
        "id": record.id,
        "credit_code": record.enterprise.credit_code,
        "kind": record.kind,
        "served_on": record.served_on,
        "content": record.content,
        "next_step": record.next_step,
        "follow_up_on": record.follow_up_on,
        "follow_up": follow_up,
        "author": record.author.username,
        "agency": record.agency.name if record.agency_id else None,
        "created_at": record.created_at,
    }


@router.get("/enterprises/{credit_code}/service-records", response=list[ServiceRecordOut])
def list_service_records(request, credit_code: str):
    e = get_enterprise_for_actor(request.user, credit_code=credit_code.upper())
    return [
        _out(row.record, row.follow_up)
        for row in selectors.service_records_for(actor=request.user, enterprise=e)
    ]


@router.post("/enterprises/{credit_code}/service-records", response={201: ServiceRecordOut})
def create_service_record(request, credit_code: str, payload: ServiceRecordIn):
    e = get_enterprise_for_actor(request.user, credit_code=credit_code.upper())
    record = service_record_create(actor=request.user, enterprise=e, **payload.dict())
    return Status(201, _out(record, "due" if record.follow_up_on else ""))


@router.get("/follow-ups", response=FollowUpPage)
def list_follow_ups(request, when: str = "overdue", page: int = 1, per_page: int = 50):
    """The firms in scope whose latest service record asked for a follow-up: overdue, or due within 30 days."""
    when = when if when in selectors.WHEN else "overdue"
    result = selectors.follow_ups(actor=request.user, when=when, page=page, per_page=per_page)
    state = "overdue" if when == "overdue" else "due"
    return {
        "count": result.paginator.count,
        "page": result.number,
        "pages": result.paginator.num_pages,
        "items": [_out(r, state) for r in result.object_list],
    }
