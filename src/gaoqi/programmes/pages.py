"""View code the programmes' pages share (tech-SME, pool, HTE): the application in the actor's scope (404 like a
missing one), the error text of a refusal, the one-application action form, the queue's batch selection and its
report, a notice published from a queue, and the parts of the application page and the queue page every
programme shows. Thin like the views: parse, call the workflow's services or selectors, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import get_application_for_actor, get_enterprise_for_actor
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.workflow import notices, selectors
from gaoqi.workflow.models import Application
from gaoqi.workflow.services import available_actions, transition
from gaoqi.workflow.table import Programme


def application_or_404(request, pk, *, code: str | None = None) -> Application:
    """The application in the actor's scope; outside it (or, with `code`, of another programme): 404."""
    try:
        app = get_application_for_actor(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if code is not None and app.programme != code:
        raise Http404
    return app


def start_posted(request, application_start, *, back: str, success: str, detail_view: str):
    """The firm starts an application of its own (`application_start(actor=, enterprise=)`): its page with the
    message `success`, or back to `back` with the refusal; a firm out of reach answers 404."""
    try:
        firm = get_enterprise_for_actor(request.user, pk=request.user.enterprise_id or 0)
        app = application_start(actor=request.user, enterprise=firm)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, success)
    return redirect(detail_view, pk=app.pk)


def error_text(exc: ApplicationError) -> str:
    """The refusal's message and the reasons of its errors (not repeating the message)."""
    detail = "；".join(str(e["reason"]) for e in exc.extra.get("errors", []) if e.get("reason"))
    return f"{exc.message}{('：' + detail) if detail and detail != exc.message else ''}"


def act_posted(
    request,
    app: Application,
    *,
    success: Callable[[Application], str],
    error: Callable[[ApplicationError], str] = lambda exc: exc.message,
    missing_404: bool = True,
) -> None:
    """The action form of the application page (action, reason, the version seen): the transition, then a
    message (`success(app)` or `error(exc)`); with `missing_404`, a NotFound from the service answers 404."""
    try:
        transition(
            actor=request.user,
            application=app,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
            version=int(request.POST.get("version") or 0),
        )
    except NotFound as exc:
        if missing_404:
            raise Http404(exc.message) from exc
        messages.error(request, error(exc))
    except ApplicationError as exc:
        messages.error(request, error(exc))
    else:
        messages.success(request, success(app))


def attempt(request, call: Callable[[], object], *, success: str, error=error_text) -> bool:
    """Run a service call: the message `success`, or the refusal's `error(exc)` text; True when it was done."""
    try:
        call()
    except ApplicationError as exc:
        messages.error(request, error(exc))
        return False
    messages.success(request, success)
    return True


def phase_done(programme: Programme) -> Callable[[Application], str]:
    """The success message naming the phase the application is now in."""
    return lambda app: _("已办理：%(phase)s") % {"phase": programme.label_of(app.phase)}


def posted_items(request) -> list[tuple[int, int]]:
    """The queue's ticked applications as (id, version seen); malformed entries are left out."""
    items = []
    for raw in request.POST.getlist("item"):
        pk, _sep, version = raw.partition(":")
        if pk.isdigit() and version.isdigit():
            items.append((int(pk), int(version)))
    return items


def batch_report(request, result) -> None:
    """How many were done, and each refusal (the first 20) with its reason."""
    if result.done:
        messages.success(request, _("已办理 %(n)s 项") % {"n": len(result.done)})
    for r in result.refused[:20]:
        messages.error(request, _("申报 %(id)s 未办理：%(m)s") % {"id": r["id"], "m": r["message"]})


def queue_back(url_name: str, phase: str):
    """Back to the queue page of `url_name` on `phase`."""
    return redirect(f"{redirect(url_name).url}?phase={phase}")


def notice_publish_posted(request, *, code: str, back):
    """The queue's publish form: a notice (公示) of the ticked applications; an error goes `back`."""
    try:
        starts_on = date.fromisoformat(request.POST.get("starts_on") or "")
        days = int(request.POST.get("working_days") or 0)
    except ValueError:
        messages.error(request, _("请填写公示开始日期和公示期"))
        return back
    try:
        notice, result = notices.notice_publish(
            actor=request.user,
            programme_code=code,
            title=request.POST.get("title", ""),
            starts_on=starts_on,
            working_days=days,
            items=posted_items(request),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return back
    batch_report(request, result)
    return redirect("workflow:notice_detail", pk=notice.pk)


def declared_fields(app: Application, fields: dict) -> list[dict]:
    """The declaration form's fields (`fields`: column → (fact, label, kind)) with the declared values."""
    values = app.declared.get("values", {})
    return [
        {"name": col, "label": label, "kind": kind, "value": values.get(col)}
        for col, (_fact, label, kind) in fields.items()
    ]


def application_context(
    user,
    app: Application,
    *,
    programme: Programme,
    progress: tuple[str, ...],
    editable: bool,
    fields,
    evaluation,
) -> dict:
    """What every declared-figures application page shows: the form, the evaluation, the decisions, the
    actions (publishing is the queue's), the attachments and the progress bar."""
    return {
        "app": app,
        "programme": programme,
        "editable": editable,
        "fields": fields,
        "evaluation": evaluation,
        "decisions": selectors.decisions_for(application=app),
        "actions": [t for t in available_actions(user, app) if t.action != "publish"],
        "attachments": app.attachments.all(),
        "progress": [(code, programme.label_of(code)) for code in progress],
        "progress_index": progress.index(app.phase) if app.phase in progress else -1,
        "declared_year": app.declared.get("year"),
    }


def queue_context(request, *, programme: Programme, filters: selectors.QueueFilter, params) -> dict:
    """What every queue page shows: one page of the phase, the phases, the batch actions the actor may take,
    today and the notice's working days (the programme's dated `params`)."""
    role = request.user.role
    today = timezone.localdate()
    notice_days = params.value("notice_working_days", today)
    return {
        "page": selectors.queue_page(actor=request.user, filters=filters, page=request.GET.get("page") or 1),
        "filters": filters,
        "phases": [(p.code, p.label) for p in programme.phases],
        "batch_actions": [t for t in programme.actions_from(filters.phase) if t.batch and role in t.roles],
        "notice_days": notice_days,
        "today": today,
    }
