"""Importing statistics-bureau totals per region and year (`gaoqi import-statistics FILE`).

The intake profiles fill registry facts keyed by firm (their targets are a closed list of enterprise, report,
IP and tag fields), so a regional total cannot be an intake profile; this import follows the same
conventions (`intake.tables.read_table`: format from content, every error names file, row, column and
reason; nothing is written unless the whole file is right; the same file twice changes nothing).

One row per region, year and indicator:

    地区 | 年度 | 指标 | 数值 | 单位 | 来源
    江苏省 | 2025 | 全部企业研发经费支出 | 3,560.2 | 亿元 | 江苏统计年鉴2026 表 19-3
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can_record_statistic
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import ValidationFailed
from gaoqi.intake.tables import Column, problem, read_table
from gaoqi.monitoring.models import RegionalStatistic, StatIndicator
from gaoqi.regions.models import Region

COLUMNS = [
    Column("region", ("地区", "行政区划", "地区代码", "行政区划代码")),
    Column("year", ("年度", "年份")),
    Column("indicator", ("指标", "指标名称")),
    Column("value", ("数值", "数据", "值")),
    Column("unit", ("单位", "计量单位"), required=False),
    Column("source", ("来源", "数据来源"), required=False),
]
UNITS = {"元": 1, "千元": 1000, "万元": 10_000, "亿元": 100_000_000}
DEFAULT_UNIT = "万元"
INDICATOR_WORDS = {
    "研发经费支出": StatIndicator.RND_EXPENSE_ALL,
    "企业研发经费支出": StatIndicator.RND_EXPENSE_ALL,
    "全部企业研发经费": StatIndicator.RND_EXPENSE_ALL,
    "规上工业总产值": StatIndicator.INDUSTRIAL_OUTPUT,
    "规模以上工业产值": StatIndicator.INDUSTRIAL_OUTPUT,
    "工业总产值": StatIndicator.INDUSTRIAL_OUTPUT,
    "高新技术产业产值": StatIndicator.HITECH_OUTPUT,
    "高新技术产业总产值": StatIndicator.HITECH_OUTPUT,
}


@dataclass
class StatImportResult:
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)


def _text(raw) -> str:
    return unicodedata.normalize("NFKC", str(raw)).strip()


def _number(raw) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(_("应为数字"))
    text = _text(raw).replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("不是数字：%(v)s") % {"v": text}) from None
    if not value.is_finite():
        raise ValueError(_("不是数字：%(v)s") % {"v": text})
    return value


def _indicator(raw) -> str:
    text = _text(raw)
    for code, label in StatIndicator.choices:
        if text in (code, str(label)):
            return code
    if text in INDICATOR_WORDS:
        return INDICATOR_WORDS[text]
    allowed = "、".join(str(label) for _c, label in StatIndicator.choices)
    raise ValueError(_("无法识别指标“%(t)s”，应为：%(a)s") % {"t": text, "a": allowed})


def _regions() -> dict[str, Region | None]:
    """Regions by code and by name; a name two regions share (鼓楼区) maps to None: the code is needed."""
    found: dict[str, Region | None] = {}
    for r in Region.objects.all():
        found[r.code] = r
        found[r.name] = None if r.name in found else r
    return found


def _parse(rows, file: str, regions: dict, actor, this_year: int):
    errors, parsed, seen = [], [], {}
    for r in rows:
        values, bad = {}, False
        for name, raw in r.cells.items():
            col = r.columns[name]
            if raw is None:
                if name in {c.name for c in COLUMNS if c.required}:
                    errors.append(problem(file, r.number, col, "必填项为空"))
                    bad = True
                continue
            try:
                if name == "region":
                    text = _text(raw).removesuffix(".0")
                    if text not in regions:
                        raise ValueError(_("未知地区“%(t)s”（写全称或六位行政区划代码）") % {"t": text})
                    region = regions[text]
                    if region is None:
                        raise ValueError(_("地区名称“%(t)s”不唯一，请写六位行政区划代码") % {"t": text})
                    if not can_record_statistic(actor, region.code):
                        raise ValueError(_("该地区不在您的管辖范围内"))
                    values[name] = region
                elif name == "year":
                    year = int(_number(raw))
                    if not 2000 <= year <= this_year:
                        raise ValueError(_("年度应在 2000 至 %(y)s 之间") % {"y": this_year})
                    values[name] = year
                elif name == "indicator":
                    values[name] = _indicator(raw)
                elif name == "value":
                    values[name] = _number(raw)
                    if values[name] < 0:
                        raise ValueError(_("数值不能为负数"))
                elif name == "unit":
                    unit = _text(raw)
                    if unit not in UNITS:
                        raise ValueError(_("单位应为：%(u)s") % {"u": "、".join(UNITS)})
                    values[name] = unit
                else:
                    values[name] = _text(raw)[:200]
            except ValueError as exc:
                errors.append(problem(file, r.number, col, str(exc)))
                bad = True
        if bad:
            continue
        yuan = (values["value"] * UNITS[values.get("unit", DEFAULT_UNIT)]).quantize(Decimal("0.01"))
        if yuan >= Decimal(10) ** 18:
            errors.append(problem(file, r.number, r.columns["value"], _("数值超出可计算范围")))
            continue
        key = (values["region"].code, values["year"], values["indicator"])
        if key in seen:
            errors.append(
                problem(file, r.number, r.columns["indicator"], _("与第 %(n)s 行重复") % {"n": seen[key]})
            )
            continue
        seen[key] = r.number
        parsed.append((r.number, key, yuan, values.get("source") or file))
    return parsed, errors


def statistics_import(*, actor, path: str | Path, file_name: str | None = None, synthetic: bool = False):
    """Import a statistics table. Raises ValidationFailed (file/row/column/reason) and writes nothing when any
    row is wrong; otherwise creates or updates one RegionalStatistic per row, each change audited."""
    file = file_name or Path(path).name
    result = StatImportResult(file)
    rows, errors = read_table(path, file, COLUMNS)
    if errors:
        raise ValidationFailed(_("文件无法导入"), errors)
    result.rows = len(rows)
    parsed, errors = _parse(rows, file, _regions(), actor, timezone.localdate().year)
    if errors:
        raise ValidationFailed(_("文件有 %(n)s 处错误，未导入任何数据") % {"n": len(errors)}, errors)
    now = timezone.now()
    with transaction.atomic():
        for row, (code, year, indicator), value, source in parsed:
            stat = (
                RegionalStatistic.objects.select_for_update()
                .filter(region_id=code, year=year, indicator=indicator)
                .first()
            )
            reason = f"{file} 第 {row} 行"
            if stat is None:
                stat = RegionalStatistic.objects.create(
                    region_id=code,
                    year=year,
                    indicator=indicator,
                    value=value,
                    source=source,
                    synthetic=synthetic,
                    updated_at=now,
                    updated_by=actor if getattr(actor, "pk", None) else None,
                )
                audit_record(
                    actor=actor,
                    action=AuditAction.IMPORT,
                    target=stat,
                    new={"region": code, "year": year, "indicator": indicator, "value": str(value)},
                    reason=reason,
                )
                result.created += 1
            elif stat.value == value and stat.source == source:
                result.unchanged += 1
            else:
                old = {"value": str(stat.value), "source": stat.source}
                stat.value, stat.source, stat.updated_at = value, source, now
                stat.updated_by = actor if getattr(actor, "pk", None) else None
                stat.save()
                audit_record(
                    actor=actor,
                    action=AuditAction.IMPORT,
                    target=stat,
                    old=old,
                    new={"value": str(value), "source": source},
                    reason=reason,
                )
                result.updated += 1
    return result
