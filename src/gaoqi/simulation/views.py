"""Policy simulation pages (province officers; others get 404): reforms, the parameter form, runs, the
comparison and its export. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.errors import ApplicationError, ValidationFailed
from gaoqi.policy import ENTERPRISE_POLICIES, load_policy
from gaoqi.simulation import selectors, services
from gaoqi.simulation.export import comparison_workbook
from gaoqi.web.decorators import officer_page
from gaoqi.web.forms import first_error
from gaoqi.web.templatetags.gaoqi_ui import local_title

PREFIX = "p:"


def _policies(as_of: date) -> list[tuple[str, str]]:
    return [(n, local_title(load_policy(n, as_of))) for n in ENTERPRISE_POLICIES]


def _date(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return timezone.localdate()


@officer_page
def index(request):
    reforms = list(selectors.reforms(actor=request.user))
    today = timezone.localdate()
    return render(
        request, "simulation/index.html", {"reforms": reforms, "policies": _policies(today), "today": today}
    )


def _form(request, *, reform=None, status=200, errors=None, posted=None):
    policy = reform.policy if reform else request.GET.get("policy") or request.POST.get("policy") or "hte"
    as_of = reform.as_of if reform else _date(request.GET.get("as_of") or request.POST.get("as_of"))
    overrides = reform.overrides if reform else {}
    base, rows = selectors.parameter_rows(actor=request.user, policy=policy, as_of=as_of, overrides=overrides)
    posted = posted or {}
    context = {
        "reform": reform,
        "policy": base,
        "as_of": as_of,
        "rows": [(r, posted.get(r.name, r.reform if r.reform is not None else r.value)) for r in rows],
        "errors": errors,
        "name": request.POST.get("name", reform.name if reform else ""),
        "note": request.POST.get("note", reform.note if reform else ""),
    }
    return render(request, "simulation/form.html", context, status=status)


def _save(request, reform=None):
    values = {k[len(PREFIX) :]: v for k, v in request.POST.items() if k.startswith(PREFIX)}
    try:
        saved = services.reform_save(
            actor=request.user,
            name=request.POST.get("name", ""),
            policy=reform.policy if reform else request.POST.get("policy", ""),
            as_of=reform.as_of if reform else _date(request.POST.get("as_of")),
            values=values,
            note=request.POST.get("note", ""),
            reform=reform,
        )
    except ValidationFailed as exc:
        return _form(request, reform=reform, status=422, errors=exc, posted=values)
    messages.success(request, _("方案已保存"))
    return redirect("simulation:reform", pk=saved.pk)


@officer_page
def reform_new(request):
    if request.method == "POST":
        selectors.reforms(actor=request.user)  # scope first: a city officer's POST is a 404 too
        return _save(request)
    try:
        return _form(request)
    except ValidationFailed as exc:
        messages.error(request, first_error(exc))
        return redirect("simulation:index")


@officer_page
def reform_edit(request, pk):
    reform = selectors.get_reform(actor=request.user, pk=pk)
    if request.method == "POST":
        return _save(request, reform)
    return _form(request, reform=reform)


@officer_page
def reform_detail(request, pk):
    reform = selectors.get_reform(actor=request.user, pk=pk)
    base, rows = selectors.parameter_rows(
        actor=request.user, policy=reform.policy, as_of=reform.as_of, overrides=reform.overrides
    )
    context = {
        "reform": reform,
        "policy": base,
        "changed": [r for r in rows if r.reform is not None],
        "runs": reform.runs.select_related("job", "started_by"),
    }
    return render(request, "simulation/reform.html", context)


@require_POST
@officer_page
def run_start(request, pk):
    reform = selectors.get_reform(actor=request.user, pk=pk)
    try:
        run = services.run_start(actor=request.user, reform=reform)
    except ApplicationError as exc:
        messages.error(request, first_error(exc))
        return redirect("simulation:reform", pk=reform.pk)
    return redirect("jobs:detail", pk=run.job_id)


@officer_page
def run_detail(request, pk):
    run = selectors.get_run(actor=request.user, pk=pk)
    city = request.GET.get("city") or None
    page = selectors.changes(actor=request.user, run=run, city=city, page=request.GET.get("page") or 1)
    s = run.summary or {}
    context = {
        "run": run,
        "s": s,
        "page": page,
        "city": city,
        "by_city": list(s.get("by_city", {}).items()),
        "by_county": list(s.get("by_county", {}).items()),
    }
    return render(request, "simulation/run.html", context)


def _compared(request):
    ids = []
    for v in request.GET.getlist("reform"):
        try:
            ids.append(int(v))
        except ValueError:
            continue
    return selectors.latest_runs(actor=request.user, reform_ids=ids)


@officer_page
def compare(request):
    runs = _compared(request)
    context = {"c": selectors.comparison(runs=runs), "query": request.GET.urlencode()}
    return render(request, "simulation/compare.html", context)


@officer_page
def compare_export(request):
    runs = _compared(request)
    response = HttpResponse(
        comparison_workbook(runs),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="policy-simulation.xlsx"'
    return response
