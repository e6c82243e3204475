"""Enterprise R&D institutions (企业研发机构), the 百企示范/千企试点/万企行动 tags, and the annual performance
evaluation of provincial institutions (the `rnd_institution` policy of the engine).

Written by `services.py` (audited), read through `selectors.py` (scoped by the host firm's region).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class InstitutionKind(models.TextChoices):
    KEY_LAB = "key_lab", _("企业重点实验室")
    INNOVATION_CENTER = "innovation_center", _("技术创新中心")
    ENGINEERING_CENTER = "engineering_center", _("工程技术研究中心")
    ENTERPRISE_TECH_CENTER = "enterprise_tech_center", _("企业技术中心")
    NEW_RND_INSTITUTION = "new_rnd_institution", _("新型研发机构")
    POSTDOC_STATION = "postdoc_station", _("博士后科研工作站")
    ACADEMICIAN_WORKSTATION = "academician_workstation", _("院士工作站")
    OTHER = "other", _("其他研发机构")


class InstitutionLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    CITY = "city", _("市级")


class InstitutionStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")
    LAPSED = "lapsed", _("已失效")


class RndInstitution(models.Model):
    """One recognised R&D institution hosted by an enterprise. Valid on day d when recognised on or before d
    and not ended (revoked or lapsed) on or before d."""

    name = models.CharField(_("研发机构名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=24, choices=InstitutionKind.choices)
    level = models.CharField(_("级别"), max_length=12, choices=InstitutionLevel.choices)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.CASCADE,
        related_name="rnd_institutions",
        verbose_name=_("依托企业"),
    )
    recognized_on = models.DateField(_("认定日期"))
    status = models.CharField(
        _("状态"), max_length=8, choices=InstitutionStatus.choices, default=InstitutionStatus.VALID
    )
    ended_on = models.DateField(_("撤销或失效日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)  # the list or document it came from
    synthetic = models.BooleanField(_("合成数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("企业研发机构")
        ordering = ["enterprise_id", "level", "kind", "name"]
        indexes = [models.Index(fields=["enterprise", "status"], name="rnd_inst_firm_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "kind", "level", "name"], name="rnd_inst_natural_key"
            ),
            models.CheckConstraint(
                condition=Q(status="valid", ended_on__isnull=True)
                | (~Q(status="valid") & Q(ended_on__isnull=False)),
                name="rnd_inst_ended_iff_not_valid",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("recognized_on")),
                name="rnd_inst_ended_after_recognized",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day) -> bool:
        return self.recognized_on <= day and (self.ended_on is None or self.ended_on > day)


class ActionTier(models.TextChoices):
    """苏政办发〔2019〕57号 三（一）: 企业研发机构建设“百企示范、千企试点、万企行动”."""

    HUNDRED_DEMO = "hundred_demo", _("百企示范")
    THOUSAND_PILOT = "thousand_pilot", _("千企试点")
    TEN_THOUSAND_ACTION = "ten_thousand_action", _("万企行动")


class RndActionTag(models.Model):
    """A firm's place in the R&D-institution building action (one tier per firm)."""

    enterprise = models.OneToOneField(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="rnd_action_tag", verbose_name=_("企业")
    )
    tier = models.CharField(_("研发机构建设行动"), max_length=20, choices=ActionTier.choices)
    year = models.PositiveSmallIntegerField(_("纳入年度"))
    synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        verbose_name = _("研发机构建设行动标记")
        indexes = [models.Index(fields=["tier"], name="rnd_tag_tier")]


class InstitutionPerformance(models.Model):
    """One provincial institution's inputs for one year and the engine's verdict on them.

    Inputs are the `RndInstitutionFacts` of the engine (money in integer CNY yuan); the result columns are
    what `gaoqi.policy.evaluate` returned, with the policy version and parameter hash for replay.
    """

    institution = models.ForeignKey(RndInstitution, on_delete=models.CASCADE, related_name="performances")
    year = models.PositiveSmallIntegerField(_("年度"))
    rnd_spend = models.BigIntegerField(_("研发机构经费支出"))
    revenue = models.BigIntegerField(_("依托企业销售收入"))
    rnd_staff = models.PositiveIntegerField(_("研发机构专职研发人员"))
    employees = models.PositiveIntegerField(_("依托企业职工总数"))
    invention_patents = models.PositiveIntegerField(_("当年授权发明专利（Ⅰ类）"))
    other_ip = models.PositiveIntegerField(_("当年其他知识产权（Ⅱ类）"))
    key_breakthroughs = models.PositiveIntegerField(_("关键技术突破"))
    # The engine's result
    outcome = models.CharField(_("结论"), max_length=12)
    grade = models.CharField(_("绩效等级"), max_length=8)
    grade_rank = models.PositiveSmallIntegerField(_("等级序号"))  # 4 优秀 … 1 不合格 (the policy's bands)
    total = models.DecimalField(_("绩效总分"), max_digits=7, decimal_places=2)
    criteria = models.JSONField(_("分项得分"), default=list)
    policy_version = models.CharField(max_length=40)
    param_hash = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=20)
    evaluated_on = models.DateField(_("评价基准日"))
    recorded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)
    synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        verbose_name = _("研发机构绩效评价")
        ordering = ["year", "-total", "institution_id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "year"], name="rnd_perf_once_per_year"),
            models.CheckConstraint(
                condition=Q(rnd_spend__gte=0) & Q(revenue__gte=0), name="rnd_perf_money_sane"
            ),
        ]
