"""The typed input records of the engine, each field declared ONCE: its labels, kind, unit and limits.

`EnterpriseFacts` is one enterprise, up to three accounting years (`_y1`, `_y2`, `_y3`; `_y3` the most
recent, the three calendar years before the evaluation date). Money is integer CNY yuan. The field names are
the public contract of the evaluation template (shared INPUT-TEMPLATE.md). `FIELD_SPECS`, the template's
columns, the bulk schema and the registry's field groups all derive from the dataclass below.

`CROSS_RULES` (a value may not exceed another) are declared once here and applied by the engine (both
backends, see `common_checks`), the template readers, the registry services and its database constraints.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

from gaoqi.policy.core.errors import FieldError

MONEY_LIMIT = 10**13  # yuan (十万亿元): three years summed times a 1/100,000 threshold stays inside Int64
COUNT_LIMIT = 10**9


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
    label_en: str = ""
    unit: str = ""  # CNY, persons, items, points, "" (text, dates, yes/no)
    stem: str = ""  # the yearly quantity (`revenue` for `revenue_y3`); "" for a single value
    year: int | None = None  # 1..3 for a yearly field


_ORDINALS_ZH = ("第一年", "第二年", "第三年")
_UNITS = {Kind.MONEY: "CNY", Kind.COUNT: "items"}


def fact(
    label_zh: str,
    label_en: str,
    kind: Kind,
    *,
    unit: str | None = None,
    signed: bool = False,
    default: Any = None,
) -> Any:
    """A dataclass field carrying its FieldSpec metadata."""
    meta = {
        "label_zh": label_zh,
        "label_en": label_en,
        "kind": kind,
        "signed": signed,
        "unit": _UNITS.get(kind, "") if unit is None else unit,
    }
    return field(default=default, metadata=meta)


@cache
def specs_of(cls: type) -> tuple[FieldSpec, ...]:
    """The FieldSpecs of a facts dataclass, in field order; `_yN` fields carry their stem and year."""
    out = []
    for f in fields(cls):
        m = f.metadata
        stem, _, suffix = f.name.rpartition("_y")
        year = int(suffix) if stem and suffix in ("1", "2", "3") else None
        out.append(
            FieldSpec(
                f.name,
                m["label_zh"],
                m["kind"],
                m["signed"],
                m["label_en"],
                m["unit"],
                stem if year else "",
                year,
            )
        )
    return tuple(out)


def _yearly(label_zh: str, label_en: str, kind: Kind, k: int, **kw: Any) -> Any:
    return fact(f"{label_zh}（{_ORDINALS_ZH[k - 1]}）", f"{label_en} (year {k})", kind, **kw)


@dataclass(frozen=True, slots=True)
class EnterpriseFacts:
    """One enterprise's facts as of an evaluation. `None` means "not reported"."""

    credit_code: str = fact("统一社会信用代码", "Unified social credit code", Kind.TEXT)
    name: str = fact("企业名称", "Enterprise name", Kind.TEXT, default="")
    region_code: str | None = fact("所在地区划代码", "Region code", Kind.TEXT)
    founded_on: date | None = fact("成立日期", "Founded on", Kind.DATE)
    tech_field: str | None = fact("技术领域", "Technology field", Kind.TEXT)
    employees: int | None = fact("职工总数", "Employees", Kind.COUNT, unit="persons")
    tech_staff: int | None = fact("科技人员数", "Tech staff", Kind.COUNT, unit="persons")
    revenue_y1: int | None = _yearly("销售收入", "Sales revenue", Kind.MONEY, 1)
    revenue_y2: int | None = _yearly("销售收入", "Sales revenue", Kind.MONEY, 2)
    revenue_y3: int | None = _yearly("销售收入", "Sales revenue", Kind.MONEY, 3)
    total_income: int | None = fact("总收入", "Total income", Kind.MONEY)
    hitech_revenue: int | None = fact(
        "高新技术产品（服务）收入", "High-tech product (service) income", Kind.MONEY
    )
    total_cost: int | None = fact("成本费用支出总额", "Total costs and expenses", Kind.MONEY)
    total_assets: int | None = fact("资产总额", "Total assets", Kind.MONEY)
    net_assets_y1: int | None = _yearly(
        "净资产（年末）", "Net assets at year end", Kind.MONEY, 1, signed=True
    )
    net_assets_y2: int | None = _yearly(
        "净资产（年末）", "Net assets at year end", Kind.MONEY, 2, signed=True
    )
    net_assets_y3: int | None = _yearly(
        "净资产（年末）", "Net assets at year end", Kind.MONEY, 3, signed=True
    )
    rnd_expense_y1: int | None = _yearly("研发费用总额", "R&D expenses", Kind.MONEY, 1)
    rnd_expense_y2: int | None = _yearly("研发费用总额", "R&D expenses", Kind.MONEY, 2)
    rnd_expense_y3: int | None = _yearly("研发费用总额", "R&D expenses", Kind.MONEY, 3)
    rnd_expense_domestic_y1: int | None = _yearly("境内研发费用", "Domestic R&D expenses", Kind.MONEY, 1)
    rnd_expense_domestic_y2: int | None = _yearly("境内研发费用", "Domestic R&D expenses", Kind.MONEY, 2)
    rnd_expense_domestic_y3: int | None = _yearly("境内研发费用", "Domestic R&D expenses", Kind.MONEY, 3)
    rnd_expense_deductible_y3: int | None = fact(
        "研发费用加计扣除基数（第三年）", "R&D expenses eligible for the super deduction (year 3)", Kind.MONEY
    )
    ip_class1: int | None = fact("Ⅰ类知识产权数", "Class I IP items", Kind.COUNT)
    ip_class2: int | None = fact("Ⅱ类知识产权数", "Class II IP items", Kind.COUNT)
    ip_class2_used: int | None = fact(
        "已用于高企认定的Ⅱ类知识产权数", "Class II IP items already used in an HTE certification", Kind.COUNT
    )
    ip_self_developed: bool | None = fact("是否有自主研发知识产权", "Self-developed IP", Kind.BOOL)
    achievement_conversions: int | None = fact(
        "近三年科技成果转化数", "Technology conversions (3 years)", Kind.COUNT
    )
    standards_led: int | None = fact("主导或参与编制标准数", "Standards led or co-drafted", Kind.COUNT)
    major_incident: bool | None = fact(
        "重大安全质量事故或严重环境违法",
        "Major safety/quality incident or serious environmental violation",
        Kind.BOOL,
    )
    bad_credit: bool | None = fact("失信或经营异常", "Bad credit or abnormal operation", Kind.BOOL)
    research_misconduct: bool | None = fact("科研严重失信行为", "Serious research misconduct", Kind.BOOL)
    restricted_industry: bool | None = fact(
        "属于禁止、限制、淘汰类", "Prohibited, restricted or phased-out industry", Kind.BOOL
    )
    has_hte_certificate: bool | None = fact("有效期内高企证书", "Valid HTE certificate", Kind.BOOL)
    national_award_top3: bool | None = fact(
        "近五年国家级科技奖励（前三）", "National S&T award in 5 years (top 3)", Kind.BOOL
    )
    provincial_rnd_institution: bool | None = fact(
        "省部级以上研发机构", "Provincial or higher R&D institution", Kind.BOOL
    )
    led_standard_5y: bool | None = fact(
        "近五年主导制定国际/国家/行业标准",
        "Led an international/national/industry standard in 5 years",
        Kind.BOOL,
    )
    # Optional expert columns: when present, the HTE score items they cover are exact.
    expert_advancement: int | None = fact(
        "专家评分：技术先进程度", "Expert score: advancement", Kind.COUNT, unit="points"
    )
    expert_core_support: int | None = fact(
        "专家评分：核心支持作用", "Expert score: core support", Kind.COUNT, unit="points"
    )
    expert_rnd_management: int | None = fact(
        "专家评分：研发组织管理", "Expert score: R&D management", Kind.COUNT, unit="points"
    )

    def year(self, stem: str, k: int) -> int | None:
        """The yearly quantity `stem` of year k (1..3), as formulas read it (`x.f.year("revenue", 3)`)."""
        return getattr(self, f"{stem}_y{k}")

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


