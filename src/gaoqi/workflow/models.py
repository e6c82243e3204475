"""The workflow core's tables: applications (one generic table for every programme), their decision history,
notifications, public notices with objections, and attachments.

One concrete `Application` table rather than one per programme: the inbox, the queues and the batch actions
are one indexed query across programmes, and a programme's own fields are few (what the firm declares sits in
`declared`, what was decided on in `snapshot`). A programme that needs more adds a one-to-one model.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Application(models.Model):
    programme = models.CharField(_("项目"), max_length=24)
    year = models.PositiveSmallIntegerField(_("年度"))
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="applications", verbose_name=_("企业")
    )
    # Denormalised from the enterprise (set on creation) so region scope is one indexed column here.
    city = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    phase = models.CharField(_("环节"), max_length=24)
    # Optimistic concurrency: every transition adds one; a decision made on a stale version is refused.
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    phase_since = models.DateTimeField(_("进入当前环节时间"))
    deadline = models.DateTimeField(_("办理期限"), null=True, blank=True)
    declared = models.JSONField(_("企业自报数据"), default=dict, encoder=DjangoJSONEncoder)
    # Frozen at submission: facts revision + evaluation (outcome, score, engine version, parameter hash).
    snapshot = models.JSONField(_("评价快照"), null=True, blank=True, encoder=DjangoJSONEncoder)
    flags = models.JSONField(_("核查标记"), default=list)
    remarks = models.TextField(_("审核意见"), blank=True)
    reference_no = models.CharField(_("登记编号"), max_length=40, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        verbose_name = _("申报")
        ordering = ["phase_since", "id"]
        indexes = [
            # The queues' order (oldest first, id to break ties): a page is read off the index, no sort.
            models.Index(fields=["programme", "phase", "phase_since", "id"], name="application_queue"),
            models.Index(
                fields=["city", "programme", "phase", "phase_since", "id"], name="application_city_queue"
            ),
            models.Index(
                fields=["county", "programme", "phase", "phase_since", "id"], name="application_county_q"
            ),
            models.Index(fields=["enterprise", "programme", "year"], name="application_firm"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "reference_no"],
                condition=~Q(reference_no=""),
                name="application_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme}#{self.pk}"


class Decision(models.Model):
    """One transition of one application: the decision history. Append-only like the audit log."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=32)
    from_phase = models.CharField(_("原环节"), max_length=24)
    to_phase = models.CharField(_("新环节"), max_length=24)
    reason = models.TextField(_("理由"), blank=True)
    at = models.DateTimeField(_("时间"))
    version = models.PositiveIntegerField(_("版本"))  # the application's version after this decision
    snapshot = models.JSONField(_("评价快照"), null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("办理记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "at"], name="decision_application_at")]


class Notification(models.Model):
    class Email(models.TextChoices):
        NONE = "", _("不发送")
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=200, blank=True)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    email = models.CharField(max_length=8, choices=Email.choices, default="", blank=True)

    class Meta:
        verbose_name = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]


class PublicNotice(models.Model):
    """公示: a batch of applications published for objections over a number of working days."""

    programme = models.CharField(_("项目"), max_length=24)
    title = models.CharField(_("公示标题"), max_length=200)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+"
    )  # the publisher's
    starts_on = models.DateField(_("公示开始日期"))
    working_days = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    ends_on = models.DateField(_("公示截止日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("公示")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title


class NoticeEntry(models.Model):
    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="entries")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notice_entries")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice", "application"], name="notice_entry_once"),
        ]


class Objection(models.Model):
    """异议: recorded during a notice, resolved (upheld or dismissed, with a reason) before it can close."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="objections")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    filed_by = models.CharField(_("异议人"), max_length=100)
    content = models.TextField(_("异议内容"))
    filed_at = models.DateTimeField(_("提出时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    upheld = models.BooleanField(_("异议成立"), null=True, blank=True)  # null: open
    resolution = models.TextField(_("处理意见"), blank=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("异议")
        ordering = ["filed_at", "id"]


class Attachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("材料类型"), max_length=32)
    file_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    stored_path = models.CharField(max_length=300)  # relative to settings.VAR_DIR
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        ordering = ["uploaded_at", "id"]
