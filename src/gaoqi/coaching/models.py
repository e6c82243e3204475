"""Service records (跟踪辅导服务记录): an agency's or a bureau's coaching visit, training or check of a firm.

A record may name a follow-up date. The follow-up is open until the next record for the same firm is logged
(by anyone): the latest record of a firm carries its pending follow-up, so nothing is stored twice.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ServiceKind(models.TextChoices):
    VISIT = "visit", _("上门辅导")
    TRAINING = "training", _("培训")
    CHECK = "check", _("核查")
    REMOTE = "remote", _("线上或电话辅导")
    OTHER = "other", _("其他")


class ServiceRecord(models.Model):
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.CASCADE,
        related_name="service_records",
        verbose_name=_("企业"),
    )
    kind = models.CharField(_("服务类型"), max_length=12, choices=ServiceKind.choices)
    served_on = models.DateField(_("服务日期"))
    content = models.TextField(_("服务内容"), max_length=2000)
    next_step = models.TextField(_("下一步工作"), max_length=1000, blank=True)
    follow_up_on = models.DateField(_("跟进日期"), null=True, blank=True)
    author = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("填写人")
    )
    # The author's agency when an agency logged it; empty when a science and technology bureau did.
    agency = models.ForeignKey(
        "accounts.ServiceAgency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_records",
        verbose_name=_("服务机构"),
    )
    created_at = models.DateTimeField(_("填写时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务记录")
        ordering = ["-served_on", "-id"]
        indexes = [
            # The firm's tab and the "is there a later record" test of the follow-up list.
            models.Index(fields=["enterprise", "served_on", "id"], name="service_enterprise_date"),
            models.Index(fields=["follow_up_on"], name="service_follow_up"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up_on__isnull=True) | Q(follow_up_on__gte=F("served_on")),
                name="service_follow_up_not_before",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.served_on}"
