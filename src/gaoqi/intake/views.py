"""Import pages for officers. Thin: parse the request, call a service or selector, render."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gaoqi.errors import ApplicationError, NotFound
from gaoqi.intake import selectors, services
from gaoqi.intake.error_book import write_error_workbook
from gaoqi.intake.files import FileProblem, check_size
from gaoqi.intake.presenters import display_rows
from gaoqi.intake.profiles import load_profiles
from gaoqi.registry.models import Department

ACCEPT = ".xlsx,.xls,.xlsm,.csv,.txt"


def _officer(request):
    if not selectors.can_import(request.user):
        raise Http404


def _batch(request, pk: int):
    _officer(request)
    try:
        return selectors.batch_for_actor(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _profiles():
    departments = dict(Department.choices)
    return [
        {"profile": p, "department": departments.get(p.department, p.department)}
        for p in load_profiles().values()
    ]


def _stage_upload(request) -> int | None:
    """The uploaded file staged with the chosen profile; the batch id, or None with a message shown."""
    upload = request.FILES.get("file")
    profile = request.POST.get("profile", "")
    year_text = (request.POST.get("year") or "").strip()
    if upload is None:
        messages.error(request, "请选择要上传的文件")
        return None
    try:
        check_size(upload.size, upload.name)
        year = int(year_text) if year_text else None
    except FileProblem as exc:
        messages.error(request, exc.message)
        return None
    except ValueError:
        messages.error(request, "年度应为四位数字")
        return None
    suffix = Path(upload.name).suffix.lower()[:8]
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            batch = services.batch_stage(
                actor=request.user,
                path=tmp.name,
                profile=profile,
                file_name=Path(upload.name).name,
                year=year,
                synthetic=request.POST.get("synthetic") == "on",
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return None
    return batch.pk


@login_required
def batch_list(request):
    _officer(request)
    if request.method == "POST":
        if (length := int(request.META.get("CONTENT_LENGTH") or 0)) > 0:
            try:
                check_size(length, "上传的文件")  # refused before the body is read
            except FileProblem as exc:
                messages.error(request, exc.message)
                return redirect("intake:batch_list")
        pk = _stage_upload(request)
        return redirect("intake:batch_detail", pk=pk) if pk else redirect("intake:batch_list")
    page = selectors.batches_for_actor(actor=request.user, page=request.GET.get("page") or 1)
    return render(
        request, "intake/batch_list.html", {"page": page, "profiles": _profiles(), "accept": ACCEPT}
    )


@login_required
def batch_detail(request, pk: int):
    batch = _batch(request, pk)
    views = selectors.view_counts(batch)
    default = next((code for code, _, n in views if n and code != "unchanged"), "unchanged")
    view = request.GET.get("view") or default
    if view not in selectors.ROW_VIEWS:
        raise Http404
    rows = selectors.batch_rows(actor=request.user, batch=batch, view=view, page=request.GET.get("page") or 1)
    context = {
        "batch": batch,
        "display": display_rows(rows.object_list),
        "views": views,
        "view": view,
        "rows": rows,
        "profile_title": next(
            (p["profile"].title for p in _profiles() if p["profile"].code == batch.profile), batch.profile
        ),
        "written": batch.summary.get("written"),
        "reverted": batch.summary.get("reverted"),
        "has_errors": any(n for code, _, n in views if code in ("error", "unknown_firm")),
    }
    return render(request, "intake/batch_detail.html", context)


def _decide(request, pk: int, action, done: str):
    batch = _batch(request, pk)
    try:
        action(actor=request.user, batch=batch, reason=(request.POST.get("reason") or "").strip())
    except ApplicationError as exc:
        errors = exc.extra.get("errors") or []
        details = "；".join(e.get("reason", "") for e in errors[:5])
        messages.error(request, exc.message + (f"：{details}" if details else ""))
    else:
        messages.success(request, done)
    return redirect("intake:batch_detail", pk=pk)


@login_required
@require_POST
def batch_commit(request, pk: int):
    return _decide(request, pk, services.batch_commit, "已导入企业库")


@login_required
@require_POST
def batch_discard(request, pk: int):
    return _decide(request, pk, services.batch_discard, "已放弃本批次")


@login_required
@require_POST
def batch_revert(request, pk: int):
    return _decide(request, pk, services.batch_revert, "已撤销本批次导入，被替换的数据已恢复")


@login_required
def error_workbook(request, pk: int):
    batch = _batch(request, pk)
    data = write_error_workbook(batch)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stem = Path(batch.file_name).stem
    response["Content-Disposition"] = (
        f"attachment; filename=\"errors-{batch.pk}.xlsx\"; filename*=UTF-8''{_quote(stem)}-errors.xlsx"
    )
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


@login_required
@require_POST
def row_confirm(request, pk: int, row: int):
    batch = _batch(request, pk)
    staged = selectors.staged_row(batch=batch, pk=row)
    if staged is None:
        raise Http404
    choice = request.POST.get("enterprise") or ""
    try:
        services.row_confirm_match(
            actor=request.user, row=staged, enterprise_id=int(choice) if choice.isdigit() else None
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    view = request.POST.get("view") if request.POST.get("view") in selectors.ROW_VIEWS else "unmatched"
    return redirect(f"{reverse('intake:batch_detail', args=[pk])}?view={view}")
