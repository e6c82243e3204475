"""Pages of the workflow core: the inbox (待办), notifications, public notices with their objections."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.scope import can_manage_notice
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.workflow import notices, notify, selectors
from gaoqi.workflow.models import Objection, PublicNotice


@login_required
def inbox(request):
    page = selectors.inbox_page(actor=request.user, page=request.GET.get("page") or 1)
    return render(request, "workflow/inbox.html", {"page": page, "now": timezone.now()})


@login_required
def notifications(request):
    unread = request.GET.get("unread") == "1"
    page = selectors.notifications_page(actor=request.user, page=request.GET.get("page") or 1, unread=unread)
    return render(request, "workflow/notifications.html", {"page": page, "unread": unread})


@login_required
@require_POST
def notifications_read(request):
    notify.mark_read(actor=request.user)
    return redirect("workflow:notifications")


@login_required
def notice_list(request):
    page = selectors.notices_page(page=request.GET.get("page") or 1)
    return render(request, "workflow/notice_list.html", {"page": page})


@login_required
def notice_detail(request, pk):
    try:
        notice = notices.get_notice(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    manage = bool(can_manage_notice(request.user, notice.region_id))
    entries = notice.entries.select_related("application__enterprise", "application__county").order_by(
        "application__county_id", "application__enterprise__name"
    )
    context = {
        "notice": notice,
        "entries": entries,
        "manage": manage,
        "objections": notice.objections.select_related("application__enterprise") if manage else (),
        "close_refusal": notices.close_refusal(notice, timezone.localdate()) if manage else "",
    }
    return render(request, "workflow/notice_detail.html", context)


def _run(request, fn, success: str):
    try:
        fn()
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


@login_required
@require_POST
def objection_new(request, pk):
    notice = PublicNotice.objects.filter(pk=pk).first()
    if notice is None:
        raise Http404
    _run(
        request,
        lambda: notices.objection_record(
            actor=request.user,
            notice=notice,
            application_id=int(request.POST.get("application") or 0),
            filed_by=request.POST.get("filed_by", ""),
            content=request.POST.get("content", ""),
        ),
        _("异议已登记"),
    )
    return redirect("workflow:notice_detail", pk=notice.pk)


@login_required
@require_POST
def objection_resolve(request, pk):
    objection = Objection.objects.select_related("notice", "application__enterprise").filter(pk=pk).first()
    if objection is None:
        raise Http404
    _run(
        request,
        lambda: notices.objection_resolve(
            actor=request.user,
            objection=objection,
            upheld=request.POST.get("upheld") == "1",
            resolution=request.POST.get("resolution", ""),
        ),
        _("异议已处理"),
    )
    return redirect("workflow:notice_detail", pk=objection.notice_id)


@login_required
@require_POST
def notice_close(request, pk):
    notice = PublicNotice.objects.filter(pk=pk).first()
    if notice is None:
        raise Http404
    _run(request, lambda: notices.notice_close(actor=request.user, notice=notice), _("公示已结束"))
    return redirect("workflow:notice_detail", pk=notice.pk)
