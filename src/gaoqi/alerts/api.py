"""Alerts over the API: the same scope, selectors and services as the pages."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from gaoqi.alerts import selectors, services
from gaoqi.alerts.rules import RULES, rule_label
from gaoqi.api.strict import In
from gaoqi.errors import NotFound

router = Router(tags=["alerts"])


class AlertOut(Schema):
    id: int
    rule: str
    rule_label: str
    severity: str
    status: str
    enterprise_credit_code: str | None
    enterprise_name: str | None
    city: str
    county: str | None
    act_role: str
    act_region: str
    reason: str
    figures: dict
    holds: bool
    opened_at: datetime
    last_seen_at: datetime
    note: str


class AlertPage(Schema):
    count: int
    page: int
    pages: int
    items: list[AlertOut]


class NoteIn(In):
    note: str = ""


class RuleOut(Schema):
    code: str
    label: str
    severity: str
    act_role: str
    params: dict
    enabled: bool
    todo: str


def _out(a) -> dict:
    return {
        "id": a.pk,
        "rule": a.rule,
        "rule_label": rule_label(a.rule),
        "severity": a.severity,
        "status": a.status,
        "enterprise_credit_code": a.enterprise.credit_code if a.enterprise else None,
        "enterprise_name": a.enterprise.name if a.enterprise else None,
        "city": a.city_id,
        "county": a.county_id,
        "act_role": a.act_role,
        "act_region": a.act_region_id,
        "reason": a.reason,
        "figures": a.figures,
        "holds": a.holds,
        "opened_at": a.opened_at,
        "last_seen_at": a.last_seen_at,
        "note": a.note,
    }


def _officer(request):
    if not getattr(request.user, "is_officer", False):
        raise NotFound("对象不存在或无权访问")


@router.get("/rules", response=list[RuleOut])
def rules(request):
    _officer(request)
    return [
        {
            "code": r.code,
            "label": str(r.label),
            "severity": r.severity,
            "act_role": r.act_role,
            "params": r.params,
            "enabled": r.check is not None,
            "todo": r.todo,
        }
        for r in RULES
    ]


@router.get("/", response=AlertPage)
def alert_list(request, rule: str | None = None, status: str = "active", q: str | None = None, page: int = 1):
    _officer(request)
    filters = selectors.AlertFilter(rule=rule, status=status or None, q=q)
    p = selectors.alert_list(actor=request.user, filters=filters, page=page)
    return {
        "count": p.paginator.count,
        "page": p.number,
        "pages": p.paginator.num_pages,
        "items": [_out(a) for a in p.object_list],
    }


@router.get("/counts")
def counts(request):
    _officer(request)
    return selectors.alert_counts(actor=request.user)


@router.get("/{alert_id}", response=AlertOut)
def alert_detail(request, alert_id: int):
    return _out(selectors.alert_detail(actor=request.user, pk=alert_id))


@router.post("/{alert_id}/acknowledge", response=AlertOut)
def acknowledge(request, alert_id: int, payload: NoteIn):
    alert = selectors.alert_detail(actor=request.user, pk=alert_id)
    return _out(services.alert_acknowledge(actor=request.user, alert=alert, note=payload.note))


@router.post("/{alert_id}/resolve", response=AlertOut)
def resolve(request, alert_id: int, payload: NoteIn):
    alert = selectors.alert_detail(actor=request.user, pk=alert_id)
    return _out(services.alert_resolve(actor=request.user, alert=alert, note=payload.note))
