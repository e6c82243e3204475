"""Writes of the HTE certification besides the transitions: preparing the application (the firm, or a city
officer for it), the random panel draw (seed recorded, explained, re-drawn only with a reason), an expert's
independent scores within the engine's bands, the leader's aggregation. Every write audited; permissions from
gaoqi.accounts.scope."""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaoqi.accounts.models import Role, User
from gaoqi.accounts.scope import can_draw_hte_panel, can_prepare_hte, get_assignment_for_expert
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.experts import services as expert_services
from gaoqi.experts.models import ExpertAssignment, ExpertKind, ExpertProfile
from gaoqi.programmes.hte import evaluation, panels, params
from gaoqi.programmes.hte.declaration import CODE, PROGRAMME, record_of
from gaoqi.programmes.hte.models import HteRecord, PanelDraw
from gaoqi.registry.models import IntellectualProperty
from gaoqi.workflow import notify
from gaoqi.workflow.errors import Conflict
from gaoqi.workflow.models import Application
from gaoqi.workflow.services import application_create

FINAL = frozenset(p.code for p in PROGRAMME.phases if p.final)
OPEN_REVIEW = ("accepted",)
REASONS = {  # lazy: translated when shown, in the reader's language
    panels.UNAVAILABLE: gettext_lazy("暂停参加评审"),
    panels.OWN_EMPLOYEE: gettext_lazy("申报企业员工（工作单位即申报企业）"),
    panels.DECLARED_CONFLICT: gettext_lazy("已申报与该企业存在利益关系"),
    panels.INTERMEDIARY_EMPLOYER: gettext_lazy("与申报企业的中介机构同一工作单位"),
    panels.AT_LOAD_LIMIT: gettext_lazy("评审任务已达上限"),
    panels.OTHER_FIELD: gettext_lazy("非本技术领域"),
}


def _int(raw, *, allow_none: bool = True) -> int | None:
    if raw is None or raw == "":
        if allow_none:
            return None
        raise ValueError
    if isinstance(raw, bool):
        raise ValueError
    value = int(str(raw).replace(",", "").strip())
    if value < 0:
        raise ValueError
    return value


# --- Application ----------------------------------------------------------------------------------------


def application_start(*, actor, enterprise) -> Application:
    """A firm (or a city officer for a firm of the city) starts this year's application, pre-filled from the
    registry. One open application at a time; a certified firm re-applies when its certificate ends."""
    can_prepare_hte(actor, enterprise).enforce()
    as_of = timezone.localdate()
    open_app = (
        Application.objects.filter(programme=CODE, enterprise=enterprise)
        .exclude(phase__in=FINAL | {"certified"})
        .first()
    )
    if open_app is not None:
        raise ValidationFailed(
            _("本企业已有一份进行中的高企认定申请"), [{"field": "application", "reason": str(open_app.pk)}]
        )
    held = Application.objects.filter(
        programme=CODE, enterprise=enterprise, phase="certified", valid_until__year__gt=as_of.year
    ).first()
    if held is not None:  # re-certification is applied for in the year the certificate expires
        raise ValidationFailed(
            _("高新技术企业证书有效期至 %(d)s，到期当年方可申请重新认定") % {"d": held.valid_until},
            [{"field": "application", "reason": str(held.pk)}],
        )
    facts = evaluation.registry_facts(actor=actor, enterprise=enterprise, as_of=as_of)
    with transaction.atomic():
        app = application_create(
            actor=actor,
            programme_code=CODE,
            enterprise=enterprise,
            year=as_of.year,
            declared={**evaluation.prefill(facts, enterprise), "years": evaluation.declared_years(as_of)},
        )
        HteRecord.objects.create(application=app, enterprise=enterprise)
    return app


def declaration_editable(application: Application) -> bool:
    return application.programme == CODE and application.phase in PROGRAMME.editable_phases


