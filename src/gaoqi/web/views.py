"""Pages. Thin: parse the request, call a selector, render. Scope is decided in gaoqi.accounts.scope."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import can, get_enterprise_for_actor
from gaoqi.accounts.selectors import agencies_of_enterprise
from gaoqi.audit.selectors import audit_trail_for_enterprise
from gaoqi.coaching import selectors as coaching_selectors
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.registry import selectors
from gaoqi.registry.evaluation import evaluate_enterprise
from gaoqi.replica import reads_from_replica
from gaoqi.web import evaluation as web_evaluation
from gaoqi.web import selectors as web_selectors
from gaoqi.web.forms import ServiceRecordForm
from gaoqi.web.fragments import is_partial, render_partial
from gaoqi.workflow import selectors as workflow_selectors

TABS = (
    # (code, label, the scope action that shows the tab; None: whoever sees the firm)
    ("overview", _("概况"), None),
    ("facts", _("年度数据"), None),
    ("evaluation", _("评价与对标"), None),
    ("ip", _("知识产权"), None),
    ("certificates", _("证书"), None),
    ("applications", _("申报"), "view_applications"),
    ("service_records", _("服务记录"), "view_service_records"),
    ("audit", _("审计记录"), "view_audit"),
)


@login_required
@reads_from_replica
def home(request):
    actor = request.user
    context = {}
    if actor.is_officer:
        context["figures"] = web_selectors.key_figures(actor=actor)
        context["subregions"] = web_selectors.subregion_counts(actor=actor)
    else:
        context["firms"] = web_selectors.visible_firms(actor=actor)
    if actor.is_officer or actor.role == Role.SERVICE_AGENCY:
        context["overdue"] = coaching_selectors.overdue_count(actor=actor)
    return render(request, "web/home.html", context)


@login_required
@reads_from_replica
def enterprise_list(request):
    """The list. A filter outside the user's reach or unknown, or a page number out of range, is said plainly
    above an unfiltered first page (status 400; 200 for htmx, which swaps only successful responses)."""
    options = web_selectors.filter_options(actor=request.user)
    get = request.GET
    filters = selectors.EnterpriseFilter(
        city=get.get("city") or None,
        county=get.get("county") or None,
        tech_field=get.get("tech_field") or None,
        status=get.get("status") or None,
        hitech_zone=get.get("hitech_zone") or None,
        q=(get.get("q") or "").strip() or None,
    )
    status, problems = 200, None
    try:
        page = selectors.enterprise_list(
            actor=request.user, filters=filters, page=get.get("page") or 1, after=get.get("after")
        )
    except ValidationFailed as exc:
        problems = exc
        filters = selectors.EnterpriseFilter()
        page = selectors.enterprise_list(actor=request.user, filters=filters)
        status = 200 if is_partial(request) else 400
    context = {"page": page, "filters": filters, "options": options, "problems": problems}
    response = render_partial(request, "web/enterprise_list.html", "web/_enterprise_results.html", context)
    response.status_code = status
    return response


def _tab_overview(actor, enterprise, query) -> dict:
    return {
        "facts": web_selectors.facts_table(actor=actor, enterprise=enterprise),
        "key_fields": web_selectors.KEY_FIELDS,
    }


def _tab_facts(actor, enterprise, query) -> dict:
    return {"facts": web_selectors.facts_table(actor=actor, enterprise=enterprise)}


def _tab_ip(actor, enterprise, query) -> dict:
    return {"ip_items": list(selectors.ip_items_for(actor=actor, enterprise=enterprise))}


def _tab_certificates(actor, enterprise, query) -> dict:
    return {"certificates": list(selectors.certificates_for(actor=actor, enterprise=enterprise))}


def _tab_applications(actor, enterprise, query) -> dict:
    return {"applications": workflow_selectors.applications_of_enterprise(actor=actor, enterprise=enterprise)}


def _as_of(query) -> tuple[date, bool]:
    """?as_of=YYYY-MM-DD (years 2000-2099), else today; the flag says a submitted date was not usable."""
    raw = (query.get("as_of") or "").strip()
    if raw:
        try:
            day = date.fromisoformat(raw)
            if 2000 <= day.year <= 2099:
                return day, False
        except ValueError:
            pass
    return timezone.localdate(), bool(raw)


def _tab_evaluation(actor, enterprise, query) -> dict:
    as_of, bad_date = _as_of(query)
    result = evaluate_enterprise(actor=actor, enterprise=enterprise, as_of=as_of)
    return {"as_of": as_of, "bad_date": bad_date, "cards": web_evaluation.cards(result, enterprise)}


def service_records_tab(actor, enterprise, query, form=None) -> dict:
    """The firm's service records, its agencies, and the logging form for those who may log."""
    if form is None and can(actor, "log_service", enterprise):
        form = ServiceRecordForm(initial={"served_on": timezone.localdate()})
    return {
        "records": coaching_selectors.service_records_for(actor=actor, enterprise=enterprise),
        "agencies": agencies_of_enterprise(actor=actor, enterprise=enterprise),
        "form": form,
    }


def _tab_audit(actor, enterprise, query) -> dict:
    return {"events": list(audit_trail_for_enterprise(actor=actor, enterprise=enterprise))}


TAB_LOADERS = {
    "overview": _tab_overview,
    "facts": _tab_facts,
    "evaluation": _tab_evaluation,
    "ip": _tab_ip,
    "certificates": _tab_certificates,
    "applications": _tab_applications,
    "service_records": service_records_tab,
    "audit": _tab_audit,
}


@login_required
def enterprise_detail(request, credit_code, tab="overview"):
    """The firm page; one tab's data per request. Missing, forbidden and hidden tabs all answer 404."""
    if tab not in TAB_LOADERS:
        raise Http404
    try:
        enterprise = get_enterprise_for_actor(request.user, credit_code=credit_code)
        context = TAB_LOADERS[tab](request.user, enterprise, request.GET)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render_enterprise_page(request, enterprise, tab, context)


def render_enterprise_page(request, enterprise, tab: str, context: dict, status: int = 200):
    """The firm page (or, for htmx, its tab fragment) with the tabs the user may open."""
    tabs = [
        (code, label)
        for code, label, action in TABS
        if action is None or can(request.user, action, enterprise)
    ]
    if tab not in {code for code, _label in tabs}:
        raise Http404(str(_("对象不存在或无权访问")))
    context.update(enterprise=enterprise, tabs=tabs, tab=tab)
    response = render_partial(request, "web/enterprise_detail.html", "web/_enterprise_tabs.html", context)
    response.status_code = status
    return response


@login_required
def my_enterprise(request):
    if not request.user.enterprise_id:
        raise Http404
    return redirect("web:enterprise_detail", credit_code=request.user.enterprise.credit_code)
