"""Reading rewards, always through gaoqi.accounts.scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from gaoqi.accounts.scope import NOT_FOUND, can_manage_rewards, scope_entitlements, scope_reward_budgets
from gaoqi.errors import NotFound
from gaoqi.regions.models import Region
from gaoqi.registry.selectors import CappedPaginator, checked_page, checked_per_page
from gaoqi.rewards.models import COMMITTED, Budget, Entitlement, EntitlementStatus, Payout, RewardKind


@dataclass(frozen=True)
class RewardFilter:
    year: int | None = None
    issuer: str | None = None
    kind: str | None = None
    status: str | None = None
    q: str | None = None


def entitlements(*, actor, filters: RewardFilter | None = None):
    """The entitlements the actor may see, filtered, newest year first."""
    f = filters or RewardFilter()
    qs = scope_entitlements(actor).select_related(
        "enterprise", "enterprise__city", "enterprise__county", "issuer"
    )
    if f.year:
        qs = qs.filter(year=f.year)
    if f.issuer:
        qs = qs.filter(issuer_id=f.issuer)
    if f.kind in RewardKind.values:
        qs = qs.filter(kind=f.kind)
    if f.status in EntitlementStatus.values:
        qs = qs.filter(status=f.status)
    if f.q:
        qs = qs.filter(Q(enterprise__name__contains=f.q) | Q(enterprise__credit_code=f.q.upper()))
    return qs.order_by("-year", "issuer_id", "enterprise__name", "kind", "id")


def entitlement_page(*, actor, filters: RewardFilter, page=1, per_page: int = 50):
    paginator = CappedPaginator(entitlements(actor=actor, filters=filters), checked_per_page(per_page))
    return checked_page(paginator, page)


def get_entitlement_for_actor(actor, pk) -> Entitlement:
    """The entitlement if the actor may see it; NotFound alike for missing and forbidden."""
    obj = entitlements(actor=actor).select_related("decided_by").filter(pk=pk).first()
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


def payout_of(entitlement) -> Payout | None:
    return Payout.objects.filter(entitlement=entitlement).select_related("recorded_by").first()


def payouts(*, actor, year: int | None = None, issuer: str | None = None):
    """Payout records of the entitlements the actor may see."""
    qs = Payout.objects.filter(entitlement__in=scope_entitlements(actor).values("pk")).select_related(
        "entitlement", "entitlement__enterprise", "entitlement__issuer", "recorded_by"
    )
    if year:
        qs = qs.filter(entitlement__year=year)
    if issuer:
        qs = qs.filter(entitlement__issuer_id=issuer)
    return qs.order_by("-paid_on", "-id")


def issuers_for(actor) -> list[Region]:
    """The issuers whose budgets an officer sees: their region, the regions above it and below it."""
    if not actor.is_officer:
        return []
    code = actor.region_id
    below = Region.objects.filter(Q(code=code) | Q(city_code=code) | Q(province_code=code))
    above = Region.objects.filter(code__in={code[:2] + "0000", code[:4] + "00"})
    return list((below | above).distinct().order_by("code"))


@dataclass(frozen=True)
class BudgetRow:
    issuer: Region
    year: int
    budget: Budget | None
    committed: int  # fen: approved + paid
    paid: int
    pending: int  # computed, not decided
    pending_count: int
    manageable: bool

    @property
    def amount(self) -> int:
        return self.budget.amount if self.budget else 0

    @property
    def remaining(self) -> int:
        return self.amount - self.committed

    @property
    def over(self) -> bool:
        return self.committed > self.amount


def budget_overview(*, actor, year: int) -> list[BudgetRow]:
    """Per issuer the actor sees (with a budget or entitlements in `year`): budget, committed, paid, pending.

    Totals are over the issuer's entitlements the actor can see; for the issuer's own officers that is all of
    them. Two queries.
    """
    budgets = {b.issuer_id: b for b in scope_reward_budgets(actor).filter(year=year).select_related("issuer")}
    sums = (
        scope_entitlements(actor)
        .filter(year=year)
        .values("issuer_id")
        .annotate(
            committed=Sum("amount", filter=Q(status__in=COMMITTED)),
            paid=Sum("amount", filter=Q(status=EntitlementStatus.PAID)),
            pending=Sum("amount", filter=Q(status=EntitlementStatus.COMPUTED)),
            pending_count=Count("id", filter=Q(status=EntitlementStatus.COMPUTED)),
        )
    )
    by_issuer = {row["issuer_id"]: row for row in sums}
    visible = {r.code: r for r in issuers_for(actor)}
    codes = [c for c in sorted(set(budgets) | set(by_issuer)) if c in visible]
    if actor.is_officer and actor.region_id not in codes:
        codes.insert(0, actor.region_id)
    rows = []
    for code in codes:
        s = by_issuer.get(code, {})
        rows.append(
            BudgetRow(
                issuer=visible[code],
                year=year,
                budget=budgets.get(code),
                committed=s.get("committed") or 0,
                paid=s.get("paid") or 0,
                pending=s.get("pending") or 0,
                pending_count=s.get("pending_count") or 0,
                manageable=bool(can_manage_rewards(actor, code)),
            )
        )
    return rows
