"""Guards, effects' helpers and dates that more than one programme's declaration uses (tech-SME, pool, HTE):
the notice guards every programme with a 公示 shares, the live evaluation computed once per transition, the
programme's one-to-one record, the day a transition runs on and whole-year periods. A guard is
(application, ctx) -> "" when its condition holds, else the message shown."""

from __future__ import annotations

import calendar
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaoqi.workflow.models import Application, NoticeEntry, Objection


def today(ctx: dict) -> date:
    """The day the transition runs on: the caller's (`ctx["today"]`, scheduled jobs and tests) or today."""
    return ctx.get("today") or timezone.localdate()


def add_years(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February in a common year)."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def record_of(model, app: Application):
    """The programme's one-to-one record of the application (created on first use)."""
    record, _created = model.objects.get_or_create(
        application_id=app.pk, defaults={"enterprise_id": app.enterprise_id}
    )
    return record


def live_evaluation(evaluation, app: Application, ctx: dict, *, key: str):
    """The live evaluation of the declaration by the programme's `evaluation` module (computed once per
    transition under `ctx[key]`, shared by the guards)."""
    if key not in ctx:
        as_of = timezone.localdate()
        facts = evaluation.effective_facts(actor=ctx["actor"], application=app, as_of=as_of)
        ctx[key] = evaluation.evaluate_facts(facts, as_of)
    return ctx[key]


# --- The notice (公示) guards -----------------------------------------------------------------------------


def published_by_notice(app, ctx) -> str:
    return "" if ctx.get("notice") is not None else _("须通过公示批次发布")


def _latest_entry(app) -> NoticeEntry | None:
    return NoticeEntry.objects.filter(application=app).select_related("notice").order_by("-notice_id").first()


def notice_closed(app, ctx) -> str:
    entry = _latest_entry(app)
    if entry is None or entry.notice.closed_at is None:
        return _("公示尚未结束")
    return ""


def no_upheld_objection(app, ctx) -> str:
    entry = _latest_entry(app)
    if entry and Objection.objects.filter(notice=entry.notice, application=app, upheld=True).exists():
        return _("公示期间异议成立，不能入库登记")
    return ""


# Registered by name by every programme with a notice.
NOTICE_GUARDS = {
    "published_by_notice": published_by_notice,
    "notice_closed": notice_closed,
    "no_upheld_objection": no_upheld_objection,
}
