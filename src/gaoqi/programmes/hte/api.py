"""The HTE certification over the API (mounted at /api/hte): prepare and edit the application, the live
evaluation, the panel draw (province), an expert's assignments, scores and the leader's aggregation.
Transitions, queues, the inbox and notices are the workflow core's endpoints (gaoqi.workflow.api)."""

from __future__ import annotations

from datetime import date

from ninja import Router, Status

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import (
    get_application_for_actor,
    get_assignment_for_expert,
    get_enterprise_for_actor,
)
from gaoqi.api.strict import In
from gaoqi.errors import NotFound
from gaoqi.experts.selectors import my_assignments
from gaoqi.programmes.hte import after, decisions, evaluation, selectors, services
from gaoqi.programmes.hte.declaration import CODE
from gaoqi.workflow.api import ApplicationOut, application_out

router = Router(tags=["HTE certification"])


class StartIn(In):
    enterprise_id: int | None = None  # a city officer names the firm; a firm starts its own


class DocumentIn(In):
    version: int
    document: dict


class DrawIn(In):
    reason: str = ""


class ScoreIn(In):
    scores: dict
    comment: str = ""


def _app(request, pk):
    app = get_application_for_actor(request.user, pk)
    if app.programme != CODE:
        raise NotFound("对象不存在或无权访问")
    return app


def _panel(view) -> dict:
    return {
        "seed": view.draw.seed if view.draw else None,
        "members": [
            {**m, "total": str(m["total"]) if m["total"] is not None else None} for m in view.members
        ],
        "scored": view.scored,
        "aggregated": view.aggregated,
        "panel_score": str(view.panel_score) if view.panel_score is not None else None,
    }


@router.post("/applications", response={201: ApplicationOut})
def start(request, payload: StartIn):
    firm = get_enterprise_for_actor(request.user, pk=payload.enterprise_id or request.user.enterprise_id or 0)
    app = services.application_start(actor=request.user, enterprise=firm)
    return Status(201, application_out(app, request.user))


@router.patch("/applications/{pk}/document", response=ApplicationOut)
def document(request, pk: int, payload: DocumentIn):
    app = services.declaration_update(
        actor=request.user, application=_app(request, pk), version=payload.version, document=payload.document
    )
    return application_out(app, request.user)


@router.get("/applications/{pk}")
def detail(request, pk: int):
    """The document, the live evaluation while editable (else the frozen snapshot), and the panel."""
    app = _app(request, pk)
    live = (
        evaluation.live(actor=request.user, application=app) if services.declaration_editable(app) else None
    )
    return {
        "application": application_out(app, request.user),
        "document": app.declared,
        "evaluation": live or app.snapshot,
        # the panel's members are confidential: province officers only
        "panel": _panel(selectors.panel_view(actor=request.user, application=app))
        if request.user.role == Role.PROVINCE_OFFICER
        else None,
    }


@router.post("/applications/{pk}/panel")
def draw(request, pk: int, payload: DrawIn):
    d = services.panel_draw(actor=request.user, application=_app(request, pk), reason=payload.reason)
    excluded = {k: str(services.REASONS.get(v, v)) for k, v in d.excluded.items()}
    return {"seed": d.seed, "technical": d.technical, "financial": d.financial, "leader": d.leader_id,
            "excluded": excluded}  # fmt: skip


@router.get("/expert/assignments")
def assignments(request):
    return [
        {
            "application_id": a.application_id,
            "enterprise": a.application.enterprise.name,
            "scored": bool(a.scored_at),
        }
        for a in my_assignments(actor=request.user, programme=CODE)
    ]


@router.get("/expert/applications/{pk}")
def expert_view(request, pk: int):
    """What an assigned expert sees: the frozen document and evaluation, their items with bands, the panel."""
    a = get_assignment_for_expert(request.user, pk)
    app = a.application
    if app.programme != CODE:
        raise NotFound("对象不存在或无权访问")
    draw = services.current_draw(app)
    return {
        "enterprise": app.enterprise.name,
        "document": (app.snapshot or {}).get("declared", {}),
        "items": services.items_for(app, services.member_kind(draw, request.user.pk)),
        "leader": draw.leader_id == request.user.pk,
        "panel": _panel(selectors.panel_view(actor=request.user, application=app)),
    }


