"""Recording audit events. Called by services inside their transaction, never by views.

Every event is appended to the hash chain (gaoqi.audit.chain): the chain head row is locked, the event gets the
next position and the head's hash as `prev_hash`, and the head moves on, all in the caller's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone

from gaoqi.audit.chain import GENESIS, event_hash, fields_of, verify
from gaoqi.audit.models import AuditAction, AuditChainHead, AuditEvent

log = logging.getLogger("gaoqi.audit")


@dataclass
class PendingEvent:
    """An event to append (see `audit_record_many`)."""

    actor: object
    action: str
    target_type: str
    target_id: str
    enterprise: object = None
    enterprise_id: int | None = None
    old: dict | None = None
    new: dict | None = None
    reason: str = ""
    extra: dict = field(default_factory=dict)


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # a database flushed by a test, or a fresh one: the head is (re)created once
        AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def _firms_by_id(pending: list[PendingEvent]) -> dict[int, tuple[str, str]]:
    """Credit code and name of the firms named by id only (bulk imports): one query."""
    ids = {p.enterprise_id for p in pending if p.enterprise is None and p.enterprise_id is not None}
    if not ids:
        return {}
    from gaoqi.registry.models import Enterprise

    return {
        pk: (code, name)
        for pk, code, name in Enterprise.objects.filter(pk__in=ids).values_list("pk", "credit_code", "name")
    }


def _event(pending: PendingEvent, seq: int, prev_hash: str, at, firms: dict) -> AuditEvent:
    firm = pending.enterprise
    if firm is None and pending.enterprise_id in firms:
        code, name = firms[pending.enterprise_id]
    else:
        code, name = getattr(firm, "credit_code", "") or "", getattr(firm, "name", "") or ""
    actor = pending.actor
    real_actor = getattr(actor, "pk", None) is not None
    event = AuditEvent(
        actor_id=actor.pk if real_actor else None,
        actor_name=(actor.get_username() if real_actor else "")[:150],
        at=at,
        action=str(pending.action),
        target_type=pending.target_type,
        target_id=pending.target_id,
        enterprise_id=firm.pk if firm is not None else pending.enterprise_id,
        enterprise_code=code,
        enterprise_name=name[:120],
        old=pending.old,
        new=pending.new,
        reason=(pending.reason or "")[:500],
        seq=seq,
        prev_hash=prev_hash,
    )
    event.hash = event_hash(fields_of(event))
    return event


def audit_record_many(pending: list[PendingEvent], *, batch_size: int = 1000) -> list[AuditEvent]:
    """Append several events in order, in one locked step (bulk imports)."""
    if not pending:
        return []
    firms = _firms_by_id(pending)
    with transaction.atomic():
        head = _locked_head()
        at = timezone.now()
        events, seq, prev = [], head.seq, head.hash
        for item in pending:
            seq += 1
            event = _event(item, seq, prev, at, firms)
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events, batch_size=batch_size)
        head.seq, head.hash, head.at = seq, prev, at
        head.save(update_fields=["seq", "hash", "at"])
    return events


def audit_record(
    *,
    actor,
    action: AuditAction,
    target: models.Model,
    enterprise=None,
    old: dict | None = None,
    new: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    pending = PendingEvent(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        enterprise=enterprise,
        old=old,
        new=new,
        reason=reason,
    )
    return audit_record_many([pending])[0]


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """The old and new values of the keys that differ."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def chain_head() -> tuple[int, str]:
    """The stored chain head (seq, hash): what to export so that a rebuilt chain is detectable later."""
    head = AuditChainHead.objects.filter(pk=1).first()
    return (head.seq, head.hash) if head else (0, GENESIS)


def chain_verify(*, expect: tuple[int, str] | None = None):
    """Check the whole chain against its stored head (and an exported head, if given); logs the result."""
    events = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
    verdict = verify(events, head=chain_head(), expect=expect)
    (log.info if verdict.ok else log.error)(verdict.describe())
    return verdict