FIELD_SPECS: tuple[FieldSpec, ...] = specs_of(EnterpriseFacts)
FIELDS_BY_NAME = {spec.name: spec for spec in FIELD_SPECS}
FIELDS_BY_LABEL_ZH = {spec.label_zh: spec for spec in FIELD_SPECS}


@dataclass(frozen=True, slots=True)
class NotAbove:
    """`small` may not exceed `big` (both reported). The error is reported on `small`."""

    small: str
    big: str
    reason_zh: str
    reason_en: str = ""


CROSS_RULES: tuple[NotAbove, ...] = (
    NotAbove("tech_staff", "employees", "科技人员数不能超过职工总数", "Tech staff may not exceed employees"),
    *(
        NotAbove(
            f"rnd_expense_domestic_y{k}",
            f"rnd_expense_y{k}",
            "境内研发费用不能超过研发费用总额",
            "Domestic R&D expenses may not exceed R&D expenses",
        )
        for k in (1, 2, 3)
    ),
    NotAbove(
        "rnd_expense_deductible_y3",
        "rnd_expense_y3",
        "加计扣除口径研发费用不能超过研发费用总额",
        "The super-deduction R&D base may not exceed R&D expenses",
    ),
    NotAbove(
        "rnd_expense_y3",
        "total_cost",
        "研发费用总额不能超过成本费用支出总额",
        "R&D expenses may not exceed total costs and expenses",
    ),
    NotAbove(
        "hitech_revenue",
        "total_income",
        "高新技术产品（服务）收入不能超过总收入",
        "High-tech product (service) income may not exceed total income",
    ),
    NotAbove(
        "ip_class2_used",
        "ip_class2",
        "已使用的Ⅱ类知识产权数不能超过Ⅱ类知识产权数",
        "Class II IP items already used may not exceed class II IP items",
    ),
)


