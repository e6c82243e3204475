"""After certification (32号 第十六条、第十八条、第十九条): the annual report (年报) by 31 May, the list of firms
that have not filed and the reminders, the cancellation candidates (reports missed in two years), the
re-certification reminders 6 and 3 months before expiry, the "at risk" flag when the firm's latest facts no
longer meet the hard conditions, and change reports (更名/重大变化) reviewed by officers."""

from __future__ import annotations

import calendar
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.models import Role, User
from gaoqi.accounts.scope import can_review_hte_change, scope_applications
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import PermissionDenied, ValidationFailed
from gaoqi.programmes.hte import evaluation, params
from gaoqi.programmes.hte.declaration import CODE
from gaoqi.programmes.hte.models import AnnualReport, ChangeKind, ChangeReport, ChangeStatus, HteRecord
from gaoqi.workflow import notify
from gaoqi.workflow.models import Application

REPORT_FIELDS = (
    "ip_class1",
    "ip_class2",
    "employees",
    "tech_staff",
    "rnd_expense",
    "revenue",
    "hitech_revenue",
)


def report_deadline(year: int) -> date:
    """The report of fiscal `year` is due by this day of the next year (a dated parameter: 31 May)."""
    month, day = (int(x) for x in params.value("annual_report_deadline", date(year + 1, 1, 1)).split("-"))
    return date(year + 1, month, day)


def reports_due(record: HteRecord, today: date) -> list[int]:
    """The fiscal years whose report the certified firm owes by `today`: each year from the issue year on that
    the certificate covered at its end, whose deadline has passed."""
    if record.issued_on is None:
        return []
    last = record.expires_on.year if record.expires_on else record.issued_on.year
    return [y for y in range(record.issued_on.year, last + 1)
            if date(y, 12, 31) <= (record.expires_on or date.max) and report_deadline(y) < today]  # fmt: skip


def _firm_check(actor, app: Application) -> None:
    if actor.role != Role.ENTERPRISE or actor.enterprise_id != app.enterprise_id:
        raise PermissionDenied(_("年报由企业自行填报"))
    if app.programme != CODE or app.phase != "certified":
        raise ValidationFailed(_("仅有效期内的高新技术企业填报"), [{"field": "phase", "reason": app.phase}])


def annual_report_file(*, actor, application: Application, year: int, figures: dict) -> AnnualReport:
    """The firm files the report of fiscal `year` (once; after the deadline it is marked late)."""
    _firm_check(actor, application)
    today = timezone.localdate()
    if year >= today.year or year < (application.hte_record.issued_on or today).year:
        raise ValidationFailed(_("报告年度有误"), [{"field": "year", "reason": str(year)}])
    clean, errors = {}, []
    for key in REPORT_FIELDS:
        try:
            value = int(str(figures.get(key, "")).replace(",", "").strip())
            if value < 0:
                raise ValueError
            clean[key] = value
        except ValueError:
            errors.append({"field": key, "reason": _("请填写非负整数")})
    if errors:
        raise ValidationFailed(_("年报数据有误"), errors)
    if AnnualReport.objects.filter(application=application, year=year).exists():
        raise ValidationFailed(_("该年度年报已填报"), [{"field": "year", "reason": str(year)}])
    with transaction.atomic():
        report = AnnualReport.objects.create(
            application=application, enterprise=application.enterprise, year=year, figures=clean,
            filed_by=actor, filed_at=timezone.now(), late=today > report_deadline(year),
        )  # fmt: skip
        audit_record(actor=actor, action=AuditAction.CREATE, target=report, enterprise=application.enterprise,
                     new={"year": year, **clean}, reason=_("高企年报"))  # fmt: skip
    return report


def missing_reports(*, actor, year: int) -> list[Application]:
    """Certified firms in the actor's scope that owe the report of fiscal `year` and have not filed it."""
    if not 2000 <= int(year) <= 2100:
        raise ValidationFailed(_("报告年度有误"), [{"field": "year", "reason": str(year)}])
    apps = (
        scope_applications(actor)
        .filter(programme=CODE, hte_record__issued_on__lte=date(year, 12, 31),
                hte_record__expires_on__gte=date(year, 12, 31))
        .exclude(hte_reports__year=year)
        .select_related("enterprise")
        .order_by("enterprise__name")
    )  # fmt: skip
    return list(apps)


def cancellation_candidates(*, actor, today: date | None = None) -> list[tuple[Application, list[int]]]:
    """Certified firms that missed the report in at least `missed_reports_for_cancellation` (2) years: a
    cancellation case for the officers (the `cancel` transition, with its reason, audited)."""
    today = today or timezone.localdate()
    limit = int(params.value("missed_reports_for_cancellation", today))
    out = []
    for app in (
        scope_applications(actor)
        .filter(programme=CODE, phase="certified")
        .select_related("hte_record", "enterprise")
    ):
        missed = missed_years(app, today)
        if len(missed) >= limit:
            out.append((app, missed))
    return out


def missed_years(app: Application, today: date | None = None) -> list[int]:
    """The fiscal years whose annual report the certified firm owed by `today` and has not filed."""
    today = today or timezone.localdate()
    filed = set(app.hte_reports.values_list("year", flat=True))
    return [y for y in reports_due(app.hte_record, today) if y not in filed]


