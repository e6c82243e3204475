"""Writes of the tech-SME programme besides the transitions: starting a self-evaluation, declaring figures
(each change recorded in the registry under the source 企业自报, self-declared), the 应评尽评 invitations, the
annual reminders and the lapse of registrations not renewed by the deadline."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.models import Role, User
from gaoqi.accounts.scope import scope_enterprises
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import PermissionDenied
from gaoqi.programmes.declared import declared_start, declared_update
from gaoqi.programmes.models import Invitation
from gaoqi.programmes.tech_sme import evaluation, params
from gaoqi.programmes.tech_sme.declaration import CODE, PROGRAMME, in_update_window
from gaoqi.workflow import notify
from gaoqi.workflow.models import Application
from gaoqi.workflow.services import BatchResult, application_create, transition_batch


def application_start(*, actor, enterprise) -> Application:
    """The firm starts its self-evaluation, pre-filled from its registry facts (one open application at a time)."""
    as_of = timezone.localdate()
    declared = declared_start(
        actor=actor,
        enterprise=enterprise,
        programme=PROGRAMME,
        evaluation=evaluation,
        as_of=as_of,
        messages={
            "firm_only": _("科技型中小企业评价由企业自行填报"),
            "open": _("本企业已有一份进行中的评价申报"),
        },
    )
    return application_create(
        actor=actor, programme_code=CODE, enterprise=enterprise, year=as_of.year, declared=declared
    )


def declaration_editable(application: Application) -> bool:
    """Draft and returned applications; a registration in its annual-update window (the new year's figures)."""
    if application.phase in PROGRAMME.editable_phases:
        return True
    return application.phase == "registered" and not in_update_window(application, {})


def declaration_update(*, actor, application: Application, version: int, values: dict) -> Application:
    """The firm changes declared figures. Each change is an annual report of the source 企业自报 (audited with
    old → new by the registry service), and the declaration keeps the value the firm gave; the annual update
    (a new accounting year) starts from the registry's facts."""
    return declared_update(
        actor=actor,
        application=application,
        version=version,
        values=values,
        editable=declaration_editable(application),
        evaluation=evaluation,
        messages={
            "forbidden": _("仅申报企业可修改自评数据"),
            "locked": _("当前环节不能修改自评数据"),
            "conflict": _("自评数据已被修改，请刷新后重新填写"),
            "unknown": _("不可填报的字段"),
            "invalid": _("自评数据有误"),
        },
        file_name=f"科技型中小企业自评（申报 {application.pk}）",
        new_year_from_registry=True,
    )


# --- 应评尽评 campaign ---------------------------------------------------------------------------------


def invite(*, actor, enterprise_ids: list[int], year: int) -> int:
    """Invite firms (in the officer's scope, not yet invited this year) to apply; returns how many were invited."""
    if not getattr(actor, "is_officer", False):
        raise PermissionDenied(_("仅科技管理部门可发送评价邀请"))
    firms = list(scope_enterprises(actor).filter(pk__in=enterprise_ids))
    already = set(
        Invitation.objects.filter(programme=CODE, year=year, enterprise__in=firms).values_list(
            "enterprise_id", flat=True
        )
    )
    firms = [f for f in firms if f.pk not in already]
    if not firms:
        return 0
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.bulk_create(
            [Invitation(programme=CODE, year=year, enterprise=f, sent_by=actor, sent_at=now) for f in firms]
        )
        users = User.objects.filter(role=Role.ENTERPRISE, is_active=True, enterprise__in=firms)
        notify.notify_users(
            users,
            title=_("邀请参加 %(y)s 年科技型中小企业评价") % {"y": year},
            body=_("根据平台数据，贵企业符合科技型中小企业评价条件，欢迎在线填报自评。"),
            url="/programmes/tech-sme/",
        )
        for f in firms:
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                target=f,
                enterprise=f,
                new={"invitation": CODE, "year": year},
                reason=_("应评尽评邀请"),
            )
    return len(firms)


# --- Annual update: reminders and lapse ---------------------------------------------------------------


def send_reminders(*, today: date | None = None) -> int:
    """Remind the firms whose registration ends in exactly one of the reminder intervals (30, 7 days...)."""
    today = today or timezone.localdate()
    days = params.value("reminder_days", today)
    due = Application.objects.filter(
        programme=CODE, phase="registered", valid_until__in=[today + timedelta(days=d) for d in days]
    ).select_related("enterprise")
    sent = 0
    for app in due:
        users = User.objects.filter(role=Role.ENTERPRISE, is_active=True, enterprise_id=app.enterprise_id)
        sent += len(
            notify.notify_users(
                users,
                title=_("科技型中小企业入库登记将于 %(d)s 到期，请及时办理年度信息更新")
                % {"d": app.valid_until},
                url=f"/programmes/applications/{app.pk}/",
                application=app,
            )
        )
    return sent


def lapse_unrenewed(*, today: date | None = None) -> BatchResult:
    """Registrations past their deadline without an annual update lapse (system transition, audited)."""
    today = today or timezone.localdate()
    items = list(
        Application.objects.filter(programme=CODE, phase="registered", valid_until__lt=today).values_list(
            "pk", "version"
        )
    )
    return transition_batch(
        actor=None, items=items, action="lapse", reason=_("逾期未办理年度信息更新"), extra={"today": today}
    )
