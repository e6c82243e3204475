"""Stored evaluation results (snapshots): what lists, the ledger and monitoring read instead of evaluating on
every page view. Derived data: a re-evaluation replaces the snapshot of the same firm, policy and date; the
engine version, the parameter hash and the facts revision say exactly what produced it."""

from __future__ import annotations

import json

from django.db import models
from django.utils.translation import gettext_lazy as _


class EvaluationSnapshot(models.Model):
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("企业")
    )
    policy = models.CharField(_("政策"), max_length=24)
    as_of = models.DateField(_("评价基准日"))
    outcome = models.CharField(_("结论"), max_length=16, null=True, blank=True)  # noqa: DJ001 - null = not evaluated / none
    eligible = models.BooleanField(_("符合"), null=True, blank=True)
    score = models.IntegerField(_("得分"), null=True, blank=True)
    score_min = models.IntegerField(null=True, blank=True)
    score_max = models.IntegerField(null=True, blank=True)
    grade = models.CharField(_("等级"), max_length=8, null=True, blank=True)  # noqa: DJ001 - null = not evaluated / none
    direct_pass_reason = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001 - null = not evaluated / none
    errors = models.CharField(_("缺失或错误的数据项"), max_length=1000, null=True, blank=True)  # noqa: DJ001 - null = not evaluated / none
    criteria_json = models.TextField(
        default="[]"
    )  # compact per-criterion results, as the bulk path gives them
    engine_version = models.CharField(max_length=16)
    param_hash = models.CharField(max_length=64)
    facts_revision = models.CharField(_("数据版本"), max_length=32)
    evaluated_at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("评价快照")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "policy", "as_of"], name="snapshot_unique"),
        ]
        indexes = [
            models.Index(fields=["policy", "as_of", "grade"], name="snapshot_policy_grade"),
            models.Index(fields=["policy", "as_of", "outcome"], name="snapshot_policy_outcome"),
        ]

    @property
    def criteria(self) -> list[dict]:
        return json.loads(self.criteria_json)
