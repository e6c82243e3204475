"""Field rules shared by every way facts enter the registry (forms, API, imports, demo data).

Each check returns a list of {"field", "reason"}; callers raise ValidationFailed or report per row.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from gaoqi.registry.models import COUNT_FIELDS, FLAG_FIELDS, MONEY_FIELDS, SIGNED_MONEY_FIELDS


def credit_code_errors(value: str | None) -> list[dict]:
    if not value:
        return [{"field": "credit_code", "reason": _("统一社会信用代码不能为空")}]
    try:
        uscc.validate(value)
    except StdnumError as exc:
        return [{"field": "credit_code", "reason": _("统一社会信用代码无效：%(msg)s") % {"msg": exc.message}}]
    return []


def normalise_credit_code(value: str) -> str:
    return uscc.compact(value)


def date_not_future_errors(field: str, value: date | None, today: date) -> list[dict]:
    if value is not None and value > today:
        return [{"field": field, "reason": _("日期 %(d)s 晚于今天") % {"d": value.isoformat()}}]
    return []


def report_errors(values: dict, *, year: int, today: date) -> list[dict]:
    """Errors in one year's figures: types, signs, tech staff within employees, year not in the future."""
    errors: list[dict] = []
    if year > today.year:
        errors.append({"field": "year", "reason": _("年度 %(y)s 尚未开始") % {"y": year}})
    for field, value in values.items():
        if value is None:
            continue
        if field in FLAG_FIELDS:
            if not isinstance(value, bool):
                errors.append({"field": field, "reason": _("应为是/否")})
            continue
        if field not in (*MONEY_FIELDS, *SIGNED_MONEY_FIELDS, *COUNT_FIELDS):
            errors.append({"field": field, "reason": _("未知字段")})
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append({"field": field, "reason": _("应为整数")})
        elif value < 0 and field not in SIGNED_MONEY_FIELDS:
            errors.append({"field": field, "reason": _("不能为负数")})
    staff, employees = values.get("tech_staff"), values.get("employees")
    if isinstance(staff, int) and isinstance(employees, int) and staff > employees:
        errors.append(
            {
                "field": "tech_staff",
                "reason": _("科技人员数（%(s)s）超过职工总数（%(e)s）") % {"s": staff, "e": employees},
            }
        )
    rnd, domestic = values.get("rnd_expense"), values.get("rnd_expense_domestic")
    if isinstance(rnd, int) and isinstance(domestic, int) and domestic > rnd:
        errors.append({"field": "rnd_expense_domestic", "reason": _("境内研发费用超过研发费用总额")})
    return errors
