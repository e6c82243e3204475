"""The cultivation pool's own record of an application (the workflow core's one-to-one extension): the expert
score, the admission (year, batch, period) and the exit with its reason. Membership of the pool is an
admitted record without an exit, within its period; the rewards and the targets read it from here."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExitReason(models.TextChoices):
    CERTIFIED = "certified", _("认定为高新技术企业")
    PERIOD_ENDED = "period_ended", _("培育期满")
    REVOKED = "revoked", _("撤销入库")


class PoolRecord(models.Model):
    application = models.OneToOneField(
        "workflow.Application", on_delete=models.CASCADE, related_name="pool_record"
    )
    # Denormalised from the application: the rewards look memberships up by firm.
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="+")
    expert_score = models.DecimalField(
        _("专家评审平均分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    batch_no = models.PositiveSmallIntegerField(_("入库批次"), null=True, blank=True)
    admitted_on = models.DateField(_("入库日期"), null=True, blank=True)
    ends_on = models.DateField(_("培育期至"), null=True, blank=True)  # the last day in the pool
    exited_on = models.DateField(_("出库日期"), null=True, blank=True)  # the first day out of it
    exit_reason = models.CharField(_("出库原因"), max_length=16, choices=ExitReason.choices, blank=True)
    exit_note = models.TextField(_("出库说明"), blank=True)

    class Meta:
        verbose_name = _("培育库入库记录")
        indexes = [
            models.Index(fields=["enterprise", "admitted_on"], name="pool_record_firm"),
            models.Index(fields=["admitted_on", "ends_on"], name="pool_record_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(admitted_on__isnull=True) | models.Q(ends_on__gte=models.F("admitted_on")),
                name="pool_record_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"pool#{self.application_id}"