def _parse_document(application: Application, doc: dict, years: list[int]) -> tuple[dict, list[dict]]:
    """The parts of the document given in `doc`, validated; codes RD01…/PS01… assigned in order."""
    out, errors = {}, []
    shapes = {"figures": dict, "audit": dict, "projects": list, "products": list, "ip_items": list}
    for key, shape in shapes.items():
        if key in doc and doc[key] is not None and not isinstance(doc[key], shape):
            errors.append({"field": key, "reason": _("格式有误")})
    for key in ("projects", "products"):
        if isinstance(doc.get(key), list) and not all(isinstance(r, dict) for r in doc[key]):
            errors.append({"field": key, "reason": _("格式有误")})
    if errors:
        return out, errors
    if "tech_field" in doc:
        out["tech_field"] = str(doc["tech_field"] or "").strip()
    if "figures" in doc:
        figures = {}
        allowed = {f"{s}_y{k}" for s in evaluation.YEARLY for k in (1, 2, 3)} | set(evaluation.SINGLE)
        for key, raw in (doc["figures"] or {}).items():
            if key not in allowed:
                errors.append({"field": key, "reason": _("不可填报的字段")})
                continue
            if key in evaluation.SINGLE and evaluation.SINGLE[key][1] == "bool":
                text = str(raw).strip().lower()
                figures[key] = None if text in {"", "none"} else text in {"true", "1", "yes", "是", "on"}
                continue
            try:
                figures[key] = _int(raw)
            except ValueError:
                errors.append({"field": key, "reason": _("请填写非负整数")})
        out["figures"] = {**application.declared.get("figures", {}), **figures}
    if "audit" in doc:
        audit = {k: str((doc["audit"] or {}).get(k, "") or "").strip() for k in evaluation.AUDIT}
        audit["agency_credit_code"] = audit["agency_credit_code"].upper()
        out["audit"] = audit
    for part, prefix, amount in (("projects", "RD", "expense"), ("products", "PS", "revenue")):
        if part not in doc:
            continue
        rows = []
        for n, row in enumerate(doc[part] or [], start=1):
            code = f"{prefix}{n:02d}"
            name = str(row.get("name", "")).strip()
            try:
                value = _int(row.get(amount), allow_none=False)
            except (ValueError, TypeError):
                errors.append(
                    {"field": f"{part}.{code}", "reason": _("%(c)s：金额须为非负整数（元）") % {"c": code}}
                )
                continue
            if not name:
                errors.append({"field": f"{part}.{code}", "reason": _("%(c)s：请填写名称") % {"c": code}})
            item = {"code": code, "name": name, amount: value}
            if part == "projects":
                try:
                    item["year"] = int(row.get("year"))
                except (TypeError, ValueError):
                    item["year"] = None
                if item["year"] not in years:
                    errors.append(
                        {
                            "field": f"{part}.{code}",
                            "reason": _("%(c)s：年度须为 %(y)s 之一") % {"c": code, "y": years},
                        }
                    )
            else:
                ips = row.get("ip")
                item["ip"] = [str(i) for i in ips] if isinstance(ips, list) else []
            rows.append(item)
        out[part] = rows
    if "ip_items" in doc:
        try:
            ids = sorted({int(i) for i in doc["ip_items"] or []})
        except (TypeError, ValueError):
            ids = []
            errors.append({"field": "ip_items", "reason": _("知识产权编号有误")})
        found = set(
            IntellectualProperty.objects.filter(enterprise=application.enterprise, pk__in=ids).values_list(
                "pk", flat=True
            )
        )
        for missing in sorted(set(ids) - found):
            errors.append({"field": "ip_items", "reason": _("知识产权 %(i)s 不属于本企业") % {"i": missing}})
        out["ip_items"] = ids
    return out, errors


def declaration_update(*, actor, application: Application, version: int, document: dict) -> Application:
    """The firm (or the city officer preparing for it) changes parts of the document: tech_field, figures,
    audit, projects, products, ip_items (each given part replaces the stored one). Audited old → new."""
    can_prepare_hte(actor, application.enterprise).enforce()
    if application.programme != CODE:
        raise NotFound(_("对象不存在或无权访问"))
    if not declaration_editable(application):
        raise ValidationFailed(
            _("当前环节不能修改申请材料"), [{"field": "phase", "reason": application.phase}]
        )
    if int(version) != application.version:
        raise Conflict(_("申请材料已被修改，请刷新后重新填写"), {"version": application.version})
    years = application.declared.get("years") or evaluation.declared_years(timezone.localdate())
    parts, errors = _parse_document(application, document, years)
    if errors:
        raise ValidationFailed(_("申请材料有误"), errors)
    old = {k: application.declared.get(k) for k in parts}
    changed = {k: v for k, v in parts.items() if v != old.get(k)}
    if not changed:
        return application
    declared = {**application.declared, **changed}
    with transaction.atomic():
        if not Application.objects.filter(pk=application.pk, version=version).update(
            declared=declared, version=version + 1
        ):
            raise Conflict(_("申请材料已被修改，请刷新后重新填写"), {"version": None})
        application.declared, application.version = declared, version + 1
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=application,
            enterprise=application.enterprise,
            old={k: old.get(k) for k in changed},
            new=changed,
            reason=_("高企认定申请材料"),
        )
    return application


# --- Panel draw -----------------------------------------------------------------------------------------


