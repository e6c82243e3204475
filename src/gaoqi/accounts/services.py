"""Writes on accounts, service agencies, agency assignments and API tokens: scope first, one transaction,
one audit event per change (who, when, what, old -> new, why)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.models import AgencyAssignment, ApiToken, Role, ServiceAgency, User
from gaoqi.accounts.scope import (
    can,
    can_create_account,
    can_create_agency_in,
    can_manage_account,
    can_use_agency,
)
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import ValidationFailed

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-@")


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写原因"), [{"field": "reason", "reason": _("请填写原因")}])
    return reason


# --- Service agencies and assignments --------------------------------------------------------------------


def agency_create(*, actor, name: str, region, reason: str = "") -> ServiceAgency:
    """Register a service agency in a region of the officer's (their region or below)."""
    can_create_agency_in(actor, region).enforce()
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("服务机构信息有误"), [{"field": "name", "reason": _("请填写机构名称")}])
    with transaction.atomic():
        if ServiceAgency.objects.filter(name=name).exists():
            raise ValidationFailed(
                _("服务机构信息有误"), [{"field": "name", "reason": _("该机构名称已存在")}]
            )
        agency = ServiceAgency.objects.create(name=name[:100], region=region)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=agency,
            new={"name": agency.name, "region": region.code},
            reason=reason,
        )
    return agency


def agency_assign(*, actor, agency: ServiceAgency, enterprise, reason: str = "") -> AgencyAssignment:
    """Assign a firm in the officer's scope to an agency the officer works with. Idempotent."""
    can(actor, "assign_agency", enterprise).require()
    can_use_agency(actor, agency).require()
    with transaction.atomic():
        assignment, created = AgencyAssignment.objects.get_or_create(
            agency=agency, enterprise=enterprise, defaults={"assigned_on": timezone.localdate()}
        )
        if created:
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                target=assignment,
                enterprise=enterprise,
                new={"agency": agency.name, "enterprise": enterprise.credit_code},
                reason=reason,
            )
    return assignment


def agency_assign_many(*, actor, agency: ServiceAgency, enterprises, reason: str = "") -> int:
    """Assign several firms at once, all or none. Returns how many were newly assigned."""
    with transaction.atomic():
        before = AgencyAssignment.objects.filter(agency=agency).count()
        for enterprise in enterprises:
            agency_assign(actor=actor, agency=agency, enterprise=enterprise, reason=reason)
        return AgencyAssignment.objects.filter(agency=agency).count() - before


def agency_unassign(*, actor, agency: ServiceAgency, enterprise, reason: str = "") -> bool:
    """End an agency's assignment to a firm. False when there was none. The agency loses sight of the firm
    (its service records stay, visible to the officers)."""
    can(actor, "assign_agency", enterprise).require()
    can_use_agency(actor, agency).require()
    with transaction.atomic():
        assignment = AgencyAssignment.objects.filter(agency=agency, enterprise=enterprise).first()
        if assignment is None:
            return False
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            target=assignment,
            enterprise=enterprise,
            old={
                "agency": agency.name,
                "enterprise": enterprise.credit_code,
                "assigned_on": assignment.assigned_on,
            },
            reason=reason,
        )
        assignment.delete()
    return True


# --- Accounts ------------------------------------------------------------------------------------------


def _binding(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "region": user.region_id,
        "enterprise": user.enterprise_id,
        "agency": user.agency_id,
        "is_active": user.is_active,
    }


def account_create(
    *,
    actor,
    username: str,
    role: str,
    display_name: str = "",
    region=None,
    enterprise=None,
    agency=None,
    reason: str = "",
) -> tuple[User, str]:
    """Create an account the officer may create (scope.can_create_account). Returns the user and its initial
    password, shown once to the officer and never stored in clear."""
    username = (username or "").strip().lower()
    errors = []
    if not (3 <= len(username) <= 40) or not set(username) <= USERNAME_CHARS:
        errors.append({"field": "username", "reason": _("用户名须为 3–40 位小写字母、数字或 _ . - @")})
    if role not in Role.values:
        errors.append({"field": "role", "reason": _("未知的角色")})
    if errors:
        raise ValidationFailed(_("账号信息有误"), errors)
    if role == Role.EXPERT and region is None and actor.role != Role.PROVINCE_OFFICER:
        region = actor.region  # a city's or county's expert belongs to that pool by default
    can_create_account(actor, role=role, region=region, enterprise=enterprise, agency=agency).enforce()
    binding = {
        "region": region
        if role in (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.EXPERT)
        else None,
        "enterprise": enterprise if role == Role.ENTERPRISE else None,
        "agency": agency if role == Role.SERVICE_AGENCY else None,
    }
    password = secrets.token_urlsafe(9)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ValidationFailed(_("账号信息有误"), [{"field": "username", "reason": _("用户名已被使用")}])
        user = User.objects.create_user(
            username=username,
            password=password,
            role=role,
            display_name=(display_name or "").strip()[:60],
            **binding,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=user,
            enterprise=binding["enterprise"],
            new=_binding(user),
            reason=reason,
        )
    return user, password


