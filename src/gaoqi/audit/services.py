"""Recording audit events. Called by services inside their transaction, never by views."""

from __future__ import annotations

from django.db import models

from gaoqi.audit.models import AuditAction, AuditEvent


def audit_record(
    *,
    actor,
    action: AuditAction,
    target: models.Model,
    enterprise=None,
    old: dict | None = None,
    new: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        enterprise=enterprise,
        old=old,
        new=new,
        reason=reason[:500],
    )


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """The old and new values of the keys that differ."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
