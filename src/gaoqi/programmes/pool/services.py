"""Writes of the cultivation pool besides the transitions: starting an application (pre-filled from the
registry), declaring figures (each change recorded in the registry under the source 企业自报), assigning the
province's experts (conflicts refused), an expert's scores, admitting a batch, and the end of pool periods."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can_assign_experts, get_assignment_for_expert
from gaoqi.errors import ValidationFailed
from gaoqi.experts import services as expert_services
from gaoqi.experts.selectors import panel
from gaoqi.programmes.declared import declared_start, declared_update
from gaoqi.programmes.pool import evaluation, params
from gaoqi.programmes.pool.declaration import CODE, PROGRAMME, record_of
from gaoqi.programmes.pool.models import PoolRecord
from gaoqi.workflow.models import Application
from gaoqi.workflow.services import BatchResult, application_create, transition_batch


def application_start(*, actor, enterprise) -> Application:
    """The firm starts its pool application for this year, pre-filled from its registry facts. One open
    application at a time (an admitted firm is in the pool: it does not apply again)."""
    as_of = timezone.localdate()
    declared = declared_start(
        actor=actor,
        enterprise=enterprise,
        programme=PROGRAMME,
        evaluation=evaluation,
        as_of=as_of,
        messages={
            "firm_only": _("培育库入库申请由企业自行填报"),
            "open": _("本企业已有一份进行中的入库申请或已在库培育"),
        },
    )
    with transaction.atomic():
        app = application_create(
            actor=actor, programme_code=CODE, enterprise=enterprise, year=as_of.year, declared=declared
        )
        PoolRecord.objects.create(application=app, enterprise=enterprise)
    return app


def declaration_editable(application: Application) -> bool:
    return application.programme == CODE and application.phase in PROGRAMME.editable_phases


def declaration_update(*, actor, application: Application, version: int, values: dict) -> Application:
    """The firm changes declared figures of the latest accounting year. Each change is an annual report of the
    source 企业自报 (audited old → new by the registry service); the declaration keeps the value given."""
    return declared_update(
        actor=actor,
        application=application,
        version=version,
        values=values,
        editable=declaration_editable(application),
        evaluation=evaluation,
        messages={
            "forbidden": _("仅申报企业可修改申报数据"),
            "locked": _("当前环节不能修改申报数据"),
            "conflict": _("申报数据已被修改，请刷新后重新填写"),
            "unknown": _("未知字段"),
            "invalid": _("申报数据有误"),
        },
        file_name=f"培育库入库申请（申报 {application.pk}）",
    )


# --- Expert review ------------------------------------------------------------------------------------------


def panel_size(on: date | None = None) -> int:
    return int(params.value("expert_panel_size", on or timezone.localdate()))


def experts_assign(*, actor, application: Application, expert_ids: list[int]):
    """A province officer assigns experts to an application in expert review (N a dated parameter)."""
    if application.programme != CODE or application.phase != "expert_review":
        can_assign_experts(actor, application).enforce()  # out of reach: not found, before any hint
        raise ValidationFailed(
            _("仅在省级专家评审环节指派专家"), [{"field": "phase", "reason": application.phase}]
        )
    return expert_services.assign(
        actor=actor,
        application=application,
        expert_ids=expert_ids,
        panel_size=panel_size(),
        url=reverse("pool:expert_review", args=[application.pk]),
    )


def expert_score(*, actor, application_pk, scores: dict, comment: str = ""):
    """An expert scores an application assigned to them (404 for any other), once, per item."""
    assignment = get_assignment_for_expert(actor, application_pk)
    app = assignment.application
    if app.phase != "expert_review":
        raise ValidationFailed(_("该申报已不在专家评审环节"), [{"field": "phase", "reason": app.phase}])
    today = timezone.localdate()
    with transaction.atomic():
        assignment = expert_services.score_submit(
            actor=actor,
            assignment=assignment,
            items=params.score_items(today),
            scores=scores,
            comment=comment,
        )
        p = panel(application=app, size=panel_size(today))
        if p.complete:
            record = record_of(app)
            record.expert_score = p.average
            record.save(update_fields=["expert_score"])
    return assignment


# --- Admission and exits ------------------------------------------------------------------------------------


def admit_batch(
    *, actor, items: list[tuple[int, int | None]], batch_no: int, reason: str = ""
) -> BatchResult:
    """Admit the applications whose notice closed as admission batch `batch_no` of their year."""
    if int(batch_no or 0) < 1:
        raise ValidationFailed(_("请填写入库批次"), [{"field": "batch_no", "reason": _("须为正整数")}])
    return transition_batch(
        actor=actor,
        items=items,
        action="admit",
        reason=reason or _("入库"),
        extra={"batch_no": int(batch_no)},
    )


def expire_ended(*, today: date | None = None) -> BatchResult:
    """Admitted firms whose pool period has ended leave the pool (system transition, audited): run daily."""
    today = today or timezone.localdate()
    items = list(
        Application.objects.filter(
            programme=CODE, phase="admitted", pool_record__ends_on__lt=today
        ).values_list("pk", "version")
    )
    return transition_batch(
        actor=None, items=items, action="exit_expired", reason=_("培育期满"), extra={"today": today}
    )
