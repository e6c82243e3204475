"""Writing rewards: budgets, computed entitlements, approval against the budget, rejection, payout.

Every write checks `scope.can_manage_rewards` (only the issuer's own officers decide), runs in one
transaction and records an audit event (who, what, old -> new, why). A budget is never exceeded silently:
approving more than what remains is refused unless the officer decides an over-commitment with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import NOT_FOUND, can_manage_rewards, scope_entitlements
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import ApplicationError, NotFound, ValidationFailed
from gaoqi.policy import ENGINE_VERSION, evaluate, load_policy
from gaoqi.policy.bulk.plan import evaluate_table, schema_of
from gaoqi.policy.core.model import jsonable
from gaoqi.policy.policies.reward.facts import RewardFacts
from gaoqi.policy.policies.reward.rules import AMOUNTS
from gaoqi.policy.policies.reward.schemes import scheme_dir
from gaoqi.rewards.facts import issuer_enterprises, reward_facts
from gaoqi.rewards.models import COMMITTED, Budget, Entitlement, EntitlementStatus, Payout

YEARS = (2019, 2100)
REASON_MAX = 500
AMOUNT_MAX_FEN = 10**15  # 10 trillion yuan: far above any budget, well inside a BigIntegerField


class Conflict(ApplicationError):
    """A decision on an entitlement that changed since the officer loaded it: nothing is overwritten."""

    status = 409


class BudgetExceeded(ValidationFailed):
    """Approval beyond the remaining budget without an explicit over-commitment decision."""


def load_scheme(issuer, year: int):
    """The issuer's reward scheme in force on 31 December of `year` (see policies/reward/schemes.py)."""
    return load_policy("reward", date(year, 12, 31), params_dir=scheme_dir(issuer.level, issuer.code))


def _year_errors(year) -> list[dict]:
    if not isinstance(year, int) or not YEARS[0] <= year <= YEARS[1]:
        return [
            {"field": "year", "reason": _("年度应在 %(a)s 至 %(b)s 之间") % {"a": YEARS[0], "b": YEARS[1]}}
        ]
    return []


def committed_fen(issuer_id: str, year: int) -> int:
    """What the issuer has approved (or paid) for `year`, in fen."""
    total = Entitlement.objects.filter(issuer_id=issuer_id, year=year, status__in=COMMITTED).aggregate(
        s=Sum("amount")
    )["s"]
    return total or 0


# --- budgets ------------------------------------------------------------------------------------------------


def budget_set(*, actor, issuer, year: int, amount: int, note: str = "") -> Budget:
    """Set the issuer's budget for `year` (fen). It may not drop below what is already committed."""
    can_manage_rewards(actor, issuer.code).enforce()
    errors = _year_errors(year)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount < AMOUNT_MAX_FEN:
        errors.append({"field": "amount", "reason": _("预算金额应为非负整数（分）")})
    if errors:
        raise ValidationFailed(_("预算有误"), errors)
    with transaction.atomic():
        budget = Budget.objects.select_for_update().filter(issuer=issuer, year=year).first()
        committed = committed_fen(issuer.code, year)
        if amount < committed:
            raise ValidationFailed(
                _("预算不能低于已批准金额"),
                [
                    {
                        "field": "amount",
                        "reason": _("已批准 %(c)s 元，预算不能低于此数") % {"c": committed / 100},
                    }
                ],
            )
        old = {"amount": budget.amount, "note": budget.note} if budget else None
        if budget is None:
            budget = Budget(issuer=issuer, year=year)
        budget.amount, budget.note, budget.updated_by = amount, (note or "").strip()[:200], actor
        budget.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE if old else AuditAction.CREATE,
            target=budget,
            old=old,
            new={"issuer": issuer.code, "year": year, "amount": amount, "note": budget.note},
            reason=budget.note,
        )
    return budget


# --- computation -------------------------------------------------------------------------------------------


@dataclass
class ComputeResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    decided: int = 0  # entitlements already decided: kept as they were decided
    firms: int = 0
    errors: list[str] = field(default_factory=list)  # firms whose facts could not be evaluated


