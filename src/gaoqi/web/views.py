"""Pages. Thin: parse the request, call a selector, render. Scope is decided in gaoqi.accounts.scope."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from gaoqi.accounts.scope import can, get_enterprise_for_actor
from gaoqi.audit.selectors import audit_trail_for_enterprise
from gaoqi.errors import NotFound
from gaoqi.registry import selectors
from gaoqi.registry.evaluation import evaluate_enterprise
from gaoqi.web import evaluation as web_evaluation
from gaoqi.web import selectors as web_selectors

TABS = (
    ("overview", _("概况")),
    ("facts", _("年度数据")),
    ("evaluation", _("评价与对标")),
    ("ip", _("知识产权")),
    ("certificates", _("证书")),
    ("audit", _("审计记录")),
)


def _partial(request) -> bool:
    """An htmx request that swaps a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _render(request, template: str, partial_template: str, context: dict):
    response = render(request, partial_template if _partial(request) else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def home(request):
    actor = request.user
    context = {}
    if actor.is_officer:
        context["figures"] = web_selectors.key_figures(actor=actor)
        context["subregions"] = web_selectors.subregion_counts(actor=actor)
    else:
        context["firms"] = web_selectors.visible_firms(actor=actor)
    return render(request, "web/home.html", context)


def _choice(value: str | None, allowed) -> str | None:
    """The submitted value if it is one of the offered choices, else no filter."""
    return value if value and value in allowed else None


@login_required
def enterprise_list(request):
    options = web_selectors.filter_options(actor=request.user)
    get = request.GET
    filters = selectors.EnterpriseFilter(
        city=_choice(get.get("city"), {r.code for r in options.cities}),
        county=_choice(get.get("county"), {r.code for r in options.counties}),
        tech_field=_choice(get.get("tech_field"), {f.code for f in options.tech_fields}),
        status=_choice(get.get("status"), selectors.STATUSES),
        q=(get.get("q") or "").strip()[:60] or None,
    )
    page = selectors.enterprise_list(actor=request.user, filters=filters, page=get.get("page") or 1)
    context = {"page": page, "filters": filters, "options": options}
    return _render(request, "web/enterprise_list.html", "web/_enterprise_results.html", context)


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


def _tab_audit(actor, enterprise, query) -> dict:
    return {"events": list(audit_trail_for_enterprise(actor=actor, enterprise=enterprise))}


TAB_LOADERS = {
    "overview": _tab_overview,
    "facts": _tab_facts,
    "evaluation": _tab_evaluation,
    "ip": _tab_ip,
    "certificates": _tab_certificates,
    "audit": _tab_audit,
}


@login_required
def enterprise_detail(request, credit_code, tab="overview"):
    """The firm page; one tab's data per request. Missing, forbidden and hidden tabs all answer 404."""
    if tab not in TAB_LOADERS:
        raise Http404
    try:
        enterprise = get_enterprise_for_actor(request.user, credit_code=credit_code)
        tabs = [
            (code, label)
            for code, label in TABS
            if code != "audit" or can(request.user, "view_audit", enterprise)
        ]
        context = TAB_LOADERS[tab](request.user, enterprise, request.GET)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context.update(enterprise=enterprise, tabs=tabs, tab=tab)
    return _render(request, "web/enterprise_detail.html", "web/_enterprise_tabs.html", context)


@login_required
def my_enterprise(request):
    if not request.user.enterprise_id:
        raise Http404
    return redirect("web:enterprise_detail", credit_code=request.user.enterprise.credit_code)
