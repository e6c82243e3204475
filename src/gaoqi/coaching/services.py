"""Writing service records: scope first (forbidden answers like missing), then validation, one audited insert."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import can
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.coaching.models import ServiceKind, ServiceRecord
from gaoqi.errors import ValidationFailed

CONTENT_MAX, NEXT_STEP_MAX = 2000, 1000
EARLIEST = date(2000, 1, 1)


def service_record_errors(
    *, kind: str, served_on: date | None, content: str, next_step: str, follow_up_on: date | None, today: date
) -> list[dict]:
    errors = []
    if kind not in ServiceKind.values:
        errors.append({"field": "kind", "reason": _("未知的服务类型")})
    if served_on is None:
        errors.append({"field": "served_on", "reason": _("请填写服务日期")})
    elif served_on > today:
        errors.append({"field": "served_on", "reason": _("服务日期不能晚于今天")})
    elif served_on < EARLIEST:
        errors.append({"field": "served_on", "reason": _("服务日期不能早于 2000 年")})
    if not content.strip():
        errors.append({"field": "content", "reason": _("请填写服务内容")})
    elif len(content) > CONTENT_MAX:
        errors.append({"field": "content", "reason": _("服务内容不能超过 %(n)s 字") % {"n": CONTENT_MAX}})
    if len(next_step) > NEXT_STEP_MAX:
        errors.append(
            {"field": "next_step", "reason": _("下一步工作不能超过 %(n)s 字") % {"n": NEXT_STEP_MAX}}
        )
    if follow_up_on is not None and served_on is not None and follow_up_on < served_on:
        errors.append({"field": "follow_up_on", "reason": _("跟进日期不能早于服务日期")})
    return errors


def service_record_create(
    *,
    actor,
    enterprise,
    kind: str,
    served_on: date | None,
    content: str,
    next_step: str = "",
    follow_up_on: date | None = None,
) -> ServiceRecord:
    """Log a coaching visit, training or check of `enterprise` by an officer or an assigned agency.

    The new record closes the firm's open follow-up (the latest record carries it).
    """
    can(actor, "log_service", enterprise).require()
    content, next_step = (content or "").strip(), (next_step or "").strip()
    errors = service_record_errors(
        kind=kind,
        served_on=served_on,
        content=content,
        next_step=next_step,
        follow_up_on=follow_up_on,
        today=timezone.localdate(),
    )
    if errors:
        raise ValidationFailed(_("服务记录有误"), errors)
    with transaction.atomic():
        record = ServiceRecord.objects.create(
            enterprise=enterprise,
            kind=kind,
            served_on=served_on,
            content=content,
            next_step=next_step,
            follow_up_on=follow_up_on,
            author=actor,
            agency_id=actor.agency_id if actor.role == Role.SERVICE_AGENCY else None,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=record,
            enterprise=enterprise,
            new=model_to_dict(record, exclude=["enterprise"]),
        )
    return record
