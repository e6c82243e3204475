"""Monitoring pages (officers): the dashboard, a KPI's detail with its missing-firm list, the bulletins."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.scope import (
    can_generate_bulletin,
    can_run_kpi_snapshot,
    get_bulletin_for_actor,
    regions_for_filter,
)
from gaoqi.errors import ApplicationError
from gaoqi.monitoring import dashboard as dash
from gaoqi.monitoring import selectors
from gaoqi.monitoring.bulletins import bulletin_file, parse_period
from gaoqi.monitoring.kpis import KPI_BY_CODE, KPIS
from gaoqi.monitoring.models import BulletinFormat
from gaoqi.replica import reads_from_replica
from gaoqi.web.decorators import officer_page
from gaoqi.web.fragments import render_fragment
from gaoqi.web.templatetags.gaoqi_ui import local_name


def _as_of(request) -> date | None:
    """The statistics day asked for; None (the latest figures) when none or an impossible one is given."""
    try:
        day = date.fromisoformat(request.GET.get("as_of") or "")
    except ValueError:
        return None
    return day if date(2019, 1, 1) <= day <= timezone.localdate() else None


def parents(user, region) -> list:
    """The regions above `region` the officer may open (their own region and below it), top first."""
    from gaoqi.regions.models import Region

    code = user.region_id
    prefix = {"province_officer": code[:2], "city_officer": code[:4]}.get(user.role, code)
    codes = [c for c in region.ancestor_codes() if c != region.code and c.startswith(prefix)]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


@officer_page
@reads_from_replica
def dashboard(request):
    data = dash.dashboard_data(actor=request.user, region_code=request.GET.get("region"))
    context = {
        **data,
        "parents": parents(request.user, data["region"]),
        "map_url": static("vendor/echarts-map/jiangsu.json"),
        "can_snapshot": bool(can_run_kpi_snapshot(request.user)),
    }
    return render(request, "monitoring/dashboard.html", context)


@officer_page
def kpi_detail(request, code: str):
    definition = KPI_BY_CODE.get(code)
    if definition is None:
        raise Http404
    overview = selectors.kpi_figures(
        actor=request.user, as_of=_as_of(request), region_code=request.GET.get("region")
    )
    as_of = overview.as_of
    own = overview.own.get(code)
    children = [(r, r.get(code)) for r in overview.children]
    trend = [(m, t.get(code)) for m, t in selectors.trend(actor=request.user, region=overview.region)]
    context = {
        "kpi": definition,
        "kpis": KPIS,
        "o": overview,
        "v": own,
        "children": children,
        "zones": overview.zones if code not in ("rnd_share", "hitech_output_share") else [],
        "after": request.GET.get("after") or "",
        "trend": trend,
        "parents": parents(request.user, overview.region),
        "query": f"region={overview.region.code}&as_of={as_of.isoformat()}",
    }
    return render(request, "monitoring/kpi_detail.html", context)


@officer_page
def kpi_missing(request, code: str):
    """The KPI page's missing-firm list, loaded by htmx after the page's figures (and by its cursor links);
    scoped like the page: a region outside the officer's answers 404."""
    definition = KPI_BY_CODE.get(code)
    if definition is None or definition.missing is None:
        raise Http404
    region = selectors.region_for(request.user, request.GET.get("region"))
    as_of = selectors.figures_day(region=region, as_of=_as_of(request))
    after = request.GET.get("after") or ""
    page = selectors.missing_firms(
        actor=request.user, kpi=code, as_of=as_of, region=region, after=after or None
    )
    query = f"region={region.code}&as_of={as_of.isoformat()}"
    context = {"kpi": definition, "page": page, "after": after, "query": query}
    return render_fragment(
        request,
        "monitoring/_kpi_missing.html",
        context,
        title=f"{definition.label} · {local_name(region)}",
        back_url=f"{reverse('monitoring:kpi', args=[code])}?{query}",
        back_label=_("返回指标页"),
    )


@officer_page
def forecast(request):
    """Each region's expected valid HTEs at the year end beside its target, the method and its backtest."""
    from gaoqi.monitoring.forecast import (
        GROWTH_BOUNDS,
        HISTORY_YEARS,
        PRIOR_WEIGHT,
        RENEWAL_WINDOW,
        SHRINK,
        SHRINK_APPLICATIONS,
        STAGE_PRIORS,
        TREND_ERROR,
        region_forecast,
    )

    page = region_forecast(
        actor=request.user, region_code=request.GET.get("region"), today=timezone.localdate()
    )
    context = {
        "f": page,
        "region": page.region,
        "parents": parents(request.user, page.region),
        "method": {
            "window": RENEWAL_WINDOW,
            "shrink": SHRINK,
            "growth_lo": GROWTH_BOUNDS[0],
            "growth_hi": GROWTH_BOUNDS[1],
            "trend_error": round(TREND_ERROR * 100),
            "years": HISTORY_YEARS,
            "shrink_apps": SHRINK_APPLICATIONS,
            "prior_weight": PRIOR_WEIGHT,
            "prior_hte": round(STAGE_PRIORS["hte"]["submitted"] * 100),
            "prior_hte_reviewed": round(STAGE_PRIORS["hte"]["reviewed"] * 100),
        },
    }
    return render(request, "monitoring/forecast.html", context)


@officer_page
def bulletin_list(request):
    regions = list(regions_for_filter(request.user).order_by("code"))
    today = timezone.localdate()
    context = {
        "bulletins": selectors.bulletins(actor=request.user)[:100],
        "regions": regions,
        "formats": BulletinFormat.choices,
        "default_period": today.strftime("%Y-%m"),
    }
    return render(request, "monitoring/bulletins.html", context)


@require_POST
@officer_page
def bulletin_start(request):
    """Generate a bulletin as a background job; the job page shows its progress and links the file."""
    from gaoqi.jobs.services import start_job

    region_code = request.POST.get("region") or request.user.region_id
    period = (request.POST.get("period") or "").strip()
    fmt = request.POST.get("format") or BulletinFormat.PDF
    try:
        can_generate_bulletin(request.user, region_code).enforce()
        parse_period(period)
        if fmt not in BulletinFormat.values:
            raise ApplicationError(_("格式应为 pdf 或 xlsx"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("monitoring:bulletins")
    job = start_job(
        actor=request.user,
        kind="monitoring.bulletin",
        func_path="gaoqi.monitoring.bulletins.bulletin_job",
        kwargs={"user_id": request.user.pk, "region_code": region_code, "period": period, "fmt": fmt},
        restartable=True,
    )
    return redirect("jobs:detail", pk=job.pk)


@officer_page
def bulletin_download(request, pk: int):
    bulletin = get_bulletin_for_actor(request.user, pk)
    path = bulletin_file(bulletin)
    if not path.is_file():
        raise Http404(_("通报文件已不在归档目录中"))
    name = f"gaoqi-bulletin-{bulletin.region_id}-{bulletin.period}.{bulletin.format}"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115


@require_POST
@officer_page
def snapshot_start(request):
    """Recompute this month's KPI snapshot (province officers) as a background job."""
    from gaoqi.jobs.services import start_job

    decision = can_run_kpi_snapshot(request.user)
    if not decision:
        raise Forbidden(decision.reason)
    job = start_job(
        actor=request.user,
        kind="monitoring.snapshot",
        func_path="gaoqi.monitoring.services.snapshot_job",
        kwargs={"user_id": request.user.pk, "month": timezone.localdate().strftime("%Y-%m")},
        restartable=True,
    )
    return redirect("jobs:detail", pk=job.pk)
