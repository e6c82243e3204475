"""Pages of the HTE certification: the firm's (or city officer's) application with the live evaluation and gap
advice beside the form, the officers' list and actions, the province's panel draw with its explanation, the
experts' review and scoring, the leader's aggregation. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import (
    get_assignment_for_expert,
    get_enterprise_for_actor,
    get_hte_report_batch_for_actor,
    scope_applications,
    scope_hte_report_batches,
)
from gaoqi.errors import ApplicationError, NotFound
from gaoqi.experts.selectors import my_assignments
from gaoqi.programmes import pages
from gaoqi.programmes.hte import after, decisions, evaluation, params, selectors, services
from gaoqi.programmes.hte.declaration import CODE, PROGRAMME, record_of
from gaoqi.programmes.hte.models import CancellationGround, ChangeKind, ChangeReport, ChangeStatus, SiteCheck
from gaoqi.registry.models import IntellectualProperty
from gaoqi.workflow import selectors as wf_selectors
from gaoqi.workflow.services import available_actions


def _application(request, pk):
    return pages.application_or_404(request, pk, code=CODE)


def _assignment(request, pk):
    try:
        a = get_assignment_for_expert(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if a.application.programme != CODE:
        raise Http404
    return a


_errors = pages.error_text


@login_required
def home(request):
    user = request.user
    if user.role == Role.EXPERT:
        return redirect("hte:expert_home")
    if not (user.is_officer or user.role == Role.ENTERPRISE):
        raise Http404
    apps = scope_applications(user).filter(programme=CODE).select_related("enterprise").order_by("-id")
    phase = request.GET.get("phase", "")
    if phase:
        apps = apps.filter(phase=phase)
    tax = None
    if user.role == Role.ENTERPRISE:
        firm = user.enterprise
        tax = selectors.tax_benefit(firm, _int(request.GET.get("profit")))
    return render(
        request,
        "hte/home.html",
        {"applications": apps[:200], "phases": PROGRAMME.phases, "phase": phase, "tax": tax,
         "can_prepare": user.role in (Role.ENTERPRISE, Role.CITY_OFFICER)},
    )  # fmt: skip


def _int(raw):
    try:
        return int(str(raw).replace(",", "")) if raw not in (None, "") else None
    except ValueError:
        return None


@login_required
@require_POST
def start(request):
    try:
        pk = request.POST.get("enterprise_id") or request.user.enterprise_id or 0
        firm = get_enterprise_for_actor(request.user, pk=int(pk))
        app = services.application_start(actor=request.user, enterprise=firm)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except (ApplicationError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("hte:home")
    messages.success(request, _("已根据平台数据预填认定申请，请补充研发项目、高新技术产品和专项审计信息"))
    return redirect("hte:application", pk=app.pk)


def _lines(text: str, keys: tuple[str, ...]) -> list[dict]:
    rows = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if any(parts):
            rows.append(dict(zip(keys, parts, strict=False)))
    return rows


@login_required
def application_detail(request, pk):
    app = _application(request, pk)
    user = request.user
    editable = services.declaration_editable(app) and user.role in (Role.ENTERPRISE, Role.CITY_OFFICER)
    ev = evaluation.live(actor=user, application=app) if editable else {"live": False, **(app.snapshot or {})}
    d = app.declared
    figures = d.get("figures", {})
    labels = [
        (f"{s}_y{k}", f"{label}（{y}）")
        for s, label in evaluation.YEARLY.items()
        for k, y in enumerate(d.get("years", []), 1)
    ]
    labels += [(k, label) for k, (label, _kind) in evaluation.SINGLE.items()]
    context = {
        "app": app,
        "record": record_of(app),
        "editable": editable,
        "figures": [(k, label, figures.get(k)) for k, label in labels],
        "audit": [(k, label, (d.get("audit") or {}).get(k, "")) for k, label in evaluation.AUDIT.items()],
        "projects_text": "\n".join(
            f"{p['name']},{p.get('year')},{p['expense']}" for p in d.get("projects", [])
        ),
        "products_text": "\n".join(f"{p['name']},{p['revenue']}" for p in d.get("products", [])),
        "ip_items": IntellectualProperty.objects.filter(enterprise=app.enterprise).order_by("pk"),
        "ip_selected": set(d.get("ip_items", [])),
        "evaluation": ev,
        "actions": [t for t in available_actions(user, app) if t.action not in ("publish", "propose_cancel")],
        "decisions": wf_selectors.decisions_for(application=app),
        "panel": selectors.panel_view(actor=user, application=app)
        if user.role == Role.PROVINCE_OFFICER
        else None,
        "reasons": services.REASONS,
        "at_risk": after.at_risk(actor=user, application=app) if user.is_officer else [],
        "reports": app.hte_reports.order_by("year") if app.phase == "certified" else [],
        "report_fields": after.REPORT_FIELDS,
        "changes": app.hte_changes.all() if app.phase == "certified" else [],
        "change_kinds": ChangeKind.choices,
        "programme": PROGRAMME,
        "province": user.role == Role.PROVINCE_OFFICER,
        "site_checks": decisions.site_checks(app) if user.is_officer else [],
        "report_batch": record_of(app).report_batch if user.is_officer else None,
        "case": decisions.open_case(app),
        "grounds": CancellationGround.choices,
        "missed": after.missed_years(app) if app.phase == "certified" and user.is_officer else [],
    }
    return render(request, "hte/application.html", context)


@login_required
@require_POST
def document_save(request, pk):
    app = _application(request, pk)
    p = request.POST
    doc = {
        "tech_field": p.get("tech_field", ""),
        "figures": {
            k: p.get(k, "") for k in p if k.startswith(tuple(evaluation.YEARLY)) or k in evaluation.SINGLE
        },
        "audit": {k: p.get(k, "") for k in evaluation.AUDIT},
        "projects": _lines(p.get("projects", ""), ("name", "year", "expense")),
        "products": _lines(p.get("products", ""), ("name", "revenue")),
        "ip_items": p.getlist("ip_items"),
    }
    pages.attempt(
        request,
        lambda: services.declaration_update(
            actor=request.user, application=app, version=int(p.get("version") or 0), document=doc
        ),
        success=_("已保存"),
    )
    return redirect("hte:application", pk=app.pk)


@login_required
@require_POST
def act(request, pk):
    app = _application(request, pk)
    pages.act_posted(request, app, success=lambda app: _("已办理"), error=_errors, missing_404=False)
    return redirect("hte:application", pk=app.pk)


@login_required
@require_POST
def draw(request, pk):
    app = _application(request, pk)
    try:
        services.panel_draw(actor=request.user, application=app, reason=request.POST.get("reason", ""))
        messages.success(request, _("已随机抽取专家组"))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, _errors(exc))
    return redirect("hte:application", pk=app.pk)


@login_required
def expert_home(request):
    if request.user.role != Role.EXPERT:
        raise Http404
    return render(
        request, "hte/expert_home.html", {"assignments": my_assignments(actor=request.user, programme=CODE)}
    )


@login_required
def expert_review(request, pk):
    a = _assignment(request, pk)
    app = a.application
    d = services.current_draw(app)
    return render(
        request,
        "hte/expert_review.html",
        {
            "a": a,
            "app": app,
            "document": (app.snapshot or {}).get("declared", {}),
            "items": services.items_for(app, services.member_kind(d, request.user.pk)),
            "leader": d.leader_id == request.user.pk,
            "panel": selectors.panel_view(actor=request.user, application=app),
        },
    )


@login_required
@require_POST
def expert_score(request, pk):
    a = _assignment(request, pk)
    items = services.items_for(
        a.application, services.member_kind(services.current_draw(a.application), request.user.pk)
    )
    pages.attempt(
        request,
        lambda: services.expert_score(
            actor=request.user,
            application_pk=pk,
            scores={i["code"]: request.POST.get(i["code"], "") for i in items},
            comment=request.POST.get("comment", ""),
        ),
        success=_("评分已提交"),
    )
    return redirect("hte:expert_review", pk=pk)


@login_required
@require_POST
def expert_aggregate(request, pk):
    _assignment(request, pk)
    pages.attempt(
        request,
        lambda: services.panel_aggregate(actor=request.user, application_pk=pk),
        success=_("已汇总专家组评分"),
    )
    return redirect("hte:expert_review", pk=pk)


@login_required
@require_POST
def annual_report(request, pk):
    app = _application(request, pk)
    pages.attempt(
        request,
        lambda: after.annual_report_file(
            actor=request.user,
            application=app,
            year=int(request.POST.get("year") or 0),
            figures={k: request.POST.get(k, "") for k in after.REPORT_FIELDS},
        ),
        success=_("年报已填报"),
    )
    return redirect("hte:application", pk=app.pk)


@login_required
@require_POST
def change_report(request, pk):
    app = _application(request, pk)
    pages.attempt(
        request,
        lambda: after.change_report_file(
            actor=request.user,
            application=app,
            kind=request.POST.get("kind", ""),
            description=request.POST.get("description", ""),
            new_name=request.POST.get("new_name", ""),
        ),
        success=_("变更报告已提交"),
    )
    return redirect("hte:application", pk=app.pk)


@login_required
def after_certification(request):
    """Officers: who has not filed the annual report, the cancellation candidates, change reports to review."""
    if not request.user.is_officer:
        raise Http404
    from django.utils import timezone

    year = _int(request.GET.get("year")) or timezone.localdate().year - 1
    changes = ChangeReport.objects.filter(
        application__in=scope_applications(request.user).filter(programme=CODE), status=ChangeStatus.PENDING
    ).select_related("application__enterprise")
    return render(
        request,
        "hte/after.html",
        {
            "year": year,
            "missing": after.missing_reports(actor=request.user, year=year),
            "candidates": after.cancellation_candidates(actor=request.user),
            "changes": changes,
        },
    )


def _record_in_scope(request, model, pk):
    """A record of an HTE application (change report, on-site check) the user may reach, else 404."""
    record = (
        model.objects.filter(pk=pk, application__in=scope_applications(request.user).filter(programme=CODE))
        .select_related("application__enterprise")
        .first()
    )
    if record is None:
        raise Http404
    return record


@login_required
@require_POST
def change_review(request, change_pk):
    report = _record_in_scope(request, ChangeReport, change_pk)
    try:
        after.change_report_review(
            actor=request.user,
            report=report,
            approve=request.POST.get("approve") == "1",
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("已审核"))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, _errors(exc))
    return redirect("hte:after")


# --- The province's decision steps: on-site check, 报备, notices, cancellation (decisions.py) -------------


def _date(raw):
    from datetime import date

    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


@login_required
@require_POST
def site_check_order(request, pk):
    app = _application(request, pk)
    pages.attempt(
        request,
        lambda: decisions.site_check_order(
            actor=request.user, application=app, reason=request.POST.get("reason", "")
        ),
        success=_("已安排实地核查"),
    )
    return redirect("hte:application", pk=app.pk)


@login_required
@require_POST
def site_check_record(request, check_pk):
    check = _record_in_scope(request, SiteCheck, check_pk)
    pages.attempt(
        request,
        lambda: decisions.site_check_record(
            actor=request.user,
            check=check,
            inspectors=request.POST.get("inspectors", ""),
            checked_on=_date(request.POST.get("checked_on")),
            findings=request.POST.get("findings", ""),
            passed=request.POST.get("passed") == "1",
        ),
        success=_("已登记实地核查结果"),
    )
    return redirect("hte:application", pk=check.application_id)


@login_required
@require_POST
def cancellation_open(request, pk):
    app = _application(request, pk)
    years = [int(y) for y in request.POST.getlist("missed_years") if str(y).isdigit()]
    pages.attempt(
        request,
        lambda: decisions.cancellation_open(
            actor=request.user,
            application=app,
            ground=request.POST.get("ground", ""),
            detail=request.POST.get("detail", ""),
            version=int(request.POST.get("version") or 0),
            missed_years=years,
        ),
        success=_("已登记取消资格事由，请在公示页面发布取消资格公示"),
    )
    return redirect("hte:application", pk=app.pk)


def _province_page(request):
    if not (request.user.is_officer and request.user.role == Role.PROVINCE_OFFICER):
        raise Http404


@login_required
def decision_desk(request):
    """The province's desk: decided applications to publish (拟认定公示), to report (认定报备), the report
    lists, and cancellation cases to publish (取消资格公示)."""
    _province_page(request)
    from django.utils import timezone

    today = timezone.localdate()
    mine = scope_applications(request.user).filter(programme=CODE).select_related("enterprise")
    return render(
        request,
        "hte/decisions.html",
        {
            "approved": mine.filter(phase="approved").order_by("enterprise__name"),
            "reportable": decisions.reportable(request.user),
            "batches": scope_hte_report_batches(request.user).prefetch_related("records"),
            "proposed": mine.filter(phase="cancel_proposed").order_by("enterprise__name"),
            "cases": decisions.cancellation_cases(actor=request.user)[:50],
            "year": today.year,
            "deadline": decisions.report_deadline(today.year),
            "deadline_param": params.param("report_deadline", today),
            "today": today,
            "notice_days": params.value("notice_working_days", today),
        },
    )


@login_required
@require_POST
def notice_publish(request):
    _province_page(request)
    return pages.notice_publish_posted(request, code=CODE, back=redirect("hte:decisions"))


@login_required
@require_POST
def report_batch_new(request):
    _province_page(request)
    ids = [pk for pk, _v in pages.posted_items(request)]
    done = pages.attempt(
        request,
        lambda: decisions.report_batch_create(
            actor=request.user,
            year=_int(request.POST.get("year")) or 0,
            title=request.POST.get("title", ""),
            application_ids=ids,
        ),
        success=_("已生成认定报备名单"),
    )
    if done:
        batch = scope_hte_report_batches(request.user).order_by("-id").first()
        return redirect("hte:report_batch", pk=batch.pk)
    return redirect("hte:decisions")


def _batch(request, pk):
    try:
        return get_hte_report_batch_for_actor(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def report_batch(request, pk):
    batch = _batch(request, pk)
    return render(
        request, "hte/report_batch.html", {"batch": batch, "rows": decisions.report_batch_rows(batch)}
    )


@login_required
def report_batch_export(request, pk):
    from django.http import HttpResponse

    batch = _batch(request, pk)
    response = HttpResponse(
        decisions.report_batch_xlsx(batch),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="hte-report-{batch.year}-{batch.pk}.xlsx"'
    return response


@login_required
@require_POST
def report_batch_reported(request, pk):
    batch = _batch(request, pk)
    pages.attempt(
        request,
        lambda: decisions.report_batch_mark_reported(
            actor=request.user,
            batch=batch,
            reported_on=_date(request.POST.get("reported_on")),
            reference=request.POST.get("reference", ""),
        ),
        success=_("已标记为已报备"),
    )
    return redirect("hte:report_batch", pk=batch.pk)
