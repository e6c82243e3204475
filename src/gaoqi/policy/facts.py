"""The typed input record of the policy engine: one enterprise, up to three accounting years.

The field names are the public contract of the evaluation template (shared INPUT-TEMPLATE.md):
`_y1`, `_y2`, `_y3` are the three accounting years before the evaluation date, `_y3` the most recent.
Money is integer CNY yuan. Which fields a policy needs is declared by the policy, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    MONEY = "money"  # integer CNY yuan, >= 0 except where `signed`
    COUNT = "count"  # integer >= 0
    BOOL = "bool"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    label_zh: str
    kind: Kind
    signed: bool = False  # money that may legitimately be negative (net assets of a loss-making firm)


def _years(stem: str, label_zh: str, kind: Kind, signed: bool = False) -> list[FieldSpec]:
    ordinals = ("第一年", "第二年", "第三年")
    return [
        FieldSpec(f"{stem}_y{i}", f"{label_zh}（{ordinals[i - 1]}）", kind, signed) for i in (1, 2, 3)
    ]


FIELD_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec("credit_code", "统一社会信用代码", Kind.TEXT),
    FieldSpec("name", "企业名称", Kind.TEXT),
    FieldSpec("region_code", "所在地区划代码", Kind.TEXT),
    FieldSpec("founded_on", "成立日期", Kind.DATE),
    FieldSpec("tech_field", "技术领域", Kind.TEXT),
    FieldSpec("employees", "职工总数", Kind.COUNT),
    FieldSpec("tech_staff", "科技人员数", Kind.COUNT),
    *_years("revenue", "销售收入", Kind.MONEY),
    FieldSpec("total_income", "总收入", Kind.MONEY),
    FieldSpec("hitech_revenue", "高新技术产品（服务）收入", Kind.MONEY),
    FieldSpec("total_cost", "成本费用支出总额", Kind.MONEY),
    FieldSpec("total_assets", "资产总额", Kind.MONEY),
    *_years("net_assets", "净资产（年末）", Kind.MONEY, signed=True),
    *_years("rnd_expense", "研发费用总额", Kind.MONEY),
    *_years("rnd_expense_domestic", "境内研发费用", Kind.MONEY),
    FieldSpec("ip_class1", "Ⅰ类知识产权数", Kind.COUNT),
    FieldSpec("ip_class2", "Ⅱ类知识产权数", Kind.COUNT),
    FieldSpec("ip_self_developed", "是否有自主研发知识产权", Kind.BOOL),
    FieldSpec("achievement_conversions", "近三年科技成果转化数", Kind.COUNT),
    FieldSpec("standards_led", "主导或参与制定标准数", Kind.COUNT),
    FieldSpec("major_incident", "重大安全质量事故或严重环境违法", Kind.BOOL),
    FieldSpec("bad_credit", "失信或经营异常", Kind.BOOL),
    FieldSpec("restricted_industry", "属于禁止、限制、淘汰类", Kind.BOOL),
    FieldSpec("has_hte_certificate", "有效期内高企证书", Kind.BOOL),
    FieldSpec("national_award_top3", "近五年国家级科技奖励（前三）", Kind.BOOL),
    FieldSpec("provincial_rnd_institution", "省部级以上研发机构", Kind.BOOL),
    FieldSpec("led_standard_5y", "近五年主导制定国际/国家/行业标准", Kind.BOOL),
    # Optional expert columns: when present, the HTE score items they cover are exact.
    FieldSpec("expert_advancement", "专家评分：技术先进程度", Kind.COUNT),
    FieldSpec("expert_core_support", "专家评分：核心支持作用", Kind.COUNT),
    FieldSpec("expert_rnd_management", "专家评分：研发组织管理", Kind.COUNT),
)

FIELDS_BY_NAME = {spec.name: spec for spec in FIELD_SPECS}
FIELDS_BY_LABEL_ZH = {spec.label_zh: spec for spec in FIELD_SPECS}


@dataclass(frozen=True, slots=True)
class EnterpriseFacts:
    """One enterprise's facts as of an evaluation. `None` means "not reported"."""

    credit_code: str
    name: str = ""
    region_code: str | None = None
    founded_on: date | None = None
    tech_field: str | None = None
    employees: int | None = None
    tech_staff: int | None = None
    revenue_y1: int | None = None
    revenue_y2: int | None = None
    revenue_y3: int | None = None
    total_income: int | None = None
    hitech_revenue: int | None = None
    total_cost: int | None = None
    total_assets: int | None = None
    net_assets_y1: int | None = None
    net_assets_y2: int | None = None
    net_assets_y3: int | None = None
    rnd_expense_y1: int | None = None
    rnd_expense_y2: int | None = None
    rnd_expense_y3: int | None = None
    rnd_expense_domestic_y1: int | None = None
    rnd_expense_domestic_y2: int | None = None
    rnd_expense_domestic_y3: int | None = None
    ip_class1: int | None = None
    ip_class2: int | None = None
    ip_self_developed: bool | None = None
    achievement_conversions: int | None = None
    standards_led: int | None = None
    major_incident: bool | None = None
    bad_credit: bool | None = None
    restricted_industry: bool | None = None
    has_hte_certificate: bool | None = None
    national_award_top3: bool | None = None
    provincial_rnd_institution: bool | None = None
    led_standard_5y: bool | None = None
    expert_advancement: int | None = None
    expert_core_support: int | None = None
    expert_rnd_management: int | None = None

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


assert tuple(f.name for f in fields(EnterpriseFacts)) == tuple(s.name for s in FIELD_SPECS), (
    "FIELD_SPECS and EnterpriseFacts must list the same fields in the same order"
)
