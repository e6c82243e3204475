"""Writes on accounts, service agencies, agency assignments and API tokens: scope first, one transaction,
one audit event per change (who, when, what, old -> new, why)."""

from __future__ import annotations

import secrets

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


def api_token_issue(*, actor, user: User, label: str = "", reason: str = "") -> tuple[ApiToken, str]:
    """Issue an API token for an account the officer manages (or their own). The key is returned once."""
    can_manage_account(actor, user, "issue_token").enforce()
    if not user.is_active:
        raise ValidationFailed(_("账号已停用"), [{"field": "user", "reason": _("停用的账号不能签发令牌")}])
    with transaction.atomic():
        token, key = ApiToken.issue(user, (label or "").strip()[:60])
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=token,
            new={"user": user.username, "label": token.label},
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
            },
            reason=reason,
        )
        token.delete()