def type_errors(facts: Any, specs: tuple[FieldSpec, ...]) -> list:
    """Python-type checks of a facts record (the bulk schema is typed, so these are per-firm only)."""
    errors = []
    for spec in specs:
        v = getattr(facts, spec.name)
        if v is None:
            continue
        if spec.kind in (Kind.MONEY, Kind.COUNT):
            if isinstance(v, bool) or not isinstance(v, int):
                errors.append(FieldError(spec.name, f"expected an integer, got {v!r}", "应为整数"))
        elif spec.kind is Kind.BOOL and not isinstance(v, bool):
            errors.append(FieldError(spec.name, f"expected true/false, got {v!r}", "应为是/否"))
        elif spec.kind is Kind.DATE and not isinstance(v, date):
            errors.append(FieldError(spec.name, f"expected a date, got {v!r}", "应为日期"))
        elif spec.kind is Kind.TEXT and not isinstance(v, str):
            errors.append(FieldError(spec.name, f"expected text, got {v!r}", "应为文本"))
    return errors


def common_checks(
    x: Any,
    specs: tuple[FieldSpec, ...],
    required: list[str] | tuple[str, ...],
    cross: tuple[NotAbove, ...] = (),
) -> None:
    """Validation every policy shares, written once against ops: required fields, signs, the arithmetic's
    limits, the cross-field rules, and a founding date after the evaluation date.

    A condition that is plainly False (the scalar backend, a valid value) is not reported: `x.error` is
    only called, and its reason texts only built, for a condition that may hold."""
    f, ops = x.f, x.ops
    for name in dict.fromkeys(required):
        cond = ops.is_null(getattr(f, name))
        if cond is not False:
            x.error(
                name,
                cond,
                lambda: f"required by policy {x.policy.name}",
                lambda: f"{x.policy.title_zh}评价必填",
                missing=True,
            )
    for spec in specs:
        if spec.kind is Kind.MONEY:
            low = -MONEY_LIMIT + 1 if spec.signed else 0
            cond = ops.outside(getattr(f, spec.name), low, MONEY_LIMIT - 1)
            big_zh = "金额超出可计算范围（须小于10万亿元）"
        elif spec.kind is Kind.COUNT:
            cond = ops.outside(getattr(f, spec.name), 0, COUNT_LIMIT - 1)
            big_zh = "数值超出可计算范围（须小于10亿）"
        else:
            continue
        if cond is not False:
            x.error(
                spec.name,
                cond,
                lambda s=spec: _range_reason(getattr(x.f, s.name), s),
                lambda s=spec, z=big_zh: "不能为负数" if getattr(x.f, s.name) < 0 and not s.signed else z,
            )
    for rule in cross:
        cond = ops.exceeds(getattr(f, rule.small), getattr(f, rule.big))
        if cond is not False:
            x.error(
                rule.small,
                cond,
                lambda r=rule: f"{r.small} ({getattr(x.f, r.small)}) exceeds {r.big} ({getattr(x.f, r.big)})",
                lambda r=rule: f"{r.reason_zh}（{getattr(x.f, r.small)} > {getattr(x.f, r.big)}）",
            )
    if any(s.name == "founded_on" for s in specs):
        cond = ops.exceeds(f.founded_on, x.as_of)
        if cond is not False:
            x.error(
                "founded_on",
                cond,
                lambda: f"founded on {x.f.founded_on}, after the evaluation date {x.as_of}",
                lambda: f"成立日期 {x.f.founded_on} 晚于评价日期 {x.as_of}",
            )


def _range_reason(value: int, spec: FieldSpec) -> str:
    if value < 0 and not spec.signed:
        return f"must not be negative (got {value})"
    return f"{value} is outside the range the arithmetic accepts"
