"""Service-record pages: logging a record from the firm's tab, and the follow-ups due or overdue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import get_enterprise_for_actor
from gaoqi.coaching import selectors
from gaoqi.coaching.services import service_record_create
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.web.forms import ServiceRecordForm, apply_errors
from gaoqi.web.views import render_enterprise_page, service_records_tab


@login_required
@require_POST
def service_record_new(request, credit_code):
    """Log a record for the firm; errors re-render the tab with the form as filled in."""
    try:
        enterprise = get_enterprise_for_actor(request.user, credit_code=credit_code)
        form = ServiceRecordForm(request.POST)
        if form.is_valid():
            try:
                service_record_create(actor=request.user, enterprise=enterprise, **form.cleaned_data)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("服务记录已保存"))
                return redirect(
                    "web:enterprise_tab", credit_code=enterprise.credit_code, tab="service_records"
                )
        context = service_records_tab(request.user, enterprise, request.GET, form=form)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render_enterprise_page(request, enterprise, "service_records", context, status=422)


@login_required
def follow_up_list(request):
    """Pending follow-ups in scope, overdue (default) or due within 30 days: for officers and agencies."""
    user = request.user
    if not (user.is_officer or user.role == Role.SERVICE_AGENCY):
        raise Http404
    when = request.GET.get("when") if request.GET.get("when") in selectors.WHEN else "overdue"
    page = selectors.follow_ups(actor=user, when=when, page=request.GET.get("page") or 1)
    context = {"page": page, "when": when, "upcoming_days": selectors.UPCOMING_DAYS}
    return render(request, "web/follow_ups.html", context)
