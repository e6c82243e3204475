"""高新技术企业认定 (HTE certification, 国科发火〔2016〕32号 and 195号): the programme's phases and transitions.

    from          → to           action       who                        guards                                   reason
    draft         → submitted    submit       enterprise, city officer   declaration_complete, hard_conditions    –
    returned      → submitted    resubmit     enterprise, city officer   declaration_complete, hard_conditions    –
    draft/returned→ withdrawn    withdraw     enterprise                 –                                        –
    submitted     → recommended  recommend    city officer               –                                        –
    submitted     → returned     return       city officer               –                                        yes
    recommended   → accepted     accept       province officer           –                                        –
    recommended   → returned     return       province officer           –                                        yes
    accepted      → reviewed     expert_pass  province officer           panel_aggregated                         –
    reviewed      → approved     approve      province officer           frozen_hard_conditions, panel_passes,
                                                                         site_checks_clear                        –
    reviewed      → rejected     reject       province officer           –                                        yes
    approved      → in_notice    publish      province officer           published_by_notice                      –
    in_notice     → certified    certify      province officer           notice_closed, no_upheld_objection,
                                                                         in_reported_list                         –
    in_notice     → rejected     reject       province officer           notice_closed                            yes
    certified     → cancel_proposed propose_cancel province officer      cancellation_case_open                   yes
    cancel_proposed → cancel_notice publish   province officer           published_by_notice                      –
    cancel_proposed → certified  keep         province officer           –                                        yes
    cancel_notice → cancelled    cancel       province officer           notice_closed, no_upheld_objection_cancel yes
    cancel_notice → certified    keep         province officer           notice_closed                            yes
    certified     → expired      expire       system                     certificate_expired                      –

The panel is drawn at random in `accepted` (services.panel_draw), the experts score independently, the leader
aggregates; `expert_pass` waits for the aggregation. Before approving, the province may order an on-site check
(实地核查, decisions.site_check_order); a pending or failed check blocks `approve`, a failed one rejects. The
approved list is reported (报备, decisions.report_batch_*) by the yearly deadline; `certify` needs a reported
entry. A cancellation (32号 第十九条) is a case (decisions.cancellation_open) with its own public notice and
objections; `cancel` after the notice ends the certificate, `keep` leaves the firm certified. Effects: the
certificate (number, dates, registry record, the firm's status, class II IP marked used), the cancellation (the
certificate ended) and the case's outcome.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from gaoqi.policy import load_policy
from gaoqi.programmes.declaration import (
    BOTH,
    CIT,
    EDITABLE,
    PROV,
    publish,
    reject_after_notice,
    return_for_changes,
    submission,
)
from gaoqi.programmes.hte import evaluation, params
from gaoqi.programmes.hte.models import CancellationCase, HteRecord, ReportBatch, SiteCheck
from gaoqi.workflow import guards, numbering
from gaoqi.workflow.guards import NOTICE_GUARDS, add_years
from gaoqi.workflow.models import Application
from gaoqi.workflow.table import (
    CITY,
    ENTERPRISE,
    NOTIFY_ENTERPRISE,
    NOTIFY_NEXT_ACTORS,
    SYSTEM,
    Phase,
    Programme,
    Transition,
    register,
)

CODE = "hte"
PREPARERS = frozenset({ENTERPRISE, CITY})
SYNTHETIC = numbering.SYNTHETIC

PHASES = (
    Phase("draft", _("认定申请填报")),
    Phase("submitted", _("待市级推荐"), deadline_days=10),
    Phase("returned", _("退回修改"), deadline_days=15),
    Phase("recommended", _("待省级形式审查"), deadline_days=10),
    Phase("accepted", _("专家评审中"), deadline_days=30),
    Phase("reviewed", _("评审完成待认定")),
    Phase("approved", _("拟认定待公示")),
    Phase("in_notice", _("公示中")),
    Phase("certified", _("已认定高新技术企业")),
    Phase("rejected", _("不予认定"), final=True),
    Phase("withdrawn", _("已撤回"), final=True),
    Phase("cancel_proposed", _("拟取消资格")),
    Phase("cancel_notice", _("取消资格公示中")),
    Phase("cancelled", _("已取消资格"), final=True),
    Phase("expired", _("证书已到期"), final=True),
)

SUBMIT_GUARDS = ("declaration_complete", "hard_conditions")
TRANSITIONS = (
    *submission(_("提交认定申请"), PREPARERS, SUBMIT_GUARDS),
    Transition("submitted", "recommended", "recommend", _("市级推荐"), CIT,
               records=("remarks",), notify=BOTH, batch=True),
    return_for_changes("submitted", CIT),
    Transition("recommended", "accepted", "accept", _("形式审查通过"), PROV,
               records=("remarks",), notify=BOTH, batch=True),
    return_for_changes("recommended", PROV),
    Transition("accepted", "reviewed", "expert_pass", _("专家评审完成"), PROV, ("panel_aggregated",),
               records=("remarks",), notify=(NOTIFY_NEXT_ACTORS,), batch=True),
    Transition("reviewed", "approved", "approve", _("认定机构审议通过"), PROV,
               ("frozen_hard_conditions", "panel_passes", "site_checks_clear"), records=("remarks",), batch=True),
    Transition("reviewed", "rejected", "reject", _("不予认定"), PROV, reason_required=True,
               records=("remarks",), notify=(NOTIFY_ENTERPRISE,), batch=True),
    publish("approved"),
    Transition("in_notice", "certified", "certify", _("认定并发证"), PROV,
               ("notice_closed", "no_upheld_objection", "in_reported_list"), notify=(NOTIFY_ENTERPRISE,), batch=True),
    reject_after_notice(_("不予认定")),
    Transition("certified", "cancel_proposed", "propose_cancel", _("拟取消高企资格"), PROV,
               ("cancellation_case_open",), reason_required=True, records=("remarks",),
               notify=(NOTIFY_ENTERPRISE,), inbox=False),
    publish("cancel_proposed", "cancel_notice"),
    Transition("cancel_proposed", "certified", "keep", _("撤销取消资格案件"), PROV, reason_required=True,
               records=("remarks",), notify=(NOTIFY_ENTERPRISE,)),
    Transition("cancel_notice", "cancelled", "cancel", _("取消高企资格"), PROV,
               ("notice_closed", "no_upheld_objection_cancel"), reason_required=True, records=("remarks",),
               notify=(NOTIFY_ENTERPRISE,)),
    Transition("cancel_notice", "certified", "keep", _("维持高企资格"), PROV, ("notice_closed",),
               reason_required=True, records=("remarks",), notify=(NOTIFY_ENTERPRISE,)),
    Transition("certified", "expired", "expire", _("证书到期"), frozenset({SYSTEM}), ("certificate_expired",),
               notify=(NOTIFY_ENTERPRISE,), inbox=False),
)  # fmt: skip


def record_of(app: Application) -> HteRecord:
    return guards.record_of(HteRecord, app)


_today = guards.today


# --- Guards: (application, ctx) -> "" when the condition holds, else the message shown ------------------


def _live(app: Application, ctx: dict) -> dict:
    if "_hte_live" not in ctx:
        ctx["_hte_live"] = evaluation.live(actor=ctx["actor"], application=app)
    return ctx["_hte_live"]


def declaration_complete(app, ctx) -> str:
    ev = _live(app, ctx)
    problems = [*ev["errors"], *ev["document_errors"]]
    if problems:
        return _("申请材料不完整或有误：%(e)s") % {"e": "；".join(problems[:5])}
    return ""


def hard_conditions(app, ctx) -> str:
    ev = _live(app, ctx)
    if ev["errors"]:
        return ""  # declaration_complete's message
    if not ev["hard_ok"]:
        return _("不符合认定条件：%(f)s") % {"f": "、".join(ev["failed"]) or "—"}
    return ""


def panel_aggregated(app, ctx) -> str:
    record = record_of(app)
    if record.panel_score is None:
        return _("专家组组长尚未汇总评分")
    return ""


def frozen_hard_conditions(app, ctx) -> str:
    if not (app.snapshot or {}).get("hard_ok"):
        return _("提交时的评价快照不满足认定条件")
    return ""


def pass_above(on: date) -> int:
    return int(load_policy(evaluation.POLICY, on).value("score.pass_above"))


def panel_passes(app, ctx) -> str:
    record = record_of(app)
    bar = pass_above(_today(ctx))
    if record.panel_score is None or record.panel_score <= Decimal(bar):
        return _("专家组评分 %(s)s 分，须高于 %(b)s 分") % {"s": record.panel_score, "b": bar}
    return ""


def site_checks_clear(app, ctx) -> str:
    """No on-site check is pending, and the latest one (if any) passed."""
    latest = SiteCheck.objects.filter(application_id=app.pk).order_by("-ordered_at", "-id").first()
    if latest is None:
        return ""
    if latest.passed is None:
        return _("实地核查尚未完成")
    if not latest.passed:
        return _("实地核查未通过")
    return ""


def in_reported_list(app, ctx) -> str:
    """认定报备: a certificate only for an application in a list reported to the leading group's office."""
    batch = ReportBatch.objects.filter(records__application_id=app.pk).first()
    if batch is None:
        return _("尚未列入认定报备名单")
    if batch.reported_on is None:
        return _("所在认定报备名单尚未报备")
    return ""


