"""Service agencies and their firms: officers register agencies and assign or unassign firms (audited)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts import selectors
from gaoqi.accounts.scope import get_agency_for_actor, get_enterprise_for_actor, regions_for_filter
from gaoqi.accounts.services import agency_assign_many, agency_create, agency_unassign
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.web.decorators import officer_page
from gaoqi.web.forms import AgencyForm, AssignForm, ReasonForm, apply_errors


@officer_page
def agency_list(request):
    actor = request.user
    regions = list(regions_for_filter(actor).order_by("code"))
    form = AgencyForm(request.POST or None, regions=regions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            region = next(r for r in regions if r.code == form.cleaned_data["region"])
            try:
                agency = agency_create(
                    actor=actor,
                    name=form.cleaned_data["name"],
                    region=region,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("服务机构已登记"))
                return redirect("web:agency_detail", pk=agency.pk)
        status = 422
    context = {"agencies": selectors.agency_list(actor=actor), "form": form}
    return render(request, "web/agency_list.html", context, status=status)


def _detail(request, agency, form=None, status=200):
    page = selectors.assignments_for(actor=request.user, agency=agency, page=request.GET.get("page") or 1)
    context = {"agency": agency, "page": page, "form": form or AssignForm()}
    return render(request, "web/agency_detail.html", context, status=status)


@officer_page
def agency_detail(request, pk):
    return _detail(request, get_agency_for_actor(request.user, pk))


@officer_page
@require_POST
def agency_assign(request, pk):
    """Assign the firms whose credit codes were entered, all or none; codes outside scope count as unknown."""
    actor = request.user
    agency = get_agency_for_actor(actor, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        firms, unknown = [], []
        for code in form.codes():
            try:
                firms.append(get_enterprise_for_actor(actor, credit_code=code))
            except NotFound:
                unknown.append(code)
        if unknown:
            form.add_error(
                "credit_codes", _("未找到这些企业（或不在您的管辖范围内）：%(c)s") % {"c": "、".join(unknown)}
            )
        else:
            try:
                n = agency_assign_many(
                    actor=actor, agency=agency, enterprises=firms, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已指派 %(n)s 家企业") % {"n": n})
                return redirect("web:agency_detail", pk=agency.pk)
    return _detail(request, agency, form, status=422)


@officer_page
@require_POST
def agency_unassign_view(request, pk, credit_code):
    actor = request.user
    agency = get_agency_for_actor(actor, pk)
    enterprise = get_enterprise_for_actor(actor, credit_code=credit_code)
    form = ReasonForm(request.POST)
    form.is_valid()
    if agency_unassign(
        actor=actor, agency=agency, enterprise=enterprise, reason=form.cleaned_data.get("reason", "")
    ):
        messages.success(request, _("已取消指派：%(name)s") % {"name": enterprise.name})
    return redirect("web:agency_detail", pk=agency.pk)
