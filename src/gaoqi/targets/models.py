"""Targets (目标任务) per year, indicator and region, versioned: a change is a new version, the history stays.

The province sets each city's targets, each city its counties' (`accounts.scope.can_set_target`). Written by
`services.py` (audited), read through `selectors.py`.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Indicator(models.TextChoices):
    NEW_HTE = "new_hte", _("当年新认定高企")
    VALID_HTE = "valid_hte", _("有效高企")
    TECH_SME = "tech_sme", _("科技型中小企业入库")
    POOL_SIZE = "pool_size", _("培育库入库企业")


class Target(models.Model):
    """One version of a region's target for one indicator and year. Exactly one version is current."""

    year = models.PositiveSmallIntegerField(_("年度"))
    indicator = models.CharField(_("指标"), max_length=12, choices=Indicator.choices)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("地区")
    )
    value = models.PositiveIntegerField(_("目标值"))
    version = models.PositiveIntegerField(_("版本"))
    is_current = models.BooleanField(_("当前版本"), default=True)
    reason = models.CharField(_("调整说明"), max_length=500, blank=True)
    set_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(_("下达时间"), auto_now_add=True)
    synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        verbose_name = _("目标任务")
        ordering = ["year", "region_id", "indicator", "-version"]
        indexes = [models.Index(fields=["year", "indicator", "is_current"], name="target_year_current")]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "indicator", "region", "version"], name="target_version_unique"
            ),
            models.UniqueConstraint(
                fields=["year", "indicator", "region"],
                condition=Q(is_current=True),
                name="target_one_current",
            ),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="target_year_sane"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id} {self.indicator} v{self.version}"
