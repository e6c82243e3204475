"""Staged rows as the preview shows them: field labels, departments and values in the officer's words."""

from __future__ import annotations

from functools import cache

from gaoqi.intake.files import FileProblem
from gaoqi.intake.models import Tag
from gaoqi.intake.preview import REGISTRY
from gaoqi.intake.targets import PERCENT_SCALE, TARGETS
from gaoqi.registry.models import Department, IpKind

DEPARTMENTS = {**dict(Department.choices), REGISTRY: "企业库"}
IP_LABELS = {
    "ip_number": "编号",
    "ip_title": "名称",
    "ip_granted_on": "授权日期",
    "ip_expires_on": "到期日期",
}


def label(field: str) -> str:
    if field in IP_LABELS:
        return IP_LABELS[field]
    target = TARGETS.get(field)
    return target.label_zh if target else field


@cache
def _names(model: str) -> dict[str, str]:
    """Region and technology-field names by code (reference data: read once per process)."""
    from gaoqi.regions.models import Region
    from gaoqi.registry.models import TechField

    source = Region if model == "region" else TechField
    return dict(source.objects.values_list("code", "name"))


def value_text(field: str, value) -> str:
    if value is None or value == "":
        return "—"
    if field == "county":
        return f"{_names('region').get(value, value)}（{value}）"
    if field == "tech_field":
        return f"{_names('tech_field').get(value, value)}（{value}）"
    target = TARGETS.get(field)
    if field == "tag":
        return str(dict(Tag.choices).get(value, value))
    if field == "ip_kind":
        return str(dict(IpKind.choices).get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if target and target.kind == "percent" and isinstance(value, int):
        return f"{value / PERCENT_SCALE:.2f}%"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def row_messages(batch, row) -> list[str]:
    """Each error of a staged row as one sentence naming the file, sheet, row, column and reason."""
    return [
        FileProblem(
            batch.file_name, e["reason"], sheet=batch.sheet, row=row.line, column=e.get("column") or ""
        ).message
        for e in row.errors
    ]


def display_rows(rows) -> list[dict]:
    out = []
    for row in rows:
        out.append(
            {
                "row": row,
                "changes": [
                    {
                        "year": c.get("year"),
                        "label": label(c["field"]),
                        "old": value_text(c["field"], c.get("old")),
                        "new": value_text(c["field"], c.get("new")),
                    }
                    for c in row.changes
                ],
                "conflicts": [
                    {
                        "year": c.get("year"),
                        "label": label(c["field"]),
                        "new": value_text(c["field"], c.get("new")),
                        "other": value_text(c["field"], c.get("other")),
                        "department": DEPARTMENTS.get(c["department"], c["department"]),
                        "wins": c.get("wins"),
                    }
                    for c in row.conflicts
                ],
            }
        )
    return out
