"""What a column of a department's file can fill: the closed list of targets a profile may name.

Registry report facts come from the registry's own schema (`FACT_FIELDS`, derived from the engine's
`FIELD_SPECS`); firm-level fields are the `Enterprise` columns an import may set; the rest are facts the
registry has no column for, kept by this app (`ExtraFact`, `EnterpriseTag`) or IP items.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_noop

from gaoqi.policy.core.facts import Kind
from gaoqi.registry.models import FACT_FIELDS, REPORT_SPECS, AnnualReport


class Store(StrEnum):
    KEY = "key"  # identifies the firm (and the year): credit code, name, county, city, year
    FIRM = "firm"  # an Enterprise column
    REPORT = "report"  # an AnnualReport column (per year)
    EXTRA = "extra"  # an ExtraFact (per year unless `yearly` is False)
    IP = "ip"  # a field of an IntellectualProperty row
    TAG = "tag"  # an EnterpriseTag


class Unit(StrEnum):
    """How a kind of value may be written; a header's unit suffix overrides the profile's."""

    MONEY = "money"  # 元 / 万元 / 千元
    COUNT = "count"  # 人 / 项 / 个 / 件 / 家
    PERCENT = "percent"  # %
    NONE = "none"


MONEY_SCALES = {"元": 1, "万元": 10_000, "千元": 1_000}
COUNT_UNITS = frozenset({"人", "项", "个", "件", "家"})
PERCENT_UNITS = frozenset({"%"})


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    label_zh: str
    kind: str  # Kind values, plus "region", "tech_field", "percent", "year", "ip_kind", "tag"
    store: Store
    yearly: bool = False
    signed: bool = False

    @property
    def unit(self) -> Unit:
        if self.kind == Kind.MONEY:
            return Unit.MONEY
        if self.kind == Kind.COUNT:
            return Unit.COUNT
        if self.kind == "percent":
            return Unit.PERCENT
        return Unit.NONE


def _report_targets() -> list[Target]:
    out = []
    for name in FACT_FIELDS:
        spec = REPORT_SPECS[name]
        label = str(AnnualReport._meta.get_field(name).verbose_name)
        out.append(Target(name, label, spec.kind.value, Store.REPORT, yearly=True, signed=spec.signed))
    return out


_TARGETS = [
    Target("credit_code", gettext_noop("统一社会信用代码"), Kind.TEXT, Store.KEY),
    Target("name", gettext_noop("企业名称"), Kind.TEXT, Store.KEY),
    Target("county", gettext_noop("所在县（市、区）"), "region", Store.KEY),
    Target("city", gettext_noop("所在设区市"), "city", Store.KEY),
    Target("year", gettext_noop("年度"), "year", Store.KEY),
    Target("founded_on", gettext_noop("成立日期"), Kind.DATE, Store.FIRM),
    Target("tech_field", gettext_noop("技术领域"), "tech_field", Store.FIRM),
    Target("above_scale", gettext_noop("规模以上企业"), Kind.BOOL, Store.FIRM),
    Target("in_hitech_zone", gettext_noop("位于省级以上高新区"), Kind.BOOL, Store.FIRM),
    Target("talent_founded", gettext_noop("高层次人才创办"), Kind.BOOL, Store.FIRM),
    *_report_targets(),
    Target("income_tax", gettext_noop("应纳所得税额"), Kind.MONEY, Store.EXTRA, yearly=True),
    Target("tax_relief_hte", gettext_noop("高新技术企业减免所得税额"), Kind.MONEY, Store.EXTRA, yearly=True),
    Target("output_value", gettext_noop("工业总产值"), Kind.MONEY, Store.EXTRA, yearly=True),
    Target("rnd_staff", gettext_noop("研发人员数"), Kind.COUNT, Store.EXTRA, yearly=True),
    Target("rnd_intensity", gettext_noop("研发投入强度"), "percent", Store.EXTRA, yearly=True),
    Target("registered_capital", gettext_noop("注册资本"), Kind.MONEY, Store.EXTRA),
    Target("ip_number", gettext_noop("专利号（登记号）"), Kind.TEXT, Store.IP),
    Target("ip_kind", gettext_noop("知识产权类型"), "ip_kind", Store.IP),
    Target("ip_title", gettext_noop("知识产权名称"), Kind.TEXT, Store.IP),
    Target("ip_granted_on", gettext_noop("授权日期"), Kind.DATE, Store.IP),
    Target("ip_expires_on", gettext_noop("到期日期"), Kind.DATE, Store.IP),
    Target("tag", gettext_noop("称号"), "tag", Store.TAG),
]

TARGETS: dict[str, Target] = {t.name: t for t in _TARGETS}
FIRM_FIELDS = tuple(t.name for t in _TARGETS if t.store is Store.FIRM)
EXTRA_FIELDS = tuple(t.name for t in _TARGETS if t.store is Store.EXTRA)
# Enterprise fields an authoritative profile (`updates_enterprise`) may change on an existing firm.
UPDATABLE_FIRM_FIELDS = ("name", "county", *FIRM_FIELDS)
PERCENT_SCALE = 100  # a percentage is stored in hundredths of a percent (3.25% -> 325)
