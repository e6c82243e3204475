"""The audit log's hash chain: each event carries the hash of the one before it.

hash(event) = SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of its fields and `prev_hash`.
Editing, deleting, inserting or reordering an event breaks the chain at that point; `verify` names the first
event where it breaks. Rebuilding the whole chain after a change is detected by comparing with a chain head
exported earlier (`gaoqi audit head`, logged at each `gaoqi audit verify`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder

GENESIS = "0" * 64

# The fields the hash covers, in the order they are written into the canonical document.
HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "enterprise_id",
    "enterprise_code",
    "enterprise_name",
    "old",
    "new",
    "reason",
    "prev_hash",
)


def normalise_json(value):
    """The value as it reads back from a JSON column (dates and Decimals become strings)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _at(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: dict) -> bytes:
    doc = {name: fields.get(name) for name in HASHED_FIELDS}
    doc["at"] = _at(doc["at"])
    doc["old"], doc["new"] = normalise_json(doc["old"]), normalise_json(doc["new"])
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(fields: dict) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


def fields_of(event) -> dict:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


@dataclass(frozen=True)
class Verdict:
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    broken_id: int | None = None
    broken_seq: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.events} events, head seq {self.head_seq} hash {self.head_hash}"
        return (
            f"audit chain BROKEN at event id={self.broken_id} seq={self.broken_seq}: {self.problem} "
            f"({self.events} events checked before it)"
        )


def verify(events, *, head=None, expect: tuple[int, str] | None = None) -> Verdict:
    """Walk `events` (ordered by seq) and check each link.

    `head` is the stored chain head (seq, hash) that the last event must match (a deleted last event);
    `expect` a head exported earlier (seq, hash) that must still be in the chain (a rebuilt chain)."""
    prev_hash, prev_seq, count = GENESIS, 0, 0
    expect_seen = expect is None or expect[0] == 0
    last_id = None

    def broken(event, problem):
        return Verdict(False, count, prev_seq, prev_hash, event.pk, event.seq, problem)

    for event in events:
        if event.seq != prev_seq + 1:
            what = "missing" if event.seq > prev_seq + 1 else "out of order"
            return broken(event, f"expected seq {prev_seq + 1}, found {event.seq} (an event is {what})")
        if event.prev_hash != prev_hash:
            return broken(
                event, "prev_hash does not match the previous event's hash (inserted or removed event)"
            )
        if event_hash(fields_of(event)) != event.hash:
            return broken(event, "the event's content does not match its hash (edited event)")
        if expect and event.seq == expect[0]:
            if event.hash != expect[1]:
                return broken(event, f"differs from the exported head {expect[1]} (chain rebuilt)")
            expect_seen = True
        prev_hash, prev_seq, last_id = event.hash, event.seq, event.pk
        count += 1
    if head is not None and (head[0], head[1]) != (prev_seq, prev_hash):
        return Verdict(
            False,
            count,
            prev_seq,
            prev_hash,
            last_id,
            prev_seq,
            f"the chain ends at seq {prev_seq} but the stored head is seq {head[0]} hash {head[1]} "
            "(events removed or appended at the end)",
        )
    if not expect_seen:
        return Verdict(
            False, count, prev_seq, prev_hash, last_id, prev_seq, f"the exported head seq {expect[0]} is gone"
        )
    return Verdict(True, count, prev_seq, prev_hash)