def cancellation_case_open(app, ctx) -> str:
    if not CancellationCase.objects.filter(application_id=app.pk, outcome="").exists():
        return _("须先登记取消资格事由")
    return ""


def no_upheld_objection_cancel(app, ctx) -> str:
    if guards.no_upheld_objection(app, ctx):
        return _("公示期间异议成立，不能取消资格")
    return ""


def certificate_expired(app, ctx) -> str:
    record = record_of(app)
    if record.expires_on is None or record.expires_on >= _today(ctx):
        return _("证书仍在有效期内")
    return ""


# --- Effects --------------------------------------------------------------------------------------------


def expiry(issued_on: date) -> date:
    """Valid three years (a dated parameter) from the issue date: the last valid day."""
    return add_years(issued_on, int(params.value("valid_years", issued_on))) - timedelta(days=1)


def issue_certificate(app: Application, ctx: dict) -> None:
    """The certificate: a number (format a dated parameter, serial per year; demo numbers SYN-), the issue
    date, three years' validity; the registry's Certificate record and the firm's status; the class II IP items
    used are marked so they are not used again."""
    from gaoqi.registry.models import Certificate, CertificateKind, IntellectualProperty, IpClass
    from gaoqi.registry.services import enterprise_refresh_status

    today = _today(ctx)
    until = expiry(today)
    number = numbering.issue(
        app,
        fmt=params.value("certificate_no_format", today),
        fields={"year": today.year, "province": app.city_id[:2]},
        valid_until=until,
        synthetic=bool(ctx.get("synthetic")),
    )
    HteRecord.objects.filter(application_id=app.pk).update(
        certificate_no=number, issued_on=today, expires_on=until
    )
    Certificate.objects.create(
        enterprise=app.enterprise, kind=CertificateKind.HTE, number=number, issued_on=today, expires_on=until
    )
    IntellectualProperty.objects.filter(
        enterprise=app.enterprise, pk__in=app.declared.get("ip_items", []), ip_class=IpClass.CLASS2
    ).update(used_in_hte_application=True)
    enterprise_refresh_status(app.enterprise)


