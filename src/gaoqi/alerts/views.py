"""Alert pages (officers): the list scoped to the officer's region, one alert with its history and the
acknowledge / resolve forms, and (province) a scan started as a background job."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gaoqi.accounts.scope import can_handle_alert, can_run_alert_scan
from gaoqi.alerts import selectors, services
from gaoqi.alerts.models import Status
from gaoqi.alerts.rules import RULES
from gaoqi.errors import ApplicationError, ValidationFailed
from gaoqi.web.decorators import officer_page
from gaoqi.web.forms import first_error

STATUS_CHOICES = [("active", gettext_lazy("待处理和已确认")), *Status.choices, ("", gettext_lazy("全部"))]


@officer_page
def alert_list(request):
    get = request.GET
    filters = selectors.AlertFilter(
        rule=get.get("rule") or None,
        status=get.get("status", "active") or None,
        q=(get.get("q") or "").strip() or None,
    )
    status, problems = 200, None
    try:
        page = selectors.alert_list(actor=request.user, filters=filters, page=get.get("page") or 1)
    except ValidationFailed as exc:
        problems, status = exc, 400
        filters = selectors.AlertFilter()
        page = selectors.alert_list(actor=request.user, filters=filters)
    context = {
        "page": page,
        "filters": filters,
        "problems": problems,
        "rules": RULES,
        "statuses": STATUS_CHOICES,
        "counts": selectors.alert_counts(actor=request.user),
        "can_scan": bool(can_run_alert_scan(request.user)),
    }
    return render(request, "alerts/list.html", context, status=status)


@officer_page
def alert_detail(request, pk):
    alert = selectors.alert_detail(actor=request.user, pk=pk)
    context = {
        "alert": alert,
        "history": selectors.alert_history(actor=request.user, alert=alert),
        "can_handle": bool(can_handle_alert(request.user, alert)),
    }
    return render(request, "alerts/detail.html", context)


@require_POST
@officer_page
def alert_action(request, pk, action):
    alert = selectors.alert_detail(actor=request.user, pk=pk)
    note = request.POST.get("note", "")
    try:
        if action == "acknowledge":
            services.alert_acknowledge(actor=request.user, alert=alert, note=note)
            messages.success(request, _("已确认预警"))
        else:
            services.alert_resolve(actor=request.user, alert=alert, note=note)
            messages.success(request, _("已解除预警"))
    except ApplicationError as exc:
        messages.error(request, first_error(exc))
    return redirect("alerts:detail", pk=alert.pk)


@require_POST
@officer_page
def scan_start(request):
    try:
        job = services.scan_start(actor=request.user)
    except ApplicationError as exc:
        messages.error(request, first_error(exc))
        return redirect("alerts:list")
    return redirect("jobs:detail", pk=job.pk)
