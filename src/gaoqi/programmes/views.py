"""Pages of the tech-SME programme: the firm's applications and self-evaluation, the officers' queue with batch
actions and notices, the 应评尽评 campaign. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import get_application_for_actor, get_enterprise_for_actor, regions_for_filter
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.programmes.tech_sme import evaluation, params
from gaoqi.programmes.tech_sme import selectors as sme_selectors
from gaoqi.programmes.tech_sme import services as sme_services
from gaoqi.programmes.tech_sme.declaration import CODE, PROGRAMME
from gaoqi.web.decorators import officer_page
from gaoqi.workflow import attachments, notices, selectors
from gaoqi.workflow.models import Attachment
from gaoqi.workflow.services import available_actions, transition, transition_batch
from gaoqi.workflow.table import programme

PROGRESS = ("draft", "submitted", "accepted", "in_notice", "registered")


def _application(request, pk):
    try:
        return get_application_for_actor(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def tech_sme_home(request):
    """The firm's applications; officers go to their queue."""
    if request.user.is_officer:
        return redirect("programmes:queue")
    if request.user.role != Role.ENTERPRISE:
        raise Http404
    apps = list(sme_selectors.my_applications(actor=request.user))
    return render(
        request,
        "programmes/my_applications.html",
        {
            "applications": apps,
            "progress": PROGRESS,
            "can_start": not any(a.phase not in _final() for a in apps),
        },
    )


def _final() -> set[str]:
    return {p.code for p in PROGRAMME.phases if p.final}


@login_required
@require_POST
def start(request):
    try:
        firm = get_enterprise_for_actor(request.user, pk=request.user.enterprise_id or 0)
        app = sme_services.application_start(actor=request.user, enterprise=firm)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("programmes:tech_sme")
    messages.success(request, _("已根据平台数据预填自评表，请核对后提交"))
    return redirect("programmes:application", pk=app.pk)


def _evaluation_view(user, app):
    """The firm sees its live score while it edits; everyone else (and the firm later) the frozen snapshot."""
    if user.role == Role.ENTERPRISE and sme_services.declaration_editable(app):
        as_of = timezone.localdate()
        ev = evaluation.evaluate_facts(
            evaluation.effective_facts(actor=user, application=app, as_of=as_of), as_of
        )
        return {
            "live": True,
            "outcome": ev.outcome,
            "eligible": ev.eligible,
            "score": ev.score,
            "failed": [c.label_zh for c in ev.failed_conditions],
            "gaps": [g.message_zh for g in ev.gaps],
            "errors": evaluation.error_texts(ev),
        }
    return {"live": False, **(app.snapshot or {})}


@login_required
def application_detail(request, pk):
    app = _application(request, pk)
    # Another programme's application: its own page (the inbox, notices and e-mails link to this address).
    if app.programme != CODE:
        return redirect(programme(app.programme).detail_url, pk=app.pk)
    editable = request.user.role == Role.ENTERPRISE and sme_services.declaration_editable(app)
    values = app.declared.get("values", {})
    fields = [
        {"name": col, "label": label, "kind": kind, "value": values.get(col)}
        for col, (_fact, label, kind) in evaluation.DECLARED_FIELDS.items()
    ]
    context = {
        "app": app,
        "programme": PROGRAMME,
        "editable": editable,
        "fields": fields,
        "evaluation": _evaluation_view(request.user, app),
        "decisions": selectors.decisions_for(application=app),
        "actions": [t for t in available_actions(request.user, app) if t.action not in ("publish",)],
        "attachments": app.attachments.all(),
        "progress": [(code, PROGRAMME.label_of(code)) for code in PROGRESS],
        "progress_index": PROGRESS.index(app.phase) if app.phase in PROGRESS else -1,
        "declared_year": app.declared.get("year"),
    }
    return render(request, "programmes/application.html", context)


def _redirect_back(app):
    return redirect("programmes:application", pk=app.pk)


@login_required
@require_POST
def declaration_save(request, pk):
    app = _application(request, pk)
    values = {col: request.POST.get(col, "") for col in evaluation.DECLARED_FIELDS if col in request.POST}
    try:
        sme_services.declaration_update(
            actor=request.user, application=app, version=int(request.POST.get("version") or 0), values=values
        )
    except ApplicationError as exc:
        detail = "；".join(
            f"{e['field']}：{e['reason']}" for e in exc.extra.get("errors", []) if e.get("reason")
        )
        messages.error(request, f"{exc.message}{('：' + detail) if detail else ''}")
    else:
        messages.success(request, _("自评数据已保存（来源：企业自报）"))
    return _redirect_back(app)