def cancel_certificate(app: Application, ctx: dict) -> None:
    """Cancellation (32号 第十九条): the certificate ends today; the firm's status follows (the decision itself
    is audited by the transition; certificate_end audits each certificate ended)."""
    from gaoqi.registry.models import CertificateEnd, CertificateKind
    from gaoqi.registry.services import certificate_end

    certificate_end(
        actor=None,
        enterprise=app.enterprise,
        kind=CertificateKind.HTE,
        ended_on=_today(ctx),
        reason=CertificateEnd.REVOKED,
        note=ctx.get("reason", ""),
    )


def close_case(outcome: str):
    """The effect that closes the application's open cancellation case with `outcome`."""

    def effect(app: Application, ctx: dict) -> None:
        from django.utils import timezone

        CancellationCase.objects.filter(application_id=app.pk, outcome="").update(
            outcome=outcome, decided_at=timezone.now()
        )

    return effect


def cancel_and_close(app: Application, ctx: dict) -> None:
    cancel_certificate(app, ctx)
    close_case(CancellationCase.Outcome.CANCELLED)(app, ctx)


PROGRAMME = register(
    Programme(
        code=CODE,
        label=_("高新技术企业认定"),
        phases=PHASES,
        initial="draft",
        transitions=TRANSITIONS,
        guards={
            "declaration_complete": declaration_complete,
            "hard_conditions": hard_conditions,
            "panel_aggregated": panel_aggregated,
            "frozen_hard_conditions": frozen_hard_conditions,
            "panel_passes": panel_passes,
            **NOTICE_GUARDS,
            "certificate_expired": certificate_expired,
            "site_checks_clear": site_checks_clear,
            "in_reported_list": in_reported_list,
            "cancellation_case_open": cancellation_case_open,
            "no_upheld_objection_cancel": no_upheld_objection_cancel,
        },
        effects={
            "certify": issue_certificate,
            "cancel": cancel_and_close,
            "keep": close_case(CancellationCase.Outcome.KEPT),
        },
        freeze=evaluation.freeze,
        editable_phases=EDITABLE,
        detail_url="hte:application",
    )
)
