"""Template helpers of the workflow core: phase labels, the inbox panel on the home page, unread counts."""

from django import template
from django.utils.translation import gettext as _

from gaoqi.workflow import selectors
from gaoqi.workflow.table import programme

register = template.Library()


@register.filter
def phase_label(application) -> str:
    return programme(application.programme).label_of(application.phase)


@register.filter
def phase_name(code: str, programme_code: str) -> str:
    return programme(programme_code).label_of(code)


@register.filter
def programme_label(code: str) -> str:
    try:
        return str(programme(code).label)
    except KeyError:
        return code


@register.filter
def local_time(iso: str | None) -> str:
    """A snapshot's stored ISO timestamp (UTC) as the platform's local time, "YYYY-MM-DD HH:MM"."""
    from datetime import datetime

    from django.utils import timezone

    try:
        moment = datetime.fromisoformat(iso or "")
    except (TypeError, ValueError):
        return iso or ""
    if timezone.is_naive(moment):
        return moment.strftime("%Y-%m-%d %H:%M")
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@register.filter
def flag_label(code: str) -> str:
    from gaoqi.programmes.tech_sme.evaluation import FLAG_LABELS

    return str(FLAG_LABELS.get(code, code))


@register.inclusion_tag("workflow/_inbox_panel.html", takes_context=True)
def inbox_panel(context):
    """The home page's 待办 count: applications waiting for the user, and unread notifications."""
    user = context["user"]
    return {
        "count": selectors.inbox_count(actor=user),
        "unread": selectors.unread_count(actor=user),
        "title": _("待办事项"),
    }
