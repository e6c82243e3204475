"""The workflow core over the API: applications, transitions (single and batch), inbox, notifications and
public notices, with the same scope and services as the pages."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Router, Schema, Status

from gaoqi.accounts.scope import get_application_for_actor
from gaoqi.api.strict import In
from gaoqi.errors import NotFound
from gaoqi.workflow import notices, notify, selectors
from gaoqi.workflow.models import Objection
from gaoqi.workflow.services import available_actions, transition, transition_batch
from gaoqi.workflow.table import programme

router = Router(tags=["workflow"])


class DecisionOut(Schema):
    action: str
    from_phase: str
    to_phase: str
    actor: str | None
    reason: str
    at: datetime
    version: int
    snapshot: dict | None


class ApplicationOut(Schema):
    id: int
    programme: str
    year: int
    credit_code: str
    enterprise: str
    county: str
    phase: str
    phase_label: str
    version: int
    submitted_at: datetime | None
    phase_since: datetime
    deadline: datetime | None
    remarks: str
    flags: list[str]
    reference_no: str
    valid_until: date | None
    synthetic: bool
    snapshot: dict | None
    declared: dict
    actions: list[str]  # what the caller may do now (guards are checked when they try)


class ApplicationDetailOut(ApplicationOut):
    decisions: list[DecisionOut]


class Page(Schema):
    count: int
    page: int
    pages: int
    items: list[ApplicationOut]


class TransitionIn(In):
    action: str
    version: int
    reason: str = ""


class BatchItem(In):
    id: int
    version: int


class BatchIn(In):
    action: str
    reason: str = ""
    items: list[BatchItem]


class BatchOut(Schema):
    done: list[int]
    refused: list[dict]


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str
    application_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class NoticeIn(In):
    programme: str
    title: str
    starts_on: date
    working_days: int
    items: list[BatchItem]


class NoticeEntryOut(Schema):
    application_id: int
    credit_code: str
    enterprise: str


class NoticeOut(Schema):
    id: int
    programme: str
    title: str
    starts_on: date
    ends_on: date
    working_days: int
    closed: bool
    entries: list[NoticeEntryOut]


class ObjectionIn(In):
    application_id: int
    filed_by: str
    content: str


class ResolveIn(In):
    upheld: bool
    resolution: str


class ObjectionOut(Schema):
    id: int
    application_id: int
    filed_by: str
    content: str
    upheld: bool | None
    resolution: str


def application_out(app, actor, *, actions=True) -> dict:
    return {
        "id": app.pk,
        "programme": app.programme,
        "year": app.year,
        "credit_code": app.enterprise.credit_code,
        "enterprise": app.enterprise.name,
        "county": app.county_id,
        "phase": app.phase,
        "phase_label": programme(app.programme).label_of(app.phase),
        "version": app.version,
        "submitted_at": app.submitted_at,
        "phase_since": app.phase_since,
        "deadline": app.deadline,
        "remarks": app.remarks,
        "flags": app.flags,
        "reference_no": app.reference_no,
        "valid_until": app.valid_until,
        "synthetic": app.synthetic,
        "snapshot": app.snapshot,
        "declared": app.declared.get("values", {}),
        "actions": [t.action for t in available_actions(actor, app)] if actions else [],
    }


def _page(page, actor) -> dict:
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "items": [application_out(a, actor, actions=False) for a in page.object_list],
    }


@router.get("/applications", response=Page)
def list_applications(
    request,
    programme: str,
    phase: str | None = None,
    county: str | None = None,
    flagged: bool = False,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
):
    """Applications of one programme in the caller's scope (a firm: its own), oldest in their phase first."""
    filters = selectors.QueueFilter(programme=programme, phase=phase, county=county, flagged=flagged, q=q)
    return _page(
        selectors.queue_page(actor=request.user, filters=filters, page=page, per_page=per_page),
        request.user,
    )