@router.post("/expert/applications/{pk}/scores")
def score(request, pk: int, payload: ScoreIn):
    a = services.expert_score(
        actor=request.user, application_pk=pk, scores=payload.scores, comment=payload.comment
    )
    return {"total": str(a.total), "scored_at": a.scored_at}


@router.post("/expert/applications/{pk}/aggregate")
def aggregate(request, pk: int):
    record = services.panel_aggregate(actor=request.user, application_pk=pk)
    return {"panel_score": str(record.panel_score)}


class ReportIn(In):
    year: int
    figures: dict


class ChangeIn(In):
    kind: str
    description: str
    new_name: str = ""


class ReviewIn(In):
    approve: bool
    note: str


@router.post("/applications/{pk}/annual-reports", response={201: dict})
def annual_report(request, pk: int, payload: ReportIn):
    r = after.annual_report_file(actor=request.user, application=_app(request, pk), year=payload.year,
                                 figures=payload.figures)  # fmt: skip
    return Status(201, {"id": r.pk, "year": r.year, "late": r.late})


@router.get("/annual-reports/missing")
def missing(request, year: int):
    """Certified firms in scope that have not filed the report of fiscal `year`."""
    return [{"application_id": a.pk, "credit_code": a.enterprise.credit_code, "enterprise": a.enterprise.name}
            for a in after.missing_reports(actor=request.user, year=year)]  # fmt: skip


@router.get("/cancellation-candidates")
def cancellation_candidates(request):
    return [{"application_id": a.pk, "enterprise": a.enterprise.name, "missed_years": years}
            for a, years in after.cancellation_candidates(actor=request.user)]  # fmt: skip


@router.post("/applications/{pk}/changes", response={201: dict})
def change(request, pk: int, payload: ChangeIn):
    r = after.change_report_file(actor=request.user, application=_app(request, pk), kind=payload.kind,
                                 description=payload.description, new_name=payload.new_name)  # fmt: skip
    return Status(201, {"id": r.pk, "status": r.status})


@router.post("/changes/{pk}/review")
def review(request, pk: int, payload: ReviewIn):
    from gaoqi.programmes.hte.models import ChangeReport

    report = ChangeReport.objects.select_related("application__enterprise").filter(pk=pk).first()
    if report is None:
        raise NotFound("对象不存在或无权访问")
    r = after.change_report_review(
        actor=request.user, report=report, approve=payload.approve, note=payload.note
    )
    return {"id": r.pk, "status": r.status}


class RegistryIn(In):
    kind: str
    tech_fields: list[str] = []
    financial_qualification: str = ""
    practice_years: int | None = None
    region: str | None = None
    available: bool = True
    load_limit: int = 10


@router.put("/experts/{pk}/registry")
def expert_registry(request, pk: int, payload: RegistryIn):
    """An officer records an expert's registry entry (kind, fields, qualification, region, availability, load)."""
    from gaoqi.accounts.scope import assignable_experts
    from gaoqi.experts import services as expert_services

    expert = assignable_experts(request.user).filter(pk=pk).first()
    if expert is None:
        raise NotFound("对象不存在或无权访问")
    p = expert_services.registry_set(actor=request.user, expert=expert, **payload.dict())
    return {"expert_id": expert.pk, "kind": p.kind, "tech_fields": p.tech_fields, "load_limit": p.load_limit,
            "available": p.available}  # fmt: skip


# --- The province's decision steps: on-site check, 报备, cancellation (decisions.py) ------------------------


class SiteCheckIn(In):
    reason: str


class SiteCheckResultIn(In):
    inspectors: str
    checked_on: date
    findings: str
    passed: bool


class ReportBatchIn(In):
    year: int
    title: str
    application_ids: list[int]


class ReportedIn(In):
    reported_on: date
    reference: str = ""


class CancellationIn(In):
    version: int
    ground: str
    detail: str
    missed_years: list[int] = []


