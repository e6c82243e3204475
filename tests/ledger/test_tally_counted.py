"""A re-evaluation of every firm counts the ledger's tally from its own entry rows (`tally.Counts`) instead of
grouping the ledger again afterwards: the tally it stores is, row for row, the one `tally.refresh()` rebuilds
from the entries, across a first run, new dates, an import and a new reporting year. Both paths."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from django.db import connection
from django.db.models import Q

from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger import tally
from gaoqi.ledger.models import LISTS, LedgerEntry, LedgerTally
from gaoqi.ledger.services import reevaluate
from gaoqi.registry.models import AnnualReport

D1, D2, D3 = date(2025, 6, 30), date(2025, 9, 30), date(2026, 3, 31)
PATHS = [False, True] if connection.vendor == "postgresql" else [False]
COLUMNS = ("list", *tally.GROUPED, "n", "as_of", "source_updated_at")


@pytest.fixture
def loaded(db):
    load(generate(120, 11, D1), progress=False)


def _tally() -> list[tuple]:
    return sorted(LedgerTally.objects.values_list(*COLUMNS))


def _rebuilt() -> list[tuple]:
    assert tally.refresh(force=True) > 0
    return _tally()


@pytest.mark.parametrize("bulk", PATHS)
def test_a_run_over_every_firm_stores_the_tally_a_rebuild_makes(loaded, bulk):
    reevaluate(as_of=D1, bulk=bulk)  # the first run: every entry written
    assert tally.current() and tally.refresh() == 0  # counted by the run: nothing left to rebuild
    assert _tally() == _rebuilt()
    counted = _tally()
    assert {r[0] for r in counted} == {"all", *LISTS}

    reevaluate(as_of=D2, bulk=bulk)  # a new date, nothing imported
    assert _tally() == _rebuilt()

    # An import: no R&D spending in a third of the latest reports, tiers and lists change
    reports = list(AnnualReport.objects.filter(year=D1.year - 1).values_list("pk", flat=True))[::3]
    AnnualReport.objects.filter(pk__in=reports).update(
        rnd_expense=0, rnd_expense_domestic=0, rnd_expense_deductible=0
    )
    result = reevaluate(as_of=D2, bulk=bulk)
    assert result.entries.rewritten > 0
    after_import = _tally()
    assert after_import != counted
    assert after_import == _rebuilt()
    whole = [r for r in after_import if r[0] == "all" and r[4] == r[6] == LedgerTally.ROLLUP]
    assert sum(r[7] for r in whole) == LedgerEntry.objects.count()

    reevaluate(as_of=D3, bulk=bulk)  # a new reporting year: the window of three years moves
    assert _tally() == _rebuilt()
    reevaluate(as_of=D3, bulk=bulk)  # the same date again: nothing written, the tally as it was
    assert _tally() == _rebuilt()


def test_a_run_writing_too_many_entries_leaves_the_tally_to_the_rebuild(loaded, monkeypatch):
    reevaluate(as_of=D1)
    assert tally.current()
    monkeypatch.setattr(tally, "COUNTED_WRITES_MAX", 10)
    reevaluate(as_of=D2.replace(year=2026, month=6))  # a new year: more than 10 entries change
    assert not tally.current()  # not counted: the summary counts live until the refresh
    assert tally.refresh() > 0 and tally.current()


def test_a_run_over_some_firms_leaves_the_tally_to_the_rebuild(loaded):
    reevaluate(as_of=D1)
    first = _tally()
    ids = list(LedgerEntry.objects.order_by("pk").values_list("enterprise_id", flat=True)[:5])
    AnnualReport.objects.filter(enterprise_id__in=ids).update(
        rnd_expense=0, rnd_expense_domestic=0, rnd_expense_deductible=0
    )
    result = reevaluate(as_of=D2, enterprise_ids=ids)
    assert result.entries.rewritten > 0 and not tally.current() and _tally() == first
    assert tally.refresh() > 0 and tally.current()


def test_a_lists_condition_reads_the_same_rows_in_the_frame_as_in_the_database(loaded):
    reevaluate(as_of=D1)
    columns = sorted({f for q in LISTS.values() for f, _ in q.children})
    rows = pl.DataFrame(
        list(LedgerEntry.objects.values_list("enterprise_id", *columns)),
        schema=["enterprise_id", *columns],
        orient="row",
    )
    for condition in LISTS.values():
        selected = set(rows.filter(tally.list_expr(condition)).get_column("enterprise_id").to_list())
        assert selected == set(LedgerEntry.objects.filter(condition).values_list("enterprise_id", flat=True))
        assert selected  # the demo data hold firms of every list


@pytest.mark.parametrize(
    "condition", [Q(grade="A") | Q(grade="B"), ~Q(grade="A"), Q(grade__in=["A"]), Q(hte_hard_failed=None)]
)
def test_a_list_condition_of_another_form_is_refused(condition):
    with pytest.raises(ValueError):
        tally.list_expr(condition)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's write transaction already serialises")
def test_one_reevaluation_at_a_time(loaded):
    """A run holds the re-evaluation lock from its start: another connection cannot take it meanwhile (its
    run would wait), so no other run's entries are committed between a run's reads and its tally's stamp."""
    from django.db import connections

    from gaoqi.ledger.services import REEVALUATION_LOCK

    seen, calls = [], []

    def progress(done, total, message):
        calls.append(message)
        if seen or len(calls) < 2:  # the first call comes before the run's transaction
            return
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REEVALUATION_LOCK])
                seen.append(cursor.fetchone()[0])
        finally:
            other.close()

    reevaluate(as_of=D1, progress=progress)
    assert seen == [False]