def _firm_users(app):
    return User.objects.filter(role=Role.ENTERPRISE, is_active=True, enterprise_id=app.enterprise_id)


def send_report_reminders(*, today: date | None = None) -> int:
    """Remind certified firms that have not filed last year's report, N days before the deadline (30, 7)."""
    today = today or timezone.localdate()
    year = today.year - 1
    if (report_deadline(year) - today).days not in params.value("annual_report_reminder_days", today):
        return 0
    apps = (
        Application.objects.filter(
            programme=CODE, phase="certified", hte_record__issued_on__lte=date(year, 12, 31)
        )
        .exclude(hte_reports__year=year)
        .select_related("enterprise")
    )
    sent = 0
    for app in apps:
        sent += len(notify.notify_users(
            _firm_users(app),
            title=_("请于 %(d)s 前填报 %(y)s 年度高新技术企业发展情况报表") % {"d": report_deadline(year), "y": year},
            url=f"/programmes/hte/applications/{app.pk}/", application=app,
        ))  # fmt: skip
    return sent


def expire_certificates(*, today: date | None = None):
    """Certified applications whose certificate has expired move to `expired` (system transition, audited)."""
    from gaoqi.workflow.services import transition_batch

    today = today or timezone.localdate()
    items = list(
        Application.objects.filter(
            programme=CODE, phase="certified", hte_record__expires_on__lt=today
        ).values_list("pk", "version")
    )
    return transition_batch(
        actor=None, items=items, action="expire", reason=_("证书有效期届满"), extra={"today": today}
    )


def add_months(day: date, months: int) -> date:
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def send_recertification_reminders(*, today: date | None = None) -> int:
    """Remind certified firms whose certificate expires exactly 6 or 3 months (a dated parameter) from today."""
    today = today or timezone.localdate()
    days = [add_months(today, m) for m in params.value("recertification_reminder_months", today)]
    sent = 0
    apps = Application.objects.filter(programme=CODE, phase="certified", hte_record__expires_on__in=days)
    for app in apps.select_related("enterprise", "hte_record"):
        sent += len(notify.notify_users(
            _firm_users(app),
            title=_("高新技术企业证书将于 %(d)s 到期，请及时申请重新认定") % {"d": app.hte_record.expires_on},
            url="/programmes/hte/", application=app,
        ))  # fmt: skip
    return sent


def at_risk(*, actor, application: Application) -> list[str]:
    """The hard conditions the certified firm's latest registry facts no longer meet ([] when none)."""
    if application.phase != "certified":
        return []
    today = timezone.localdate()
    facts = evaluation.registry_facts(actor=actor, enterprise=application.enterprise, as_of=today)
    view = evaluation.view(evaluation.evaluate_facts(facts, today))
    if view["errors"]:
        return []  # not enough facts to say
    return [h["label"] for h in view["hard"].values() if h["passed"] is False]


def change_report_file(
    *, actor, application: Application, kind: str, description: str, new_name: str = ""
) -> ChangeReport:
    _firm_check(actor, application)
    errors = []
    if kind not in ChangeKind.values:
        errors.append({"field": "kind", "reason": _("请选择变化类型")})
    if not description.strip():
        errors.append({"field": "description", "reason": _("请说明变化情况")})
    if kind == ChangeKind.RENAME and not new_name.strip():
        errors.append({"field": "new_name", "reason": _("请填写变更后名称")})
    if errors:
        raise ValidationFailed(_("变更报告有误"), errors)
    with transaction.atomic():
        report = ChangeReport.objects.create(
            application=application, kind=kind, new_name=new_name.strip(), description=description.strip(),
            filed_by=actor, filed_at=timezone.now(),
        )  # fmt: skip
        audit_record(actor=actor, action=AuditAction.CREATE, target=report, enterprise=application.enterprise,
                     new={"kind": kind, "new_name": report.new_name}, reason=report.description)  # fmt: skip
    return report


def change_report_review(*, actor, report: ChangeReport, approve: bool, note: str) -> ChangeReport:
    """An officer (province, in scope) reviews a change report; an approved rename renames the firm in the
    registry (audited there); a rejected change is a reason to consider cancellation (32号 第十九条)."""
    can_review_hte_change(actor, report.application).enforce()
    if report.status != ChangeStatus.PENDING:
        raise ValidationFailed(_("该报告已审核"), [{"field": "status", "reason": report.status}])
    if not note.strip():
        raise ValidationFailed(_("请填写审核意见"), [{"field": "note", "reason": _("此操作须说明理由")}])
    from gaoqi.registry.services import enterprise_update

    with transaction.atomic():
        old = report.status
        report.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
        report.reviewed_by, report.reviewed_at, report.review_note = actor, timezone.now(), note.strip()
        report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        if approve and report.kind == ChangeKind.RENAME:
            enterprise_update(actor=actor, enterprise=report.application.enterprise, reason=note.strip(),
                              name=report.new_name)  # fmt: skip
        audit_record(actor=actor, action=AuditAction.DECISION, target=report,
                     enterprise=report.application.enterprise, old={"status": old},
                     new={"status": report.status}, reason=note.strip())  # fmt: skip
    return report
