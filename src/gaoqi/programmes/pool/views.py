"""Pages of the cultivation pool: the firm's application (pre-filled, live evaluation and gap advice), the
officers' queues per phase with batch actions, the province's expert assignment, notice and admission list
(xlsx), exits; the experts' assignments and scoring form. Thin: parse, call a service or selector, render."""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import (
    assignable_experts,
    get_assignment_for_expert,
    regions_for_filter,
)
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.experts.selectors import my_assignments, panel
from gaoqi.programmes import pages
from gaoqi.programmes.pool import evaluation, params, services
from gaoqi.programmes.pool import selectors as pool_selectors
from gaoqi.programmes.pool.declaration import CODE, PROGRAMME, current_batch, record_of
from gaoqi.programmes.pool.export import export_admissions
from gaoqi.web.decorators import officer_page
from gaoqi.workflow import attachments, selectors
from gaoqi.workflow.models import Attachment
from gaoqi.workflow.services import transition_batch

PROGRESS = ("draft", "submitted", "recommended", "expert_review", "reviewed", "in_notice", "admitted")
FINAL = {p.code for p in PROGRAMME.phases if p.final}


def _application(request, pk):
    return pages.application_or_404(request, pk, code=CODE)


_errors = pages.error_text


@login_required
def home(request):
    """The firm's applications; officers go to their queue, experts to their assignments."""
    if request.user.is_officer:
        return redirect("pool:queue")
    if request.user.role == Role.EXPERT:
        return redirect("pool:expert_home")
    if request.user.role != Role.ENTERPRISE:
        raise Http404
    apps = list(pool_selectors.my_applications(actor=request.user))
    today = timezone.localdate()
    opens, closes = params.intake_window(today.year)
    return render(
        request,
        "pool/my_applications.html",
        {
            "applications": apps,
            "can_start": not any(a.phase not in FINAL for a in apps),
            "opens": opens,
            "closes": closes,
            "window_open": opens <= today <= closes,
            "window_illustrative": params.param("intake_window", today).illustrative,
        },
    )


@login_required
@require_POST
def start(request):
    return pages.start_posted(
        request,
        services.application_start,
        back="pool:home",
        success=_("已根据平台数据预填入库申请，请核对后提交"),
        detail_view="pool:application",
    )


@login_required
def application_detail(request, pk):
    app = _application(request, pk)
    user = request.user
    editable = user.role == Role.ENTERPRISE and services.declaration_editable(app)
    ev = evaluation.live(actor=user, application=app) if editable else {"live": False, **(app.snapshot or {})}
    record = record_of(app)
    is_province = user.role == Role.PROVINCE_OFFICER
    size = services.panel_size()
    context = {
        **pages.application_context(
            user,
            app,
            programme=PROGRAMME,
            progress=PROGRESS,
            editable=editable,
            fields=pages.declared_fields(app, evaluation.DECLARED_FIELDS),
            evaluation=ev,
        ),
        "record": record,
        "panel": panel(application=app, size=size, actor=user) if is_province else None,
        "experts": assignable_experts(user).order_by("username")
        if is_province and app.phase == "expert_review"
        else [],
    }
    return render(request, "pool/application.html", context)


@login_required
@require_POST
def declaration_save(request, pk):
    app = _application(request, pk)
    values = {col: request.POST.get(col, "") for col in evaluation.DECLARED_FIELDS if col in request.POST}
    pages.attempt(
        request,
        lambda: services.declaration_update(
            actor=request.user, application=app, version=int(request.POST.get("version") or 0), values=values
        ),
        success=_("申报数据已保存（来源：企业自报）"),
    )
    return redirect("pool:application", pk=app.pk)


@login_required
@require_POST
def act(request, pk):
    app = _application(request, pk)
    pages.act_posted(request, app, success=pages.phase_done(PROGRAMME))
    return redirect("pool:application", pk=app.pk)


@officer_page
@require_POST
def experts_assign(request, pk):
    app = _application(request, pk)
    ids = [int(x) for x in request.POST.getlist("expert") if x.isdigit()]
    try:
        made = services.experts_assign(actor=request.user, application=app, expert_ids=ids)
    except ApplicationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("已指派 %(n)s 名专家") % {"n": len(made)})
    return redirect("pool:application", pk=app.pk)


# --- Officers: queues, notice, admission list, exits ----------------------------------------------------------


def _filters(request) -> selectors.QueueFilter:
    g = request.GET
    phases = {p.code for p in PROGRAMME.phases}
    default = {
        Role.COUNTY_OFFICER: "submitted",
        Role.CITY_OFFICER: "recommended",
        Role.PROVINCE_OFFICER: "expert_review",
    }.get(request.user.role, "submitted")
    return selectors.QueueFilter(
        programme=CODE,
        phase=g.get("phase") if g.get("phase") in phases else default,
        county=g.get("county") or None,
        q=(g.get("q") or "").strip() or None,
    )


