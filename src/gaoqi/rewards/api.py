"""Rewards over the API: the same scope, selectors and services as the pages. Amounts in integer fen."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Query, Router, Schema, Status

from gaoqi.api.strict import In
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.regions.models import Region
from gaoqi.rewards import selectors, services

router = Router(tags=["rewards"])


class EntitlementOut(Schema):
    id: int
    credit_code: str
    enterprise: str
    issuer: str
    year: int
    kind: str  # admission | cultivation | first_certification
    amount_fen: int
    status: str  # computed | approved | rejected | paid
    over_commitment: bool
    decision_reason: str
    decided_at: datetime | None
    version: int  # send it back with a decision: a stale one answers 409
    illustrative: bool
    param_hash: str
    explanation: dict


class Filters(Schema):
    year: int | None = None
    issuer: str | None = None
    kind: str | None = None
    status: str | None = None
    q: str | None = None


class DecisionIn(In):
    ids: list[int]
    reason: str = ""
    over_commit: bool = False
    versions: dict[int, int] | None = None


class PayoutIn(In):
    paid_on: date
    amount_fen: int
    voucher_no: str


class PayoutOut(Schema):
    entitlement_id: int
    paid_on: date
    amount_fen: int
    voucher_no: str


class BudgetIn(In):
    amount_fen: int
    note: str = ""


class BudgetOut(Schema):
    issuer: str
    year: int
    budget_fen: int | None
    committed_fen: int
    paid_fen: int
    pending_fen: int
    remaining_fen: int | None  # only for the issuer's own officers
    manageable: bool


class ComputeIn(In):
    year: int


class ComputeOut(Schema):
    firms: int
    created: int
    updated: int
    removed: int
    unchanged: int
    decided: int
    errors: list[str]


def _out(e) -> dict:
    return {
        "id": e.pk,
        "credit_code": e.enterprise.credit_code,
        "enterprise": e.enterprise.name,
        "issuer": e.issuer_id,
        "year": e.year,
        "kind": e.kind,
        "amount_fen": e.amount,
        "status": e.status,
        "over_commitment": e.over_commitment,
        "decision_reason": e.decision_reason,
        "decided_at": e.decided_at,
        "version": e.version,
        "illustrative": e.illustrative,
        "param_hash": e.param_hash,
        "explanation": e.explanation,
    }


def _budget_out(row) -> dict:
    return {
        "issuer": row.issuer.code,
        "year": row.year,
        "budget_fen": row.budget.amount if row.budget else None,
        "committed_fen": row.committed,
        "paid_fen": row.paid,
        "pending_fen": row.pending,
        "remaining_fen": row.remaining if row.manageable else None,
        "manageable": row.manageable,
    }


@router.get("/rewards/entitlements", response=list[EntitlementOut])
def list_entitlements(request, filters: Query[Filters], limit: int = 200, offset: int = 0):
    """Entitlements in scope (officers: firms of their region; a firm: its own), newest year first."""
    errors = []
    if not 1 <= limit <= 1000:
        errors.append({"field": "limit", "reason": "limit 须在 1 到 1000 之间"})
    if offset < 0:
        errors.append({"field": "offset", "reason": "offset 不能为负数"})
    if errors:  # said plainly, never clamped
        raise ValidationFailed("分页参数有误", errors)
    f = selectors.RewardFilter(**filters.dict())
    rows = selectors.entitlements(actor=request.user, filters=f)[offset : offset + limit]
    return [_out(e) for e in rows]


@router.get("/rewards/entitlements/{int:pk}", response=EntitlementOut)
def get_entitlement(request, pk: int):
    return _out(selectors.get_entitlement_for_actor(request.user, pk))


@router.post("/rewards/entitlements/approve", response=list[EntitlementOut])
def approve(request, payload: DecisionIn):
    """Approve a batch with one reason; beyond the remaining budget only with `over_commit` and a reason."""
    done = services.entitlements_approve(
        actor=request.user,
        ids=payload.ids,
        reason=payload.reason,
        over_commit=payload.over_commit,
        versions=payload.versions,
    )
    return [_out(e) for e in done]


@router.post("/rewards/entitlements/reject", response=list[EntitlementOut])
def reject(request, payload: DecisionIn):
    done = services.entitlement_reject(
        actor=request.user, ids=payload.ids, reason=payload.reason, versions=payload.versions
    )
    return [_out(e) for e in done]


@router.post("/rewards/entitlements/{int:pk}/payout", response={201: PayoutOut})
def record_payout(request, pk: int, payload: PayoutIn):
    p = services.payout_record(
        actor=request.user,
        entitlement_id=pk,
        paid_on=payload.paid_on,
        amount=payload.amount_fen,
        voucher_no=payload.voucher_no,
    )
    return Status(
        201, {"entitlement_id": pk, "paid_on": p.paid_on, "amount_fen": p.amount, "voucher_no": p.voucher_no}
    )


@router.get("/rewards/budgets", response=list[BudgetOut])
def list_budgets(request, year: int):
    if not request.user.is_officer:
        raise NotFound("对象不存在或无权访问")
    return [_budget_out(r) for r in selectors.budget_overview(actor=request.user, year=year)]


def _issuer(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound("对象不存在或无权访问")
    return region


@router.put("/rewards/budgets/{issuer}/{year}", response=BudgetOut)
def set_budget(request, issuer: str, year: int, payload: BudgetIn):
    region = _issuer(issuer)
    services.budget_set(
        actor=request.user, issuer=region, year=year, amount=payload.amount_fen, note=payload.note
    )
    row = next(r for r in selectors.budget_overview(actor=request.user, year=year) if r.issuer.code == issuer)
    return _budget_out(row)


@router.post("/rewards/issuers/{issuer}/compute", response=ComputeOut)
def compute(request, issuer: str, payload: ComputeIn):
    """Compute the issuer's entitlements for a year from the registry (the issuer's own officers only)."""
    result = services.entitlements_compute(actor=request.user, issuer=_issuer(issuer), year=payload.year)
    return result.__dict__