def candidates(*, exclude_application: Application | None = None) -> list[panels.Candidate]:
    """Every registered expert (kind set) as a draw candidate, with their open load: assignments not yet
    scored on applications still in review (the panel being re-drawn does not count)."""
    open_q = Q(scored_at__isnull=True) & ~Q(application__phase__in=[*FINAL, "certified"])
    if exclude_application is not None:
        open_q &= ~Q(application=exclude_application)
    loads = dict(
        ExpertAssignment.objects.filter(open_q)
        .values("expert_id")
        .annotate(n=Count("id"))
        .values_list("expert_id", "n")
    )
    out = []
    for p in ExpertProfile.objects.filter(user__is_active=True, user__role=Role.EXPERT).exclude(kind=""):
        out.append(
            panels.Candidate(
                id=p.user_id,
                kind=panels.FINANCIAL if p.kind == ExpertKind.FINANCIAL else panels.TECHNICAL,
                fields=frozenset(p.tech_fields or []),
                employer_code=p.employer_credit_code,
                conflicts=frozenset(p.conflict_credit_codes or []),
                load=loads.get(p.user_id, 0),
                load_limit=p.load_limit,
                available=p.available,
            )
        )
    return out


def core_field(application: Application) -> str:
    """The top-level field of the application's core technology (a sub-field code "101" is field "10")."""
    code = (application.snapshot or {}).get("declared", {}).get("tech_field") or application.declared.get(
        "tech_field", ""
    )
    return code[:2]


def panel_draw(*, actor, application: Application, reason: str = "", seed: int | None = None) -> PanelDraw:
    """Draw the application's panel at random (province officer, in expert review). A re-draw needs a reason
    and is refused once a member has scored. The seed is recorded: the same candidates and seed give the same
    panel. Raises ValidationFailed with the counts when the eligible pool is under 3× the panel."""
    can_draw_hte_panel(actor, application).enforce()
    if application.programme != CODE or application.phase not in OPEN_REVIEW:
        raise ValidationFailed(
            _("仅在专家评审环节抽取专家"), [{"field": "phase", "reason": application.phase}]
        )
    reason = (reason or "").strip()
    current = PanelDraw.objects.filter(application=application, current=True).first()
    if current is not None:
        if not reason:
            raise ValidationFailed(
                _("重新抽取须说明理由"), [{"field": "reason", "reason": _("此操作须说明理由")}]
            )
        if ExpertAssignment.objects.filter(application=application, scored_at__isnull=False).exists():
            raise ValidationFailed(_("已有专家评分，不能重新抽取"), [{"field": "reason", "reason": ""}])
    today = timezone.localdate()
    rules = params.panel_rules(today)
    req = panels.Request(
        field=core_field(application),
        firm_code=application.enterprise.credit_code,
        intermediary_code=(application.declared.get("audit") or {}).get("agency_credit_code", ""),
    )
    seed = secrets.randbits(62) if seed is None else int(seed)
    try:
        result = panels.draw(
            panels.Registry(candidates(exclude_application=application)), req, seed=seed, rules=rules
        )
    except panels.PoolTooSmall as exc:
        d = exc.detail
        raise ValidationFailed(
            _(
                "符合条件的专家不足：本领域技术专家 %(t)s 名、财务专家 %(f)s 名，专家库须不少于评审专家的 %(k)s 倍（%(n)s 名）"
            )
            % {"t": d["technical"], "f": d["financial"], "k": rules.pool_factor, "n": d["need"]},
            [
                {"field": "experts", "reason": str(REASONS.get(r, r)), "expert": i}
                for i, r in d["excluded"].items()
            ],
        ) from exc
    now = timezone.now()
    with transaction.atomic():
        if current is not None:
            old_members = current.members
            ExpertAssignment.objects.filter(application=application).delete()
            PanelDraw.objects.filter(pk=current.pk).update(current=False)
        draw = PanelDraw.objects.create(
            application=application,
            seed=seed,
            field=req.field,
            technical=result.technical,
            financial=result.financial,
            leader_id=result.leader,
            excluded={str(k): v for k, v in result.excluded.items()},
            eligible_technical=result.eligible_technical,
            eligible_financial=result.eligible_financial,
            rules={"size": rules.size, "financial": rules.financial, "pool_factor": rules.pool_factor},
            reason=reason,
            drawn_by=actor,
            drawn_at=now,
        )
        ExpertAssignment.objects.bulk_create(
            [
                ExpertAssignment(application=application, expert_id=m, assigned_by=actor, assigned_at=now)
                for m in result.members
            ]
        )
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=draw,
            enterprise=application.enterprise,
            old={"members": old_members} if current is not None else None,
            new={
                "seed": seed,
                "field": req.field,
                "technical": result.technical,
                "financial": result.financial,
                "leader": result.leader,
                "excluded": len(result.excluded),
            },
            reason=reason or _("随机抽取评审专家"),
        )
        notify.notify_users(
            list(User.objects.filter(pk__in=result.members)),
            title=_("新的高企认定评审任务：%(firm)s") % {"firm": application.enterprise.name},
            body=_("请在平台独立完成评分。"),
            url=f"/programmes/hte/expert/applications/{application.pk}/",
            application=application,
        )
    return draw


