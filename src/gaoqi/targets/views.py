"""Target pages (officers): progress and assessment, the form and the Excel round trip, the history."""

from __future__ import annotations

import os
import tempfile
from datetime import date

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gaoqi.accounts.scope import can_view_region, target_regions
from gaoqi.errors import ApplicationError, ValidationFailed
from gaoqi.registry.models import DataSource
from gaoqi.targets import selectors, services
from gaoqi.targets.export import assessment_workbook, targets_workbook
from gaoqi.targets.models import Indicator
from gaoqi.web.decorators import officer_page
from gaoqi.web.forms import first_error

INDICATOR_CHOICES = [(selectors.OVERALL, gettext_lazy("综合完成率")), *Indicator.choices]


def _year(request) -> int:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or today.year)
    except ValueError:
        return today.year
    return year if 2019 <= year <= today.year + 1 else today.year


def _as_of(request, year: int) -> date:
    try:
        return date.fromisoformat(request.GET.get("as_of") or "")
    except ValueError:
        today = timezone.localdate()
        return today if today.year == year else date(year, 12, 31)


def _stream(path: str, name: str) -> FileResponse:
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)
    return FileResponse(handle, as_attachment=True, filename=name)


@officer_page
def progress(request):
    year = _year(request)
    as_of = _as_of(request, year)
    indicator = request.GET.get("indicator")
    indicator = indicator if indicator in dict(INDICATOR_CHOICES) else selectors.OVERALL
    p = selectors.assessment(
        actor=request.user, year=year, as_of=as_of, region_code=request.GET.get("region"), indicator=indicator
    )
    today = timezone.localdate()
    context = {
        "p": p,
        "indicator": indicator,
        "indicator_choices": INDICATOR_CHOICES,
        "indicators": Indicator.choices,
        "years": list(range(today.year + 1, 2018, -1)),
        "can_set": target_regions(request.user).exists(),
        "parents": _parents(request.user, p.region),
        "rows": [_row(r, indicator) for r in p.rows],
        "own": _row(p.own, indicator),
    }
    return render(request, "targets/progress.html", context)


def _row(r, indicator) -> dict:
    return {
        "region": r.region,
        "rank": r.rank,
        "cells": [r.cells[code] for code in Indicator.values],
        "score": r.percent(indicator),
        "overall": r.percent(selectors.OVERALL),
    }


def _parents(user, region):
    from gaoqi.regions.models import Region

    codes = [c for c in region.ancestor_codes() if c != region.code and can_view_region(user, c)]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


@officer_page
def assessment_export(request):
    year = _year(request)
    as_of = _as_of(request, year)
    indicator = request.GET.get("indicator")
    indicator = indicator if indicator in dict(INDICATOR_CHOICES) else selectors.OVERALL
    p = selectors.assessment(
        actor=request.user, year=year, as_of=as_of, region_code=request.GET.get("region"), indicator=indicator
    )
    synthetic = DataSource.objects.filter(synthetic=True).exists()
    path = assessment_workbook(p, indicator=indicator, synthetic=synthetic)
    return _stream(path, f"gaoqi-assessment-{p.region.code}-{year}.xlsx")


@officer_page
def edit(request):
    """The targets the officer sets (a city officer: its counties; the province: its cities), one form."""
    year = _year(request)
    regions = list(target_regions(request.user).order_by("code"))
    if not regions:
        raise Http404
    errors: dict[tuple[str, str], str] = {}
    posted = {}
    if request.method == "POST":
        reason = (request.POST.get("reason") or "").strip()
        with transaction.atomic():  # all or nothing, like the upload
            changed = _save_form(request, regions, year, reason, posted, errors)
            if errors:
                transaction.set_rollback(True)
        if not errors:
            messages.success(
                request, _("已保存：%(n)s 项目标有调整（每次调整保存为新版本）") % {"n": changed}
            )
            return redirect(f"{request.path}?year={year}")
        messages.error(request, _("未保存任何目标，请检查标红的格子"))
    current = selectors.current_targets(actor=request.user, year=year, regions=regions)
    table = []
    for r in regions:
        cells = []
        for indicator in Indicator.values:
            t = current.get((r.code, indicator))
            value = posted.get((r.code, indicator), "" if t is None else str(t.value))
            cells.append(
                {
                    "name": f"t-{r.code}-{indicator}",
                    "value": value,
                    "version": t.version if t else None,
                    "error": errors.get((r.code, indicator)),
                }
            )
        table.append({"region": r, "cells": cells})
    today = timezone.localdate()
    context = {
        "year": year,
        "years": list(range(today.year + 1, 2018, -1)),
        "table": table,
        "indicators": Indicator.choices,
    }
    return render(request, "targets/edit.html", context, status=422 if errors else 200)


def _save_form(request, regions, year: int, reason: str, posted: dict, errors: dict) -> int:
    changed = 0
    for region in regions:
        for indicator in Indicator.values:
            raw = (request.POST.get(f"t-{region.code}-{indicator}") or "").strip()
            posted[(region.code, indicator)] = raw
            if raw == "":
                continue
            try:
                value = int(raw)
            except ValueError:
                errors[(region.code, indicator)] = str(_("应为整数"))
                continue
            try:
                done = services.target_set(
                    actor=request.user,
                    region=region,
                    year=year,
                    indicator=indicator,
                    value=value,
                    reason=reason,
                )
            except ApplicationError as exc:
                errors[(region.code, indicator)] = first_error(exc)
            else:
                changed += done.changed
    return changed


@officer_page
def template_download(request):
    year = _year(request)
    regions = list(target_regions(request.user).order_by("code"))
    if not regions:
        raise Http404
    current = selectors.current_targets(actor=request.user, year=year, regions=regions)
    path = targets_workbook(regions=regions, current=current, year=year)
    return _stream(path, f"gaoqi-targets-{request.user.region_id}-{year}.xlsx")


@require_POST
@officer_page
def upload(request):
    year = _year(request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择要上传的文件"))
        return redirect(f"/targets/edit/?year={year}")
    with tempfile.NamedTemporaryFile(suffix=os.path.splitext(upload.name)[1]) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        try:
            result = services.targets_upload(
                actor=request.user, year=year, path=handle.name, file_name=upload.name
            )
        except ValidationFailed as exc:
            return render(request, "targets/upload_errors.html", {"error": exc, "year": year}, status=422)
    messages.success(
        request,
        _("已导入“%(f)s”：%(c)s 项目标有调整，%(u)s 项无变化")
        % {"f": upload.name, "c": result.changed, "u": result.unchanged},
    )
    return redirect(f"/targets/edit/?year={year}")


@officer_page
def history(request, region_code):
    year = _year(request)
    versions = selectors.target_history(actor=request.user, region_code=region_code, year=year)
    from gaoqi.regions.models import Region

    region = Region.objects.get(code=region_code)
    return render(request, "targets/history.html", {"versions": versions, "region": region, "year": year})
