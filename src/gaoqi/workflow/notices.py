"""Public notices (公示): a batch of applications published for a number of working days; objections are
recorded and each one resolved before the notice can close. Publishing moves every listed application through
the programme's `publish` transition (audited like any other)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import NOT_FOUND, can_manage_notice, scope_applications
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.workflow.models import NoticeEntry, Objection, PublicNotice
from gaoqi.workflow.services import BatchResult, transition_batch
from gaoqi.workflow.workdays import add_working_days

PUBLISH_ACTION = "publish"


def notice_publish(
    *,
    actor,
    programme_code: str,
    title: str,
    starts_on: date,
    working_days: int,
    items: list[tuple[int, int | None]],
    reason: str = "",
) -> tuple[PublicNotice, BatchResult]:
    """Publish a notice of the applications `items` ((id, version seen)); those the `publish` transition
    refuses are left out of it and reported. The end date counts working days (holidays, adjusted days)."""
    can_manage_notice(actor, actor.region_id if actor else "").enforce()
    errors = []
    if not title.strip():
        errors.append({"field": "title", "reason": _("请填写公示标题")})
    if working_days < 1:
        errors.append({"field": "working_days", "reason": _("公示期至少 1 个工作日")})
    if not items:
        errors.append({"field": "items", "reason": _("请选择要公示的申报")})
    if errors:
        raise ValidationFailed(_("公示信息有误"), errors)
    ends_on = add_working_days(starts_on, working_days)
    with transaction.atomic():
        notice = PublicNotice.objects.create(
            programme=programme_code,
            title=title.strip(),
            region_id=actor.region_id,
            starts_on=starts_on,
            working_days=working_days,
            ends_on=ends_on,
            created_by=actor,
        )
        result = transition_batch(
            actor=actor, items=items, action=PUBLISH_ACTION, reason=reason or title, extra={"notice": notice}
        )
        if not result.done:
            transaction.set_rollback(True)
            raise ValidationFailed(
                _("没有可公示的申报"), [{"field": "items", "reason": r["message"]} for r in result.refused]
            )
        NoticeEntry.objects.bulk_create(
            [NoticeEntry(notice=notice, application_id=pk) for pk in result.done], batch_size=500
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=notice,
            new={
                "title": notice.title,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "entries": len(result.done),
            },
        )
    return notice, result


def get_notice(notice_id) -> PublicNotice:
    """A notice by id (notices are public to every signed-in user)."""
    notice = PublicNotice.objects.select_related("region").filter(pk=notice_id).first()
    if notice is None:
        raise NotFound(str(NOT_FOUND))
    return notice


def objection_record(
    *, actor, notice: PublicNotice, application_id: int, filed_by: str, content: str
) -> Objection:
    """An officer records an objection received (by letter, phone, the notice's mailbox) against one entry."""
    can_manage_notice(actor, notice.region_id).enforce()
    if notice.closed_at is not None:
        raise ValidationFailed(_("公示已结束，不能再登记异议"), [{"field": "notice", "reason": ""}])
    entry = NoticeEntry.objects.filter(notice=notice, application_id=application_id).first()
    if entry is None or not scope_applications(actor).filter(pk=application_id).exists():
        raise NotFound(str(NOT_FOUND))
    errors = []
    if not filed_by.strip():
        errors.append({"field": "filed_by", "reason": _("请填写异议人")})
    if not content.strip():
        errors.append({"field": "content", "reason": _("请填写异议内容")})
    if errors:
        raise ValidationFailed(_("异议信息有误"), errors)
    with transaction.atomic():
        objection = Objection.objects.create(
            notice=notice,
            application_id=application_id,
            filed_by=filed_by.strip(),
            content=content.strip(),
            filed_at=timezone.now(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=objection,
            enterprise=entry.application.enterprise,
            new={"notice": notice.pk, "application": application_id, "filed_by": objection.filed_by},
            reason=objection.content,
        )
    return objection


def objection_resolve(*, actor, objection: Objection, upheld: bool, resolution: str) -> Objection:
    can_manage_notice(actor, objection.notice.region_id).enforce()
    if objection.upheld is not None:
        raise ValidationFailed(_("该异议已处理"), [{"field": "objection", "reason": ""}])
    if not resolution.strip():
        raise ValidationFailed(_("请填写处理意见"), [{"field": "resolution", "reason": _("必填")}])
    with transaction.atomic():
        objection.upheld = upheld
        objection.resolution = resolution.strip()
        objection.resolved_at = timezone.now()
        objection.resolved_by = actor
        objection.save(update_fields=["upheld", "resolution", "resolved_at", "resolved_by"])
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=objection,
            enterprise=objection.application.enterprise,
            old={"upheld": None},
            new={"upheld": upheld},
            reason=objection.resolution,
        )
    return objection


def close_refusal(notice: PublicNotice, today: date) -> str:
    """Why the notice cannot close today ("" when it can)."""
    if notice.closed_at is not None:
        return _("公示已结束")
    if today <= notice.ends_on:
        return _("公示期至 %(d)s，期满后方可结束") % {"d": notice.ends_on.isoformat()}
    open_count = notice.objections.filter(upheld__isnull=True).count()
    if open_count:
        return _("尚有 %(n)s 条异议未处理，处理完毕后方可结束公示") % {"n": open_count}
    return ""


def notice_close(*, actor, notice: PublicNotice) -> PublicNotice:
    can_manage_notice(actor, notice.region_id).enforce()
    refusal = close_refusal(notice, timezone.localdate())
    if refusal:
        raise ValidationFailed(refusal, [{"field": "notice", "reason": refusal}])
    with transaction.atomic():
        notice.closed_at = timezone.now()
        notice.closed_by = actor
        notice.save(update_fields=["closed_at", "closed_by"])
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=notice,
            new={"closed": True},
            reason=_("公示期满"),
        )
    return notice
