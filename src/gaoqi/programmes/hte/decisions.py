"""The certification body's decision steps around the table (195号 二（四）, 32号 第十九条):

- the on-site check (实地核查): ordered before the decision, its result recorded (who, when, findings, pass or
  fail); a failed check rejects the application with the findings as the reason;
- the report (认定报备): the list of firms proposed for certification, reported to the national leading group's
  office by the yearly deadline (a dated parameter); certificates are issued only for a reported entry;
- the cancellation case: opened on a ground of 32号 第十九条 (two missed annual reports among them), then its own
  public notice (the workflow core's notices), objections, the decision (`cancel` ends the certificate, `keep`
  leaves the firm certified).

Every write audited; permissions from gaoqi.accounts.scope."""

from __future__ import annotations

import io
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import (
    can_decide_hte,
    can_report_hte,
    scope_applications,
    scope_hte_report_batches,
)
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.programmes.hte import params
from gaoqi.programmes.hte.declaration import CODE, record_of
from gaoqi.programmes.hte.models import (
    CancellationCase,
    CancellationGround,
    HteRecord,
    ReportBatch,
    SiteCheck,
)
from gaoqi.workflow.models import Application
from gaoqi.workflow.services import transition

DECIDING = "reviewed"  # the phase of the province's decision
REPORTABLE = ("approved", "in_notice")  # decided, not yet certified


def _hte(application: Application) -> None:
    if application.programme != CODE:
        raise NotFound(_("对象不存在或无权访问"))


# --- On-site check (实地核查) ------------------------------------------------------------------------------


def site_check_order(*, actor, application: Application, reason: str) -> SiteCheck:
    """The province orders an on-site check of an application awaiting its decision (one open at a time)."""
    can_decide_hte(actor, application).enforce()
    _hte(application)
    if application.phase != DECIDING:
        raise ValidationFailed(
            _("仅在认定审议环节安排实地核查"), [{"field": "phase", "reason": application.phase}]
        )
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写核查事由"), [{"field": "reason", "reason": _("此操作须说明理由")}])
    if SiteCheck.objects.filter(application=application, passed__isnull=True).exists():
        raise ValidationFailed(_("已有未完成的实地核查"), [{"field": "site_check", "reason": ""}])
    with transaction.atomic():
        check = SiteCheck.objects.create(
            application=application, reason=reason.strip(), ordered_by=actor, ordered_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=check,
            enterprise=application.enterprise,
            new={"application": application.pk},
            reason=check.reason,
        )
    return check


def site_check_record(
    *, actor, check: SiteCheck, inspectors: str, checked_on: date | None, findings: str, passed: bool
) -> SiteCheck:
    """The result of an on-site check: who checked, on which day, the findings, pass or fail. A failed check
    rejects the application (the `reject` transition, the findings as its reason) in the same transaction."""
    app = check.application
    can_decide_hte(actor, app).enforce()
    if check.passed is not None:
        raise ValidationFailed(_("该实地核查结果已登记"), [{"field": "site_check", "reason": ""}])
    errors = []
    if not (inspectors or "").strip():
        errors.append({"field": "inspectors", "reason": _("请填写核查人员")})
    if checked_on is None or checked_on > timezone.localdate():
        errors.append({"field": "checked_on", "reason": _("请填写核查日期（不晚于今天）")})
    elif checked_on < timezone.localtime(check.ordered_at).date():
        errors.append({"field": "checked_on", "reason": _("核查日期不能早于安排日期")})
    if not (findings or "").strip():
        errors.append({"field": "findings", "reason": _("请填写核查结论")})
    if errors:
        raise ValidationFailed(_("实地核查结果有误"), errors)
    with transaction.atomic():
        check.inspectors, check.checked_on, check.findings = inspectors.strip(), checked_on, findings.strip()
        check.passed, check.recorded_by, check.recorded_at = bool(passed), actor, timezone.now()
        check.save(
            update_fields=["inspectors", "checked_on", "findings", "passed", "recorded_by", "recorded_at"]
        )
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=check,
            enterprise=app.enterprise,
            old={"passed": None},
            new={"passed": check.passed, "inspectors": check.inspectors, "checked_on": checked_on},
            reason=check.findings,
        )
        if not check.passed:
            app = Application.objects.select_related("enterprise").get(pk=app.pk)
            transition(
                actor=actor,
                application=app,
                action="reject",
                reason=_("实地核查未通过：%(f)s") % {"f": check.findings},
                version=app.version,
            )
    return check


