"""The tech-SME programme over the API: start a self-evaluation, declare figures, the 应评尽评 campaign.
Transitions, queues, the inbox and notices are the workflow core's endpoints (gaoqi.workflow.api)."""

from __future__ import annotations

from ninja import Router, Schema, Status

from gaoqi.accounts.scope import get_application_for_actor, get_enterprise_for_actor
from gaoqi.programmes.tech_sme import selectors as sme_selectors
from gaoqi.programmes.tech_sme import services as sme_services
from gaoqi.workflow.api import ApplicationOut, application_out

router = Router(tags=["tech-SME evaluation"])


class DeclarationIn(Schema):
    version: int
    values: dict


class InviteIn(Schema):
    enterprise_ids: list[int]
    year: int


class CampaignRow(Schema):
    enterprise_id: int
    credit_code: str
    name: str
    county: str
    invited: bool
    applied: bool


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
