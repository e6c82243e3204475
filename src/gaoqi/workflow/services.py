"""The one transition service: every phase change of every programme's applications goes through here.

`transition()` applies one row of a programme's table (gaoqi.workflow.table): permission through
gaoqi.accounts.scope, the version the caller saw (optimistic concurrency), the guards by name, the reason,
then the new phase, a decision-history row with the frozen evaluation snapshot, an audit event and the
notifications, all in one transaction. `transition_batch()` does the same for many applications with one
reason (each one decided, audited and notified on its own; the others are not held back by one refusal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import NOT_FOUND, can_transition, scope_applications
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import PendingEvent, audit_record, audit_record_many
from gaoqi.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from gaoqi.registry.models import Enterprise
from gaoqi.workflow import notify
from gaoqi.workflow.errors import Conflict, GuardFailed
from gaoqi.workflow.models import Application, Decision
from gaoqi.workflow.table import Programme, Transition, programme

REASON_MAX = 2000


def _programme(application) -> Programme:
    return programme(application.programme)


def _deadline(prog: Programme, phase: str, now):
    days = prog.phase(phase).deadline_days
    return now + timedelta(days=days) if days else None


def application_create(
    *, actor, programme_code: str, enterprise: Enterprise, year: int, **fields
) -> Application:
    """A new application in the programme's initial phase (the programme's service checks who may start one)."""
    prog = programme(programme_code)
    now = timezone.now()
    with transaction.atomic():
        app = Application.objects.create(
            programme=prog.code,
            year=year,
            enterprise=enterprise,
            city_id=enterprise.city_id,
            county_id=enterprise.county_id,
            phase=prog.initial,
            phase_since=now,
            deadline=_deadline(prog, prog.initial, now),
            **fields,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=app,
            enterprise=enterprise,
            new={"programme": prog.code, "year": year, "phase": app.phase},
        )
    return app


def _check(
    actor, app: Application, prog: Programme, action: str, reason: str, version: int | None, ctx
) -> Transition:
    """Everything that may refuse a transition, in the order that leaks nothing: scope, version, table, role,
    reason, guards. Raises; returns the transition to apply."""
    t = prog.find(app.phase, action)
    roles = t.roles if t else frozenset(r for tr in prog.transitions for r in tr.roles)
    decision = can_transition(actor, app, roles)
    if decision.hidden:
        raise NotFound(str(NOT_FOUND))
    if version is not None and int(version) != app.version:
        raise Conflict(
            _("该申报已被他人处理（您看到的是第 %(seen)s 版，当前为第 %(now)s 版），请刷新后重新操作")
            % {"seen": version, "now": app.version},
            {"version": app.version, "phase": app.phase},
        )
    if t is None:
        raise ValidationFailed(
            _("当前环节（%(phase)s）不能执行此操作") % {"phase": prog.label_of(app.phase)},
            [{"field": "action", "reason": action}],
        )
    decision.enforce()
    if t.reason_required and not reason.strip():
        raise ValidationFailed(_("请填写理由"), [{"field": "reason", "reason": _("此操作须说明理由")}])
    failed = []
    for name in t.guards:
        message = prog.guards[name](app, ctx)
        if message:
            failed.append({"guard": name, "message": str(message)})
    if failed:
        raise GuardFailed("；".join(f["message"] for f in failed), {"guards": failed})
    return t


def _apply(actor, app: Application, prog: Programme, t: Transition, reason: str, now, ctx) -> PendingEvent:
    """Write one checked transition (inside the caller's transaction); returns its audit event to record."""
    seen = app.version
    if "evaluation" in t.records and prog.freeze is not None:
        app.snapshot = prog.freeze(app, ctx)
    changes = {
        "phase": t.target,
        "version": F("version") + 1,
        "phase_since": now,
        "deadline": _deadline(prog, t.target, now),
    }
    if "evaluation" in t.records:
        changes["snapshot"] = app.snapshot
    if "evaluation" in t.records and app.submitted_at is None:  # the first submission
        changes["submitted_at"] = now
    if "remarks" in t.records:
        changes["remarks"] = reason
    # The conditional update is the concurrency check that holds under a race: only one writer sees `seen`.
    if not Application.objects.filter(pk=app.pk, version=seen).update(**changes):
        current = Application.objects.filter(pk=app.pk).values_list("version", flat=True).first()
        raise Conflict(_("该申报已被他人处理，请刷新后重新操作"), {"version": current, "phase": app.phase})
    source = app.phase
    for key, value in changes.items():
        setattr(app, key, value)
    app.version = seen + 1
    decision = Decision.objects.create(
        application=app,
        actor=actor,
        action=t.action,
        from_phase=source,
        to_phase=t.target,
        reason=reason,
        at=now,
        version=app.version,
        snapshot=app.snapshot,
    )
    effect = prog.effects.get(t.action)
    if effect is not None:
        effect(app, ctx)
    # The audit event, appended to the chain by the caller (one locked step for a whole batch).
    return PendingEvent(
        actor=actor,
        action=AuditAction.DECISION,
        target_type=app._meta.label_lower,
        target_id=str(app.pk),
        enterprise=app.enterprise,
        old={"phase": source, "version": seen},
        new={"phase": t.target, "version": app.version, "action": t.action, "decision": decision.pk},
        reason=reason or str(t.label),
    )


def _notifications(prog: Programme, app: Application, t: Transition, reason: str, recipients, now) -> list:
    if not t.notify:
        return []
    title = _("%(programme)s：%(firm)s %(action)s，当前环节：%(phase)s") % {
        "programme": prog.label,
        "firm": app.enterprise.name,
        "action": t.label,
        "phase": prog.label_of(app.phase),
    }
    body = _("理由：%(reason)s") % {"reason": reason} if reason else ""
    url = f"/programmes/applications/{app.pk}/"
    return [
        notify.build(u, title=title, body=body, url=url, application=app, now=now)
        for u in recipients.for_transition(prog, app, t.notify)
    ]


def transition(
    *,
    actor,
    application: Application,
    action: str,
    reason: str = "",
    version: int | None,
    extra: dict | None = None,
) -> Application:
    """Apply `action` to `application` as `actor` (None: the system, for scheduled jobs).

    `version` is the version the caller saw (required from people; a stale one raises Conflict and nothing is
    written). Raises NotFound (outside the actor's reach), Conflict, ValidationFailed (no such action in this
    phase, missing reason), PermissionDenied (role or level), GuardFailed (a condition does not hold).
    """
    reason = (reason or "").strip()[:REASON_MAX]
    if actor is not None and version is None:
        raise ValidationFailed(_("缺少版本号"), [{"field": "version", "reason": _("须提交您看到的版本号")}])
    prog = _programme(application)
    now = timezone.now()
    ctx = {"actor": actor, "now": now, "reason": reason, **(extra or {})}
    with transaction.atomic():
        t = _check(actor, application, prog, action, reason, version, ctx)
        audit_record_many([_apply(actor, application, prog, t, reason, now, ctx)])
        notify.queue(_notifications(prog, application, t, reason, notify.Recipients([application]), now))
    return application


@dataclass
class BatchResult:
    done: list[int] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)  # {id, status, message}

    def as_dict(self) -> dict:
        return {"done": self.done, "refused": self.refused}


