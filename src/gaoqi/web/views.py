"""Pages. Thin: parse the request, call a selector, render. Scope is decided in gaoqi.accounts.scope."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from gaoqi.accounts.scope import get_enterprise_for_actor
from gaoqi.errors import NotFound
from gaoqi.registry import selectors


@login_required
def home(request):
    return render(request, "web/home.html", {})


@login_required
def enterprise_list(request):
    filters = selectors.EnterpriseFilter(
        city=request.GET.get("city") or None, county=request.GET.get("county") or None,
        tech_field=request.GET.get("tech_field") or None, status=request.GET.get("status") or None,
        q=request.GET.get("q") or None,
    )
    page = selectors.enterprise_list(actor=request.user, filters=filters, page=request.GET.get("page") or 1)
    return render(request, "web/enterprise_list.html", {"page": page, "filters": filters})


@login_required
def enterprise_detail(request, credit_code):
    try:
        enterprise = get_enterprise_for_actor(request.user, credit_code=credit_code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "web/enterprise_detail.html", {"enterprise": enterprise})


@login_required
def my_enterprise(request):
    if not request.user.enterprise_id:
        raise Http404
    return redirect("web:enterprise_detail", credit_code=request.user.enterprise.credit_code)
