"""Number formatting for KPI pages and bulletins: grouped thousands whatever the active locale."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def num(value) -> str:
    """12345 -> "12,345"; a Decimal with a fraction keeps one decimal; None -> "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return f"{value:,.1f}"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def kpi_value(v) -> str:
    """A KpiValue's value as shown: "66.7%" for a ratio, "30,000" for a count, "—" without data."""
    if v is None or v.value is None:
        return "—"
    return f"{v.value}%" if v.kpi.unit == "percent" else num(v.value)


@register.filter
def kpi_goal(v) -> str:
    if v.goal is None:
        return str(v.goal_text or "—")
    if v.kpi.unit == "percent":
        return (">" if v.kpi.strict else "") + f"{v.goal:.0f}%"
    return num(v.goal)


@register.filter
def kpi_gap(v) -> str:
    if v.gap is None:
        return "—"
    if v.gap == 0:
        return _("已达标")
    return _("%(n)s 个百分点") % {"n": v.gap} if v.kpi.unit == "percent" else num(v.gap)


@register.filter
def rate(value) -> str:
    """0.6734 -> "67%"; None -> "—"."""
    if value is None:
        return "—"
    return f"{round(float(value) * 100)}%"
