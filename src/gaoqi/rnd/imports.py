"""Importing a list of R&D institutions (省科技厅/工信厅/发改委 lists of recognised institutions).

The intake profiles fill registry facts only (their targets are a closed list of enterprise, report, IP and
tag fields), so institutions have their own import with the same conventions: every error names the file,
row, column and reason; nothing is written unless the whole file is right (one transaction); importing the
same file twice changes nothing the second time (rows are matched on host firm + kind + level + name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can_manage_rnd, scope_enterprises
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record, changed_fields
from gaoqi.errors import ValidationFailed
from gaoqi.intake.tables import Column, problem, read_table
from gaoqi.policy.template.cells import CellError, parse_date, parse_text
from gaoqi.rnd.models import InstitutionKind, InstitutionLevel, InstitutionStatus, RndInstitution
from gaoqi.rnd.services import SOURCE_MAX, institution_errors, institution_snapshot

COLUMNS = [
    Column("credit_code", ("依托企业统一社会信用代码", "统一社会信用代码", "信用代码")),
    Column("name", ("研发机构名称", "机构名称")),
    Column("kind", ("研发机构类型", "类型", "机构类型")),
    Column("level", ("级别", "机构级别")),
    Column("recognized_on", ("认定日期", "认定时间", "批准日期")),
    Column("status", ("状态",), required=False),
    Column("ended_on", ("撤销或失效日期", "撤销日期", "失效日期"), required=False),
    Column("source", ("来源", "认定文件", "文号"), required=False),
]
# Words written in departments' lists for each choice (besides the label and the code).
KIND_WORDS = {
    "重点实验室": InstitutionKind.KEY_LAB,
    "企业重点实验室": InstitutionKind.KEY_LAB,
    "工程技术研究中心": InstitutionKind.ENGINEERING_CENTER,
    "工程研究中心": InstitutionKind.ENGINEERING_CENTER,
    "工程中心": InstitutionKind.ENGINEERING_CENTER,
    "技术中心": InstitutionKind.ENTERPRISE_TECH_CENTER,
    "企业技术中心": InstitutionKind.ENTERPRISE_TECH_CENTER,
    "技术创新中心": InstitutionKind.INNOVATION_CENTER,
    "新型研发机构": InstitutionKind.NEW_RND_INSTITUTION,
}
LEVEL_WORDS = {
    "国家": InstitutionLevel.NATIONAL,
    "省": InstitutionLevel.PROVINCIAL,
    "市": InstitutionLevel.CITY,
}
STATUS_WORDS = {
    "撤销": InstitutionStatus.REVOKED,
    "失效": InstitutionStatus.LAPSED,
    "过期": InstitutionStatus.LAPSED,
    "正常": InstitutionStatus.VALID,
}


def _choice(value: object, choices, words: dict) -> str:
    text = str(value).strip()
    for code, label in choices.choices:
        if text in (code, str(label)):
            return code
    for word, code in words.items():
        if text in (word, word + "级"):
            return code
    allowed = "、".join(str(label) for _c, label in choices.choices)
    raise CellError(f"无法识别“{text}”，应为：{allowed}")


@dataclass
class ImportResult:
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)


@dataclass
class _Parsed:
    row: int
    firm: object
    values: dict


def _parse(rows, file: str, firms: dict, today: date) -> tuple[list[_Parsed], list[dict]]:
    errors, parsed, keys = [], [], {}
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
                if name == "credit_code":
                    values[name] = parse_text(raw, "credit_code")
                elif name in ("recognized_on", "ended_on"):
                    values[name] = parse_date(raw)
                elif name == "kind":
                    values[name] = _choice(raw, InstitutionKind, KIND_WORDS)
                elif name == "level":
                    values[name] = _choice(raw, InstitutionLevel, LEVEL_WORDS)
                elif name == "status":
                    values[name] = _choice(raw, InstitutionStatus, STATUS_WORDS)
                else:
                    values[name] = str(raw).strip()
            except CellError as exc:
                errors.append(problem(file, r.number, col, str(exc)))
                bad = True
        if bad:
            continue
        firm = firms.get(values["credit_code"])
        if firm is None:
            # Unregistered and out-of-region firms answer alike: nothing about other regions leaks.
            errors.append(problem(file, r.number, r.columns["credit_code"], "企业未登记或不在您的管辖范围内"))
            continue
        values.setdefault("status", InstitutionStatus.VALID)
        values.setdefault("ended_on", None)
        values["source"] = (values.get("source") or file)[:SOURCE_MAX]
        for e in institution_errors(
            name=values["name"],
            kind=values["kind"],
            level=values["level"],
            recognized_on=values["recognized_on"],
            status=values["status"],
            ended_on=values["ended_on"],
            today=today,
        ):
            errors.append(problem(file, r.number, r.columns.get(e["field"], e["field"]), e["reason"]))
            bad = True
        key = (firm.pk, values["kind"], values["level"], values["name"])
        if not bad and key in keys:
            errors.append(
                problem(file, r.number, r.columns["name"], f"与第 {keys[key]} 行是同一研发机构（重复行）")
            )
            bad = True
        if not bad:
            keys[key] = r.number
            parsed.append(_Parsed(r.number, firm, values))
    return parsed, errors


def institutions_import(*, actor, path: str | Path, file_name: str | None = None) -> ImportResult:
    """Import an institution list. Raises ValidationFailed (errors: file/row/column/reason) and writes nothing
    when any row is wrong; otherwise creates new institutions and updates the status, dates and source of
    known ones, each audited."""
    file = file_name or Path(path).name
    result = ImportResult(file)
    rows, errors = read_table(path, file, COLUMNS)
    if errors:
        raise ValidationFailed(_("文件无法导入"), errors)
    result.rows = len(rows)
    codes = set()
    for r in rows:
        raw = r.cells.get("credit_code")
        if raw is not None:
            codes.add(str(raw).strip().upper())
    firms = {
        e.credit_code: e
        for e in scope_enterprises(actor).filter(credit_code__in=codes).select_related("city", "county")
        if can_manage_rnd(actor, e)
    }
    parsed, errors = _parse(rows, file, firms, timezone.localdate())
    if errors:
        raise ValidationFailed(_("文件有 %(n)s 处错误，未导入任何数据") % {"n": len(errors)}, errors)
    with transaction.atomic():
        existing = {
            (i.enterprise_id, i.kind, i.level, i.name): i
            for i in RndInstitution.objects.select_for_update().filter(
                enterprise__in=[p.firm for p in parsed]
            )
        }
        for p in parsed:
            v = p.values
            key = (p.firm.pk, v["kind"], v["level"], v["name"])
            inst = existing.get(key)
            if inst is None:
                inst = RndInstitution.objects.create(enterprise=p.firm, **{k: v[k] for k in _FIELDS})
                audit_record(
                    actor=actor,
                    action=AuditAction.IMPORT,
                    target=inst,
                    enterprise=p.firm,
                    new=institution_snapshot(inst),
                    reason=f"{file} 第 {p.row} 行",
                )
                result.created += 1
                continue
            before = institution_snapshot(inst)
            for k in ("recognized_on", "status", "ended_on", "source"):
                setattr(inst, k, v[k])
            old, new = changed_fields(before, institution_snapshot(inst))
            if not new:
                result.unchanged += 1
                continue
            inst.save()
            audit_record(
                actor=actor,
                action=AuditAction.IMPORT,
                target=inst,
                enterprise=p.firm,
                old=old,
                new=new,
                reason=f"{file} 第 {p.row} 行",
            )
            result.updated += 1
    return result


_FIELDS = ("name", "kind", "level", "recognized_on", "status", "ended_on", "source")