def site_checks(application: Application) -> list[SiteCheck]:
    return list(SiteCheck.objects.filter(application=application).select_related("ordered_by", "recorded_by"))


# --- The report (认定报备) ----------------------------------------------------------------------------------


def report_deadline(year: int) -> date:
    """The day by which the year's list is reported (a dated parameter: 30 November, 195号 二（四）)."""
    month, day = (int(x) for x in params.value("report_deadline", date(year, 1, 1)).split("-"))
    return date(year, month, day)


def reportable(actor):
    """Applications the province may put in a report list: decided (approved or in notice), in scope, in no
    list yet."""
    return (
        scope_applications(actor)
        .filter(programme=CODE, phase__in=REPORTABLE, hte_record__report_batch__isnull=True)
        .select_related("enterprise", "hte_record")
        .order_by("county_id", "enterprise__name")
    )


def report_batch_create(*, actor, year: int, title: str, application_ids: list[int]) -> ReportBatch:
    """A report list of the chosen applications (each decided and in no other list)."""
    can_report_hte(actor).enforce()
    errors = []
    if not (title or "").strip():
        errors.append({"field": "title", "reason": _("请填写报备批次名称")})
    if not 2000 <= int(year) <= 2100:
        errors.append({"field": "year", "reason": str(year)})
    ids = sorted({int(i) for i in application_ids or []})
    if not ids:
        errors.append({"field": "items", "reason": _("请选择要报备的企业")})
    found = set(reportable(actor).filter(pk__in=ids).values_list("pk", flat=True))
    for missing in sorted(set(ids) - found):
        errors.append(
            {
                "field": "items",
                "reason": _("申请 %(i)s 不可报备（未审议通过、已在其他报备名单或无权访问）") % {"i": missing},
            }
        )
    if errors:
        raise ValidationFailed(_("报备名单有误"), errors)
    with transaction.atomic():
        batch = ReportBatch.objects.create(
            year=year,
            title=title.strip(),
            region_id=actor.region_id,
            deadline=report_deadline(year),
            created_by=actor,
            created_at=timezone.now(),
        )
        for pk in ids:
            record_of(Application.objects.get(pk=pk))
        HteRecord.objects.filter(application_id__in=ids).update(report_batch=batch)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=batch,
            new={"year": year, "title": batch.title, "applications": ids, "deadline": batch.deadline},
        )
    return batch


def report_batch_mark_reported(
    *, actor, batch: ReportBatch, reported_on: date | None, reference: str = ""
) -> ReportBatch:
    """Mark the list reported to the leading group's office (once; a date after the deadline is recorded and
    shown as late)."""
    if not scope_hte_report_batches(actor).filter(pk=batch.pk).exists():
        raise NotFound(_("对象不存在或无权访问"))
    if batch.reported_on is not None:
        raise ValidationFailed(
            _("该名单已报备"), [{"field": "reported_on", "reason": str(batch.reported_on)}]
        )
    if reported_on is None or reported_on > timezone.localdate():
        raise ValidationFailed(
            _("请填写报备日期（不晚于今天）"), [{"field": "reported_on", "reason": str(reported_on)}]
        )
    if not batch.records.exists():
        raise ValidationFailed(_("名单为空"), [{"field": "items", "reason": ""}])
    with transaction.atomic():
        batch.reported_on, batch.reference, batch.reported_by = reported_on, (reference or "").strip(), actor
        batch.save(update_fields=["reported_on", "reference", "reported_by"])
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=batch,
            old={"reported_on": None},
            new={"reported_on": reported_on, "reference": batch.reference, "late": batch.late,
                 "entries": batch.records.count()},
            reason=_("认定名单已报领导小组办公室备案"),
        )  # fmt: skip
    return batch