@router.get("/inbox", response=Page)
def inbox(request, page: int = 1):
    """What waits for the caller (待办), oldest first."""
    return _page(selectors.inbox_page(actor=request.user, page=page), request.user)


@router.get("/applications/{pk}", response=ApplicationDetailOut)
def get_application(request, pk: int):
    app = get_application_for_actor(request.user, pk)
    out = application_out(app, request.user)
    out["decisions"] = [
        {
            "action": d.action,
            "from_phase": d.from_phase,
            "to_phase": d.to_phase,
            "actor": d.actor.username if d.actor_id else None,
            "reason": d.reason,
            "at": d.at,
            "version": d.version,
            "snapshot": d.snapshot,
        }
        for d in selectors.decisions_for(application=app)
    ]
    return out


@router.post("/applications/{pk}/transitions", response=ApplicationOut)
def post_transition(request, pk: int, payload: TransitionIn):
    """Apply one action. A stale `version` answers 409 and changes nothing; a failed guard 422."""
    app = get_application_for_actor(request.user, pk)
    transition(
        actor=request.user,
        application=app,
        action=payload.action,
        reason=payload.reason,
        version=payload.version,
    )
    return application_out(app, request.user)


@router.post("/batch-transitions", response=BatchOut)
def post_batch(request, payload: BatchIn):
    """One action with one reason on many applications; each is decided on its own and reported."""
    result = transition_batch(
        actor=request.user,
        items=[(i.id, i.version) for i in payload.items],
        action=payload.action,
        reason=payload.reason,
    )
    return result.as_dict()


@router.get("/notifications", response=NotificationPage)
def list_notifications(request, unread: bool = False, page: int = 1):
    p = selectors.notifications_page(actor=request.user, page=page, unread=unread)
    return {
        "count": p.paginator.count,
        "unread": selectors.unread_count(actor=request.user),
        "items": list(p.object_list),
    }


@router.post("/notifications/read")
def read_notifications(request):
    return {"marked": notify.mark_read(actor=request.user)}


def _notice_out(notice) -> dict:
    return {
        "id": notice.pk,
        "programme": notice.programme,
        "title": notice.title,
        "starts_on": notice.starts_on,
        "ends_on": notice.ends_on,
        "working_days": notice.working_days,
        "closed": notice.closed_at is not None,
        "entries": [
            {
                "application_id": e.application_id,
                "credit_code": e.application.enterprise.credit_code,
                "enterprise": e.application.enterprise.name,
            }
            for e in notice.entries.select_related("application__enterprise").order_by("application_id")
        ],
    }


@router.post("/notices", response={201: NoticeOut})
def publish_notice(request, payload: NoticeIn):
    notice, _result = notices.notice_publish(
        actor=request.user,
        programme_code=payload.programme,
        title=payload.title,
        starts_on=payload.starts_on,
        working_days=payload.working_days,
        items=[(i.id, i.version) for i in payload.items],
    )
    return Status(201, _notice_out(notice))


@router.get("/notices/{pk}", response=NoticeOut)
def get_notice(request, pk: int):
    return _notice_out(notices.get_notice(pk))


@router.post("/notices/{pk}/objections", response={201: ObjectionOut})
def post_objection(request, pk: int, payload: ObjectionIn):
    o = notices.objection_record(actor=request.user, notice=notices.get_notice(pk), **payload.dict())
    return Status(201, o)


@router.post("/objections/{pk}/resolve", response=ObjectionOut)
def resolve_objection(request, pk: int, payload: ResolveIn):
    o = Objection.objects.select_related("notice", "application__enterprise").filter(pk=pk).first()
    if o is None:
        raise NotFound("对象不存在或无权访问")
    return notices.objection_resolve(actor=request.user, objection=o, **payload.dict())


@router.post("/notices/{pk}/close", response=NoticeOut)
def close_notice(request, pk: int):
    return _notice_out(notices.notice_close(actor=request.user, notice=notices.get_notice(pk)))
