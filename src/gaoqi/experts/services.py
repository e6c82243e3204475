"""Writes of the expert review: assigning experts to an application (conflicts of interest refused), and an
expert's scores per item. Every write audited; permissions from gaoqi.accounts.scope."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.models import Role, User
from gaoqi.accounts.scope import assignable_experts, can_assign_experts
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.experts.models import ExpertAssignment, ExpertProfile
from gaoqi.workflow import notify


def conflict_reason(expert: User, enterprise) -> str:
    """Why `expert` may not review `enterprise` ("" when no conflict is declared): the firm is the expert's
    employer (credit code or name), or is on the expert's declared conflict list."""
    profile = ExpertProfile.objects.filter(user=expert).first()
    if profile is None:
        return ""
    if profile.employer_credit_code and profile.employer_credit_code == enterprise.credit_code:
        return _("专家 %(e)s 的工作单位即申报企业，须回避") % {"e": expert}
    if profile.employer_name and profile.employer_name.strip() == enterprise.name.strip():
        return _("专家 %(e)s 的工作单位即申报企业，须回避") % {"e": expert}
    if enterprise.credit_code in (profile.conflict_credit_codes or []):
        return _("专家 %(e)s 已申报与该企业存在利益关系，须回避") % {"e": expert}
    return ""


def profile_set(
    *, actor, expert: User, employer_name: str = "", employer_credit_code: str = "", conflicts=()
) -> ExpertProfile:
    """Record an expert's employer and declared conflicts (an officer who administers the account)."""
    if expert.role != Role.EXPERT or not assignable_experts(actor).filter(pk=expert.pk).exists():
        raise ValidationFailed(_("该账号不是您可管理的专家"), [{"field": "expert", "reason": str(expert.pk)}])
    with transaction.atomic():
        profile, _created = ExpertProfile.objects.get_or_create(user=expert)
        old = {
            "employer_name": profile.employer_name,
            "employer_credit_code": profile.employer_credit_code,
            "conflicts": profile.conflict_credit_codes,
        }
        profile.employer_name = employer_name.strip()
        profile.employer_credit_code = employer_credit_code.strip().upper()
        profile.conflict_credit_codes = sorted({c.strip().upper() for c in conflicts if c.strip()})
        profile.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=profile,
            old=old,
            new={
                "employer_name": profile.employer_name,
                "employer_credit_code": profile.employer_credit_code,
                "conflicts": profile.conflict_credit_codes,
            },
        )
    return profile


def assign(
    *, actor, application, expert_ids: list[int], panel_size: int, url: str = ""
) -> list[ExpertAssignment]:
    """Assign experts to `application` until the panel has `panel_size` members. Refused as a whole, with
    every reason, when an expert is unknown to the officer, already assigned, in conflict, or the panel would
    grow beyond its size."""
    can_assign_experts(actor, application).enforce()
    ids = list(dict.fromkeys(int(i) for i in expert_ids))
    experts = {u.pk: u for u in assignable_experts(actor).filter(pk__in=ids)}
    current = set(
        ExpertAssignment.objects.filter(application=application).values_list("expert_id", flat=True)
    )
    errors = []
    if not ids:
        errors.append({"field": "experts", "reason": _("请选择专家")})
    for pk in ids:
        expert = experts.get(pk)
        if expert is None:
            errors.append(
                {"field": "experts", "reason": _("专家 %(id)s 不存在或不在您的专家库中") % {"id": pk}}
            )
        elif pk in current:
            errors.append({"field": "experts", "reason": _("专家 %(e)s 已指派") % {"e": expert}})
        else:
            reason = conflict_reason(expert, application.enterprise)
            if reason:
                errors.append({"field": "experts", "reason": reason})
    if len(current) + len(ids) > panel_size:
        errors.append(
            {
                "field": "experts",
                "reason": _("每份申报指派 %(n)s 名专家，已指派 %(c)s 名")
                % {"n": panel_size, "c": len(current)},
            }
        )
    if errors:
        raise ValidationFailed("；".join(str(e["reason"]) for e in errors), errors)
    now = timezone.now()
    with transaction.atomic():
        made = [
            ExpertAssignment.objects.create(
                application=application, expert=experts[pk], assigned_by=actor, assigned_at=now
            )
            for pk in ids
        ]
        for a in made:
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                target=a,
                enterprise=application.enterprise,
                new={"application": application.pk, "expert": a.expert_id},
                reason=_("指派评审专家"),
            )
        notify.notify_users(
            [experts[pk] for pk in ids],
            title=_("新的评审任务：%(firm)s") % {"firm": application.enterprise.name},
            body=_("请在平台完成分项评分。"),
            url=url,
            application=application,
        )
    return made


