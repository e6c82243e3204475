"""The cultivation pool over the API (mounted at /api/pool): start and declare, live evaluation, experts
(assignment by the province, an expert's own assignments and scores), admission by batch, the admission list
and exits. Transitions, queues, the inbox and notices are the workflow core's endpoints (gaoqi.workflow.api)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema, Status

from gaoqi.accounts.scope import (
    can_assign_experts,
    get_application_for_actor,
    get_assignment_for_expert,
    get_enterprise_for_actor,
)
from gaoqi.api.strict import In
from gaoqi.errors import NotFound
from gaoqi.experts.selectors import my_assignments, panel
from gaoqi.programmes.pool import evaluation, params, services
from gaoqi.programmes.pool import selectors as pool_selectors
from gaoqi.programmes.pool.declaration import CODE
from gaoqi.workflow.api import ApplicationOut, BatchItem, BatchOut, application_out

router = Router(tags=["cultivation pool"])


class DeclarationIn(In):
    version: int
    values: dict


class AssignIn(In):
    expert_ids: list[int]


class ScoreIn(In):
    scores: dict
    comment: str = ""


class AdmitIn(In):
    batch_no: int
    reason: str = ""
    items: list[BatchItem]


class MemberOut(Schema):
    expert_id: int
    expert: str
    assigned_at: datetime
    scored: bool
    total: Decimal | None  # only once every expert has scored (province officers)


class PanelOut(Schema):
    size: int
    assigned: int
    scored: int
    complete: bool
    average: Decimal | None
    members: list[MemberOut]


class AssignmentOut(Schema):
    application_id: int
    enterprise: str
    county: str
    phase: str
    assigned_at: datetime
    items: list[dict]
    scores: dict
    total: Decimal | None
    comment: str
    scored_at: datetime | None
    snapshot: dict | None
    declared: dict
    panel_average: Decimal | None  # once everyone has scored; never another expert's score


class AdmissionOut(Schema):
    application_id: int
    reference_no: str
    credit_code: str
    enterprise: str
    county: str
    year: int
    batch_no: int | None
    admitted_on: date | None
    ends_on: date | None
    expert_score: Decimal | None
    exited_on: date | None
    exit_reason: str


def _pool_app(request, pk):
    app = get_application_for_actor(request.user, pk)
    if app.programme != CODE:
        raise NotFound("对象不存在或无权访问")
    return app


@router.post("/applications", response={201: ApplicationOut})
def start(request):
    """The signed-in firm starts its pool application, pre-filled from its registry facts."""
    firm = get_enterprise_for_actor(request.user, pk=request.user.enterprise_id or 0)
    return Status(
        201, application_out(services.application_start(actor=request.user, enterprise=firm), request.user)
    )


@router.patch("/applications/{pk}/declaration", response=ApplicationOut)
def declare(request, pk: int, payload: DeclarationIn):
    app = services.declaration_update(
        actor=request.user, application=_pool_app(request, pk), version=payload.version, values=payload.values
    )
    return application_out(app, request.user)


@router.get("/applications/{pk}/evaluation")
def live_evaluation(request, pk: int):
    """The live evaluation against the pool's entry standard (illustrative values say so) with gap advice."""
    return evaluation.live(actor=request.user, application=_pool_app(request, pk))


def _panel_out(app, actor) -> dict:
    p = panel(application=app, size=services.panel_size(), actor=actor)
    return {
        "size": p.size,
        "assigned": p.assigned,
        "scored": p.scored,
        "complete": p.complete,
        "average": p.average,
        "members": [
            {
                "expert_id": m.expert_id,
                "expert": str(m.expert),
                "assigned_at": m.assigned_at,
                "scored": m.scored_at is not None,
                "total": m.total if p.show_scores else None,
            }
            for m in p.members
        ],
    }


@router.get("/applications/{pk}/panel", response=PanelOut)
def get_panel(request, pk: int):
    """The expert panel (province officers): who is assigned, who has scored; scores once all have."""
    app = _pool_app(request, pk)
    can_assign_experts(request.user, app).enforce()
    return _panel_out(app, request.user)


@router.post("/applications/{pk}/experts", response={201: PanelOut})
def assign(request, pk: int, payload: AssignIn):
    app = _pool_app(request, pk)
    services.experts_assign(actor=request.user, application=app, expert_ids=payload.expert_ids)
    return Status(201, _panel_out(app, request.user))


def _assignment_out(a) -> dict:
    app = a.application
    p = panel(application=app, size=services.panel_size())
    return {
        "application_id": app.pk,
        "enterprise": app.enterprise.name,
        "county": app.county_id,
        "phase": app.phase,
        "assigned_at": a.assigned_at,
        "items": a.items or params.score_items(timezone.localdate()),
        "scores": a.scores,
        "total": a.total,
        "comment": a.comment,
        "scored_at": a.scored_at,
        "snapshot": app.snapshot,
        "declared": app.declared.get("values", {}),
        "panel_average": p.average,
    }


@router.get("/expert/assignments", response=list[AssignmentOut])
def expert_assignments(request):
    """The signed-in expert's own assignments (nobody else has any here)."""
    return [_assignment_out(a) for a in my_assignments(actor=request.user, programme=CODE)]


@router.get("/expert/applications/{pk}", response=AssignmentOut)
def expert_application(request, pk: int):
    """An application assigned to the signed-in expert; any other answers 404."""
    return _assignment_out(get_assignment_for_expert(request.user, pk))


@router.post("/expert/applications/{pk}/scores", response=AssignmentOut)
def expert_score(request, pk: int, payload: ScoreIn):
    services.expert_score(
        actor=request.user, application_pk=pk, scores=payload.scores, comment=payload.comment
    )
    return _assignment_out(get_assignment_for_expert(request.user, pk))


@router.post("/admissions", response=BatchOut)
def admit(request, payload: AdmitIn):
    """Admit applications whose notice closed as batch `batch_no` of their year; refusals reported per id."""
    return services.admit_batch(
        actor=request.user,
        items=[(i.id, i.version) for i in payload.items],
        batch_no=payload.batch_no,
        reason=payload.reason,
    ).as_dict()


def _record_out(r) -> dict:
    app = r.application
    return {
        "application_id": app.pk,
        "reference_no": app.reference_no,
        "credit_code": app.enterprise.credit_code,
        "enterprise": app.enterprise.name,
        "county": app.county_id,
        "year": app.year,
        "batch_no": r.batch_no,
        "admitted_on": r.admitted_on,
        "ends_on": r.ends_on,
        "expert_score": r.expert_score,
        "exited_on": r.exited_on,
        "exit_reason": r.exit_reason,
    }


@router.get("/admissions", response=list[AdmissionOut])
def admission_list(request, year: int | None = None, batch: int | None = None, limit: int = 2000):
    rows = pool_selectors.admissions(actor=request.user, year=year, batch_no=batch)[
        : max(1, min(limit, 10000))
    ]
    return [_record_out(r) for r in rows]


@router.get("/exits", response=list[AdmissionOut])
def exit_list(request, limit: int = 2000):
    return [_record_out(r) for r in pool_selectors.exits(actor=request.user)[: max(1, min(limit, 10000))]]
