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


class ExpertProfile(models.Model):
    """What the platform knows of an expert beyond the account: employer and declared conflicts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    employer_name = models.CharField(_("工作单位"), max_length=100, blank=True)
    employer_credit_code = models.CharField(_("工作单位统一社会信用代码"), max_length=18, blank=True)
    # Credit codes of firms the expert declared a conflict with (shareholding, relatives, consulting...).
    conflict_credit_codes = models.JSONField(_("申报回避企业"), default=list, blank=True)
    specialty = models.CharField(_("专业领域"), max_length=100, blank=True)

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