@officer_page
def queue(request):
    filters = _filters(request)
    role = request.user.role
    context = pages.queue_context(request, programme=PROGRAMME, filters=filters, params=params)
    context.update(
        regions=regions_for_filter(request.user).filter(level="county").order_by("code"),
        can_publish=filters.phase == "reviewed" and role in PROGRAMME.find("reviewed", "publish").roles,
        can_admit=filters.phase == "in_notice" and role in PROGRAMME.find("in_notice", "admit").roles,
        batch_default=current_batch(context["today"].year),
    )
    return render(request, "pool/queue.html", context)


_items = pages.posted_items
_report = pages.batch_report


def _back(phase: str):
    return pages.queue_back("pool:queue", phase)


@officer_page
@require_POST
def batch(request):
    items = _items(request)
    phase = request.POST.get("phase", "")
    action = request.POST.get("action", "")
    if not items:
        messages.error(request, _("请选择申报"))
        return _back(phase)
    try:
        if action == "admit":
            result = services.admit_batch(
                actor=request.user,
                items=items,
                batch_no=int(request.POST.get("batch_no") or 0),
                reason=request.POST.get("reason", ""),
            )
        else:
            result = transition_batch(
                actor=request.user, items=items, action=action, reason=request.POST.get("reason", "")
            )
    except (ApplicationError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", _("请填写入库批次")))
        return _back(phase)
    _report(request, result)
    return _back(phase)


@officer_page
@require_POST
def publish(request):
    return pages.notice_publish_posted(request, code=CODE, back=_back("reviewed"))


def _int(raw) -> int | None:
    return int(raw) if raw and str(raw).isdigit() else None


@officer_page
def admissions(request):
    year, batch_no = _int(request.GET.get("year")), _int(request.GET.get("batch"))
    rows = pool_selectors.admissions(actor=request.user, year=year, batch_no=batch_no)
    return render(
        request,
        "pool/admissions.html",
        {
            "rows": rows[:2000],
            "count": rows.count(),
            "batches": pool_selectors.batches(actor=request.user),
            "year": year,
            "batch_no": batch_no,
        },
    )


@officer_page
def admissions_export(request):
    year, batch_no = _int(request.GET.get("year")), _int(request.GET.get("batch"))
    path = export_admissions(actor=request.user, year=year, batch_no=batch_no)
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until the response is sent
    name = f"pool-admissions-{year or 'all'}-{batch_no or 'all'}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name)


@officer_page
def exits(request):
    today = timezone.localdate()
    return render(
        request,
        "pool/exits.html",
        {
            "exited": pool_selectors.exits(actor=request.user)[:500],
            "due": pool_selectors.period_ended(actor=request.user, today=today)[:500],
            "today": today,
        },
    )


@officer_page
@require_POST
def expire(request):
    result = transition_batch(
        actor=request.user, items=_items(request), action="exit_expired", reason=_("培育期满")
    )
    _report(request, result)
    return redirect("pool:exits")


# --- Experts -------------------------------------------------------------------------------------------------


def _expert_only(request):
    if request.user.role != Role.EXPERT:
        raise Http404


@login_required
def expert_home(request):
    _expert_only(request)
    return render(
        request, "pool/expert_home.html", {"assignments": my_assignments(actor=request.user, programme=CODE)}
    )


@login_required
def expert_review(request, pk):
    """The application as an assigned expert sees it: the frozen submission, their own score only."""
    try:
        assignment = get_assignment_for_expert(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    app = assignment.application
    today = timezone.localdate()
    items = assignment.items or params.score_items(today)
    p = panel(application=app, size=services.panel_size(today))
    fields = [
        {"label": label, "value": app.declared.get("values", {}).get(col), "kind": kind}
        for col, (_fact, label, kind) in evaluation.DECLARED_FIELDS.items()
    ]
    return render(
        request,
        "pool/expert_review.html",
        {
            "assignment": assignment,
            "app": app,
            "items": [{**i, "value": assignment.scores.get(i["code"])} for i in items],
            "items_illustrative": params.param("expert_score_items", today).illustrative,
            "evaluation": app.snapshot or {},
            "fields": fields,
            "attachments": app.attachments.all(),
            "can_score": assignment.scored_at is None and app.phase == "expert_review",
            "panel_average": p.average,  # the average only, once everyone has scored; never the others' scores
        },
    )


@login_required
@require_POST
def expert_score(request, pk):
    _expert_only(request)
    items = params.score_items(timezone.localdate())
    try:
        services.expert_score(
            actor=request.user,
            application_pk=pk,
            scores={i["code"]: request.POST.get(i["code"], "") for i in items},
            comment=request.POST.get("comment", ""),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("评分已提交"))
    return redirect("pool:expert_review", pk=pk)


@login_required
def expert_attachment(request, pk, att_pk):
    """An attachment of an application assigned to the expert (404 for anything else)."""
    try:
        assignment = get_assignment_for_expert(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    att = Attachment.objects.filter(application_id=assignment.application_id, pk=att_pk).first()
    if att is None:
        raise Http404
    return FileResponse(
        attachments.attachment_path(att).open("rb"),
        as_attachment=True,
        filename=att.file_name,
        content_type=att.content_type,
    )
