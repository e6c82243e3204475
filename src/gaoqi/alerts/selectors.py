"""Reads of alerts, scoped by gaoqi.accounts.scope (a Suzhou officer never sees a Nanjing firm's alert)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import get_alert_for_actor, scope_alerts
from gaoqi.alerts.models import Alert, Severity, Status
from gaoqi.alerts.rules import BY_CODE
from gaoqi.errors import ValidationFailed
from gaoqi.registry.selectors import checked_page

PER_PAGE = 50
ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED)


@dataclass(frozen=True)
class AlertFilter:
    rule: str | None = None
    status: str | None = "active"  # "active" = open or acknowledged; None = all
    q: str | None = None


def _filtered(actor, f: AlertFilter):
    problems = []
    if f.rule and f.rule not in BY_CODE:
        problems.append({"field": "rule", "reason": _("未知预警规则")})
    if f.status and f.status != "active" and f.status not in Status.values:
        problems.append({"field": "status", "reason": _("未知状态")})
    if problems:
        raise ValidationFailed(_("筛选条件有误"), problems)
    qs = scope_alerts(actor)
    if f.rule:
        qs = qs.filter(rule=f.rule)
    if f.status == "active":
        qs = qs.filter(status__in=ACTIVE)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.q:
        qs = qs.filter(Q(enterprise__name__contains=f.q) | Q(enterprise__credit_code__startswith=f.q.upper()))
    return qs


def alert_list(*, actor, filters: AlertFilter, page=1):
    qs = (
        _filtered(actor, filters)
        .select_related("enterprise", "city", "county", "act_region")
        .order_by("-severity", "-opened_at", "-id")  # warning before notice
    )
    return checked_page(Paginator(qs, PER_PAGE), page)


def alert_detail(*, actor, pk) -> Alert:
    return get_alert_for_actor(actor, pk)


def alert_history(*, actor, alert: Alert):
    get_alert_for_actor(actor, alert.pk)
    return alert.events.select_related("actor").order_by("at", "id")


def alert_counts(*, actor) -> dict:
    """Active alerts by status and severity, and by rule (home page, list header): one query."""
    rows = (
        scope_alerts(actor)
        .filter(status__in=ACTIVE)
        .values("rule", "status", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    out = {"open": 0, "acknowledged": 0, "warning": 0, "total": 0, "by_rule": {}}
    for r in rows:
        out[r["status"]] += r["n"]
        out["total"] += r["n"]
        if r["severity"] == Severity.WARNING:
            out["warning"] += r["n"]
        out["by_rule"][r["rule"]] = out["by_rule"].get(r["rule"], 0) + r["n"]
    return out
