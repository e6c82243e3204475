"""Setting targets: a change is a new version (the old one stays, no longer current), each one audited.

The province sets its cities' targets and each city its counties' (`accounts.scope.can_set_target`); the
web form, the API and the Excel upload all come through `target_set` / `targets_upload`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can_set_target, target_regions
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import ValidationFailed
from gaoqi.intake.tables import Column, problem, read_table
from gaoqi.policy.template.cells import CellError, parse_count, parse_text
from gaoqi.regions.models import Region
from gaoqi.targets.models import Indicator, Target

VALUE_MAX = 1_000_000
REASON_MAX = 500


def year_errors(year) -> list[dict]:
    today = timezone.localdate()
    if not isinstance(year, int) or isinstance(year, bool) or not (2019 <= year <= today.year + 1):
        return [{"field": "year", "reason": _("年度应在 2019 年至明年之间")}]
    return []


def _value_errors(value) -> list[dict]:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return [{"field": "value", "reason": _("目标值应为非负整数")}]
    if value >= VALUE_MAX:
        return [{"field": "value", "reason": _("目标值过大")}]
    return []


@dataclass
class SetResult:
    target: Target
    changed: bool  # False when the value equals the current version's (no new version)


def _set(
    *, actor, region: Region, year: int, indicator: str, value: int, reason: str, synthetic=False
) -> SetResult:
    """The write itself (inside the caller's transaction), after the checks."""
    current = (
        Target.objects.select_for_update()
        .filter(year=year, indicator=indicator, region=region, is_current=True)
        .first()
    )
    if current is not None and current.value == value:
        return SetResult(current, False)
    version = 1
    if current is not None:
        version = current.version + 1
        Target.objects.filter(pk=current.pk).update(is_current=False)
    target = Target.objects.create(
        year=year,
        indicator=indicator,
        region=region,
        value=value,
        version=version,
        is_current=True,
        reason=reason[:REASON_MAX],
        set_by=actor if getattr(actor, "pk", None) else None,
        synthetic=synthetic,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if current is None else AuditAction.UPDATE,
        target=target,
        old=None if current is None else {"value": current.value, "version": current.version},
        new={
            "region": region.code,
            "year": year,
            "indicator": indicator,
            "value": value,
            "version": version,
        },
        reason=reason,
    )
    return SetResult(target, True)


def target_set(
    *, actor, region: Region, year: int, indicator: str, value: int, reason: str = ""
) -> SetResult:
    """Set `region`'s target for `indicator` in `year`. A changed value becomes a new version; the same value
    again writes nothing. A change to an existing target needs a reason."""
    can_set_target(actor, region).enforce()
    reason = (reason or "").strip()
    errors = year_errors(year) + _value_errors(value)
    if indicator not in Indicator.values:
        errors.append({"field": "indicator", "reason": _("未知的指标")})
    if len(reason) > REASON_MAX:
        errors.append({"field": "reason", "reason": _("说明不能超过 %(n)s 字") % {"n": REASON_MAX}})
    if errors:
        raise ValidationFailed(_("目标任务有误"), errors)
    exists = Target.objects.filter(year=year, indicator=indicator, region=region, is_current=True).first()
    if exists is not None and exists.value != value and not reason:
        raise ValidationFailed(
            _("目标任务有误"), [{"field": "reason", "reason": _("调整已下达的目标须填写调整说明")}]
        )
    with transaction.atomic():
        return _set(actor=actor, region=region, year=year, indicator=indicator, value=value, reason=reason)


@dataclass
class UploadResult:
    file: str
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)


REGION_COLUMNS = [
    Column("region_code", ("行政区划代码", "区划代码")),
    Column("region_name", ("地区", "地区名称"), required=False),
]
INDICATOR_HEADERS = {i.value: str(i.label) for i in Indicator}


def upload_columns() -> list[Column]:
    return [
        *REGION_COLUMNS,
        *[Column(code, (f"{label}目标", label), required=False) for code, label in INDICATOR_HEADERS.items()],
        Column("reason", ("调整说明", "说明"), required=False),
    ]


def targets_upload(*, actor, year: int, path: str | Path, file_name: str | None = None) -> UploadResult:
    """Set targets from a workbook (the one `targets_workbook` writes: a row per region, a column per
    indicator). All or nothing: any error (named by row and column) and nothing is written."""
    file = file_name or Path(path).name
    errors = year_errors(year)
    if errors:
        raise ValidationFailed(_("目标任务有误"), errors)
    rows, errors = read_table(path, file, upload_columns())
    if not errors and rows and not any(c in rows[0].columns for c in Indicator.values):
        errors.append(problem(file, None, "", _("没有任何指标列（如“当年新认定高企目标”）")))
    if errors:
        raise ValidationFailed(_("文件无法导入"), errors)
    allowed = {r.code: r for r in target_regions(actor)}
    current = {
        (t.region_id, t.indicator): t
        for t in Target.objects.filter(year=year, is_current=True, region_id__in=list(allowed))
    }
    result = UploadResult(file, rows=len(rows))
    plan, seen = [], {}
    for r in rows:
        col = r.columns
        try:
            code = parse_text(r.cells["region_code"], "region_code") if r.cells["region_code"] else ""
        except CellError as exc:
            errors.append(problem(file, r.number, col["region_code"], str(exc)))
            continue
        if not code:
            errors.append(problem(file, r.number, col["region_code"], _("必填项为空")))
            continue
        region = allowed.get(code)
        if region is None:
            errors.append(
                problem(
                    file,
                    r.number,
                    col["region_code"],
                    _("%(c)s 不是您可下达目标的地区（省下达设区市，设区市下达县区）") % {"c": code},
                )
            )
            continue
        if code in seen:
            errors.append(
                problem(
                    file,
                    r.number,
                    col["region_code"],
                    _("与第 %(n)s 行是同一地区（重复行）") % {"n": seen[code]},
                )
            )
            continue
        seen[code] = r.number
        reason = str(r.cells.get("reason") or "").strip()
        for indicator in Indicator.values:
            if indicator not in col or r.cells.get(indicator) is None:
                continue
            try:
                value = parse_count(r.cells[indicator])
            except CellError as exc:
                errors.append(problem(file, r.number, col[indicator], str(exc)))
                continue
            if value >= VALUE_MAX:
                errors.append(problem(file, r.number, col[indicator], _("目标值过大")))
                continue
            old = current.get((code, indicator))
            if old is not None and old.value != value and not reason:
                errors.append(
                    problem(
                        file, r.number, col.get("reason", "调整说明"), _("调整已下达的目标须填写调整说明")
                    )
                )
                continue
            plan.append((region, indicator, value, reason))
    if errors:
        raise ValidationFailed(_("文件有 %(n)s 处错误，未导入任何数据") % {"n": len(errors)}, errors)
    with transaction.atomic():
        for region, indicator, value, reason in plan:
            can_set_target(actor, region).enforce()
            done = _set(
                actor=actor,
                region=region,
                year=year,
                indicator=indicator,
                value=value,
                reason=reason or f"{file}",
            )
            if done.changed:
                result.changed += 1
            else:
                result.unchanged += 1
    return result
