"""Gap advice for the 高企后备 list: the per-firm engine on the facts of the firms shown (one bulk facts read)."""

from __future__ import annotations

from gaoqi.ledger.facts import facts_table
from gaoqi.policy import EnterpriseFacts, evaluate, load_policy


def reserve_advice(entries) -> dict[int, list[str]]:
    """enterprise id -> the HTE gap sentences (zh) for the ledger entries shown on a page."""
    entries = list(entries)
    if not entries:
        return {}
    as_of = entries[0].as_of
    policy = load_policy("hte", as_of)
    table = facts_table(as_of, [e.enterprise_id for e in entries])
    out = {}
    for row in table.iter_rows(named=True):
        eid = row.pop("enterprise_id")
        ev = evaluate(EnterpriseFacts(**row), policy, as_of, on_error="report")
        out[eid] = [g.message_zh for g in ev.gaps[:3]]
    return out