@login_required
@require_POST
def act(request, pk):
    app = _application(request, pk)
    try:
        transition(
            actor=request.user,
            application=app,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
            version=int(request.POST.get("version") or 0),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已办理：%(phase)s") % {"phase": PROGRAMME.label_of(app.phase)})
    return _redirect_back(app)


@login_required
@require_POST
def attach(request, pk):
    app = _application(request, pk)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ApplicationError(_("请选择文件"))
        if upload.size > attachments.max_bytes():
            raise ApplicationError(_("文件超过 %(mb)s MB 上限") % {"mb": attachments.max_bytes() // 2**20})
        attachments.attachment_add(
            actor=request.user,
            application=app,
            kind=request.POST.get("kind", ""),
            file_name=upload.name,
            data=upload.read(),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        detail = "；".join(e["reason"] for e in exc.extra.get("errors", []) if e.get("reason"))
        messages.error(request, f"{exc.message}{('：' + detail) if detail else ''}")
    else:
        messages.success(request, _("附件已上传"))
    return _redirect_back(app)


@login_required
def attachment_download(request, pk, att_pk):
    app = _application(request, pk)
    att = Attachment.objects.filter(application=app, pk=att_pk).first()
    if att is None:
        raise Http404
    return FileResponse(
        attachments.attachment_path(att).open("rb"),
        as_attachment=True,
        filename=att.file_name,
        content_type=att.content_type,
    )


# --- Officers --------------------------------------------------------------------------------------------


def _filters(request) -> selectors.QueueFilter:
    g = request.GET
    phases = {p.code for p in PROGRAMME.phases}
    return selectors.QueueFilter(
        programme=CODE,
        phase=g.get("phase") if g.get("phase") in phases else "submitted",
        city=g.get("city") or None,
        county=g.get("county") or None,
        flagged=g.get("flagged") == "1",
        q=(g.get("q") or "").strip() or None,
    )


@officer_page
def queue(request):
    filters = _filters(request)
    page = selectors.queue_page(actor=request.user, filters=filters, page=request.GET.get("page") or 1)
    batch_actions = [
        t for t in PROGRAMME.actions_from(filters.phase) if t.batch and request.user.role in t.roles
    ]
    today = timezone.localdate()
    context = {
        "page": page,
        "filters": filters,
        "phases": [(p.code, p.label) for p in PROGRAMME.phases],
        "regions": regions_for_filter(request.user).exclude(level="province").order_by("code"),
        "batch_actions": batch_actions,
        "can_publish": filters.phase == "accepted"
        and request.user.role in PROGRAMME.find("accepted", "publish").roles,
        "notice_days": params.value("notice_working_days", today),
        "today": today,
    }
    return render(request, "programmes/queue.html", context)


def _items(request) -> list[tuple[int, int]]:
    items = []
    for raw in request.POST.getlist("item"):
        pk, _sep, version = raw.partition(":")
        if pk.isdigit() and version.isdigit():
            items.append((int(pk), int(version)))
    return items


def _report(request, result):
    if result.done:
        messages.success(request, _("已办理 %(n)s 项") % {"n": len(result.done)})
    for r in result.refused[:20]:
        messages.error(request, _("申报 %(id)s 未办理：%(m)s") % {"id": r["id"], "m": r["message"]})


@officer_page
@require_POST
def batch(request):
    items = _items(request)
    phase = request.POST.get("phase", "")
    if not items:
        messages.error(request, _("请选择申报"))
    else:
        result = transition_batch(
            actor=request.user,
            items=items,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
        )
        _report(request, result)
    return redirect(f"{redirect('programmes:queue').url}?phase={phase}")


@officer_page
@require_POST
def publish(request):
    try:
        starts_on = date.fromisoformat(request.POST.get("starts_on") or "")
        days = int(request.POST.get("working_days") or 0)
    except ValueError:
        messages.error(request, _("请填写公示开始日期和公示期"))
        return redirect(f"{redirect('programmes:queue').url}?phase=accepted")
    try:
        notice, result = notices.notice_publish(
            actor=request.user,
            programme_code=CODE,
            title=request.POST.get("title", ""),
            starts_on=starts_on,
            working_days=days,
            items=_items(request),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(f"{redirect('programmes:queue').url}?phase=accepted")
    _report(request, result)
    return redirect("workflow:notice_detail", pk=notice.pk)


@officer_page
def campaign(request):
    year = timezone.localdate().year
    rows = sme_selectors.campaign(actor=request.user, year=year)
    page = Paginator(rows, 50).get_page(request.GET.get("page") or 1)
    return render(request, "programmes/campaign.html", {"page": page, "year": year})


@officer_page
@require_POST
def invite(request):
    ids = [int(x) for x in request.POST.getlist("enterprise") if x.isdigit()]
    try:
        n = sme_services.invite(actor=request.user, enterprise_ids=ids, year=timezone.localdate().year)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已向 %(n)s 家企业发送评价邀请") % {"n": n})
    return redirect("programmes:campaign")