def _candidates(facts: dict[int, RewardFacts], policy, as_of: date) -> list[int]:
    """The firms with a reward due or with facts that cannot be evaluated: the whole region is evaluated in
    bulk (the same formulas, Polars backend), then only these are evaluated one by one with their explanation.
    A province's 20,000 firms: ~0.2 s instead of ~9 s one by one."""
    if not facts:
        return []
    frame = pl.DataFrame(
        [{"_row": pk, **f.as_dict()} for pk, f in facts.items()],
        schema={"_row": pl.Int64, **schema_of(RewardFacts)},
    )
    out = evaluate_table(frame, policy, as_of)
    hits = out.filter((pl.col("score") > 0) | pl.col("errors").is_not_null())
    return hits["_row"].to_list()


def _explanation(ev, cid: str, policy) -> dict:
    criteria = [c.to_dict() for c in ev.criteria]
    return {
        "criterion": next(c for c in criteria if c["id"] == cid),
        "criteria": criteria,
        "scheme": {
            "title": policy.title_zh,
            "version": policy.version,
            "effective_from": policy.effective_from.isoformat(),
            "file": policy.source_file.rsplit("/policy/", 1)[-1],
            "illustrative": policy.illustrative,
        },
    }


def entitlements_compute(*, actor, issuer, year: int) -> ComputeResult:
    """Compute the issuer's entitlements for `year` from the registry (and the pool, see rewards.facts).

    New entitlements are created as computed; computed ones are brought up to date (or removed when no
    longer due); decided ones (approved, rejected, paid) are never rewritten. Each change is audited.
    """
    can_manage_rewards(actor, issuer.code).enforce()
    if errors := _year_errors(year):
        raise ValidationFailed(_("年度有误"), errors)
    policy = load_scheme(issuer, year)
    as_of = date(year, 12, 31)
    firms = issuer_enterprises(issuer)
    facts = reward_facts(firms, year)
    by_pk = {e.pk: e for e in firms.only("id", "credit_code", "name")}
    result = ComputeResult(firms=len(facts))
    now = timezone.now()
    due: dict[tuple[int, str], tuple[int, dict, dict]] = {}
    for pk in _candidates(facts, policy, as_of):
        f = facts[pk]
        ev = evaluate(f, policy, as_of, on_error="report", with_gaps=False)
        if ev.errors:
            result.errors.append(f"{f.credit_code}: " + "; ".join(e.reason_zh for e in ev.errors))
            continue
        for kind, cid in AMOUNTS.items():
            yuan = ev.criterion(cid).value
            if yuan:
                due[(pk, kind)] = (yuan * 100, _explanation(ev, cid, policy), jsonable(f.as_dict()))
    with transaction.atomic():
        existing = {
            (e.enterprise_id, e.kind): e
            for e in Entitlement.objects.select_for_update(of=("self",))
            .filter(issuer=issuer, year=year)
            .select_related("enterprise")
        }
        for key, ent in existing.items():
            if ent.status != EntitlementStatus.COMPUTED:
                result.decided += 1
            elif key not in due:
                audit_record(
                    actor=actor,
                    action=AuditAction.DELETE,
                    target=ent,
                    enterprise=ent.enterprise,
                    old={"kind": ent.kind, "amount": ent.amount, "param_hash": ent.param_hash},
                    reason=_("重新计算后不再符合奖励条件"),
                )
                ent.delete()
                result.removed += 1
        for (pk, kind), (fen, explanation, inputs) in due.items():
            ent = existing.get((pk, kind))
            frozen = {
                "amount": fen,
                "explanation": explanation,
                "inputs": inputs,
                "scheme": policy.title_zh[:120],
                "policy_version": policy.version,
                "engine_version": ENGINE_VERSION,
                "param_hash": policy.param_hash,
                "illustrative": policy.illustrative,
                "computed_at": now,
            }
            if ent is None:
                ent = Entitlement.objects.create(
                    enterprise=by_pk[pk], issuer=issuer, year=year, kind=kind, **frozen
                )
                audit_record(
                    actor=actor,
                    action=AuditAction.CREATE,
                    target=ent,
                    enterprise=ent.enterprise,
                    new={"kind": kind, "year": year, "issuer": issuer.code, "amount": fen},
                    reason=_("按奖励办法计算"),
                )
                result.created += 1
            elif ent.status != EntitlementStatus.COMPUTED:
                continue
            elif (ent.amount, ent.param_hash, ent.inputs) == (fen, policy.param_hash, inputs):
                result.unchanged += 1
            else:
                old = {"amount": ent.amount, "param_hash": ent.param_hash}
                for name, value in frozen.items():
                    setattr(ent, name, value)
                ent.version += 1
                ent.save()
                audit_record(
                    actor=actor,
                    action=AuditAction.UPDATE,
                    target=ent,
                    enterprise=ent.enterprise,
                    old=old,
                    new={"amount": fen, "param_hash": policy.param_hash},
                    reason=_("重新计算"),
                )
                result.updated += 1
    return result


