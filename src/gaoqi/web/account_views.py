"""Account administration for officers: the accounts of their region, their API tokens, all audited.

Who may create, disable or hand a token to whom is decided in gaoqi.accounts.scope; an account outside the
officer's reach answers 404 like a missing one. Initial passwords and token keys are shown once, in the
response to the POST that made them, and never stored in clear.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts import selectors
from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import (
    agencies_for_actor,
    creatable_roles,
    get_account_for_actor,
    get_enterprise_for_actor,
    regions_for_filter,
)
from gaoqi.accounts.services import account_create, account_set_active, api_token_issue, api_token_revoke
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.regions.models import Level
from gaoqi.web.decorators import officer_page
from gaoqi.web.forms import AccountForm, ReasonForm, TokenForm, apply_errors, first_error

REGION_LEVEL_FOR_ROLE = {Role.CITY_OFFICER: Level.CITY, Role.COUNTY_OFFICER: Level.COUNTY}


def _secret(request, **context):
    """The page that shows a new password or token key, once; never cached."""
    response = render(request, "web/account_secret.html", context)
    add_never_cache_headers(response)
    return response


@officer_page
def account_list(request):
    get = request.GET
    active = {"1": True, "0": False}.get(get.get("active") or "")
    filters = selectors.AccountFilter(
        role=get.get("role") if get.get("role") in Role.values else None,
        active=active,
        q=(get.get("q") or "").strip()[:40] or None,
    )
    page = selectors.account_list(actor=request.user, filters=filters, page=get.get("page") or 1)
    context = {
        "page": page,
        "filters": filters,
        "roles": Role.choices,
        "creatable": [(r, Role(r).label) for r in creatable_roles(request.user)],
    }
    return render(request, "web/account_list.html", context)


def _form_for(actor, role: str, data=None) -> AccountForm:
    regions = regions_for_filter(actor).order_by("code")
    if role in REGION_LEVEL_FOR_ROLE:
        regions = regions.filter(level=REGION_LEVEL_FOR_ROLE[role])
    agencies = agencies_for_actor(actor, manage=True).order_by("name") if role == Role.SERVICE_AGENCY else []
    return AccountForm(
        data,
        role=role,
        regions=list(regions) if role in (*REGION_LEVEL_FOR_ROLE, Role.EXPERT) else [],
        agencies=list(agencies),
        region_optional=role == Role.EXPERT and actor.role == Role.PROVINCE_OFFICER,
    )


@officer_page
def account_new(request):
    """Pick a role (the ones the officer may create), then fill in that role's form."""
    actor = request.user
    creatable = creatable_roles(actor)
    role = request.POST.get("role") or request.GET.get("role")
    if role not in creatable:
        return render(request, "web/account_new.html", {"creatable": [(r, Role(r).label) for r in creatable]})
    form = _form_for(actor, role, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enterprise = None
            if data.get("credit_code"):
                enterprise = get_enterprise_for_actor(actor, credit_code=data["credit_code"].strip().upper())
            user, password = account_create(
                actor=actor,
                username=data["username"],
                role=role,
                display_name=data["display_name"],
                region=form.chosen_region(),
                enterprise=enterprise,
                agency=form.chosen_agency(),
                reason=data["reason"],
            )
        except NotFound:
            form.add_error("credit_code", _("未找到该企业（或不在您的管辖范围内）"))
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return _secret(request, account=user, password=password)
    context = {"form": form, "role": role, "role_label": Role(role).label}
    return render(request, "web/account_new.html", context, status=422 if form.is_bound else 200)


@officer_page
def account_detail(request, pk):
    actor = request.user
    account = get_account_for_actor(actor, pk)
    context = {
        "account": account,
        "is_self": account.pk == actor.pk,
        "tokens": selectors.tokens_for(actor=actor, user=account),
        "events": selectors.account_trail(actor=actor, user=account),
        "token_form": TokenForm(),
    }
    return render(request, "web/account_detail.html", context)


@officer_page
@require_POST
def account_active(request, pk):
    actor = request.user
    account = get_account_for_actor(actor, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        account_set_active(
            actor=actor,
            user=account,
            active=request.POST.get("active") == "1",
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        messages.error(request, first_error(exc))
    else:
        messages.success(request, _("账号已启用") if account.is_active else _("账号已停用"))
    return redirect("web:account_detail", pk=account.pk)


@officer_page
@require_POST
def token_issue(request, pk):
    actor = request.user
    account = get_account_for_actor(actor, pk)
    form = TokenForm(request.POST)
    if not form.is_valid() and "days" in form.errors:
        messages.error(request, _("有效期（天）：%(error)s") % {"error": form.errors["days"][0]})
        return redirect("web:account_detail", pk=account.pk)
    try:
        token, key = api_token_issue(
            actor=actor,
            user=account,
            label=form.cleaned_data.get("label", ""),
            reason=form.cleaned_data.get("reason", ""),
            days=form.cleaned_data.get("days"),
        )
    except ApplicationError as exc:
        messages.error(request, first_error(exc))
        return redirect("web:account_detail", pk=account.pk)
    return _secret(request, account=account, token=token, key=key)


@officer_page
@require_POST
def token_revoke(request, pk, token_pk):
    actor = request.user
    account = get_account_for_actor(actor, pk)
    token = selectors.token_for(actor=actor, user=account, pk=token_pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        api_token_revoke(actor=actor, token=token, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        messages.error(request, first_error(exc))
    else:
        messages.success(request, _("令牌已吊销"))
    return redirect("web:account_detail", pk=account.pk)
