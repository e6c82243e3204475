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
    # 认定报备: the batch (list) the application was reported in; certify requires a reported batch.
    report_batch = models.ForeignKey(
        "ReportBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )

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


class SiteCheck(models.Model):
    """实地核查 (195号 二（四）: 可视情况对部分企业进行实地核查): ordered by the province before its decision;
    the result (who, when, findings, pass or fail) is recorded; a failed check rejects the application."""

    application = models.ForeignKey(
        "workflow.Application", on_delete=models.CASCADE, related_name="hte_site_checks"
    )
    reason = models.TextField(_("核查事由"))
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField(_("安排时间"))
    inspectors = models.CharField(_("核查人员"), max_length=200, blank=True)
    checked_on = models.DateField(_("核查日期"), null=True, blank=True)
    findings = models.TextField(_("核查结论"), blank=True)
    passed = models.BooleanField(_("核查通过"), null=True, blank=True)  # null: not yet recorded
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("实地核查")
        ordering = ["-ordered_at", "-id"]


class ReportBatch(models.Model):
    """认定报备: the list of firms the province proposes to certify, reported to the national leading group's
    office by the yearly deadline (a dated parameter); a certificate is issued only for a reported entry."""

    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("报备批次"), max_length=200)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("报送截止日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"))
    reported_on = models.DateField(_("报备日期"), null=True, blank=True)
    reference = models.CharField(_("报备文号"), max_length=100, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("认定报备批次")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def late(self) -> bool:
        return self.reported_on is not None and self.reported_on > self.deadline


class CancellationGround(models.TextChoices):
    """32号 第十九条: the grounds on which the certification body cancels an HTE's qualification."""

    FRAUD = "fraud", _("在申请认定过程中存在严重弄虚作假行为（第十九条（一））")
    INCIDENT = "incident", _("发生重大安全、重大质量事故或有严重环境违法行为（第十九条（二））")
    REPORTS = "reports", _("未按期报告重大变化情况，或累计两年未填报年度发展情况报表（第十九条（三））")


class CancellationCase(models.Model):
    """A cancellation case (取消资格): opened on a ground of 32号 第十九条, published in its own notice
    (公示), decided after the notice (cancelled: the certificate ends; kept: the firm stays certified)."""

    class Outcome(models.TextChoices):
        OPEN = "", _("办理中")
        CANCELLED = "cancelled", _("已取消资格")
        KEPT = "kept", _("维持资格")

    application = models.ForeignKey(
        "workflow.Application", on_delete=models.CASCADE, related_name="hte_cancellations"
    )
    ground = models.CharField(_("取消事由"), max_length=8, choices=CancellationGround.choices)
    detail = models.TextField(_("情况说明"))
    missed_years = models.JSONField(_("未填报年报年度"), default=list)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("立案时间"))
    outcome = models.CharField(_("处理结果"), max_length=10, choices=Outcome.choices, default="", blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("取消资格案件")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=models.Q(outcome=""), name="hte_one_open_cancellation"
            ),
        ]
