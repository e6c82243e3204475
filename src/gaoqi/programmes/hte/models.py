"""The HTE certification's own records beside the workflow core's application: the panel draws (seed, members,
why each candidate was excluded) and the one-to-one record of the panel's score and the certificate."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class HteRecord(models.Model):
    application = models.OneToOneField(
        "workflow.Application", on_delete=models.CASCADE, related_name="hte_record"
    )
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="+")
    # The leader's aggregation: the panel score (technical experts' average + financial experts' average).
    panel_score = models.DecimalField(_("专家组评分"), max_digits=6, decimal_places=2, null=True, blank=True)
    aggregated_at = models.DateTimeField(_("汇总时间"), null=True, blank=True)
    aggregated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    certificate_no = models.CharField(_("证书编号"), max_length=40, blank=True)
    issued_on = models.DateField(_("发证日期"), null=True, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)

    class Meta:
        verbose_name = _("高企认定记录")

    def __str__(self) -> str:
        return f"hte#{self.application_id}"


class PanelDraw(models.Model):
    """One random draw of an application's panel: reproducible from the seed and the candidates, explained
    (each excluded candidate with the reason), superseded by a re-draw (which must give a reason)."""

    application = models.ForeignKey(
        "workflow.Application", on_delete=models.CASCADE, related_name="hte_draws"
    )
    seed = models.BigIntegerField(_("随机种子"))
    field = models.CharField(_("技术领域"), max_length=4)
    technical = models.JSONField(_("技术专家"), default=list)
    financial = models.JSONField(_("财务专家"), default=list)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    excluded = models.JSONField(_("回避及排除"), default=dict, encoder=DjangoJSONEncoder)  # {user id: reason}
    eligible_technical = models.PositiveIntegerField(default=0)
    eligible_financial = models.PositiveIntegerField(default=0)
    rules = models.JSONField(default=dict)
    reason = models.TextField(_("抽取说明"), blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("抽取时间"))
    current = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("专家组抽取")
        ordering = ["-drawn_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=models.Q(current=True), name="hte_one_current_draw"
            ),
        ]

    @property
    def members(self) -> list[int]:
        return [*self.technical, *self.financial]


class AnnualReport(models.Model):
    """年报 (32号 第十六条): a certified firm's report of a fiscal year, due by 31 May of the next year."""

    application = models.ForeignKey(
        "workflow.Application", on_delete=models.CASCADE, related_name="hte_reports"
    )
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("报告年度"))
    figures = models.JSONField(_("年度发展情况"), default=dict, encoder=DjangoJSONEncoder)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("填报时间"))
    late = models.BooleanField(_("逾期填报"), default=False)

    class Meta:
        verbose_name = _("高企年报")
        constraints = [models.UniqueConstraint(fields=["application", "year"], name="hte_report_once")]


class ChangeKind(models.TextChoices):
    RENAME = "rename", _("更名")
    MERGER = "merger", _("合并、分立")
    MOVE = "move", _("迁移")
    MAJOR = "major", _("其他重大变化")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("审核通过")
    REJECTED = "rejected", _("不予通过")


class ChangeReport(models.Model):
    """更名/重大变化: a certified firm reports a change; officers review it (a rename updates the registry)."""

    application = models.ForeignKey(
        "workflow.Application", on_delete=models.CASCADE, related_name="hte_changes"
    )
    kind = models.CharField(_("变化类型"), max_length=8, choices=ChangeKind.choices)
    new_name = models.CharField(_("变更后名称"), max_length=200, blank=True)
    description = models.TextField(_("情况说明"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("报告时间"))
    status = models.CharField(
        _("审核状态"), max_length=8, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("高企变更报告")
        ordering = ["-filed_at", "-id"]
