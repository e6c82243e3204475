"""The append-only audit log: who did what to which object, when, why, with old and new values."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
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
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    action = models.CharField(_("操作"), max_length=12, choices=AuditAction.choices)
    target_type = models.CharField(_("对象类型"), max_length=40)
    target_id = models.CharField(_("对象"), max_length=40)
    # The enterprise the event concerns, so its page can show its trail with one indexed query.
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    old = models.JSONField(_("原值"), null=True, blank=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(_("新值"), null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.CharField(_("原因"), max_length=500, blank=True)

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
