"""The firm's name on its ledger entry: the ledger's name search reads the entries alone (no join to the
register), through the entries' own gram index (registry.name_search; PostgreSQL: the GIN index below,
migration 0008; SQLite: the register's gram table, joined on the firm's id, as the two names are equal).

The entry's name and pinyin key are its firm's: the re-evaluation writes them from the register, and every
write that renames a firm calls `follow_renames` in its transaction (`registry.services.enterprise_update`,
an import's commit and its revert, `intake.writes`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from gaoqi.ledger.models import LedgerEntry
from gaoqi.registry.name_search import Names

PG_INDEX = "ledger_name_grams"
LEDGER = Names("ledger.LedgerEntry", "enterprise_id", PG_INDEX)
BATCH = 5_000  # firms per UPDATE (SQLite's parameter limit)


def follow_renames(enterprise_ids: Iterable[int]) -> int:
    """The ledger entries of these firms take their firms' current name and pinyin key (as stored in the
    register, which every writer keeps); the number of entries written."""
    from gaoqi.registry.models import Enterprise

    ids = sorted(set(enterprise_ids))
    firm = Enterprise.objects.filter(pk=OuterRef("enterprise_id"))
    written = 0
    for start in range(0, len(ids), BATCH):
        written += LedgerEntry.objects.filter(enterprise_id__in=ids[start : start + BATCH]).update(
            name=Subquery(firm.values("name")[:1]), name_pinyin=Subquery(firm.values("name_pinyin")[:1])
        )
    return written
