"""Display helpers for job pages: the status badge and a running time in words."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

BADGE_CLASS = {
    "queued": "badge-pending",
    "running": "badge-sme",
    "succeeded": "badge-pass",
    "failed": "badge-fail",
}


@register.simple_tag
def job_badge(job) -> str:
    return format_html(
        '<span class="badge {}" data-testid="job-status">{}</span>',
        BADGE_CLASS.get(job.status, "badge-na"),
        job.get_status_display(),
    )


@register.filter
def duration(value) -> str:
    """A timedelta as "1 小时 2 分 3 秒" (hours and minutes only when non-zero)."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(h)d 小时 %(m)d 分 %(s)d 秒") % {"h": hours, "m": minutes, "s": seconds}
    if minutes:
        return _("%(m)d 分 %(s)d 秒") % {"m": minutes, "s": seconds}
    return _("%(s)d 秒") % {"s": seconds}