def _check_out(c) -> dict:
    return {"id": c.pk, "application_id": c.application_id, "reason": c.reason, "inspectors": c.inspectors,
            "checked_on": c.checked_on, "findings": c.findings, "passed": c.passed}  # fmt: skip


@router.post("/applications/{pk}/site-checks", response={201: dict})
def site_check_order(request, pk: int, payload: SiteCheckIn):
    c = decisions.site_check_order(actor=request.user, application=_app(request, pk), reason=payload.reason)
    return Status(201, _check_out(c))


@router.post("/site-checks/{pk}/result")
def site_check_result(request, pk: int, payload: SiteCheckResultIn):
    from gaoqi.accounts.scope import scope_applications
    from gaoqi.programmes.hte.models import SiteCheck

    check = (
        SiteCheck.objects.filter(
            pk=pk, application__in=scope_applications(request.user).filter(programme=CODE)
        )
        .select_related("application__enterprise")
        .first()
    )
    if check is None:
        raise NotFound("对象不存在或无权访问")
    c = decisions.site_check_record(actor=request.user, check=check, **payload.dict())
    c.application.refresh_from_db(fields=["phase"])
    return {**_check_out(c), "phase": c.application.phase}


def _batch_out(b, rows: bool = False) -> dict:
    out = {"id": b.pk, "year": b.year, "title": b.title, "deadline": b.deadline, "reported_on": b.reported_on,
           "reference": b.reference, "late": b.late}  # fmt: skip
    if rows:
        out["entries"] = [
            {**r, "panel_score": str(r["panel_score"]) if r["panel_score"] is not None else None}
            for r in decisions.report_batch_rows(b)
        ]
    return out


@router.get("/report-batches")
def report_batches(request):
    from gaoqi.accounts.scope import scope_hte_report_batches

    return [_batch_out(b) for b in scope_hte_report_batches(request.user)]


@router.post("/report-batches", response={201: dict})
def report_batch_create(request, payload: ReportBatchIn):
    b = decisions.report_batch_create(actor=request.user, year=payload.year, title=payload.title,
                                      application_ids=payload.application_ids)  # fmt: skip
    return Status(201, _batch_out(b, rows=True))


@router.get("/report-batches/{pk}")
def report_batch(request, pk: int):
    from gaoqi.accounts.scope import get_hte_report_batch_for_actor

    return _batch_out(get_hte_report_batch_for_actor(request.user, pk), rows=True)


@router.post("/report-batches/{pk}/reported")
def report_batch_reported(request, pk: int, payload: ReportedIn):
    from gaoqi.accounts.scope import get_hte_report_batch_for_actor

    b = decisions.report_batch_mark_reported(actor=request.user, batch=get_hte_report_batch_for_actor(request.user, pk),
                                             reported_on=payload.reported_on, reference=payload.reference)  # fmt: skip
    return _batch_out(b)


@router.post("/applications/{pk}/cancellation", response={201: dict})
def cancellation_open(request, pk: int, payload: CancellationIn):
    case = decisions.cancellation_open(actor=request.user, application=_app(request, pk), ground=payload.ground,
                                       detail=payload.detail, version=payload.version,
                                       missed_years=payload.missed_years)  # fmt: skip
    return Status(201, {"id": case.pk, "application_id": case.application_id, "ground": case.ground,
                        "missed_years": case.missed_years, "outcome": case.outcome})  # fmt: skip


@router.get("/cancellations")
def cancellations(request):
    return [{"id": c.pk, "application_id": c.application_id, "enterprise": c.application.enterprise.name,
             "ground": c.ground, "missed_years": c.missed_years, "outcome": c.outcome, "opened_at": c.opened_at}
            for c in decisions.cancellation_cases(actor=request.user)]  # fmt: skip


@router.get("/report-batches/{pk}/export")
def report_batch_export(request, pk: int):
    """The list as an xlsx workbook."""
    from django.http import HttpResponse

    from gaoqi.accounts.scope import get_hte_report_batch_for_actor

    b = get_hte_report_batch_for_actor(request.user, pk)
    response = HttpResponse(decisions.report_batch_xlsx(b),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    response["Content-Disposition"] = f'attachment; filename="hte-report-{b.year}-{b.pk}.xlsx"'
    return response
