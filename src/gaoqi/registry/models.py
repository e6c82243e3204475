"""The enterprise registry: firms, their yearly facts with provenance, IP items and certificates.

Facts are never edited in place by downstream steps: a correction is a new report from a new source,
and the merge (selectors.merged_facts) shows which source each value came from.
"""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gaoqi.policy.core.facts import CROSS_RULES, FIELD_SPECS, FIELDS_BY_NAME, FieldSpec, Kind


class TechField(models.Model):
    """国家重点支持的高新技术领域: 8 fields and their sub-fields."""

    code = models.CharField(max_length=4, primary_key=True)
    name = models.CharField(max_length=60)
    name_en = models.CharField(max_length=80, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.TextChoices):
    SCIENCE_TECH = "science_tech", _("科技")
    DEVELOPMENT_REFORM = "development_reform", _("发改")
    INDUSTRY_IT = "industry_it", _("工信")
    STATISTICS = "statistics", _("统计")
    FINANCE = "finance", _("财政")
    TAX = "tax", _("税务")
    MARKET_REGISTRY = "market_registry", _("市场监管")
    IP_OFFICE = "ip_office", _("知识产权")
    ENTERPRISE_SELF = "enterprise_self", _("企业自报")


class DataSource(models.Model):
    """Where facts came from: one department file (or entry session), who brought it in and when."""

    department = models.CharField(_("来源部门"), max_length=24, choices=Department.choices)
    file_name = models.CharField(_("文件名"), max_length=200)
    imported_at = models.DateTimeField(_("导入时间"))
    imported_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    synthetic = models.BooleanField(_("合成数据"), default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("数据来源")

    def __str__(self) -> str:
        return f"{self.get_department_display()} · {self.file_name}"


class ZoneLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")


class HitechZone(models.Model):
    """A provincial-or-higher high-tech zone (高新区), the reporting unit of the plan's zone KPI.

    Reference data, loaded by migration from `fixtures/hitech_zones.csv` (compiled from public information;
    `to_verify` marks the rows not checked against the official list).
    """

    code = models.CharField(_("编码"), max_length=20, primary_key=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    short_name = models.CharField(_("简称"), max_length=30)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    level = models.CharField(_("级别"), max_length=12, choices=ZoneLevel.choices)
    # The county of the zone's main area; many zones have parks in other districts of the same city.
    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在县（市、区）")
    )
    city = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("设区市")
    )
    to_verify = models.BooleanField(_("待核实"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("高新区")
        ordering = ["level", "county_id", "code"]

    def __str__(self) -> str:
        return self.short_name


class Enterprise(models.Model):
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("企业名称"), max_length=120, db_index=True)
    # The list's sort key (拼音排序), kept by save() and by every bulk writer (intake, demo) from the name.
    name_pinyin = models.CharField(max_length=200, default="", editable=False)
    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在县（市、区）")
    )
    # Denormalised from county (set by the service) so region scope is one indexed equality filter.
    city = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("设区市")
    )
    founded_on = models.DateField(_("成立日期"))
    tech_field = models.ForeignKey(
        TechField, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("技术领域")
    )
    above_scale = models.BooleanField(_("规模以上"), default=False)
    in_hitech_zone = models.BooleanField(_("位于省级以上高新区"), default=False)
    # The zone, when known; a firm with a zone is in a zone (constraint below). The flag alone means "in a
    # provincial-or-higher zone, which one not recorded": department files often carry only 是/否.
    hitech_zone = models.ForeignKey(
        HitechZone,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # enterprise_zone_name leads with it
        verbose_name=_("所在高新区"),
    )
    talent_founded = models.BooleanField(_("高层次人才创办"), default=False)
    # Latest certificate expiry dates, maintained by the certificate service: status is date-correct.
    hte_valid_until = models.DateField(_("高企证书有效期至"), null=True, blank=True)
    tech_sme_valid_until = models.DateField(_("科技型中小企业入库有效期至"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("企业")
        ordering = ["name", "id"]
        indexes = [
            # The list reads a page off one of these in its order (name_pinyin, id), keyset beyond the count.
            models.Index(fields=["name_pinyin", "id"], name="enterprise_pinyin"),
            models.Index(fields=["city", "name_pinyin", "id"], name="enterprise_city_name"),
            models.Index(fields=["county", "name_pinyin", "id"], name="enterprise_county_name"),
            models.Index(fields=["tech_field", "name_pinyin", "id"], name="enterprise_field_name"),
            models.Index(fields=["hitech_zone", "name_pinyin", "id"], name="enterprise_zone_name"),
            models.Index(fields=["hte_valid_until"], name="enterprise_hte_until"),
            models.Index(fields=["tech_sme_valid_until"], name="enterprise_sme_until"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(hitech_zone__isnull=True) | Q(in_hitech_zone=True),
                name="enterprise_zone_sets_flag",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_pinyin = pinyin_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin"}
        super().save(*args, **kwargs)


def pinyin_key(name: str) -> str:
    """The list's sort key of a firm name (the ledger's pinyin key)."""
    from gaoqi.ledger.pinyin import sort_key

    return sort_key(name or "")


class ReportFigures(models.Model):
    """An annual report's figures: one column per fact of the engine's schema (`gaoqi.policy` FIELD_SPECS).

    A yearly engine fact is one column under its stem (`revenue` holds revenue_y1..y3, one report per year);
    an unsuffixed fact is the figure of the report's year (the engine reads the latest year's). Kinds, field
    groups and the cross-field constraints below derive from the engine's schema, not from this list.
    """

    employees = models.PositiveIntegerField(_("职工总数"), null=True, blank=True)
    tech_staff = models.PositiveIntegerField(_("科技人员数"), null=True, blank=True)
    revenue = models.BigIntegerField(_("销售收入"), null=True, blank=True)
    total_income = models.BigIntegerField(_("总收入"), null=True, blank=True)
    hitech_revenue = models.BigIntegerField(_("高新技术产品（服务）收入"), null=True, blank=True)
    total_cost = models.BigIntegerField(_("成本费用支出总额"), null=True, blank=True)
    total_assets = models.BigIntegerField(_("资产总额"), null=True, blank=True)
    rnd_expense = models.BigIntegerField(_("研究开发费用总额"), null=True, blank=True)
    rnd_expense_domestic = models.BigIntegerField(_("境内研究开发费用"), null=True, blank=True)
    # The tax bureau's R&D super-deduction base of the year (the engine reads the latest year's).
    rnd_expense_deductible = models.BigIntegerField(_("研发费用加计扣除基数"), null=True, blank=True)
    net_assets = models.BigIntegerField(_("净资产"), null=True, blank=True)
    ip_class1 = models.PositiveIntegerField(_("Ⅰ类知识产权数"), null=True, blank=True)
    ip_class2 = models.PositiveIntegerField(_("Ⅱ类知识产权数"), null=True, blank=True)
    achievement_conversions = models.PositiveIntegerField(_("科技成果转化数"), null=True, blank=True)
    standards_led = models.PositiveIntegerField(_("主导制定标准数"), null=True, blank=True)
    ip_self_developed = models.BooleanField(_("有自主研发知识产权"), null=True, blank=True)
    major_incident = models.BooleanField(_("重大安全质量事故或严重环境违法"), null=True, blank=True)
    bad_credit = models.BooleanField(_("失信或经营异常"), null=True, blank=True)
    restricted_industry = models.BooleanField(_("属于禁止、限制、淘汰类"), null=True, blank=True)
    national_award_top3 = models.BooleanField(_("近五年国家级科技奖励（前三）"), null=True, blank=True)
    provincial_rnd_institution = models.BooleanField(_("省部级以上研发机构"), null=True, blank=True)
    led_standard_5y = models.BooleanField(_("近五年主导制定国际/国家/行业标准"), null=True, blank=True)

    class Meta:
        abstract = True


def fact_column(name: str) -> str:
    """The report column of an engine fact: its stem for a yearly fact (`revenue_y3` -> `revenue`)."""
    spec = FIELDS_BY_NAME[name]
    return spec.stem or spec.name


def _report_specs() -> dict[str, FieldSpec]:
    """{column: the engine's FieldSpec (the first year's for a yearly fact)}, in the engine's field order."""
    columns = {f.name for f in ReportFigures._meta.local_fields}
    specs: dict[str, FieldSpec] = {}
    for spec in FIELD_SPECS:
        column = fact_column(spec.name)
        if column in columns:
            specs.setdefault(column, spec)
    if unknown := columns - set(specs):
        raise ImproperlyConfigured(f"report columns that are no engine fact: {sorted(unknown)}")
    return specs


REPORT_SPECS = _report_specs()
FACT_FIELDS = tuple(REPORT_SPECS)
MONEY_FIELDS = tuple(c for c, s in REPORT_SPECS.items() if s.kind is Kind.MONEY and not s.signed)
SIGNED_MONEY_FIELDS = tuple(c for c, s in REPORT_SPECS.items() if s.kind is Kind.MONEY and s.signed)
COUNT_FIELDS = tuple(c for c, s in REPORT_SPECS.items() if s.kind is Kind.COUNT)
FLAG_FIELDS = tuple(c for c, s in REPORT_SPECS.items() if s.kind is Kind.BOOL)
# Engine facts reported per accounting year (`revenue_y1..y3`); the other facts are the latest year's.
YEARLY_FIELDS = tuple(c for c, s in REPORT_SPECS.items() if s.year is not None)
# The years the engine reads of each (`rnd_expense` all three, `rnd_expense_deductible` only the third).
YEARS_OF = {c: tuple(k for k in (1, 2, 3) if f"{c}_y{k}" in FIELDS_BY_NAME) for c in YEARLY_FIELDS}
LATEST_YEAR = 3  # an unsuffixed engine fact is the figure of the `_y3` year (selectors.facts_for_policy)


def _report_cross_rules() -> tuple[tuple[str, str], ...]:
    """The engine's CROSS_RULES that compare two columns of one report, as (small, big) columns, once each.

    `rnd_expense_domestic_yK <= rnd_expense_yK` is one rule per report; `rnd_expense_y3 <= total_cost` holds
    in the latest year's report, and is required of every year's report alike.
    """
    rules: dict[tuple[str, str], None] = {}
    for rule in CROSS_RULES:
        small, big = FIELDS_BY_NAME[rule.small], FIELDS_BY_NAME[rule.big]
        pair = (fact_column(rule.small), fact_column(rule.big))
        same_row = (small.year or LATEST_YEAR) == (big.year or LATEST_YEAR)
        if same_row and all(c in REPORT_SPECS for c in pair):
            rules[pair] = None
    return tuple(rules)


REPORT_CROSS_RULES = _report_cross_rules()


class AnnualReport(ReportFigures):
    """One source's figures for one enterprise and accounting year. Money in integer CNY yuan."""

    # No index of its own: the unique (enterprise, year, source) index leads with the firm and serves every
    # lookup by firm; a second index only cost each import's commit and a province load's rebuild.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="annual_reports", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="reports")
    source_row = models.PositiveIntegerField(_("来源行号"), null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("年度数据")
        ordering = ["enterprise_id", "year", "source_id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "source"], name="report_once_per_source"),
            models.CheckConstraint(condition=Q(year__gte=1949, year__lte=2100), name="report_year_sane"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{small}__isnull": True})
                    | Q(**{f"{big}__isnull": True})
                    | Q(**{f"{small}__lte": F(big)}),
                    name=f"report_{small}_within_{big}",
                )
                for small, big in REPORT_CROSS_RULES
            ],
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__gte": 0}),
                    name=f"report_{f}_non_negative",
                )
                for f in MONEY_FIELDS
            ],
        ]


class IpClass(models.IntegerChoices):
    CLASS1 = 1, _("Ⅰ类")
    CLASS2 = 2, _("Ⅱ类")


class IpKind(models.TextChoices):
    INVENTION_PATENT = "invention_patent", _("发明专利")
    PLANT_VARIETY = "plant_variety", _("植物新品种")
    CROP_VARIETY = "crop_variety", _("国家级农作物品种")
    NEW_DRUG = "new_drug", _("国家新药")
    TCM_PROTECTED = "tcm_protected", _("国家一级中药保护品种")
    IC_LAYOUT = "ic_layout", _("集成电路布图设计专有权")
    UTILITY_MODEL = "utility_model", _("实用新型专利")
    DESIGN = "design", _("外观设计专利")
    SOFTWARE_COPYRIGHT = "software_copyright", _("软件著作权")


IP_KIND_CLASS = {
    IpKind.INVENTION_PATENT: 1,
    IpKind.PLANT_VARIETY: 1,
    IpKind.CROP_VARIETY: 1,
    IpKind.NEW_DRUG: 1,
    IpKind.TCM_PROTECTED: 1,
    IpKind.IC_LAYOUT: 1,
    IpKind.UTILITY_MODEL: 2,
    IpKind.DESIGN: 2,
    IpKind.SOFTWARE_COPYRIGHT: 2,
}


class IntellectualProperty(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="ip_items")
    ip_class = models.PositiveSmallIntegerField(_("类别"), choices=IpClass.choices)
    kind = models.CharField(_("类型"), max_length=24, choices=IpKind.choices)
    number = models.CharField(_("编号"), max_length=40)
    title = models.CharField(_("名称"), max_length=200, blank=True)
    granted_on = models.DateField(_("授权日期"))
    expires_on = models.DateField(_("到期日期"), null=True, blank=True)
    self_developed = models.BooleanField(_("自主研发"), default=True)
    used_in_hte_application = models.BooleanField(_("已用于高企申报"), default=False)
    source = models.ForeignKey(DataSource, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("知识产权")
        ordering = ["enterprise_id", "-granted_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="ip_number_unique_per_kind"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("granted_on")),
                name="ip_expiry_after_grant",
            ),
            models.CheckConstraint(
                condition=(
                    Q(ip_class=1, kind__in=[k for k, c in IP_KIND_CLASS.items() if c == 1])
                    | Q(ip_class=2, kind__in=[k for k, c in IP_KIND_CLASS.items() if c == 2])
                ),
                name="ip_kind_matches_class",
            ),
        ]


class CertificateKind(models.TextChoices):
    HTE = "hte", _("高新技术企业证书")
    TECH_SME = "tech_sme", _("科技型中小企业入库登记")


class CertificateEnd(models.TextChoices):
    REVOKED = "revoked", _("撤销")
    LAPSED = "lapsed", _("逾期失效")


class Certificate(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField(_("类型"), max_length=12, choices=CertificateKind.choices)
    number = models.CharField(_("证书编号"), max_length=40)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"))
    source = models.ForeignKey(DataSource, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Ended before its expiry (revoked, lapsed): the first day it is no longer valid, and why.
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    # Database defaults: the bulk writers (demo, intake) insert certificates without naming these columns.
    end_reason = models.CharField(
        _("终止原因"), max_length=12, choices=CertificateEnd.choices, blank=True, default="", db_default=""
    )
    end_note = models.TextField(_("终止说明"), blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("证书")
        ordering = ["enterprise_id", "-issued_on"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="certificate_number_unique"),
            models.CheckConstraint(
                condition=Q(expires_on__gt=F("issued_on")), name="certificate_expiry_after_issue"
            ),
            models.CheckConstraint(
                condition=(Q(ended_on__isnull=True) & Q(end_reason=""))
                | (Q(ended_on__isnull=False, ended_on__gte=F("issued_on")) & ~Q(end_reason="")),
                name="certificate_end_with_reason",
            ),
        ]

    def is_valid_on(self, day) -> bool:
        return self.issued_on <= day <= self.expires_on and (self.ended_on is None or day < self.ended_on)

    @property
    def valid_until(self):
        """The last day it is valid: its expiry, or the day before it ended."""
        return (
            self.expires_on
            if self.ended_on is None
            else min(self.expires_on, self.ended_on - timedelta(days=1))
        )


def certificate_valid_q(as_of, prefix: str = "") -> Q:
    """Certificates valid on `as_of` (issued, not expired, not ended): THE test every reader applies.
    `prefix` reaches them through a relation (e.g. "certificates__")."""
    return Q(**{f"{prefix}issued_on__lte": as_of, f"{prefix}expires_on__gte": as_of}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": as_of})
    )
