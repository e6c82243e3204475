"""Review experts (评审专家): a profile with what makes a conflict of interest, their assignments to workflow
applications and the scores they give.

The minimal part the cultivation pool needs (issue 8 §3). Issue 9 builds the expert registry with random
panels on it: a panel is a set of `ExpertAssignment` rows drawn by a service, the conflict rules stay in
`services.conflict_reason`. Assignments and scores are generic: any programme's application, any score items
(the programme passes its items, e.g. the pool's dated `expert_score_items`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExpertKind(models.TextChoices):
    TECHNICAL = "technical", _("技术专家")
    FINANCIAL = "financial", _("财务专家")


class FinancialQualification(models.TextChoices):
    """195号: a financial expert is a CPA, a tax adviser, or holds a senior title with 10 years' practice."""

    CPA = "cpa", _("注册会计师")
    TAX_ADVISER = "tax_adviser", _("税务师")
    SENIOR_TITLE = "senior_title", _("高级职称且从业十年以上")


class ExpertProfile(models.Model):
    """What the platform knows of an expert beyond the account: employer and declared conflicts, and the
    registry fields the HTE panels are drawn on (kind, fields, qualification, region, availability, load)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    employer_name = models.CharField(_("工作单位"), max_length=100, blank=True)
    employer_credit_code = models.CharField(_("工作单位统一社会信用代码"), max_length=18, blank=True)
    # Credit codes of firms the expert declared a conflict with (shareholding, relatives, consulting...).
    conflict_credit_codes = models.JSONField(_("申报回避企业"), default=list, blank=True)
    specialty = models.CharField(_("专业领域"), max_length=100, blank=True)
    kind = models.CharField(_("专家类别"), max_length=12, choices=ExpertKind.choices, blank=True)
    # registry.TechField codes: top-level fields ("10") and sub-fields ("101") of a technical expert.
    tech_fields = models.JSONField(_("技术领域"), default=list, blank=True)
    financial_qualification = models.CharField(
        _("财务专家资格"), max_length=16, choices=FinancialQualification.choices, blank=True
    )
    practice_years = models.PositiveSmallIntegerField(_("从业年限"), null=True, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("地区"),
    )
    available = models.BooleanField(_("可参加评审"), default=True)
    load_limit = models.PositiveSmallIntegerField(_("同期评审上限"), default=10)

    class Meta:
        verbose_name = _("专家信息")

    def __str__(self) -> str:
        return f"{self.user} ({self.employer_name})"


class ExpertAssignment(models.Model):
    """An expert assigned to review one application, and (once given) their score per item."""

    application = models.ForeignKey(
        "workflow.Application", on_delete=models.CASCADE, related_name="expert_assignments"
    )
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("指派时间"))
    # {item code: points}, the items and their maximum points as in force when the expert scored.
    scores = models.JSONField(_("分项得分"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    items = models.JSONField(_("评分项"), default=list, blank=True, encoder=DjangoJSONEncoder)
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("评审意见"), blank=True)
    scored_at = models.DateTimeField(_("评分时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("专家评审指派")
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "expert"], name="expert_assignment_once"),
        ]
        indexes = [models.Index(fields=["expert", "scored_at"], name="expert_assignment_todo")]