# --- decisions ---------------------------------------------------------------------------------------------


def _reason(reason: str, *, required: bool, what: str) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(_("请填写%(w)s") % {"w": what}, [{"field": "reason", "reason": _("必填")}])
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("原因过长"), [{"field": "reason", "reason": _("不能超过 %(n)s 字") % {"n": REASON_MAX}}]
        )
    return reason


def _locked(ids, actor) -> list[Entitlement]:
    """The entitlements `ids`, locked, each one the actor may decide; missing or invisible ones: NotFound."""
    ids = sorted(set(ids))
    if not ids:
        raise ValidationFailed(_("请选择奖励"), [{"field": "ids", "reason": _("必填")}])
    found = list(
        scope_entitlements(actor, Entitlement.objects.select_for_update(of=("self",)))
        .filter(pk__in=ids)
        .select_related("enterprise", "issuer")
        .order_by("pk")
    )
    if len(found) != len(ids):
        raise NotFound(str(NOT_FOUND))
    for ent in found:
        can_manage_rewards(actor, ent.issuer_id).enforce()
    return found


def _check_versions(found: list[Entitlement], versions: dict[int, int] | None) -> None:
    stale = [e.pk for e in found if versions and e.pk in versions and versions[e.pk] != e.version]
    if stale:
        raise Conflict(_("奖励已被他人修改，请刷新后重试"), {"stale": stale})


def _all_computed(found: list[Entitlement], message: str) -> None:
    """Only computed entitlements are decided: else ValidationFailed with `message`, each other one named."""
    not_open = [e.pk for e in found if e.status != EntitlementStatus.COMPUTED]
    if not_open:
        raise ValidationFailed(message, [{"field": "ids", "reason": str(pk)} for pk in not_open])


def _decide(e: Entitlement, *, actor, now, status: str, reason: str, new: dict, fields: tuple = ()) -> None:
    """Write the decision on a computed entitlement (version + 1; `fields`: what the caller set besides) and
    audit it (old status computed → `new`)."""
    e.status, e.decided_by, e.decided_at, e.decision_reason = status, actor, now, reason
    e.version += 1
    e.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", *fields, "version"])
    audit_record(
        actor=actor,
        action=AuditAction.DECISION,
        target=e,
        enterprise=e.enterprise,
        old={"status": EntitlementStatus.COMPUTED},
        new=new,
        reason=reason,
    )


