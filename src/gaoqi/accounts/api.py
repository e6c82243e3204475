"""Agencies, assignments, accounts and API tokens over the API: the same scope and services as the pages."""

from datetime import date, datetime

from ninja import Router, Schema, Status

from gaoqi.accounts import selectors
from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import (
    NOT_FOUND,
    get_account_for_actor,
    get_agency_for_actor,
    get_enterprise_for_actor,
)
from gaoqi.accounts.services import (
    account_create,
    account_set_active,
    agency_assign,
    agency_unassign,
    api_token_issue,
    api_token_revoke,
)
from gaoqi.api.strict import In
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.regions.models import Region

router = Router(tags=["accounts and agencies"])


class AgencyOut(Schema):
    id: int
    name: str
    region_code: str
    firms: int  # its firms within the caller's scope


class AgencyAssignmentOut(Schema):
    credit_code: str
    name: str
    assigned_on: date


class AgencyAssignIn(In):
    credit_code: str
    reason: str = ""


class AccountOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    region_code: str | None
    credit_code: str | None
    agency_id: int | None
    is_active: bool


class AccountIn(In):
    username: str
    role: str
    display_name: str = ""
    region_code: str | None = None  # officers and experts
    credit_code: str | None = None  # enterprise users
    agency_id: int | None = None  # service-agency users
    reason: str = ""


class AccountCreated(AccountOut):
    password: str  # the initial password, returned once


class ActiveIn(In):
    active: bool
    reason: str


class TokenIn(In):
    label: str = ""
    reason: str = ""
    days: int | None = None  # validity; default GAOQI_API_TOKEN_DAYS, at most GAOQI_API_TOKEN_MAX_DAYS


class TokenOut(Schema):
    id: int
    label: str
    key: str  # returned once; only its SHA-256 is stored
    expires_at: datetime


class ReasonIn(In):
    reason: str


def _account(u) -> dict:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "region_code": u.region_id,
        "credit_code": u.enterprise.credit_code if u.enterprise_id else None,
        "agency_id": u.agency_id,
        "is_active": u.is_active,
    }


@router.get("/agencies", response=list[AgencyOut])
def list_agencies(request):
    """Officers: the agencies they may assign firms to. An agency's user: their own agency."""
    return [
        {"id": a.id, "name": a.name, "region_code": a.region_id, "firms": a.firms}
        for a in selectors.agency_list(actor=request.user)
    ]


@router.get("/agencies/{agency_id}/assignments", response=list[AgencyAssignmentOut])
def list_assignments(request, agency_id: int, page: int = 1):
    agency = get_agency_for_actor(request.user, agency_id)
    result = selectors.assignments_for(actor=request.user, agency=agency, page=page, per_page=100)
    return [
        {"credit_code": a.enterprise.credit_code, "name": a.enterprise.name, "assigned_on": a.assigned_on}
        for a in result.object_list
    ]


@router.post("/agencies/{agency_id}/assignments", response={201: AgencyAssignmentOut})
def assign(request, agency_id: int, payload: AgencyAssignIn):
    agency = get_agency_for_actor(request.user, agency_id)
    firm = get_enterprise_for_actor(request.user, credit_code=payload.credit_code.strip().upper())
    a = agency_assign(actor=request.user, agency=agency, enterprise=firm, reason=payload.reason)
    return Status(201, {"credit_code": firm.credit_code, "name": firm.name, "assigned_on": a.assigned_on})


@router.delete("/agencies/{agency_id}/assignments/{credit_code}", response={204: None})
def unassign(request, agency_id: int, credit_code: str, reason: str = ""):
    agency = get_agency_for_actor(request.user, agency_id)
    firm = get_enterprise_for_actor(request.user, credit_code=credit_code.upper())
    if not agency_unassign(actor=request.user, agency=agency, enterprise=firm, reason=reason):
        raise NotFound(str(NOT_FOUND))
    return Status(204, None)


@router.get("/accounts", response=list[AccountOut])
def list_accounts(
    request, role: str | None = None, active: bool | None = None, q: str | None = None, page: int = 1
):
    """The accounts the caller administers (officers: lower levels, experts, agencies, firms of their region)."""
    filters = selectors.AccountFilter(role=role, active=active, q=q)
    return [
        _account(u)
        for u in selectors.account_list(actor=request.user, filters=filters, page=page).object_list
    ]


@router.post("/accounts", response={201: AccountCreated})
def create_account(request, payload: AccountIn):
    actor = request.user
    region = Region.objects.filter(code=payload.region_code).first() if payload.region_code else None
    if payload.region_code and region is None:
        raise ValidationFailed("账号信息有误", [{"field": "region_code", "reason": "未知的行政区划代码"}])
    firm = (
        get_enterprise_for_actor(actor, credit_code=payload.credit_code.upper())
        if payload.credit_code
        else None
    )
    agency = get_agency_for_actor(actor, payload.agency_id, manage=True) if payload.agency_id else None
    user, password = account_create(
        actor=actor,
        username=payload.username,
        role=payload.role,
        display_name=payload.display_name,
        region=region,
        enterprise=firm if payload.role == Role.ENTERPRISE else None,
        agency=agency if payload.role == Role.SERVICE_AGENCY else None,
        reason=payload.reason,
    )
    return Status(201, {**_account(user), "password": password})


@router.post("/accounts/{account_id}/active", response=AccountOut)
def set_active(request, account_id: int, payload: ActiveIn):
    user = get_account_for_actor(request.user, account_id)
    return _account(
        account_set_active(actor=request.user, user=user, active=payload.active, reason=payload.reason)
    )


@router.post("/accounts/{account_id}/tokens", response={201: TokenOut})
def issue_token(request, account_id: int, payload: TokenIn):
    user = get_account_for_actor(request.user, account_id)
    token, key = api_token_issue(
        actor=request.user, user=user, label=payload.label, reason=payload.reason, days=payload.days
    )
    return Status(201, {"id": token.id, "label": token.label, "key": key, "expires_at": token.expires_at})


@router.delete("/accounts/{account_id}/tokens/{token_id}", response={204: None})
def revoke_token(request, account_id: int, token_id: int, reason: str):
    user = get_account_for_actor(request.user, account_id)
    token = selectors.token_for(actor=request.user, user=user, pk=token_id)
    api_token_revoke(actor=request.user, token=token, reason=reason)
    return Status(204, None)
