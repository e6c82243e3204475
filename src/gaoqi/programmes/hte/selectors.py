"""Reads of the HTE certification through gaoqi.accounts.scope: the panel as an actor may see it (each expert
their own scores until the leader aggregates; then the members and the province officers all of them), the
tax-benefit estimate on the firm page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import can_see_hte_scores
from gaoqi.experts.models import ExpertAssignment
from gaoqi.programmes.hte import panels, params
from gaoqi.programmes.hte.declaration import record_of
from gaoqi.programmes.hte.models import PanelDraw


@dataclass
class PanelView:
    draw: PanelDraw | None
    members: list[dict]  # {expert, kind, leader, scored, total (None unless visible), scores}
    scored: int
    aggregated: bool
    panel_score: Decimal | None
    show_scores: bool


def panel_view(*, actor, application) -> PanelView:
    """The panel of `application` (obtained by the caller through scope, or the expert's own assignment)."""
    draw = PanelDraw.objects.filter(application=application, current=True).first()
    record = record_of(application)
    rows = {
        a.expert_id: a
        for a in ExpertAssignment.objects.filter(application=application).select_related("expert")
    }
    member_ids = draw.members if draw else []
    aggregated = record.aggregated_at is not None
    show = bool(can_see_hte_scores(actor, application, member=actor.pk in member_ids, aggregated=aggregated))
    members = []
    for m in member_ids:
        a = rows.get(m)
        own = actor.role == Role.EXPERT and m == actor.pk
        visible = show or own
        members.append(
            {
                "expert_id": m,
                "expert": str(a.expert) if a else str(m),
                "kind": panels.FINANCIAL if m in draw.financial else panels.TECHNICAL,
                "leader": m == draw.leader_id,
                "scored": bool(a and a.scored_at),
                "total": a.total if (a and visible) else None,
                "scores": a.scores if (a and visible) else {},
            }
        )
    return PanelView(
        draw=draw,
        members=members,
        scored=sum(1 for r in members if r["scored"]),
        aggregated=aggregated,
        panel_score=record.panel_score if (aggregated and (show or actor.role != Role.ENTERPRISE)) else None,
        show_scores=show,
    )


def tax_benefit(enterprise, profit_yuan: int | None) -> dict | None:
    """An estimate of the income-tax difference a certificate makes: taxable profit × (25% − 15%), labelled an
    estimate (the rates are dated parameters; the profit is the firm's figure, none when unknown)."""
    rates = params.value("income_tax_rates", timezone.localdate())
    general, hte = Decimal(rates["general"]), Decimal(rates["hte"])
    out = {"general_rate": general, "hte_rate": hte, "profit": profit_yuan, "saving": None}
    if profit_yuan is not None and profit_yuan > 0:
        out["saving"] = (Decimal(profit_yuan) * (general - hte)).quantize(Decimal("1"))
    return out