def account_set_active(*, actor, user: User, active: bool, reason: str) -> User:
    """Disable (or enable again) an account. A disabled user cannot log in, and their sessions and API
    tokens stop working at once (authentication checks is_active)."""
    can_manage_account(actor, user, "set_active").enforce()
    reason = _reason_required(reason)
    if user.is_active == active:
        return user
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=user,
            enterprise=user.enterprise if user.enterprise_id else None,
            old={"is_active": not active},
            new={"is_active": active},
            reason=reason,
        )
    return user


def api_token_issue(
    *, actor, user: User, label: str = "", reason: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """Issue an API token for an account the officer manages (or their own), valid for `days` (default
    GAOQI_API_TOKEN_DAYS, at most GAOQI_API_TOKEN_MAX_DAYS). The key is returned once."""
    can_manage_account(actor, user, "issue_token").enforce()
    if not user.is_active:
        raise ValidationFailed(_("账号已停用"), [{"field": "user", "reason": _("停用的账号不能签发令牌")}])
    longest = settings.GAOQI_API_TOKEN_MAX_DAYS
    days = settings.GAOQI_API_TOKEN_DAYS if days in (None, "") else days
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= longest:
        reason_text = _("有效期应为 1 至 %(n)s 天") % {"n": longest}
        raise ValidationFailed(reason_text, [{"field": "days", "reason": reason_text}])
    with transaction.atomic():
        token, key = ApiToken.issue(user, (label or "").strip()[:60], days=days)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=token,
            new={"user": user.username, "label": token.label, "days": days, "expires_at": token.expires_at},
            reason=reason,
        )
    return token, key


def api_token_revoke(*, actor, token: ApiToken, reason: str) -> None:
    """Revoke (delete) a token; the audit keeps who revoked which token of whom, and why."""
    can_manage_account(actor, token.user, "revoke_token").enforce()
    reason = _reason_required(reason)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            target=token,
            old={
                "user": token.user.username,
                "label": token.label,
                "created_at": token.created_at,
                "last_used_at": token.last_used_at,
                "expires_at": token.expires_at,
            },
            reason=reason,
        )
        token.delete()


# --- Logins ----------------------------------------------------------------------------------------------

LOGIN_OUTCOMES = {
    "success": "登录成功",
    "failed": "登录失败",
    "locked_out": "登录失败次数过多，已锁定",
    "refused_locked_out": "锁定期内拒绝登录",
}


class _UnknownAccount:
    """The audit target of a login attempt for a username that does not exist (its id: the username)."""

    _meta = User._meta

    def __init__(self, username: str):
        self.pk = "?" + username[:39]


def login_audit(*, request, username: str, outcome: str, user: User | None = None) -> None:
    """Record a login attempt (gaoqi.accounts.login, the login view): who, from where, with what outcome.
    The password is never recorded; an unknown username is recorded as typed (at most 40 characters)."""
    from gaoqi.accounts.login import client_ip

    username = (username or "").strip()[:150]
    if user is None:
        user = User.objects.filter(username=username).first() if username else None
    with transaction.atomic():
        audit_record(
            actor=user if outcome == "success" else None,
            action=AuditAction.LOGIN,
            target=user if user is not None else _UnknownAccount(username),
            new={
                "outcome": outcome,
                "username": username[:40],
                "ip": client_ip(request),
                "user_agent": request.META.get("HTTP_USER_AGENT", "")[:120],
            },
            reason=LOGIN_OUTCOMES.get(outcome, outcome),
        )
