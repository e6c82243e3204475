"""Writing R&D institutions, their status, the action tags and the annual performance evaluation.

Every write: scope first (accounts.scope: forbidden answers like missing), validation, one transaction, one
audit event per decision (who, what, old → new, why). The evaluation calls the engine's `rnd_institution`
policy; no rule is written here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can_manage_rnd
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record, changed_fields
from gaoqi.errors import ValidationFailed
from gaoqi.policy import RndInstitutionFacts, evaluate, load_policy, validate_facts
from gaoqi.rnd.models import (
    ActionTier,
    InstitutionKind,
    InstitutionLevel,
    InstitutionPerformance,
    InstitutionStatus,
    RndActionTag,
    RndInstitution,
)

NAME_MAX, SOURCE_MAX = 120, 200
EARLIEST = date(1980, 1, 1)
PERFORMANCE_FIELDS = (
    "rnd_spend",
    "revenue",
    "rnd_staff",
    "employees",
    "invention_patents",
    "other_ip",
    "key_breakthroughs",
)
EVALUATED_LEVELS = (InstitutionLevel.PROVINCIAL,)


def institution_snapshot(inst: RndInstitution) -> dict:
    return {
        "name": inst.name,
        "kind": inst.kind,
        "level": inst.level,
        "enterprise": inst.enterprise.credit_code,
        "recognized_on": inst.recognized_on,
        "status": inst.status,
        "ended_on": inst.ended_on,
        "source": inst.source,
    }


def institution_errors(
    *,
    name: str,
    kind: str,
    level: str,
    recognized_on: date | None,
    status: str,
    ended_on: date | None,
    today: date,
) -> list[dict]:
    errors = []
    if not name.strip():
        errors.append({"field": "name", "reason": _("请填写研发机构名称")})
    elif len(name) > NAME_MAX:
        errors.append({"field": "name", "reason": _("名称不能超过 %(n)s 字") % {"n": NAME_MAX}})
    if kind not in InstitutionKind.values:
        errors.append({"field": "kind", "reason": _("未知的研发机构类型")})
    if level not in InstitutionLevel.values:
        errors.append({"field": "level", "reason": _("未知的研发机构级别")})
    if recognized_on is None:
        errors.append({"field": "recognized_on", "reason": _("请填写认定日期")})
    elif recognized_on > today:
        errors.append({"field": "recognized_on", "reason": _("认定日期不能晚于今天")})
    elif recognized_on < EARLIEST:
        errors.append({"field": "recognized_on", "reason": _("认定日期不能早于 1980 年")})
    if status not in InstitutionStatus.values:
        errors.append({"field": "status", "reason": _("未知的状态")})
    elif status == InstitutionStatus.VALID and ended_on is not None:
        errors.append({"field": "ended_on", "reason": _("有效的研发机构不应填写撤销或失效日期")})
    elif status != InstitutionStatus.VALID and ended_on is None:
        errors.append({"field": "ended_on", "reason": _("已撤销或已失效的研发机构须填写撤销或失效日期")})
    if ended_on is not None and recognized_on is not None and ended_on < recognized_on:
        errors.append({"field": "ended_on", "reason": _("撤销或失效日期不能早于认定日期")})
    if ended_on is not None and ended_on > today:
        errors.append({"field": "ended_on", "reason": _("撤销或失效日期不能晚于今天")})
    return errors


def institution_create(
    *,
    actor,
    enterprise,
    name: str,
    kind: str,
    level: str,
    recognized_on: date | None,
    status: str = InstitutionStatus.VALID,
    ended_on: date | None = None,
    source: str = "",
) -> RndInstitution:
    """Register an institution hosted by `enterprise` (an officer whose region holds the firm)."""
    can_manage_rnd(actor, enterprise).enforce()
    name, source = (name or "").strip(), (source or "").strip()[:SOURCE_MAX]
    errors = institution_errors(
        name=name,
        kind=kind,
        level=level,
        recognized_on=recognized_on,
        status=status,
        ended_on=ended_on,
        today=timezone.localdate(),
    )
    if (
        not errors
        and RndInstitution.objects.filter(enterprise=enterprise, kind=kind, level=level, name=name).exists()
    ):
        errors.append({"field": "name", "reason": _("该企业已登记同名、同类型、同级别的研发机构")})
    if errors:
        raise ValidationFailed(_("研发机构信息有误"), errors)
    with transaction.atomic():
        inst = RndInstitution.objects.create(
            enterprise=enterprise,
            name=name,
            kind=kind,
            level=level,
            recognized_on=recognized_on,
            status=status,
            ended_on=ended_on,
            source=source,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=inst,
            enterprise=enterprise,
            new=institution_snapshot(inst),
        )
    return inst


def institution_set_status(
    *, actor, institution: RndInstitution, status: str, ended_on: date | None = None, reason: str = ""
) -> RndInstitution:
    """Revoke (撤销), mark lapsed (失效) or restore an institution. A reason is required."""
    can_manage_rnd(actor, institution.enterprise).enforce()
    reason = (reason or "").strip()
    if status == InstitutionStatus.VALID:
        ended_on = None
    errors = institution_errors(
        name=institution.name,
        kind=institution.kind,
        level=institution.level,
        recognized_on=institution.recognized_on,
        status=status,
        ended_on=ended_on,
        today=timezone.localdate(),
    )
    if not reason:
        errors.append({"field": "reason", "reason": _("请填写变更原因")})
    if errors:
        raise ValidationFailed(_("研发机构状态变更有误"), errors)
    with transaction.atomic():
        before = institution_snapshot(institution)
        institution.status, institution.ended_on = status, ended_on
        old, new = changed_fields(before, institution_snapshot(institution))
        if not new:
            return institution
        institution.save(update_fields=["status", "ended_on", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=institution,
            enterprise=institution.enterprise,
            old=old,
            new=new,
            reason=reason,
        )
    return institution


def action_tag_set(*, actor, enterprise, tier: str | None, year: int | None = None, reason: str = ""):
    """Put a firm in 百企示范 / 千企试点 / 万企行动 (`tier`), or take it out (`tier` None)."""
    can_manage_rnd(actor, enterprise).enforce()
    if tier is not None and tier not in ActionTier.values:
        raise ValidationFailed(
            _("研发机构建设行动标记有误"), [{"field": "tier", "reason": _("未知的行动类别")}]
        )
    year = year or timezone.localdate().year
    with transaction.atomic():
        tag = RndActionTag.objects.select_for_update().filter(enterprise=enterprise).first()
        old = {"tier": tag.tier, "year": tag.year} if tag else {"tier": None}
        if tier is None:
            if tag is None:
                return None
            audit_record(
                actor=actor,
                action=AuditAction.DELETE,
                target=tag,
                enterprise=enterprise,
                old=old,
                reason=reason,
            )
            tag.delete()
            return None
        if tag is not None and tag.tier == tier and tag.year == year:
            return tag
        if tag is None:
            tag = RndActionTag.objects.create(enterprise=enterprise, tier=tier, year=year)
            action = AuditAction.CREATE
        else:
            tag.tier, tag.year = tier, year
            tag.save(update_fields=["tier", "year"])
            action = AuditAction.UPDATE
        audit_record(
            actor=actor,
            action=action,
            target=tag,
            enterprise=enterprise,
            old=old if action == AuditAction.UPDATE else None,
            new={"tier": tier, "year": year},
            reason=reason,
        )
    return tag


# --- Annual performance evaluation (the engine's `rnd_institution` policy) ----------------------------------


def evaluation_date(year: int) -> date:
    """The evaluation of year Y is made as of 31 December of Y (the parameters in force then)."""
    return date(year, 12, 31)


def _facts(institution: RndInstitution, inputs: dict) -> RndInstitutionFacts:
    return RndInstitutionFacts(
        institution_id=str(institution.pk),
        credit_code=institution.enterprise.credit_code,
        name=institution.name,
        **{f: inputs.get(f) for f in PERFORMANCE_FIELDS},
    )


def _input_errors(inputs: dict) -> list[dict]:
    errors = []
    for f in PERFORMANCE_FIELDS:
        v = inputs.get(f)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            errors.append({"field": f, "reason": _("应为整数")})
        elif v is not None and v < 0:
            errors.append({"field": f, "reason": _("不能为负数")})
    return errors


def performance_record(*, actor, institution: RndInstitution, year: int, reason: str = "", **inputs):
    """Record a provincial institution's inputs for `year` and store the engine's grade. A second call for the
    same year replaces the inputs (audited old → new); the same inputs again change nothing."""
    can_manage_rnd(actor, institution.enterprise).enforce()
    today = timezone.localdate()
    errors = []
    if institution.level not in EVALUATED_LEVELS:
        errors.append({"field": "institution", "reason": _("绩效评价只针对省级研发机构")})
    if not isinstance(year, int) or year < 2019 or year > today.year:
        errors.append({"field": "year", "reason": _("年度应在 2019 年至今年之间")})
    elif not institution.is_valid_on(date(year, 1, 1)) and not institution.is_valid_on(evaluation_date(year)):
        errors.append({"field": "year", "reason": _("该研发机构在该年度不处于有效状态")})
    errors += _input_errors(inputs)
    if errors:
        raise ValidationFailed(_("绩效评价数据有误"), errors)
    as_of = evaluation_date(year)
    policy = load_policy("rnd_institution", as_of)
    facts = _facts(institution, inputs)
    field_errors = validate_facts(facts, policy, as_of=as_of)
    if field_errors:
        raise ValidationFailed(
            _("绩效评价数据有误"), [{"field": e.field, "reason": e.reason_zh} for e in field_errors]
        )
    ev = evaluate(facts, policy, as_of, with_gaps=False)
    result = _result_columns(ev, policy)
    with transaction.atomic():
        row = (
            InstitutionPerformance.objects.select_for_update()
            .filter(institution=institution, year=year)
            .first()
        )
        before = {f: getattr(row, f) for f in PERFORMANCE_FIELDS} | {"grade": row.grade} if row else {}
        values = {f: inputs[f] for f in PERFORMANCE_FIELDS} | result
        if row is None:
            row = InstitutionPerformance.objects.create(
                institution=institution, year=year, recorded_by=actor, **values
            )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                target=row,
                enterprise=institution.enterprise,
                new={f: values[f] for f in PERFORMANCE_FIELDS} | {"year": year, "grade": values["grade"]},
                reason=reason,
            )
            return row
        after = {f: values[f] for f in PERFORMANCE_FIELDS} | {"grade": values["grade"]}
        old, new = changed_fields(before, after)
        if not new and row.param_hash == values["param_hash"]:
            return row
        for k, v in values.items():
            setattr(row, k, v)
        row.recorded_by = actor
        row.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=row,
            enterprise=institution.enterprise,
            old=old,
            new=new,
            reason=reason or _("重新评价"),
        )
    return row


def _result_columns(ev, policy) -> dict:
    """The stored columns of one evaluation: outcome, grade and its rank, exact total, per-dimension points."""
    data = ev.to_dict()
    total_crit = next(c for c in ev.criteria if c.id == "rnd_institution.total")
    grades = policy.params["grade.bands"].value
    rank = {r.label: r.points_min for r in grades.rows}[data["grade"]]
    total = Decimal(str(total_crit.value)).quantize(Decimal("0.01"))
    return {
        "outcome": data["outcome"],
        "grade": data["grade"],
        "grade_rank": rank,
        "total": total,
        "criteria": [
            {"id": c["id"], "points": c.get("points"), "value": c.get("value")} for c in data["criteria"]
        ],
        "policy_version": data["policy_version"],
        "param_hash": data["param_hash"],
        "engine_version": data["engine_version"],
        "evaluated_on": ev_as_of(data),
    }


def ev_as_of(data: dict) -> date:
    return date.fromisoformat(data["as_of"])
