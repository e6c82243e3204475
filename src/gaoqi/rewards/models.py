"""Rewards and payouts (入库奖励 / 培育奖励 / 首次认定奖励): budgets per issuer and year, the entitlements the reward
policy computes, their approval and payout.

An issuer is a region (the province, a city or a county) paying from its own budget. Money in integer fen.
An entitlement keeps the evaluation it came from (explanation, the facts it read, engine version and
parameter hash): a later change of the figures or of the scheme never rewrites a decided entitlement.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RewardKind(models.TextChoices):
    ADMISSION = "admission", _("入库奖励")
    CULTIVATION = "cultivation", _("培育奖励")
    FIRST_CERTIFICATION = "first_certification", _("首次认定奖励")


class EntitlementStatus(models.TextChoices):
    COMPUTED = "computed", _("待审核")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不予发放")
    PAID = "paid", _("已兑现")


# Statuses whose amount is committed against the issuer's budget.
COMMITTED = (EntitlementStatus.APPROVED, EntitlementStatus.PAID)


class Budget(models.Model):
    """The reward budget of one issuer for one year."""

    issuer = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("发放单位")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.BigIntegerField(_("预算金额（分）"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("奖励预算")
        ordering = ["-year", "issuer_id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year"], name="reward_budget_once_per_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="reward_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer_id} {self.year}"


class Entitlement(models.Model):
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("企业")
    )
    issuer = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("发放单位")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("奖励类型"), max_length=24, choices=RewardKind.choices)
    amount = models.BigIntegerField(_("金额（分）"))
    status = models.CharField(
        _("状态"), max_length=12, choices=EntitlementStatus.choices, default=EntitlementStatus.COMPUTED
    )
    # The frozen evaluation: the amount's criterion (and the conditions it read), the facts, the scheme.
    explanation = models.JSONField(_("计算依据"))
    inputs = models.JSONField(_("评价输入"))
    scheme = models.CharField(_("奖励办法"), max_length=120)
    policy_version = models.CharField(max_length=40)
    engine_version = models.CharField(max_length=20)
    param_hash = models.CharField(max_length=64)
    illustrative = models.BooleanField(_("示例参数"), default=True)
    computed_at = models.DateTimeField(_("计算时间"))
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.CharField(_("审核意见"), max_length=500, blank=True)
    over_commitment = models.BooleanField(_("超预算批准"), default=False)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency: a stale decision is refused

    class Meta:
        verbose_name = _("奖励核定")
        ordering = ["-year", "issuer_id", "enterprise_id", "kind"]
        indexes = [
            models.Index(fields=["issuer", "year", "status"], name="reward_issuer_year_status"),
            models.Index(fields=["enterprise", "year"], name="reward_enterprise_year"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "issuer", "year", "kind"], name="reward_entitlement_once"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reward_entitlement_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.kind} {self.year}"


class Payout(models.Model):
    """The payment of an approved entitlement, with the finance bureau's voucher."""

    entitlement = models.OneToOneField(
        Entitlement, on_delete=models.PROTECT, related_name="payout", verbose_name=_("奖励核定")
    )
    paid_on = models.DateField(_("拨付日期"))
    amount = models.BigIntegerField(_("拨付金额（分）"))
    voucher_no = models.CharField(_("凭证号"), max_length=40)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("奖励拨付")
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="reward_payout_positive")]

    def __str__(self) -> str:
        return self.voucher_no