def score_submit(*, actor, assignment: ExpertAssignment, items: list[dict], scores: dict, comment: str = ""):
    """The expert's own scores, one per item (0..the item's maximum, integers or halves). Once given they are
    final (an independent review is not revised after seeing anything). `items`: [{code, label, max}]."""
    if actor.role != Role.EXPERT or assignment.expert_id != actor.pk:
        raise NotFound(_("对象不存在或无权访问"))
    if assignment.scored_at is not None:
        raise ValidationFailed(_("您已提交评分，不能修改"), [{"field": "scores", "reason": ""}])
    parsed, errors = {}, []
    for item in items:
        raw = scores.get(item["code"])
        try:
            value = Decimal(str(raw).strip())
        except (ArithmeticError, ValueError, TypeError):
            errors.append({"field": item["code"], "reason": _("%(l)s：请填写分数") % {"l": item["label"]}})
            continue
        if not value.is_finite() or value < 0 or value > item["max"] or (value * 2) % 1:
            errors.append(
                {
                    "field": item["code"],
                    "reason": _("%(l)s：须在 0 至 %(m)s 分之间（可含 0.5 分）")
                    % {"l": item["label"], "m": item["max"]},
                }
            )
            continue
        parsed[item["code"]] = value
    if errors:
        raise ValidationFailed(_("评分有误"), errors)
    now = timezone.now()
    with transaction.atomic():
        total = sum(parsed.values(), Decimal(0))
        done = ExpertAssignment.objects.filter(pk=assignment.pk, scored_at__isnull=True).update(
            scores={k: str(v) for k, v in parsed.items()},
            items=list(items),
            total=total,
            comment=comment.strip(),
            scored_at=now,
        )
        if not done:
            raise ValidationFailed(_("您已提交评分，不能修改"), [{"field": "scores", "reason": ""}])
        assignment.refresh_from_db()
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=assignment,
            enterprise=assignment.application.enterprise,
            new={"scores": assignment.scores, "total": str(total)},
            reason=comment.strip() or _("专家评分"),
        )
    return assignment


def registry_set(
    *,
    actor,
    expert: User,
    kind: str,
    tech_fields=(),
    financial_qualification: str = "",
    practice_years: int | None = None,
    region=None,
    available: bool = True,
    load_limit: int = 10,
) -> ExpertProfile:
    """The expert registry's entry (an officer who administers the account): a technical expert by field and
    sub-field (registry.TechField codes; a sub-field implies its field), or a financial expert (195号: CPA, tax
    adviser, or a senior title with 10 years' practice); region, availability, load limit. Audited old → new."""
    from gaoqi.experts.models import ExpertKind, FinancialQualification
    from gaoqi.registry.models import TechField

    if expert.role != Role.EXPERT or not assignable_experts(actor).filter(pk=expert.pk).exists():
        raise ValidationFailed(_("该账号不是您可管理的专家"), [{"field": "expert", "reason": str(expert.pk)}])
    errors = []
    codes = sorted({str(c).strip() for c in tech_fields if str(c).strip()})
    known = {t.code: t.parent_id for t in TechField.objects.filter(code__in=codes)}
    if kind not in ExpertKind.values:
        errors.append({"field": "kind", "reason": _("请选择专家类别")})
    if kind == ExpertKind.TECHNICAL:
        if not codes:
            errors.append({"field": "tech_fields", "reason": _("技术专家须填写技术领域")})
        for c in codes:
            if c not in known:
                errors.append({"field": "tech_fields", "reason": _("未知技术领域：%(c)s") % {"c": c}})
        codes = sorted(set(codes) | {p for p in known.values() if p})
    if kind == ExpertKind.FINANCIAL:
        codes = []
        if financial_qualification not in FinancialQualification.values:
            errors.append(
                {
                    "field": "financial_qualification",
                    "reason": _("财务专家须具备注册会计师、税务师或高级职称"),
                }
            )
        elif financial_qualification == FinancialQualification.SENIOR_TITLE and (practice_years or 0) < 10:
            errors.append({"field": "practice_years", "reason": _("高级职称的财务专家须从业十年以上")})
    if not 1 <= int(load_limit) <= 1000:
        errors.append({"field": "load_limit", "reason": _("同期评审上限须为 1 至 1000 之间的整数")})
    if practice_years is not None and not 0 <= int(practice_years) <= 80:
        errors.append({"field": "practice_years", "reason": _("从业年限有误")})
    region_id = getattr(region, "pk", region)
    if region_id:
        from gaoqi.regions.models import Region

        if not Region.objects.filter(pk=str(region_id)).exists():
            errors.append({"field": "region", "reason": _("未知地区")})
    if errors:
        raise ValidationFailed(_("专家信息有误"), errors)
    keys = (
        "kind",
        "tech_fields",
        "financial_qualification",
        "practice_years",
        "region_id",
        "available",
        "load_limit",
    )
    with transaction.atomic():
        profile, _created = ExpertProfile.objects.get_or_create(user=expert)
        old = {k: getattr(profile, k) for k in keys}
        profile.kind, profile.tech_fields = kind, codes
        profile.financial_qualification = financial_qualification if kind == ExpertKind.FINANCIAL else ""
        profile.practice_years = practice_years
        profile.region_id = region_id or None
        profile.available, profile.load_limit = bool(available), int(load_limit)
        profile.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=profile,
            old=old,
            new={k: getattr(profile, k) for k in keys},
            reason=_("专家库信息"),
        )
    return profile
