"""Writes of alerts: the scan (system) and an officer's acknowledge / resolve, each audited.

The scan is idempotent: a finding whose rule and subject already have a live alert updates it (figures and
reason, history entry only when they changed); a new finding opens one; a live alert whose condition is gone is
resolved by the scan ("复查条件消失，自动解除") or, if an officer had already resolved it, marked cleared. A
resolved alert whose condition comes back later opens a new alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import can_handle_alert, can_run_alert_scan
from gaoqi.alerts import checks
from gaoqi.alerts.models import Alert, AlertEvent, EventKind, Status
from gaoqi.alerts.rules import RULES, Rule
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import PendingEvent, audit_record, audit_record_many
from gaoqi.errors import ValidationFailed


@dataclass
class ScanResult:
    today: date
    opened: int = 0
    updated: int = 0
    unchanged: int = 0
    resolved: int = 0  # resolved by the scan: condition gone
    skipped: tuple[str, ...] = ()  # rules without a check yet

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "opened": self.opened,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "resolved": self.resolved,
            "skipped": list(self.skipped),
        }


def _act_region(rule: Rule, f: checks.Finding) -> str:
    if rule.act_role == Role.COUNTY_OFFICER and f.county:
        return f.county
    if rule.act_role == Role.PROVINCE_OFFICER:
        return f.city[:2] + "0000"
    return f.city


def _jsonable(figures: dict) -> dict:
    return {
        k: v.isoformat() if isinstance(v, date) else (str(v) if not isinstance(v, int | str | list) else v)
        for k, v in figures.items()
    }


def _scan_rule(rule: Rule, findings: list[checks.Finding], now, result: ScanResult) -> None:
    live = {a.subject_key: a for a in Alert.objects.filter(rule=rule.code, holds=True)}
    found = {f.subject_key: f for f in findings}
    events, new = [], []
    for key, f in found.items():
        figures = _jsonable(f.figures)
        alert = live.get(key)
        if alert is None:
            alert = Alert(
                rule=rule.code,
                subject_key=key,
                severity=rule.severity,
                enterprise_id=f.enterprise_id,
                city_id=f.city,
                county_id=f.county,
                act_role=rule.act_role,
                act_region_id=_act_region(rule, f),
                reason=f.reason[:500],
                figures=figures,
                opened_at=now,
                last_seen_at=now,
            )
            new.append(alert)
            result.opened += 1
        elif alert.reason != f.reason[:500] or alert.figures != figures:
            Alert.objects.filter(pk=alert.pk).update(reason=f.reason[:500], figures=figures, last_seen_at=now)
            events.append(AlertEvent(alert=alert, at=now, kind=EventKind.UPDATED, note=f.reason[:500]))
            result.updated += 1
        else:
            result.unchanged += 1
    gone = [a for key, a in live.items() if key not in found]
    note = _("复查时预警条件已不再满足")
    for alert in gone:
        if alert.status == Status.RESOLVED:
            Alert.objects.filter(pk=alert.pk).update(holds=False, last_seen_at=now)
            events.append(AlertEvent(alert=alert, at=now, kind=EventKind.CLEARED, note=note))
        else:
            Alert.objects.filter(pk=alert.pk).update(
                holds=False,
                status=Status.RESOLVED,
                resolved_at=now,
                resolved_by=None,
                note=note,
                last_seen_at=now,
            )
            events.append(AlertEvent(alert=alert, at=now, kind=EventKind.AUTO_RESOLVED, note=note))
            result.resolved += 1
    if found.keys() & live.keys():
        Alert.objects.filter(
            rule=rule.code, holds=True, subject_key__in=list(found.keys() & live.keys())
        ).update(last_seen_at=now)
    Alert.objects.bulk_create(new, batch_size=1000)  # primary keys come back (PostgreSQL, SQLite ≥ 3.35)
    events += [AlertEvent(alert=a, at=now, kind=EventKind.OPENED, note=a.reason) for a in new]
    AlertEvent.objects.bulk_create(events, batch_size=1000)


def scan(*, today: date | None = None, actor=None, rules: tuple[Rule, ...] = RULES) -> ScanResult:
    """Evaluate every rule on `today` (Asia/Shanghai) and bring the alerts in line. `actor` None: the schedule."""
    today = today or timezone.localdate()
    now = timezone.now()
    result = ScanResult(today, skipped=tuple(r.code for r in rules if r.check is None))
    with transaction.atomic():
        for rule in rules:
            if rule.check is None:
                continue
            findings = getattr(checks, rule.check)(today, **rule.params)
            _scan_rule(rule, findings, now, result)
        audit_record_many(
            [
                PendingEvent(
                    actor=actor,
                    action=AuditAction.UPDATE,
                    target_type="alerts.scan",
                    target_id=today.isoformat(),
                    new=result.as_dict(),
                    reason="动态监测预警扫描",
                )
            ]
        )
    return result


def scan_job(*, today: str | None = None, progress=None) -> dict:
    """The background job's entry point (`gaoqi alerts-scan` runs `scan` directly)."""
    if progress:
        progress(0, 1, "扫描预警规则")
    r = scan(today=date.fromisoformat(today) if today else None)
    if progress:
        progress(1, 1, "完成")
    return {
        "summary": f"预警扫描（{r.today}）：新增 {r.opened}，更新 {r.updated}，未变 {r.unchanged}，自动解除 {r.resolved}",
        "url": reverse("alerts:list"),
    }


def scan_start(*, actor):
    """A province officer starts a scan as a background job."""
    from gaoqi.jobs.services import start_job

    can_run_alert_scan(actor).enforce()
    return start_job(actor=actor, kind="alerts.scan", func_path="gaoqi.alerts.services.scan_job", kwargs={})


def _handle(*, actor, alert: Alert, to: str, note: str, allowed_from: tuple[str, ...]) -> Alert:
    can_handle_alert(actor, alert).enforce()
    note = (note or "").strip()
    if to == Status.RESOLVED and not note:
        raise ValidationFailed(
            _("请填写处理说明"), [{"field": "note", "reason": _("解除预警须说明处理情况")}]
        )
    if len(note) > 500:
        raise ValidationFailed(_("处理说明过长"), [{"field": "note", "reason": _("不超过500字")}])
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        if current.status not in allowed_from:
            raise ValidationFailed(
                _("预警当前状态为“%(s)s”，不能执行此操作") % {"s": current.get_status_display()}
            )
        now = timezone.now()
        old = {"status": current.status, "note": current.note}
        current.status = to
        current.note = note
        if to == Status.ACKNOWLEDGED:
            current.acknowledged_by, current.acknowledged_at = actor, now
        else:
            current.resolved_by, current.resolved_at = actor, now
        current.save()
        AlertEvent.objects.create(
            alert=current,
            at=now,
            actor=actor,
            kind=EventKind.ACKNOWLEDGED if to == Status.ACKNOWLEDGED else EventKind.RESOLVED,
            note=note,
        )
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=current,
            enterprise=current.enterprise,
            old=old,
            new={"status": to, "note": note},
            reason=note or str(_("确认预警")),
        )
    return current


def alert_acknowledge(*, actor, alert: Alert, note: str = "") -> Alert:
    return _handle(actor=actor, alert=alert, to=Status.ACKNOWLEDGED, note=note, allowed_from=(Status.OPEN,))


def alert_resolve(*, actor, alert: Alert, note: str) -> Alert:
    return _handle(
        actor=actor,
        alert=alert,
        to=Status.RESOLVED,
        note=note,
        allowed_from=(Status.OPEN, Status.ACKNOWLEDGED),
    )