def report_batch_rows(batch: ReportBatch) -> list[dict]:
    """The list as reported: one row per firm (credit code, name, city, county, field, panel score, phase)."""
    from gaoqi.workflow.table import programme

    prog = programme(CODE)
    rows = []
    records = batch.records.select_related(
        "application__enterprise", "application__city", "application__county"
    ).order_by("application__county_id", "application__enterprise__name")
    for r in records:
        a = r.application
        rows.append(
            {
                "application_id": a.pk,
                "credit_code": a.enterprise.credit_code,
                "enterprise": a.enterprise.name,
                "city": a.city.name,
                "county": a.county.name,
                "tech_field": (a.snapshot or {}).get("declared", {}).get("tech_field", ""),
                "panel_score": r.panel_score,
                "phase": str(prog.label_of(a.phase)),
                "certificate_no": a.reference_no,
            }
        )
    return rows


def report_batch_xlsx(batch: ReportBatch) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet(_("认定报备名单")[:31])
    bold = book.add_format({"bold": True})
    sheet.write(0, 0, batch.title, bold)
    sheet.write(1, 0, _("报送截止日期"))
    sheet.write(1, 1, batch.deadline.isoformat())
    sheet.write(2, 0, _("报备日期"))
    sheet.write(2, 1, batch.reported_on.isoformat() if batch.reported_on else _("尚未报备"))
    heads = [_("序号"), _("统一社会信用代码"), _("企业名称"), _("设区市"), _("县（市、区）"), _("技术领域"),
             _("专家组评分"), _("当前环节"), _("证书编号")]  # fmt: skip
    for c, h in enumerate(heads):
        sheet.write(4, c, h, bold)
    keys = (
        "credit_code",
        "enterprise",
        "city",
        "county",
        "tech_field",
        "panel_score",
        "phase",
        "certificate_no",
    )
    for n, row in enumerate(report_batch_rows(batch), 1):
        sheet.write(4 + n, 0, n)
        for c, k in enumerate(keys, 1):
            v = row[k]
            sheet.write(
                4 + n, c, float(v) if k == "panel_score" and v is not None else (v if v is not None else "")
            )
    sheet.set_column(1, 2, 28)
    sheet.set_column(3, 8, 14)
    book.close()
    return buf.getvalue()


# --- Cancellation (取消资格) --------------------------------------------------------------------------------


def cancellation_open(
    *, actor, application: Application, ground: str, detail: str, version: int, missed_years=()
) -> CancellationCase:
    """Open a cancellation case on a ground of 32号 第十九条 and move the application to 拟取消资格 (the
    `propose_cancel` transition, audited); the case then goes into a public notice of its own."""
    can_decide_hte(actor, application).enforce()
    _hte(application)
    errors = []
    if ground not in CancellationGround.values:
        errors.append({"field": "ground", "reason": _("请选择取消事由")})
    if not (detail or "").strip():
        errors.append({"field": "detail", "reason": _("请说明情况")})
    if errors:
        raise ValidationFailed(_("取消资格事由有误"), errors)
    if application.phase != "certified":
        raise ValidationFailed(
            _("仅对有效期内的高新技术企业办理取消资格"), [{"field": "phase", "reason": application.phase}]
        )
    label = CancellationGround(ground).label
    with transaction.atomic():
        case = CancellationCase.objects.create(
            application=application, ground=ground, detail=detail.strip(),
            missed_years=sorted(int(y) for y in missed_years), opened_by=actor, opened_at=timezone.now(),
        )  # fmt: skip
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=case,
            enterprise=application.enterprise,
            new={"ground": ground, "missed_years": case.missed_years},
            reason=case.detail,
        )
        transition(
            actor=actor,
            application=application,
            action="propose_cancel",
            reason=f"{label}：{case.detail}",
            version=version,
        )
    return case


def open_case(application: Application) -> CancellationCase | None:
    return CancellationCase.objects.filter(application=application).order_by("-opened_at", "-id").first()


def cancellation_cases(*, actor):
    """Cancellation cases of the applications in scope, newest first."""
    return CancellationCase.objects.filter(
        application__in=scope_applications(actor).filter(programme=CODE)
    ).select_related("application__enterprise")