def transition_batch(
    *, actor, items: list[tuple[int, int | None]], action: str, reason: str = "", extra: dict | None = None
) -> BatchResult:
    """Apply one action with one reason to many applications: `items` are (id, version seen) pairs.

    Each application is checked, decided, audited and notified on its own; one that is refused (stale version,
    failed guard, out of reach: "not found") is reported and the others go ahead. All writes of the batch are
    one transaction: the result is all the decisions that were allowed, or none if the database fails.
    """
    reason = (reason or "").strip()[:REASON_MAX]
    seen = {int(pk): v for pk, v in items}
    # actor None is the system (scheduled jobs call it; no page or API can): the table decides what it may do.
    base = Application.objects.all() if actor is None else scope_applications(actor)
    apps = {a.pk: a for a in base.filter(pk__in=list(seen)).select_related("enterprise").order_by()}
    result = BatchResult()
    now = timezone.now()
    ctx = {"actor": actor, "now": now, "reason": reason, **(extra or {})}
    with transaction.atomic():
        decided: list[tuple[Application, Transition]] = []
        events: list[PendingEvent] = []
        for pk, version in seen.items():
            app = apps.get(pk)
            if app is None:
                result.refused.append({"id": pk, "status": 404, "message": str(NOT_FOUND)})
                continue
            if actor is not None and version is None:
                result.refused.append({"id": pk, "status": 422, "message": _("缺少版本号")})
                continue
            prog = _programme(app)
            try:
                t = _check(actor, app, prog, action, reason, version, ctx)
                if t.action in prog.effects:
                    with transaction.atomic():  # an effect that fails undoes this application only
                        events.append(_apply(actor, app, prog, t, reason, now, ctx))
                else:  # _apply refuses (Conflict) before its first write: no savepoint needed
                    events.append(_apply(actor, app, prog, t, reason, now, ctx))
            except (Conflict, GuardFailed, ValidationFailed, PermissionDenied, NotFound) as exc:
                result.refused.append({"id": pk, "status": exc.status, "message": exc.message})
                continue
            decided.append((app, t))
            result.done.append(pk)
        audit_record_many(events)
        if decided:
            recipients = notify.Recipients([a for a, _t in decided])
            notes = []
            for app, t in decided:
                notes += _notifications(_programme(app), app, t, reason, recipients, now)
            notify.queue(notes)
    return result


def available_actions(actor, application: Application) -> list[Transition]:
    """The transitions `actor` may take on `application` now (role and scope; guards are checked on submit)."""
    prog = _programme(application)
    return [t for t in prog.actions_from(application.phase) if can_transition(actor, application, t.roles)]


__all__ = [
    "ApplicationError",
    "BatchResult",
    "application_create",
    "available_actions",
    "transition",
    "transition_batch",
]
