"""Alerts (动态监测预警): one row per condition found by a scan of the stored data (see `rules.py`).

An alert is *live* (`holds`) while the latest scan still finds its condition; at most one live alert per rule
and subject (the database refuses a second), so a rescan never duplicates. When the condition is gone the
scan resolves the alert itself (or, if an officer had already resolved it, only records that it cleared).
Officers acknowledge and resolve with a note (`services.py`, audited); `AlertEvent` is the alert's history.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    NOTICE = "notice", _("提示")
    WARNING = "warning", _("预警")


class Status(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    RESOLVED = "resolved", _("已解除")


class Alert(models.Model):
    rule = models.CharField(_("预警规则"), max_length=40)
    subject_key = models.CharField(max_length=80)  # the firm (and certificate date) or region it is about
    severity = models.CharField(_("级别"), max_length=12, choices=Severity.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    city = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    act_role = models.CharField(_("责任部门"), max_length=20)
    act_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("预警原因"), max_length=500)
    figures = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    holds = models.BooleanField(default=True)  # the condition held at the latest scan
    opened_at = models.DateTimeField(_("发现时间"))
    last_seen_at = models.DateTimeField(_("最近一次扫描"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("处理说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("预警")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key"], condition=Q(holds=True), name="alert_one_live"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "acknowledged", "resolved"]), name="alert_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["city", "status", "rule"], name="alert_city_status"),
            models.Index(fields=["county", "status", "rule"], name="alert_county_status"),
            models.Index(fields=["rule", "holds"], name="alert_rule_live"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_key} ({self.status})"


class EventKind(models.TextChoices):
    OPENED = "opened", _("扫描发现")
    UPDATED = "updated", _("扫描更新数据")
    ACKNOWLEDGED = "acknowledged", _("确认")
    RESOLVED = "resolved", _("解除")
    AUTO_RESOLVED = "auto_resolved", _("复查条件消失，自动解除")
    CLEARED = "cleared", _("复查条件消失")


class AlertEvent(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
