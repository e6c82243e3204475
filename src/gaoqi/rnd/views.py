"""R&D institution pages (officers). Thin: parse the request, call a selector or service, render."""

from __future__ import annotations

import os
import tempfile
from datetime import date

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.scope import can_view_region, get_enterprise_for_actor, get_rnd_institution_for_actor
from gaoqi.errors import ApplicationError, NotFound, ValidationFailed
from gaoqi.registry.models import DataSource
from gaoqi.rnd import selectors, services
from gaoqi.rnd.export import export_missing, export_ranking
from gaoqi.rnd.forms import InstitutionForm, PerformanceForm, StatusForm, TagForm, UploadForm
from gaoqi.rnd.imports import institutions_import
from gaoqi.rnd.models import ActionTier, InstitutionKind, InstitutionLevel, InstitutionStatus
from gaoqi.web import selectors as web_selectors
from gaoqi.web.decorators import officer_page
from gaoqi.web.forms import apply_errors, first_error
from gaoqi.web.fragments import render_fragment
from gaoqi.web.templatetags.gaoqi_ui import local_name


def _choice(value, allowed):
    return value if value and value in allowed else None


def _as_of(request) -> date:
    try:
        return date.fromisoformat(request.GET.get("as_of") or "")
    except ValueError:
        return timezone.localdate()


def _stream(path: str, name: str) -> FileResponse:
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)
    return FileResponse(handle, as_attachment=True, filename=name)


def _synthetic() -> bool:
    return DataSource.objects.filter(synthetic=True).exists()


@officer_page
def institution_list(request):
    options = web_selectors.filter_options(actor=request.user)
    get = request.GET
    filters = selectors.InstitutionFilter(
        city=_choice(get.get("city"), {r.code for r in options.cities}),
        county=_choice(get.get("county"), {r.code for r in options.counties}),
        kind=_choice(get.get("kind"), InstitutionKind.values),
        level=_choice(get.get("level"), InstitutionLevel.values),
        status=_choice(get.get("status"), InstitutionStatus.values),
        q=(get.get("q") or "").strip()[:60] or None,
    )
    page = selectors.institution_page(actor=request.user, filters=filters, page=get.get("page") or 1)
    counts = selectors.institution_counts(actor=request.user)
    context = {
        "page": page,
        "filters": filters,
        "options": options,
        "kinds": InstitutionKind.choices,
        "levels": InstitutionLevel.choices,
        "statuses": InstitutionStatus.choices,
        "level_counts": [(label, counts.get(code, 0)) for code, label in InstitutionLevel.choices],
        "upload_form": UploadForm(),
    }
    return render(request, "rnd/institution_list.html", context)


@officer_page
def institution_new(request):
    form = InstitutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enterprise = get_enterprise_for_actor(
                request.user, credit_code=data["credit_code"].strip().upper()
            )
            inst = services.institution_create(
                actor=request.user,
                enterprise=enterprise,
                name=data["name"],
                kind=data["kind"],
                level=data["level"],
                recognized_on=data["recognized_on"],
                source=data["source"],
            )
        except NotFound:
            form.add_error("credit_code", _("企业未登记或不在您的管辖范围内"))
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("研发机构已登记"))
            return redirect("rnd:detail", pk=inst.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "rnd/institution_new.html", {"form": form}, status=status)


def _detail_context(request, inst, *, status_form=None, performance_form=None) -> dict:
    return {
        "inst": inst,
        "others": selectors.institutions_of(actor=request.user, enterprise=inst.enterprise).exclude(
            pk=inst.pk
        ),
        "performances": selectors.performances_of(actor=request.user, institution=inst),
        "evaluated": inst.level in services.EVALUATED_LEVELS,
        "status_form": status_form or StatusForm(initial={"status": inst.status, "ended_on": inst.ended_on}),
        "performance_form": performance_form
        or PerformanceForm(initial={"year": timezone.localdate().year - 1}),
    }


@officer_page
def institution_detail(request, pk):
    inst = get_rnd_institution_for_actor(request.user, pk)
    return render(request, "rnd/institution_detail.html", _detail_context(request, inst))


