"""The ledger pages. Thin: parse the request, call a selector, render."""

from __future__ import annotations

import os
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.errors import ValidationFailed
from gaoqi.jobs.services import start_job
from gaoqi.ledger import selectors
from gaoqi.ledger.export import export_ledger
from gaoqi.ledger.gaps import reserve_advice
from gaoqi.ledger.models import Grade
from gaoqi.registry import selectors as registry_selectors
from gaoqi.replica import reads_from_replica
from gaoqi.web import selectors as web_selectors
from gaoqi.web.fragments import is_partial
from gaoqi.web.templatetags.gaoqi_ui import local_name, zone_name


def _filters(request) -> tuple[selectors.LedgerFilter, list[dict]]:
    """The filters asked for and what is wrong with them (a region or zone outside the officer's reach, an
    unknown tier, field or list): the problems are shown, never silently dropped."""
    get = request.GET
    raw = {
        name: (get.get(name) or "").strip() or None
        for name in ("city", "county", "tech_field", "hitech_zone")
    }
    q = (get.get("q") or "").strip() or None
    problems = registry_selectors.filter_errors(
        actor=request.user, filters=registry_selectors.EnterpriseFilter(**raw, q=q)
    )
    grade, listed = get.get("grade") or None, get.get("list") or "all"
    if grade is not None and grade not in Grade.values:
        problems.append({"field": "grade", "reason": _("未知的台账等级“%(v)s”") % {"v": grade[:20]}})
    if listed not in selectors.LISTS:
        problems.append({"field": "list", "reason": _("未知的名单“%(v)s”") % {"v": listed[:20]}})
    if problems:
        return selectors.LedgerFilter(), problems
    return selectors.LedgerFilter(**raw, grade=grade, list=listed, q=q), []


def _officer(request) -> None:
    if not request.user.is_officer:
        raise Http404


@login_required
@reads_from_replica
def ledger(request):
    _officer(request)
    options = web_selectors.filter_options(actor=request.user)
    filters, problems = _filters(request)
    summary = selectors.ledger_summary(actor=request.user, filters=filters)
    paging = {} if problems else {k: request.GET.get(k) or None for k in ("page", "after", "before")}
    try:
        page = selectors.ledger_page(actor=request.user, filters=filters, summary=summary, **paging)
    except ValidationFailed as exc:  # a page number or cursor that is not one: the first page, said so
        problems = exc.errors
        page = selectors.ledger_page(actor=request.user, filters=filters, summary=summary)
    grades = [(value, str(label)) for value, label in Grade.choices]
    context = {
        "problems": problems,
        "page": page,
        "rows": _rows(page),
        "filters": filters,
        "options": options,
        "grades": grades,
        "summary": summary,
        "summary_rows": [
            (local_name(row["region"]), [row["counts"][g] for g, _ in grades], row["total"])
            for row in summary.rows
        ],
        "summary_totals": [(g, summary.by_grade.get(g, "")) for g, _ in grades],
        "query": request.GET.urlencode(),
    }
    partial = is_partial(request)
    if not partial:  # the filter form's choices (a province's ~100 counties), labelled once
        context["choices"] = {
            key: [(o.code, label(o), o.code == chosen) for o in getattr(options, key)]
            for key, label, chosen in (
                ("cities", local_name, filters.city),
                ("counties", local_name, filters.county),
                ("tech_fields", local_name, filters.tech_field),
                ("zones", zone_name, filters.hitech_zone),
            )
        }
    response = render(request, "ledger/_results.html" if partial else "ledger/ledger.html", context)
    patch_vary_headers(response, ["HX-Request"])
    if problems and not partial:  # htmx swaps only successful responses: the panel shows the problems
        response.status_code = 400
    return response


def _rows(page) -> list[dict]:
    """The page's table, each cell as shown, formatted here once: the template's tags and filters per cell
    (a URL reversed, three region or field names, four labels per row) were most of the page's rendering."""
    entries = page.object_list
    if not entries:
        return []
    # One reverse, the other rows' addresses by the same pattern (a credit code is [0-9A-Z], as in the URL).
    marker = "0" * 18
    url = reverse("web:enterprise_tab", args=[marker, "evaluation"])
    head, tail = url.split(marker, 1)
    hte = {"pass": _("通过"), "fail": _("不通过"), "undetermined": _("待专家评审")}
    incomplete, registered, eligible, ineligible = _("资料不全"), _("已入库"), _("符合未入库"), _("不符合")
    grades = {value: str(label) for value, label in Grade.choices}
    rows = []
    for number, e in enumerate(entries, start=page.start_index):
        sme = e.tech_sme_eligible
        if e.tech_sme_registered:
            sme_label = registered
        else:
            sme_label = incomplete if sme is None else eligible if sme else ineligible
        rows.append(
            {
                "number": number,
                "id": e.enterprise_id,
                "url": f"{head}{e.enterprise.credit_code}{tail}",
                "name": e.enterprise.name,
                "region": f"{local_name(e.city)} · {local_name(e.county)}",
                "field": local_name(e.tech_field) or "—",
                "grade": e.grade,
                "grade_label": grades.get(e.grade, e.grade),
                "hte": hte.get(e.hte_outcome, incomplete),
                "hte_muted": e.hte_outcome not in hte,
                "sme": sme_label,
                "sme_muted": not e.tech_sme_registered and sme is None,
            }
        )
    return rows


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
@reads_from_replica
def ledger_export(request):
    _officer(request)
    filters, problems = _filters(request)
    if problems:
        text = "；".join(p["reason"] for p in problems)
        return HttpResponse(
            f"{_('筛选条件有误')}：{text}", status=400, content_type="text/plain; charset=utf-8"
        )
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
