"""Reads for account administration and agency assignments, always through gaoqi.accounts.scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from gaoqi.accounts.models import AgencyAssignment, ApiToken, User
from gaoqi.accounts.scope import (
    NOT_FOUND,
    agencies_for_actor,
    can_manage_account,
    enterprise_q,
    scope_accounts,
    scope_assignments,
)
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound
from gaoqi.registry.selectors import CappedPaginator, checked_page, checked_per_page


@dataclass(frozen=True)
class AccountFilter:
    role: str | None = None
    active: bool | None = None
    q: str | None = None


def account_list(*, actor, filters: AccountFilter | None = None, page=1, per_page: int = 50):
    """A page of the accounts the officer administers, by role then username."""
    f = filters or AccountFilter()
    qs = scope_accounts(actor).select_related("region", "enterprise", "agency")
    if f.role:
        qs = qs.filter(role=f.role)
    if f.active is not None:
        qs = qs.filter(is_active=f.active)
    if f.q:
        qs = qs.filter(Q(username__icontains=f.q) | Q(display_name__icontains=f.q))
    return checked_page(CappedPaginator(qs.order_by("role", "username"), checked_per_page(per_page)), page)


def tokens_for(*, actor, user: User):
    can_manage_account(actor, user, "view").require()
    return list(ApiToken.objects.filter(user=user).order_by("-created_at"))


def token_for(*, actor, user: User, pk) -> ApiToken:
    """One of `user`'s tokens (NotFound alike for another user's token or a missing one)."""
    can_manage_account(actor, user, "view").require()
    token = ApiToken.objects.select_related("user").filter(user=user, pk=pk).first()
    if token is None:
        raise NotFound(str(NOT_FOUND))
    return token


def account_trail(*, actor, user: User, limit: int = 50):
    """Audit events about the account and its tokens, newest first."""
    can_manage_account(actor, user, "view").require()
    # Token events name the token's user (the token itself may be gone: revoked tokens are deleted).
    about_tokens = Q(new__user=user.username) | Q(old__user=user.username)
    events = AuditEvent.objects.filter(
        Q(target_type="accounts.user", target_id=str(user.pk))
        | (Q(target_type="accounts.apitoken") & about_tokens)
    )
    return list(events.select_related("actor")[:limit])


def agency_list(*, actor):
    """The agencies the officer works with, each with the number of its firms in the officer's scope."""
    in_scope = enterprise_q(actor, "assignments__enterprise__")
    return list(
        agencies_for_actor(actor)
        .select_related("region")
        .annotate(firms=Count("assignments", filter=in_scope))
        .order_by("region_id", "name")
    )


def assignments_for(*, actor, agency, page=1, per_page: int = 50):
    """The agency's firms that the officer (or the agency itself) may see, by firm name."""
    qs = scope_assignments(actor, AgencyAssignment.objects.filter(agency=agency)).select_related(
        "enterprise", "enterprise__county", "enterprise__city"
    )
    qs = qs.order_by("enterprise__name", "enterprise_id")
    return checked_page(CappedPaginator(qs, checked_per_page(per_page)), page)


def agencies_of_enterprise(*, actor, enterprise) -> list:
    """The agencies coaching a firm (for its service-records tab): all of them for an officer in scope, itself
    for an agency."""
    qs = scope_assignments(actor, AgencyAssignment.objects.filter(enterprise=enterprise))
    return [a.agency for a in qs.select_related("agency").order_by("agency__name")]
