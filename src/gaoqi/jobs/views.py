"""Job pages. Thin: parse, call a selector or service, render; htmx polls the status fragment while running."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.scope import can_manage_schedules
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.jobs import selectors, services
from gaoqi.jobs.models import JobStatus
from gaoqi.registry.selectors import checked_page
from gaoqi.web.decorators import officer_page
from gaoqi.web.fragments import render_partial

PAGE_SIZE = 50


@login_required
def job_list(request):
    status = request.GET.get("status")
    status = status if status in JobStatus.values else None
    jobs = selectors.jobs_for_actor(actor=request.user, status=status)
    page = checked_page(Paginator(jobs, PAGE_SIZE), request.GET.get("page") or 1)
    context = {
        "page": page,
        "status": status,
        "statuses": JobStatus.choices,
        "polling": selectors.any_unfinished(page.object_list),
        "can_try": settings.DEBUG and request.user.is_officer,
        "can_schedule": bool(can_manage_schedules(request.user)),
    }
    return render_partial(request, "jobs/job_list.html", "jobs/_job_rows.html", context)


@login_required
def job_detail(request, pk: int):
    try:
        job = selectors.get_job_for_actor(actor=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render_partial(request, "jobs/job_detail.html", "jobs/_job_status.html", {"job": job})


@login_required
@require_POST
def demo_start(request):
    """Start the counting demo job (development servers only): the quickest check that the worker runs."""
    if not (settings.DEBUG and request.user.is_officer):
        raise Http404
    job = services.start_job(
        actor=request.user,
        kind="demo.count_to",
        func_path="gaoqi.jobs.demo_tasks.count_to",
        kwargs={"n": 60, "step": 0.25},
        total=60,
        restartable=True,
    )
    return redirect("jobs:detail", pk=job.pk)


# --- Schedules (定时任务): province officers ---------------------------------------------------------------------


@officer_page
def schedule_list(request):
    can_manage_schedules(request.user).enforce()
    context = {
        "schedules": list(selectors.schedules_for_actor(actor=request.user)),
        "runs": list(selectors.recent_schedule_runs(actor=request.user)),
    }
    return render(request, "jobs/schedule_list.html", context)


@require_POST
@officer_page
def schedule_action(request, pk: int, action: str):
    from gaoqi.jobs import scheduler

    schedule = selectors.get_schedule_for_actor(actor=request.user, pk=pk)
    if action not in ("run", "enable", "disable"):
        raise Http404
    try:
        if action == "run":
            job = scheduler.run_now(actor=request.user, schedule=schedule)
            return redirect("jobs:detail", pk=job.pk)
        scheduler.set_enabled(actor=request.user, schedule=schedule, enabled=action == "enable")
        messages.success(request, _("已启用定时任务") if action == "enable" else _("已停用定时任务"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("jobs:schedules")
