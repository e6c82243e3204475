"""Pages of the tech-SME programme: the firm's applications and self-evaluation, the officers' queue with batch
actions and notices, the 应评尽评 campaign. Thin: parse, call a service or selector, render."""

from __future__ import annotations

import os
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import regions_for_filter
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.programmes import pages
from gaoqi.programmes.tech_sme import evaluation, params
from gaoqi.programmes.tech_sme import selectors as sme_selectors
from gaoqi.programmes.tech_sme import services as sme_services
from gaoqi.programmes.tech_sme.declaration import CODE, PROGRAMME
from gaoqi.programmes.tech_sme.export import export_queue
from gaoqi.registry.selectors import checked_page
from gaoqi.web.decorators import officer_page
from gaoqi.workflow import attachments, selectors
from gaoqi.workflow.models import Attachment
from gaoqi.workflow.services import transition_batch
from gaoqi.workflow.table import programme

PROGRESS = ("draft", "submitted", "accepted", "in_notice", "registered")


def _application(request, pk):
    return pages.application_or_404(request, pk)


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
    return pages.start_posted(
        request,
        sme_services.application_start,
        back="programmes:tech_sme",
        success=_("已根据平台数据预填自评表，请核对后提交"),
        detail_view="programmes:application",
    )


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
    context = pages.application_context(
        request.user,
        app,
        programme=PROGRAMME,
        progress=PROGRESS,
        editable=request.user.role == Role.ENTERPRISE and sme_services.declaration_editable(app),
        fields=pages.declared_fields(app, evaluation.DECLARED_FIELDS),
        evaluation=_evaluation_view(request.user, app),
    )
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
    pages.act_posted(request, app, success=pages.phase_done(PROGRAMME))
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
    context = {
        **pages.queue_context(request, programme=PROGRAMME, filters=filters, params=params),
        "regions": regions_for_filter(request.user).exclude(level="province").order_by("code"),
        "can_publish": filters.phase == "accepted"
        and request.user.role in PROGRAMME.find("accepted", "publish").roles,
        "export_query": _export_query(filters),
    }
    return render(request, "programmes/queue.html", context)


def _export_query(filters: selectors.QueueFilter) -> str:
    """The page's filters as the export link's query string."""
    pairs = {"phase": filters.phase, "city": filters.city, "county": filters.county, "q": filters.q}
    pairs["flagged"] = "1" if filters.flagged else None
    return urlencode({k: v for k, v in pairs.items() if v})


@officer_page
def queue_export(request):
    """The queue of the page's phase and filters as .xlsx (every row in scope, not one page)."""
    filters = _filters(request)
    path = export_queue(actor=request.user, filters=filters)
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until the response is sent
    name = f"tech-sme-queue-{filters.phase}-{timezone.localdate().isoformat()}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name)


@officer_page
@require_POST
def batch(request):
    items = pages.posted_items(request)
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
        pages.batch_report(request, result)
    return pages.queue_back("programmes:queue", phase)


@officer_page
@require_POST
def publish(request):
    return pages.notice_publish_posted(
        request, code=CODE, back=pages.queue_back("programmes:queue", "accepted")
    )


@officer_page
def campaign(request):
    year = timezone.localdate().year
    rows = sme_selectors.campaign(actor=request.user, year=year)
    page = checked_page(Paginator(rows, 50), request.GET.get("page") or 1)
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