def current_draw(application: Application) -> PanelDraw | None:
    return PanelDraw.objects.filter(application=application, current=True).first()


# --- Scoring ---------------------------------------------------------------------------------------------


def items_for(application: Application, kind: str) -> list[dict]:
    """The items an expert of `kind` scores, each with the band the engine stated at submission."""
    bands = (application.snapshot or {}).get("bands", {})
    codes = evaluation.TECHNICAL_ITEMS if kind == panels.TECHNICAL else evaluation.FINANCIAL_ITEMS
    return [
        {"code": c, "label": bands[c]["label"], "min": bands[c]["min"], "max": bands[c]["max"]}
        for c in codes
        if c in bands
    ]


def member_kind(draw: PanelDraw, expert_id: int) -> str:
    return panels.FINANCIAL if expert_id in draw.financial else panels.TECHNICAL


def expert_score(*, actor, application_pk, scores: dict, comment: str = ""):
    """An expert scores an application assigned to them (404 for any other), once, each item within its band."""
    assignment = get_assignment_for_expert(actor, application_pk)
    app = assignment.application
    if app.programme != CODE:
        raise NotFound(_("对象不存在或无权访问"))
    if app.phase not in OPEN_REVIEW:
        raise ValidationFailed(_("该申请已不在专家评审环节"), [{"field": "phase", "reason": app.phase}])
    draw = current_draw(app)
    items = items_for(app, member_kind(draw, actor.pk))
    errors = []
    for item in items:
        try:
            value = Decimal(str(scores.get(item["code"])).strip())
        except (ArithmeticError, ValueError, TypeError):
            continue  # score_submit reports it
        if value.is_finite() and value < item["min"]:
            errors.append(
                {
                    "field": item["code"],
                    "reason": _("%(l)s：须在 %(a)s 至 %(b)s 分之间（按企业所在档次）")
                    % {"l": item["label"], "a": item["min"], "b": item["max"]},
                }
            )
    if errors:
        raise ValidationFailed(_("评分有误"), errors)
    return expert_services.score_submit(
        actor=actor,
        assignment=assignment,
        items=[{"code": i["code"], "label": i["label"], "max": i["max"]} for i in items],
        scores=scores,
        comment=comment,
    )


def _avg(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def technical_total(assignment: ExpertAssignment, ip_cap: int) -> Decimal:
    """A technical expert's total: the IP items capped at the IP maximum, plus conversion and R&D management."""
    s = {k: Decimal(v) for k, v in (assignment.scores or {}).items()}
    ip = sum((s.get(c, Decimal(0)) for c in evaluation.IP_ITEMS), Decimal(0))
    rest = sum((v for k, v in s.items() if k not in evaluation.IP_ITEMS), Decimal(0))
    return min(ip, Decimal(ip_cap)) + rest


def panel_aggregate(*, actor, application_pk) -> HteRecord:
    """The leader aggregates once every member has scored (195号 附件5): the panel score is the technical
    experts' average (IP, conversion, R&D management) plus the financial experts' average (growth)."""
    from gaoqi.policy import load_policy

    assignment = get_assignment_for_expert(actor, application_pk)
    app = assignment.application
    draw = current_draw(app)
    if app.programme != CODE or draw is None:
        raise NotFound(_("对象不存在或无权访问"))
    if draw.leader_id != actor.pk:
        raise PermissionDenied(_("仅专家组组长可汇总评分"))
    if app.phase not in OPEN_REVIEW:
        raise ValidationFailed(_("该申请已不在专家评审环节"), [{"field": "phase", "reason": app.phase}])
    members = {a.expert_id: a for a in ExpertAssignment.objects.filter(application=app)}
    waiting = [m for m in draw.members if members.get(m) is None or members[m].scored_at is None]
    if waiting:
        raise ValidationFailed(
            _("尚有 %(n)s 名专家未评分") % {"n": len(waiting)},
            [{"field": "scores", "reason": str(len(waiting))}],
        )
    record = record_of(app)
    if record.aggregated_at is not None:
        raise ValidationFailed(_("已汇总"), [{"field": "scores", "reason": ""}])
    ip_cap = int(load_policy(evaluation.POLICY, timezone.localdate()).value("score.ip.max"))
    tech = _avg([technical_total(members[m], ip_cap) for m in draw.technical])
    fin = _avg([members[m].total for m in draw.financial])
    now = timezone.now()
    with transaction.atomic():
        record.panel_score, record.aggregated_at, record.aggregated_by = tech + fin, now, actor
        record.save(update_fields=["panel_score", "aggregated_at", "aggregated_by"])
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=record,
            enterprise=app.enterprise,
            new={"panel_score": str(record.panel_score), "technical": str(tech), "financial": str(fin)},
            reason=_("专家组组长汇总评分"),
        )
    return record
