"""Field rules shared by every way facts enter the registry (forms, API, imports, demo data).

Each check returns a list of {"field", "reason"}; callers raise ValidationFailed or report per row.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from gaoqi.registry.models import (
    COUNT_FIELDS,
    FLAG_FIELDS,
    MONEY_FIELDS,
    REPORT_CROSS_RULES,
    SIGNED_MONEY_FIELDS,
    AnnualReport,
)


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


def report_errors(values: dict, *, year: int, today: date, stored: dict | None = None) -> list[dict]:
    """Errors in one year's figures: types, signs, the engine's cross-field rules, year not in the future.

    `stored`: the figures the report already holds when `values` replace some of them; the cross-field rules
    (the same as the database constraints) apply to the report as it will be saved.
    """
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
    errors += cross_field_errors({**(stored or {}), **values})
    return errors


def _number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def cross_field_errors(row: dict) -> list[dict]:
    """The engine's cross-field rules within one report (`models.REPORT_CROSS_RULES`), on the smaller field."""
    errors = []
    for small, big in REPORT_CROSS_RULES:
        s, b = row.get(small), row.get(big)
        if _number(s) and _number(b) and s > b:
            reason = _("%(small)s（%(s)s）超过%(big)s（%(b)s）") % {
                "small": AnnualReport._meta.get_field(small).verbose_name,
                "s": f"{s:,}",
                "big": AnnualReport._meta.get_field(big).verbose_name,
                "b": f"{b:,}",
            }
            errors.append({"field": small, "reason": reason})
    return errors