@require_POST
@officer_page
def institution_status(request, pk):
    inst = get_rnd_institution_for_actor(request.user, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.institution_set_status(actor=request.user, institution=inst, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("状态已更新"))
            return redirect("rnd:detail", pk=inst.pk)
    return render(
        request, "rnd/institution_detail.html", _detail_context(request, inst, status_form=form), status=422
    )


@require_POST
@officer_page
def institution_performance(request, pk):
    inst = get_rnd_institution_for_actor(request.user, pk)
    form = PerformanceForm(request.POST)
    if form.is_valid():
        try:
            services.performance_record(actor=request.user, institution=inst, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("绩效评价已保存"))
            return redirect("rnd:detail", pk=inst.pk)
    context = _detail_context(request, inst, performance_form=form)
    return render(request, "rnd/institution_detail.html", context, status=422)


@require_POST
@officer_page
def institution_import(request):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要导入的文件"))
        return redirect("rnd:list")
    upload = form.cleaned_data["file"]
    with tempfile.NamedTemporaryFile(suffix=os.path.splitext(upload.name)[1]) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        try:
            result = institutions_import(actor=request.user, path=handle.name, file_name=upload.name)
        except ValidationFailed as exc:
            return render(request, "rnd/import_errors.html", {"file": upload.name, "error": exc}, status=422)
    messages.success(
        request,
        _("已导入“%(f)s”：新增 %(c)s 个，更新 %(u)s 个，无变化 %(n)s 个")
        % {"f": upload.name, "c": result.created, "u": result.updated, "n": result.unchanged},
    )
    return redirect("rnd:list")


@officer_page
def coverage(request):
    as_of = _as_of(request)
    region = request.GET.get("region") or request.user.region_id
    cov = selectors.coverage(actor=request.user, as_of=as_of, region_code=region)
    parents = [
        c for c in cov.region.ancestor_codes() if c != cov.region.code and can_view_region(request.user, c)
    ]
    context = {
        "cov": cov,
        "tiers": ActionTier.choices,
        "tag_form": TagForm(initial={"year": as_of.year}),
        "parents": _regions(parents),
        "as_of": as_of,
        "after": request.GET.get("after") or "",
        "query": f"region={cov.region.code}&as_of={as_of.isoformat()}",
    }
    return render(request, "rnd/coverage.html", context)


@officer_page
def coverage_missing(request):
    """The coverage page's list of above-scale HTEs without an institution, loaded by htmx after the table
    (and by its cursor links); scoped like the page: a region outside the officer's answers 404."""
    as_of = _as_of(request)
    code = request.GET.get("region") or request.user.region_id
    after = request.GET.get("after") or ""
    missing = selectors.missing_firms(actor=request.user, as_of=as_of, region_code=code, after=after or None)
    query = f"region={code}&as_of={as_of.isoformat()}"
    context = {"missing": missing, "after": after, "query": query}
    return render_fragment(
        request,
        "rnd/_coverage_missing.html",
        context,
        title=f"{_('未建研发机构的规上高企')} · {local_name(_regions([code])[0])}",
        back_url=f"{reverse('rnd:coverage')}?{query}",
        back_label=_("返回研发机构建有率"),
    )


def _regions(codes):
    from gaoqi.regions.models import Region

    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


@officer_page
def coverage_export(request):
    as_of = _as_of(request)
    region = request.GET.get("region") or request.user.region_id
    cov = selectors.coverage(actor=request.user, as_of=as_of, region_code=region)
    firms = selectors.missing_firm_rows(actor=request.user, as_of=as_of, region_code=region)
    path = export_missing(firms, as_of=as_of, region_name=cov.region.name, synthetic=_synthetic())
    return _stream(path, f"gaoqi-rnd-missing-{region}-{as_of.isoformat()}.xlsx")


@require_POST
@officer_page
def action_tag(request):
    form = TagForm(request.POST)
    back = request.POST.get("next") or "/rnd/coverage/"
    if not back.startswith("/rnd/"):
        back = "/rnd/coverage/"
    if not form.is_valid():
        messages.error(request, _("标记信息有误"))
        return redirect(back)
    data = form.cleaned_data
    try:
        enterprise = get_enterprise_for_actor(request.user, credit_code=data["credit_code"].strip().upper())
        services.action_tag_set(
            actor=request.user, enterprise=enterprise, tier=data["tier"] or None, year=data["year"]
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, first_error(exc))
    else:
        messages.success(request, _("已更新 %(n)s 的研发机构建设行动标记") % {"n": enterprise.name})
    return redirect(back)


def _year(request, years: list[int]) -> int:
    try:
        return int(request.GET.get("year") or (years[0] if years else timezone.localdate().year - 1))
    except ValueError:
        return years[0] if years else timezone.localdate().year - 1


@officer_page
def evaluation(request):
    years = selectors.evaluation_years(actor=request.user)
    year = _year(request, years)
    rows = selectors.ranking(actor=request.user, year=year)
    context = {"years": years, "year": year, "rows": rows, "grades": selectors.grade_counts(rows)}
    return render(request, "rnd/evaluation.html", context)


@officer_page
def evaluation_export(request):
    years = selectors.evaluation_years(actor=request.user)
    year = _year(request, years)
    rows = selectors.ranking(actor=request.user, year=year)
    path = export_ranking(rows, year=year, synthetic=_synthetic())
    return _stream(path, f"gaoqi-rnd-evaluation-{year}.xlsx")
