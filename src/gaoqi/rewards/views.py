"""Reward pages. Thin: parse the request, call a selector or a service, render.

Officers: entitlements with filters and batch decisions, budgets (and computing), payouts, the export.
Enterprise users: their own rewards. Everyone else: 404.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import can_manage_rewards
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.regions.models import Region
from gaoqi.rewards import selectors, services
from gaoqi.rewards.export import export_rewards
from gaoqi.rewards.models import Entitlement, EntitlementStatus, RewardKind
from gaoqi.web.decorators import officer_page


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _fen(text) -> int | None:
    """Yuan as typed ("1,234.5") to fen; None when it is not an amount with at most two decimals."""
    try:
        value = Decimal(str(text or "").replace(",", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    fen = value * 100
    if fen != fen.to_integral_value():
        return None
    return int(fen)


def _year(request) -> int:
    return _int(request.GET.get("year") or request.POST.get("year"), timezone.localdate().year)


def _filters(request) -> selectors.RewardFilter:
    get = request.GET
    return selectors.RewardFilter(
        year=_int(get.get("year"), timezone.localdate().year) if get.get("year") != "all" else None,
        issuer=(get.get("issuer") or "").strip()[:6] or None,
        kind=get.get("kind") if get.get("kind") in RewardKind.values else None,
        status=get.get("status") if get.get("status") in EntitlementStatus.values else None,
        q=(get.get("q") or "").strip()[:60] or None,
    )


def _errors(request, exc: ApplicationError) -> None:
    details = [e.get("reason", "") for e in exc.extra.get("errors", [])]
    messages.error(request, " ".join([exc.message, *[str(d) for d in details if d]]))


def _refused(request, exc: ApplicationError) -> None:
    """A refusal shown with its reasons (permission too); a record out of reach is a 404."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc
    _errors(request, exc)


@login_required
def reward_list(request):
    """Officers: the entitlements in scope with filters and batch decisions. Firms: their own rewards."""
    user = request.user
    if user.role == Role.ENTERPRISE:
        rows = selectors.entitlements(actor=user)
        return render(request, "rewards/mine.html", {"rows": rows})
    if not user.is_officer:
        raise Http404
    filters = _filters(request)
    page = selectors.entitlement_page(actor=user, filters=filters, page=request.GET.get("page") or 1)
    context = {
        "page": page,
        "filters": filters,
        "kinds": RewardKind.choices,
        "statuses": EntitlementStatus.choices,
        "issuers": selectors.issuers_for(user),
        "budgets": selectors.budget_overview(actor=user, year=filters.year) if filters.year else [],
        "query": request.GET.urlencode(),
        "own_issuer": user.region_id,
    }
    return render(request, "rewards/list.html", context)


@officer_page
@require_POST
def reward_decide(request):
    """Batch approve or reject the checked entitlements with one reason (and, when needed, an explicit
    over-commitment decision)."""
    ids = [i for i in (_int(v) for v in request.POST.getlist("ids")) if i is not None]
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    back = request.POST.get("next") or reverse("rewards:list")
    if not back.startswith("/"):
        back = reverse("rewards:list")
    try:
        if action == "approve":
            done = services.entitlements_approve(
                actor=request.user, ids=ids, reason=reason, over_commit=request.POST.get("over_commit") == "1"
            )
            messages.success(request, _("已批准 %(n)s 项奖励") % {"n": len(done)})
        elif action == "reject":
            done = services.entitlement_reject(actor=request.user, ids=ids, reason=reason)
            messages.success(request, _("已决定不予发放 %(n)s 项奖励") % {"n": len(done)})
        else:
            raise Http404
    except ApplicationError as exc:
        _refused(request, exc)
    return redirect(back)


@officer_page
def reward_detail(request, pk):
    e = selectors.get_entitlement_for_actor(request.user, pk)
    payout = selectors.payout_of(e)
    trail = AuditEvent.objects.filter(
        target_type=Entitlement._meta.label_lower, target_id=str(e.pk)
    ).select_related("actor")
    context = {
        "e": e,
        "payout": payout,
        "trail": trail,
        "manageable": bool(can_manage_rewards(request.user, e.issuer_id)),
        "today": timezone.localdate(),
    }
    return render(request, "rewards/detail.html", context)


@officer_page
@require_POST
def payout_new(request, pk):
    e = selectors.get_entitlement_for_actor(request.user, pk)
    try:
        services.payout_record(
            actor=request.user,
            entitlement_id=e.pk,
            paid_on=_date(request.POST.get("paid_on")),
            amount=_fen(request.POST.get("amount")),
            voucher_no=request.POST.get("voucher_no", ""),
        )
        messages.success(request, _("拨付已登记"))
    except ApplicationError as exc:
        _refused(request, exc)
    return redirect("rewards:detail", pk=e.pk)


def _date(text):
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@officer_page
def budget_list(request):
    year = _year(request)
    context = {"year": year, "rows": selectors.budget_overview(actor=request.user, year=year)}
    return render(request, "rewards/budgets.html", context)


@officer_page
@require_POST
def budget_save(request):
    year = _year(request)
    issuer = Region.objects.filter(code=request.POST.get("issuer", "")).first()
    if issuer is None:
        raise Http404
    amount = _fen(request.POST.get("amount"))
    try:
        services.budget_set(
            actor=request.user, issuer=issuer, year=year, amount=amount, note=request.POST.get("note", "")
        )
        messages.success(request, _("预算已保存"))
    except ApplicationError as exc:
        _refused(request, exc)
    return redirect(f"{reverse('rewards:budgets')}?year={year}")


@officer_page
@require_POST
def compute(request):
    """Compute the officer's own issuer's entitlements for a year (synchronous: a region's firms take seconds)."""
    year = _year(request)
    issuer = request.user.region
    try:
        result = services.entitlements_compute(actor=request.user, issuer=issuer, year=year)
        messages.success(
            request,
            _("已计算 %(f)s 家企业：新增 %(c)s 项，更新 %(u)s 项，移除 %(r)s 项，已决定 %(d)s 项保持不变")
            % {
                "f": result.firms,
                "c": result.created,
                "u": result.updated,
                "r": result.removed,
                "d": result.decided,
            },
        )
        if result.errors:
            messages.warning(request, _("%(n)s 家企业数据有误，未计算") % {"n": len(result.errors)})
    except ApplicationError as exc:
        _errors(request, exc)
    return redirect(f"{reverse('rewards:list')}?year={year}&issuer={issuer.code}")


@officer_page
def payout_list(request):
    year = _int(request.GET.get("year"))
    rows = selectors.payouts(actor=request.user, year=year)[:500]
    return render(request, "rewards/payouts.html", {"rows": rows, "year": year})


@officer_page
def export(request):
    path = export_rewards(actor=request.user, filters=_filters(request))
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)
    name = f"gaoqi-rewards-{timezone.localdate().isoformat()}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name)
