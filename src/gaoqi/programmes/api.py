"""The tech-SME programme over the API: start a self-evaluation, declare figures, the 应评尽评 campaign.
Transitions, queues, the inbox and notices are the workflow core's endpoints (gaoqi.workflow.api)."""

from __future__ import annotations

import os
from datetime import date, datetime

from django.http import FileResponse
from ninja import Router, Schema, Status

from gaoqi.accounts.scope import NOT_FOUND, get_application_for_actor, get_enterprise_for_actor
from gaoqi.api.strict import In
from gaoqi.errors import NotFound
from gaoqi.programmes.tech_sme import selectors as sme_selectors
from gaoqi.programmes.tech_sme import services as sme_services
from gaoqi.programmes.tech_sme.declaration import CODE, PROGRAMME
from gaoqi.programmes.tech_sme.export import export_queue
from gaoqi.workflow.api import ApplicationOut, application_out
from gaoqi.workflow.selectors import QueueFilter, applications_of_enterprise

router = Router(tags=["tech-SME evaluation"])


class DeclarationIn(In):
    version: int
    values: dict


class InviteIn(In):
    enterprise_ids: list[int]
    year: int


class CampaignRow(Schema):
    enterprise_id: int
    credit_code: str
    name: str
    county: str
    invited: bool
    applied: bool


class FirmApplicationOut(Schema):
    id: int
    programme: str
    programme_label: str
    year: int
    phase: str
    phase_label: str
    final: bool
    phase_since: datetime
    reference_no: str
    valid_until: date | None


@router.get("/enterprises/{credit_code}/applications", response=list[FirmApplicationOut])
def enterprise_applications(request, credit_code: str):
    """A firm's applications in every programme with their phase (officers of its region, the firm itself)."""
    firm = get_enterprise_for_actor(request.user, credit_code=credit_code)
    return [
        {
            "id": r.application.pk,
            "programme": r.application.programme,
            "programme_label": r.programme_label,
            "year": r.application.year,
            "phase": r.application.phase,
            "phase_label": r.phase_label,
            "final": r.final,
            "phase_since": r.application.phase_since,
            "reference_no": r.application.reference_no,
            "valid_until": r.application.valid_until,
        }
        for r in applications_of_enterprise(actor=request.user, enterprise=firm)
    ]


@router.get("/tech-sme/queue.xlsx")
def queue_export(
    request,
    phase: str = "submitted",
    city: str | None = None,
    county: str | None = None,
    flagged: bool = False,
    q: str | None = None,
):
    """The officers' queue of one phase with the page's filters, as .xlsx (every row in scope)."""
    if not getattr(request.user, "is_officer", False) or phase not in {p.code for p in PROGRAMME.phases}:
        raise NotFound(str(NOT_FOUND))
    filters = QueueFilter(
        programme=CODE, phase=phase, city=city or None, county=county or None, flagged=flagged, q=q or None
    )
    path = export_queue(actor=request.user, filters=filters)
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)
    return FileResponse(handle, as_attachment=True, filename=f"tech-sme-queue-{phase}.xlsx")


@router.post("/tech-sme/applications", response={201: ApplicationOut})
def start(request):
    """The signed-in firm starts its self-evaluation, pre-filled from its registry facts."""
    firm = get_enterprise_for_actor(request.user, pk=request.user.enterprise_id or 0)
    app = sme_services.application_start(actor=request.user, enterprise=firm)
    return Status(201, application_out(app, request.user))


@router.patch("/tech-sme/applications/{pk}/declaration", response=ApplicationOut)
def declare(request, pk: int, payload: DeclarationIn):
    """Change declared figures (recorded in the registry with the source 企业自报, self-declared)."""
    app = get_application_for_actor(request.user, pk)
    app = sme_services.declaration_update(
        actor=request.user, application=app, version=payload.version, values=payload.values
    )
    return application_out(app, request.user)


@router.get("/tech-sme/campaign", response=list[CampaignRow])
def campaign(request, year: int, limit: int = 500):
    rows = sme_selectors.campaign(actor=request.user, year=year)[: max(1, min(limit, 5000))]
    return [
        {
            "enterprise_id": r.enterprise_id,
            "credit_code": r.enterprise.credit_code,
            "name": r.enterprise.name,
            "county": r.county_id,
            "invited": r.invited,
            "applied": r.applied,
        }
        for r in rows
    ]


@router.post("/tech-sme/invitations")
def invite(request, payload: InviteIn):
    return {
        "invited": sme_services.invite(
            actor=request.user, enterprise_ids=payload.enterprise_ids, year=payload.year
        )
    }
