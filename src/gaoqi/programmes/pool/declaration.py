"""高新技术企业培育库 (cultivation pool): the programme's phases and transitions, read as a table.

    from           → to                action          who                      guards                                  reason
    draft          → submitted         submit          enterprise               in_intake_window, complete, passes      –
    returned       → submitted         resubmit        enterprise               in_intake_window, complete, passes      –
    draft/returned → withdrawn         withdraw        enterprise               –                                       –
    submitted      → recommended       recommend       county officer           –                                       –
    submitted      → returned          return          county officer           –                                       yes
    recommended    → expert_review     pass            city officer             –                                       –
    recommended    → returned          return          city officer             –                                       yes
    expert_review  → reviewed          expert_pass     province officer         experts_scored                          –
    expert_review  → rejected          reject          province officer         –                                       yes
    reviewed       → in_notice         publish         province officer         published_by_notice                     –
    in_notice      → admitted          admit           province officer         notice_closed, no_upheld_objection      –
    in_notice      → rejected          reject          province officer         notice_closed                           yes
    admitted       → exited_certified  exit_certified  province officer         hte_certified                           –
    admitted       → exited_expired    exit_expired    province officer, system period_ended                            –
    admitted       → revoked           revoke          province officer         –                                       yes

Experts are assigned and score outside the table (gaoqi.experts, through programmes.pool.services): the
province officer's `expert_pass` waits for the whole panel. Effects: the average expert score, the admission
(year, batch, period, number), the exit with its reason.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from gaoqi.programmes.declaration import (
    BOTH,
    CIT,
    CTY,
    EDITABLE,
    FIRM,
    PROV,
    evaluation_guards,
    publish,
    reject_after_notice,
    return_for_changes,
    submission,
)
from gaoqi.programmes.pool import evaluation, params
from gaoqi.programmes.pool.models import ExitReason, PoolRecord
from gaoqi.workflow import guards, numbering
from gaoqi.workflow.guards import NOTICE_GUARDS, add_years
from gaoqi.workflow.models import Application
from gaoqi.workflow.table import NOTIFY_ENTERPRISE, PROVINCE, SYSTEM, Phase, Programme, Transition, register

CODE = "pool"
SYNTHETIC = numbering.SYNTHETIC  # prefix of the demo's admission numbers

PHASES = (
    Phase("draft", _("入库申请填报")),
    Phase("submitted", _("待县级推荐"), deadline_days=10),
    Phase("returned", _("退回修改"), deadline_days=15),
    Phase("recommended", _("待市级审核"), deadline_days=10),
    Phase("expert_review", _("省级专家评审"), deadline_days=30),
    Phase("reviewed", _("评审通过待公示")),
    Phase("in_notice", _("公示中")),
    Phase("admitted", _("已入库培育")),
    Phase("rejected", _("未予入库"), final=True),
    Phase("withdrawn", _("已撤回"), final=True),
    Phase("exited_certified", _("已认定高企出库"), final=True),
    Phase("exited_expired", _("培育期满出库"), final=True),
    Phase("revoked", _("已撤销入库"), final=True),
)

SUBMIT_GUARDS = ("in_intake_window", "declaration_complete", "evaluation_passes")
TRANSITIONS = (
    *submission(_("提交入库申请"), FIRM, SUBMIT_GUARDS),
    Transition("submitted", "recommended", "recommend", _("县级推荐"), CTY,
               records=("remarks",), notify=BOTH, batch=True),
    return_for_changes("submitted", CTY),
    Transition("recommended", "expert_review", "pass", _("市级审核通过"), CIT,
               records=("remarks",), notify=BOTH, batch=True),
    return_for_changes("recommended", CIT),
    Transition("expert_review", "reviewed", "expert_pass", _("专家评审通过"), PROV, ("experts_scored",),
               records=("remarks",), notify=(NOTIFY_ENTERPRISE,), batch=True),
    Transition("expert_review", "rejected", "reject", _("不予入库"), PROV, reason_required=True,
               records=("remarks",), notify=(NOTIFY_ENTERPRISE,), batch=True),
    publish("reviewed"),
    Transition("in_notice", "admitted", "admit", _("入库"), PROV, ("notice_closed", "no_upheld_objection"),
               notify=(NOTIFY_ENTERPRISE,), batch=True),
    reject_after_notice(_("不予入库")),
    Transition("admitted", "exited_certified", "exit_certified", _("认定高企出库"), PROV, ("hte_certified",),
               notify=(NOTIFY_ENTERPRISE,), inbox=False),
    Transition("admitted", "exited_expired", "exit_expired", _("培育期满出库"), frozenset({PROVINCE, SYSTEM}),
               ("period_ended",), notify=(NOTIFY_ENTERPRISE,), inbox=False, batch=True),
    Transition("admitted", "revoked", "revoke", _("撤销入库"), PROV, reason_required=True,
               records=("remarks",), notify=(NOTIFY_ENTERPRISE,), inbox=False),
)  # fmt: skip


def record_of(app: Application) -> PoolRecord:
    return guards.record_of(PoolRecord, app)


_today = guards.today


# --- Guards: (application, ctx) -> "" when the condition holds, else the message shown ------------------


def in_intake_window(app, ctx) -> str:
    if ctx.get("synthetic"):  # the demo's synthetic applications, made whatever the day (never a page or API)
        return ""
    today = _today(ctx)
    opens, closes = params.intake_window(today.year)
    if not opens <= today <= closes:
        return _("%(y)s 年培育库入库申请受理时间为 %(o)s 至 %(c)s") % {
            "y": today.year,
            "o": opens.isoformat(),
            "c": closes.isoformat(),
        }
    return ""


def experts_scored(app, ctx) -> str:
    from gaoqi.experts.selectors import panel

    p = panel(application=app, size=params.value("expert_panel_size", _today(ctx)))
    if p.assigned < p.size:
        return _("须指派 %(n)s 名评审专家（已指派 %(a)s 名）") % {"n": p.size, "a": p.assigned}
    if p.scored < p.assigned:
        return _("专家评分未完成（%(s)s/%(a)s）") % {"s": p.scored, "a": p.assigned}
    return ""


def hte_certified(app, ctx) -> str:
    from gaoqi.registry.models import Certificate, CertificateKind

    record = record_of(app)
    if not Certificate.objects.filter(
        enterprise_id=app.enterprise_id, kind=CertificateKind.HTE, issued_on__gte=record.admitted_on
    ).exists():
        return _("该企业入库后尚无高新技术企业证书记录")
    return ""


def period_ended(app, ctx) -> str:
    record = record_of(app)
    if record.ends_on is None or record.ends_on >= _today(ctx):
        return _("培育期至 %(d)s，尚未期满") % {"d": record.ends_on}
    return ""


# --- Effects --------------------------------------------------------------------------------------------


def period_end(admitted_on: date) -> date:
    """The last day in the pool: `pool_years` (a dated parameter, default 3) after admission, less a day."""
    return add_years(admitted_on, int(params.value("pool_years", admitted_on))) - timedelta(days=1)


def current_batch(year: int) -> int:
    """The latest admission batch of the year (1 when none yet): a batch admitted without a number joins it."""
    last = PoolRecord.objects.filter(application__year=year).aggregate(m=Max("batch_no"))["m"]
    return last or 1


def admit(app: Application, ctx: dict) -> None:
    """Admission: the batch (from the officer's form, else the year's current batch), the period, a number."""
    today = _today(ctx)
    batch = int(ctx.get("batch_no") or current_batch(app.year))
    numbering.issue(
        app,
        fmt=params.value("admission_no_format", today),
        fields={"year": app.year, "batch": batch},
        valid_until=period_end(today),
        synthetic=bool(ctx.get("synthetic")),
    )
    record = record_of(app)
    record.batch_no, record.admitted_on, record.ends_on = batch, today, app.valid_until
    record.save(update_fields=["batch_no", "admitted_on", "ends_on"])


def _exit(reason: str):
    def effect(app: Application, ctx: dict) -> None:
        record = record_of(app)
        today = _today(ctx)
        # Period ended: out from the day after its last day; otherwise out from today.
        record.exited_on = record.ends_on + timedelta(days=1) if reason == ExitReason.PERIOD_ENDED else today
        record.exit_reason = reason
        record.exit_note = ctx.get("reason", "")
        record.save(update_fields=["exited_on", "exit_reason", "exit_note"])

    return effect


def record_expert_score(app: Application, ctx: dict) -> None:
    from gaoqi.experts.selectors import panel

    p = panel(application=app, size=params.value("expert_panel_size", _today(ctx)))
    PoolRecord.objects.filter(application_id=app.pk).update(expert_score=p.average)


PROGRAMME = register(
    Programme(
        code=CODE,
        label=_("高新技术企业培育库入库"),
        phases=PHASES,
        initial="draft",
        transitions=TRANSITIONS,
        guards={
            "in_intake_window": in_intake_window,
            **evaluation_guards(
                evaluation,
                key="_pool_evaluation",
                incomplete=_("申报数据不完整或有误：%(e)s"),
                failed=_("对照培育库入库标准不符合：%(f)s"),
                none_failed=_("入库条件"),
            ),
            "experts_scored": experts_scored,
            **NOTICE_GUARDS,
            "hte_certified": hte_certified,
            "period_ended": period_ended,
        },
        effects={
            "expert_pass": record_expert_score,
            "admit": admit,
            "exit_certified": _exit(ExitReason.CERTIFIED),
            "exit_expired": _exit(ExitReason.PERIOD_ENDED),
            "revoke": _exit(ExitReason.REVOKED),
        },
        freeze=evaluation.freeze,
        editable_phases=EDITABLE,
        detail_url="pool:application",
    )
)
