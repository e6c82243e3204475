"""科技型中小企业评价 (tech_sme_evaluation): the programme's phases and transitions, read as a table.

    from        → to          action         who                 guards                              reason
    draft       → submitted   submit         enterprise          declaration_complete, passes        –
    returned    → submitted   resubmit       enterprise          declaration_complete, passes        –
    draft       → withdrawn   withdraw       enterprise          –                                   –
    returned    → withdrawn   withdraw       enterprise          –                                   –
    submitted   → accepted    accept         province officer    –                                   –
    submitted   → returned    return         province officer    –                                   yes
    accepted    → in_notice   publish        province officer    published_by_notice                 –
    in_notice   → registered  register       province officer    notice_closed, no_upheld_objection  –
    in_notice   → rejected    reject         province officer    notice_closed                       yes
    registered  → registered  annual_update  enterprise          in_update_window, complete, passes  –
    registered  → revoked     revoke         province officer    –                                   yes
    registered  → lapsed      lapse          system              registration_expired                –

Guards are the functions below, registered by name; effects issue the registration number and extend it.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaoqi.programmes.declaration import (
    EDITABLE,
    FIRM,
    PROV,
    evaluation_guards,
    publish,
    reject_after_notice,
    return_for_changes,
    submission,
)
from gaoqi.programmes.tech_sme import evaluation, params
from gaoqi.workflow import numbering
from gaoqi.workflow.guards import NOTICE_GUARDS
from gaoqi.workflow.models import Application
from gaoqi.workflow.table import NOTIFY_ENTERPRISE, SYSTEM, Phase, Programme, Transition, register

CODE = "tech_sme"

PHASES = (
    Phase("draft", _("自评填报")),
    Phase("submitted", _("待形式审查"), deadline_days=15),
    Phase("returned", _("退回修改"), deadline_days=15),
    Phase("accepted", _("审查通过待公示")),
    Phase("in_notice", _("公示中")),
    Phase("registered", _("已入库登记")),
    Phase("rejected", _("未予入库"), final=True),
    Phase("revoked", _("已撤销"), final=True),
    Phase("lapsed", _("已失效"), final=True),
    Phase("withdrawn", _("已撤回"), final=True),
)

SUBMIT_GUARDS = ("declaration_complete", "evaluation_passes")
TRANSITIONS = (
    *submission(_("提交评价"), FIRM, SUBMIT_GUARDS),
    Transition("submitted", "accepted", "accept", _("形式审查通过"), PROV,
               records=("remarks",), notify=(NOTIFY_ENTERPRISE,), batch=True),
    return_for_changes("submitted", PROV),
    publish("accepted"),
    Transition("in_notice", "registered", "register", _("入库登记"), PROV,
               ("notice_closed", "no_upheld_objection"), notify=(NOTIFY_ENTERPRISE,), batch=True),
    reject_after_notice(_("不予入库")),
    Transition("registered", "registered", "annual_update", _("年度信息更新"), FIRM,
               ("in_update_window", *SUBMIT_GUARDS), records=("evaluation",), inbox=False),
    Transition("registered", "revoked", "revoke", _("撤销入库登记"), PROV, reason_required=True,
               records=("remarks",), notify=(NOTIFY_ENTERPRISE,), inbox=False),
    Transition("registered", "lapsed", "lapse", _("逾期未更新，登记失效"), frozenset({SYSTEM}),
               ("registration_expired",), notify=(NOTIFY_ENTERPRISE,), inbox=False),
)  # fmt: skip


# --- Guards: (application, ctx) -> "" when the condition holds, else the message shown ------------------


def in_update_window(app, ctx) -> str:
    today = timezone.localdate()
    if app.valid_until is None or today > app.valid_until:
        return _("登记已过期，不能更新")
    if today.year != app.valid_until.year:
        return _("年度更新在 %(y)s 年 1 月 1 日至 %(d)s 之间办理") % {
            "y": app.valid_until.year,
            "d": app.valid_until.isoformat(),
        }
    return ""


def registration_expired(app, ctx) -> str:
    today = ctx.get("today") or timezone.localdate()
    if app.valid_until is None or app.valid_until >= today:
        return _("登记仍在有效期内")
    return ""


# --- Effects ------------------------------------------------------------------------------------------


def valid_until_for(year: int, on: date) -> date:
    month, day = (int(x) for x in params.value("annual_update_deadline", on).split("-"))
    return date(year + 1, month, day)


def issue_number(app: Application, ctx: dict) -> None:
    """The registration number (format: a dated parameter), unique per programme; demo numbers marked SYN-."""
    today = timezone.localdate()
    numbering.issue(
        app,
        fmt=params.value("registration_no_format", today),
        fields={"year": today.year, "county": app.county_id},
        valid_until=valid_until_for(today.year, today),
        synthetic=bool(ctx.get("synthetic")),
    )
    _record_certificate(app, ctx, issued_on=today)


def extend_registration(app: Application, ctx: dict) -> None:
    today = timezone.localdate()
    app.valid_until = valid_until_for(app.valid_until.year, today)
    app.year = app.valid_until.year - 1
    Application.objects.filter(pk=app.pk).update(valid_until=app.valid_until, year=app.year)
    _record_certificate(app, ctx, issued_on=today, number=f"{app.reference_no}-{app.year}")


def _record_certificate(app: Application, ctx: dict, *, issued_on: date, number: str = "") -> None:
    """The registry's record of the registration, so the firm's status (科技型中小企业) follows it. Written
    here, not through registry.services.certificate_record, because the firm itself renews (annual update) and
    the transition's own audit event already records the decision."""
    from gaoqi.registry.models import Certificate, CertificateKind
    from gaoqi.registry.services import enterprise_refresh_status

    Certificate.objects.create(
        enterprise=app.enterprise,
        kind=CertificateKind.TECH_SME,
        number=number or app.reference_no,
        issued_on=issued_on,
        expires_on=app.valid_until,
    )
    enterprise_refresh_status(app.enterprise)


def _end_registration(reason: str):
    """Revocation (from today) and lapse (from the day after the deadline) end the firm's tech-SME status in
    the registry: its registration certificates stop being valid then, whatever their recorded expiry."""

    def effect(app: Application, ctx: dict) -> None:
        from gaoqi.registry.models import CertificateEnd, CertificateKind
        from gaoqi.registry.services import certificate_end

        today = ctx.get("today") or timezone.localdate()
        if reason == CertificateEnd.LAPSED and app.valid_until is not None:
            ended_on = app.valid_until + timedelta(days=1)
        else:
            ended_on = today
        certificate_end(
            actor=ctx.get("actor"),
            enterprise=app.enterprise,
            kind=CertificateKind.TECH_SME,
            ended_on=ended_on,
            reason=reason,
            note=ctx.get("reason", "") or "",
        )

    return effect


PROGRAMME = register(
    Programme(
        code=CODE,
        label=_("科技型中小企业评价"),
        phases=PHASES,
        initial="draft",
        transitions=TRANSITIONS,
        guards={
            **evaluation_guards(
                evaluation,
                key="_evaluation",
                incomplete=_("自评数据不完整或有误：%(e)s"),
                failed=_("评价结果为不符合（得分 %(s)s）：%(f)s"),
                none_failed=_("综合评价得分不足"),
            ),
            **NOTICE_GUARDS,
            "in_update_window": in_update_window,
            "registration_expired": registration_expired,
        },
        effects={
            "register": issue_number,
            "annual_update": extend_registration,
            "revoke": _end_registration("revoked"),
            "lapse": _end_registration("lapsed"),
        },
        freeze=evaluation.freeze,
        editable_phases=EDITABLE,
    )
)