def entitlements_approve(
    *, actor, ids, reason: str = "", over_commit: bool = False, versions: dict[int, int] | None = None
) -> list[Entitlement]:
    """Approve a batch of computed entitlements with one reason, all or nothing.

    Per issuer and year the batch must fit in the remaining budget (budget minus what is already approved).
    Beyond it the whole batch is refused with the figures, unless `over_commit` is set with a reason: then it
    is approved, each entitlement marked as an over-commitment and the decision audited with the figures.
    """
    with transaction.atomic():
        found = _locked(ids, actor)
        _check_versions(found, versions)
        reason = _reason(reason, required=over_commit, what=_("超预算批准的理由"))
        _all_computed(found, _("只能批准待审核的奖励"))
        groups: dict[tuple[str, int], list[Entitlement]] = {}
        for e in found:
            groups.setdefault((e.issuer_id, e.year), []).append(e)
        positions = {}
        for (issuer_id, year), items in groups.items():
            budget = Budget.objects.select_for_update().filter(issuer_id=issuer_id, year=year).first()
            total = budget.amount if budget else 0
            committed = committed_fen(issuer_id, year)
            asked = sum(e.amount for e in items)
            positions[(issuer_id, year)] = (total, committed, asked, committed + asked > total)
        over = {k: v for k, v in positions.items() if v[3]}
        if over and not over_commit:
            raise BudgetExceeded(
                _("超出预算：本次批准金额超过剩余预算，需明确作出超预算批准决定并说明理由"),
                [
                    {
                        "field": "over_commit",
                        "reason": _(
                            "%(i)s %(y)s年：预算 %(b)s 元，已批准 %(c)s 元，剩余 %(r)s 元，本次 %(a)s 元"
                        )
                        % {
                            "i": issuer_id,
                            "y": year,
                            "b": total / 100,
                            "c": committed / 100,
                            "r": (total - committed) / 100,
                            "a": asked / 100,
                        },
                    }
                    for (issuer_id, year), (total, committed, asked, _x) in over.items()
                ],
            )
        now = timezone.now()
        for e in found:
            total, committed, asked, exceeded = positions[(e.issuer_id, e.year)]
            e.over_commitment = exceeded
            new = {"status": EntitlementStatus.APPROVED, "amount": e.amount}
            if exceeded:
                new.update(
                    over_commitment=True,
                    budget=total,
                    committed_before=committed,
                    batch_amount=asked,
                    exceeded_by=committed + asked - total,
                )
            _decide(
                e,
                actor=actor,
                now=now,
                status=EntitlementStatus.APPROVED,
                reason=reason,
                new=new,
                fields=("over_commitment",),
            )
    return found


def entitlement_reject(
    *, actor, ids, reason: str, versions: dict[int, int] | None = None
) -> list[Entitlement]:
    """Decide not to pay computed entitlements (a reason is required)."""
    with transaction.atomic():
        found = _locked(ids, actor)
        _check_versions(found, versions)
        reason = _reason(reason, required=True, what=_("不予发放的理由"))
        _all_computed(found, _("只能处理待审核的奖励"))
        now = timezone.now()
        for e in found:
            status = EntitlementStatus.REJECTED
            _decide(e, actor=actor, now=now, status=status, reason=reason, new={"status": status})
    return found


def payout_record(*, actor, entitlement_id: int, paid_on: date, amount: int, voucher_no: str) -> Payout:
    """Record the payment of an approved entitlement: the full amount, a date not in the future, a voucher."""
    voucher_no = (voucher_no or "").strip()
    with transaction.atomic():
        (e,) = _locked([entitlement_id], actor)
        errors = []
        if e.status != EntitlementStatus.APPROVED:
            errors.append({"field": "status", "reason": _("只能为已批准的奖励登记拨付")})
        if amount != e.amount:
            errors.append(
                {"field": "amount", "reason": _("拨付金额应等于核定金额 %(a)s 元") % {"a": e.amount / 100}}
            )
        if paid_on is None or paid_on > timezone.localdate():
            errors.append({"field": "paid_on", "reason": _("拨付日期不能为空或晚于今天")})
        elif e.decided_at and paid_on < timezone.localdate(e.decided_at):
            errors.append({"field": "paid_on", "reason": _("拨付日期不能早于批准日期")})
        if not voucher_no or len(voucher_no) > 40:
            errors.append({"field": "voucher_no", "reason": _("请填写凭证号（不超过40字）")})
        if errors:
            raise ValidationFailed(_("拨付信息有误"), errors)
        payout = Payout.objects.create(
            entitlement=e, paid_on=paid_on, amount=amount, voucher_no=voucher_no, recorded_by=actor
        )
        e.status = EntitlementStatus.PAID
        e.version += 1
        e.save(update_fields=["status", "version"])
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=e,
            enterprise=e.enterprise,
            old={"status": EntitlementStatus.APPROVED},
            new={"status": e.status, "paid_on": paid_on, "amount": amount, "voucher_no": voucher_no},
            reason=_("拨付登记"),
        )
    return payout
