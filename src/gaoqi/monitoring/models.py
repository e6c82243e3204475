"""Monitoring (动态监测): the plan's six KPIs as monthly snapshots, the statistics-bureau totals they need, and
the archived bulletins (进展通报).

- `RegionalStatistic`: a figure the registry cannot hold (all enterprises' R&D spending, industrial output),
  one per region, year and indicator, imported from the statistics bureau's table (`gaoqi import-statistics`).
- `KpiSnapshot`: one KPI's numerator and denominator for one region at the end of one month, written by
  `gaoqi kpi-snapshot` (services.snapshot_month) so dashboards read stored aggregates.
- `KpiZoneCell`: the KPI counts of the HTEs of one county in one high-tech zone at one month's end, written
  with the snapshot, so a KPI page's "by zone" table of any region sums stored cells.
- `Bulletin`: one generated bulletin file (PDF or Excel) for a region and a period, kept under VAR_DIR.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StatIndicator(models.TextChoices):
    RND_EXPENSE_ALL = "rnd_expense_all", _("全部企业研发经费支出")
    INDUSTRIAL_OUTPUT = "industrial_output", _("规模以上工业总产值")
    HITECH_OUTPUT = "hitech_output", _("高新技术产业产值")


class RegionalStatistic(models.Model):
    """A statistics-bureau figure for a region and year, in CNY yuan (Decimal: bureau tables come in 万元/亿元)."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("地区")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    indicator = models.CharField(_("指标"), max_length=24, choices=StatIndicator.choices)
    value = models.DecimalField(_("数值（元）"), max_digits=20, decimal_places=2)
    source = models.CharField(_("来源"), max_length=200)
    synthetic = models.BooleanField(_("合成数据"), default=False)
    updated_at = models.DateTimeField(_("更新时间"))
    updated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("地区统计数据")
        ordering = ["year", "region_id", "indicator"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "indicator"], name="regional_stat_once"),
            models.CheckConstraint(condition=Q(value__gte=0), name="regional_stat_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year} {self.indicator}"


class KpiSnapshot(models.Model):
    """One KPI (or funnel measure) of one region at one month's end. Ratios keep numerator and denominator."""

    month = models.DateField(_("月份"))  # the first day of the month
    as_of = models.DateField(_("统计日"))  # the month's last day, or the day computed for the running month
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("地区")
    )
    kpi = models.CharField(_("指标"), max_length=24)
    numerator = models.DecimalField(max_digits=22, decimal_places=2)
    denominator = models.DecimalField(max_digits=22, decimal_places=2, null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("指标月度快照")
        ordering = ["month", "region_id", "kpi"]
        constraints = [
            models.UniqueConstraint(fields=["month", "region", "kpi"], name="kpi_snapshot_once"),
        ]
        indexes = [models.Index(fields=["region", "kpi", "month"], name="kpi_snapshot_trend")]


class KpiZoneCell(models.Model):
    """The counts of one (county, zone) cell of `kpis.compute_cells` at a month's end (the zone table)."""

    month = models.DateField(_("月份"))
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    zone = models.ForeignKey("registry.HitechZone", on_delete=models.PROTECT, related_name="+")
    hte = models.PositiveIntegerField(default=0)
    above = models.PositiveIntegerField(default=0)
    covered = models.PositiveIntegerField(default=0)
    patents = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("指标月度快照（高新区）")
        constraints = [
            models.UniqueConstraint(fields=["month", "county", "zone"], name="kpi_zone_cell_once"),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.county_id} {self.zone_id}"


class BulletinFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel"


class Bulletin(models.Model):
    """An archived bulletin file: `path` is relative to settings.VAR_DIR."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("地区")
    )
    period = models.CharField(_("期间"), max_length=8)  # 2026-11 or 2026-Q3
    format = models.CharField(_("格式"), max_length=4, choices=BulletinFormat.choices)
    as_of = models.DateField(_("统计日"))
    path = models.CharField(max_length=300)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    synthetic = models.BooleanField(_("合成数据"), default=False)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("进展通报")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region", "period"], name="bulletin_region_period")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.period}.{self.format}"
