"""Display helpers: money in 万元, region and field names in the active language, status badges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gaoqi.regions.models import Region
from gaoqi.registry.models import TechField
from gaoqi.registry.selectors import enterprise_status

register = template.Library()

# One firm's status (singular in English, unlike the home page's counts): a translation context keeps them apart.
STATUS_LABELS = {
    "hte": pgettext_lazy("status", "高企"),
    "tech_sme": pgettext_lazy("status", "科技型中小企业"),
    "candidate": pgettext_lazy("status", "培育对象"),
}
STATUS_CLASS = {"hte": "badge-hte", "tech_sme": "badge-sme", "candidate": "badge-candidate"}


# Menu icons: tiny inline SVG paths (24x24 grid), so no icon font or external file is needed.
ICONS = {
    "home": "M3 11l9-7 9 7v9a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z",
    "list": "M4 5h16v2H4zm0 6h16v2H4zm0 6h16v2H4z",
    "firm": "M4 21V5l8-3v6l8 3v10zm3-12v2h2V9zm0 4v2h2v-2zm4 0v2h2v-2zm4 0v2h2v-2z",
    "api": "M8 7l-5 5 5 5 1.4-1.4L5.8 12l3.6-3.6zm8 0l-1.4 1.4 3.6 3.6-3.6 3.6L16 17l5-5z",
    "clock": "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16zm-1 3v6l5 3 1-1.7-4-2.3V7z",
    "agency": "M12 3l9 4v2H3V7zm-7 8h2v6H5zm4 0h2v6H9zm4 0h2v6h-2zm4 0h2v6h-2zM3 19h18v2H3z",
    "users": "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 9c0-3.3 3.1-6 7-6s7 2.7 7 6zm15-9a3 3 0 1 0 0-6v6zm1 3c2.4.6 4 2.5 4 "
    "4.9V20h-3c0-2.3-.4-4.3-1-6z",
}


@register.simple_tag
def icon(name: str) -> str:
    return format_html(
        '<svg class="ico" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">'
        '<path d="{}" fill="currentColor"/></svg>',
        ICONS.get(name, ""),
    )


def _english() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def wan(yuan) -> str:
    """Integer CNY yuan → 万元 with two decimals and thousands separators ("" when unknown)."""
    if yuan is None or yuan == "":
        return ""
    amount = (Decimal(yuan) / Decimal(10000)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{amount:,.2f}"


@register.filter
def thousands(n) -> str:
    """A count with "," separators, whatever the active locale's grouping."""
    return "" if n is None else f"{n:,}"


@register.filter
def fact(value, kind: str) -> str:
    """A fact value as shown in tables: money in 万元, counts with separators, flags as 是/否."""
    if value is None:
        return "—"
    if kind == "money":
        return wan(value)
    if kind == "flag":
        return str(_("是")) if value else str(_("否"))
    return f"{value:,}"


@register.filter
def outcome_name(outcome) -> str:
    """An evaluation outcome code (pass / fail / undetermined) as the UI says it."""
    from gaoqi.web.evaluation import OUTCOME_LABELS  # evaluation imports this module

    return str(OUTCOME_LABELS.get(outcome, outcome or "—"))


@register.filter
def local_name(obj) -> str:
    """A region's or tech field's name in the active language (English where the reference data has one)."""
    if obj is None:
        return ""
    if _english() and getattr(obj, "name_en", ""):
        return obj.name_en
    # Counties and sub-fields have no English name in the reference data: both, the Chinese name and the
    # English name of its city or field in brackets ("昆山市 (Suzhou)", "软件 (Electronic information)").
    if _english() and isinstance(obj, TechField):
        if parent := _names_en()["field"].get(obj.code[:2]):
            return f"{obj.name} ({parent})"
    if _english() and isinstance(obj, Region) and obj.city_code and obj.city_code != obj.code:
        if city := _names_en()["city"].get(obj.city_code):
            return f"{obj.name} ({city})"
    return obj.name


def _names_en() -> dict[str, dict[str, str]]:
    """Top-level fields' and cities' English names by code: reference data, read once per process."""
    if not _NAMES_EN:
        _NAMES_EN["field"] = dict(
            TechField.objects.filter(parent__isnull=True).exclude(name_en="").values_list("code", "name_en")
        )
        _NAMES_EN["city"] = dict(
            Region.objects.filter(level="city").exclude(name_en="").values_list("code", "name_en")
        )
    return _NAMES_EN


_NAMES_EN: dict[str, dict[str, str]] = {}


@register.filter
def local_title(policy) -> str:
    """A policy's title in the active language (its files carry title_zh and title_en)."""
    if policy is None:
        return ""
    if _english() and getattr(policy, "title_en", ""):
        return policy.title_en
    return policy.title_zh


@register.filter
def status_of(enterprise) -> str:
    return enterprise_status(enterprise)


@register.simple_tag
def status_badge(enterprise_or_code) -> str:
    code = (
        enterprise_or_code if isinstance(enterprise_or_code, str) else enterprise_status(enterprise_or_code)
    )
    return format_html('<span class="badge {}">{}</span>', STATUS_CLASS[code], STATUS_LABELS[code])


@register.filter
def status_label(code: str) -> str:
    return STATUS_LABELS.get(code, code)


@register.filter
def source_title(source, row=None) -> str:
    """The provenance of a value, for a title attribute: department · file · row · import date."""
    if source is None:
        return ""
    parts = [str(source.get_department_display()), source.file_name]
    if row:
        parts.append(str(_("第%(row)s行")) % {"row": row})
    parts.append(
        str(_("导入于 %(date)s")) % {"date": timezone.localtime(source.imported_at).date().isoformat()}
    )
    if source.synthetic:
        parts.append(str(_("合成数据")))
    return " · ".join(parts)


FOLLOW_UP_LABELS = {
    "overdue": (_("已逾期"), "badge-overdue"),
    "due": (_("待跟进"), "badge-due"),
    "done": (_("已跟进"), "badge-done"),
}


@register.simple_tag
def follow_up_badge(state: str) -> str:
    label, css = FOLLOW_UP_LABELS[state]
    return format_html('<span class="badge {}">{}</span>', css, label)


@register.filter
def is_wide(bound_field) -> bool:
    """Text areas take a whole row of a form grid."""
    return bound_field.field.widget.__class__.__name__ == "Textarea"


@register.filter
def zone_name(zone) -> str:
    """A high-tech zone's short name, or its English name in English."""
    if zone is None:
        return ""
    return zone.name_en if _english() and zone.name_en else zone.short_name
