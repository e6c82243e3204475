"""The ledger pages. Thin: parse the request, call a selector, render."""

from __future__ import annotations

import os
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from gaoqi.jobs.services import start_job
from gaoqi.ledger import selectors
from gaoqi.ledger.export import export_ledger
from gaoqi.ledger.gaps import reserve_advice
from gaoqi.ledger.models import Grade
from gaoqi.web import selectors as web_selectors


def _choice(value: str | None, allowed) -> str | None:
    return value if value and value in allowed else None


def _filters(request, options) -> selectors.LedgerFilter:
    get = request.GET
    return selectors.LedgerFilter(
        city=_choice(get.get("city"), {r.code for r in options.cities}),
        county=_choice(get.get("county"), {r.code for r in options.counties}),
        grade=_choice(get.get("grade"), Grade.values),
        tech_field=_choice(get.get("tech_field"), {f.code for f in options.tech_fields}),
        hitech_zone=_choice(
            get.get("hitech_zone"), {z.code for z in options.zones} | {options.zone_any, options.zone_none}
        ),
        list=_choice(get.get("list"), selectors.LISTS) or "all",
        q=(get.get("q") or "").strip()[:60] or None,
    )


def _officer(request) -> None:
    if not request.user.is_officer:
        raise Http404


@login_required
def ledger(request):
    _officer(request)
    options = web_selectors.filter_options(actor=request.user)
    filters = _filters(request, options)
    summary = selectors.ledger_summary(actor=request.user, filters=filters)
    page = selectors.ledger_page(
        actor=request.user, filters=filters, page=request.GET.get("page") or 1, summary=summary
    )
    context = {
        "page": page,
        "filters": filters,
        "options": options,
        "grades": Grade.choices,
        "summary": summary,
        "query": request.GET.urlencode(),
    }
    partial = (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
    response = render(request, "ledger/_results.html" if partial else "ledger/ledger.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def ledger_advice(request):
    """The 高企后备 gap advice of the firms of a page (ids=1,2,…; at most a page), loaded after the page
    itself: the advice runs the per-firm engine with gaps (~10 ms a firm), the page must not wait for it."""
    _officer(request)
    ids = []
    for part in (request.GET.get("ids") or "").split(",")[: selectors.PER_PAGE]:
        if part.isdigit():
            ids.append(int(part))
    entries = selectors.ledger_entries_by_ids(actor=request.user, enterprise_ids=ids)
    return render(request, "ledger/_advice.html", {"advice": reserve_advice(entries)})


@login_required
def ledger_export(request):
    _officer(request)
    filters = _filters(request, web_selectors.filter_options(actor=request.user))
    path = export_ledger(actor=request.user, filters=filters)
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until the response is sent
    name = f"gaoqi-ledger-{date.today().isoformat()}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name)


@require_POST
@login_required
def ledger_reevaluate(request):
    """Start a re-evaluation of the officer's region as a background job and show its progress."""
    _officer(request)
    job = start_job(
        actor=request.user,
        kind="ledger.reevaluate",
        func_path="gaoqi.ledger.services.reevaluate_region",
        kwargs={"region": request.user.region_id, "as_of": timezone.localdate().isoformat()},
        restartable=True,
    )
    return redirect("jobs:detail", pk=job.pk)
