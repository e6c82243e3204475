"""The append-only audit log: who did what to which object, when, why, with old and new values."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    IMPORT = "import", _("导入")
    DECISION = "decision", _("决定")
    LOGIN = "login", _("登录")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("audit events are append-only")

    def delete(self):
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    # Like the enterprise below: no database constraint, never updated; the username is kept on the event, so
    # an account deleted later (a demo account bound to a synthetic firm) leaves its events readable.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)  # set by the service, hashed
    action = models.CharField(_("操作"), max_length=12, choices=AuditAction.choices)
    target_type = models.CharField(_("对象类型"), max_length=40)
    target_id = models.CharField(_("对象"), max_length=40)
    # The enterprise the event concerns, so its page can show its trail with one indexed query. No database
    # constraint and DO_NOTHING: deleting the firm must not make the ORM rewrite the event (the database
    # refuses any UPDATE); the event keeps the firm's credit code and name, so it stays readable afterwards.
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    enterprise_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    enterprise_name = models.CharField(_("企业名称"), max_length=120, blank=True)
    old = models.JSONField(_("原值"), null=True, blank=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(_("新值"), null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    # The hash chain (see gaoqi.audit.chain): position 1, 2, 3... with no gap, the previous event's hash, and
    # this event's hash over its own fields and `prev_hash`.
    seq = models.BigIntegerField(_("序号"), unique=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["enterprise", "-at"], name="audit_enterprise_at")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit events are append-only")


class AuditChainHead(models.Model):
    """The one row holding the last event's position and hash. Appending locks it (SELECT ... FOR UPDATE), so
    concurrent writers append one after the other and the chain never forks."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("审计链头")
