"""The ledger summary from its materialised counts (ledger.tally): the same figures as counting the entries,
used only while current with the ledger, never for filters the tally does not hold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import F

from gaoqi.accounts.models import Role
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger import tally
from gaoqi.ledger.models import LedgerEntry, LedgerTally
from gaoqi.ledger.selectors import LedgerFilter, ledger_summary
from gaoqi.ledger.services import reevaluate
from tests import factories

AS_OF = date(2025, 6, 30)


@pytest.fixture
def ledger(db):
    load(generate(300, 5, AS_OF), progress=False)
    reevaluate(as_of=AS_OF)
    LedgerTally.objects.all().delete()  # the run counted it (tests/ledger/test_tally_counted.py): built here
    return {
        "province": factories.province_admin(),
        "suzhou": factories.officer(Role.CITY_OFFICER, "320500"),
        "kunshan": factories.officer(Role.COUNTY_OFFICER, "320583"),
    }


def _live(actor, filters):
    """The summary counted from the entries (the tally made stale on purpose is not used)."""
    return ledger_summary(actor=actor, filters=filters)


def _shape(s):
    return (s.by_grade, [(r["region"].code, r["counts"], r["total"]) for r in s.rows], s.total, s.as_of)


FILTERS = (
    LedgerFilter(),
    LedgerFilter(list="sme_due"),
    LedgerFilter(list="hte_reserve"),
    LedgerFilter(city="320500"),
    LedgerFilter(county="320583", list="sme_due"),
    LedgerFilter(grade="B"),
    LedgerFilter(tech_field="80"),
    LedgerFilter(tech_field="801", list="hte_reserve"),
    LedgerFilter(hitech_zone="any"),
    LedgerFilter(hitech_zone="none", grade="C"),
    LedgerFilter(hitech_zone="@zone", list="sme_due"),
)


def _filters():
    """FILTERS with a zone of the data for "@zone" (one holding firms of Suzhou and Kunshan if any)."""
    from dataclasses import replace

    zone = (
        LedgerEntry.objects.filter(county_id="320583", hitech_zone__isnull=False)
        .values_list("hitech_zone_id", flat=True)
        .first()
    )
    assert zone
    return [replace(f, hitech_zone=zone) if f.hitech_zone == "@zone" else f for f in FILTERS]


def test_tally_summary_equals_the_live_one(ledger, django_assert_max_num_queries):
    live = {(who, f): _shape(_live(a, f)) for who, a in ledger.items() for f in _filters()}
    assert not tally.current()
    tally.refresh()
    assert tally.current()
    for (who, f), expected in live.items():
        assert tally.rows_for(actor=ledger[who], filters=f) is not None
        with django_assert_max_num_queries(5):  # tally rows, freshness stamp and max, regions, last run
            assert _shape(ledger_summary(actor=ledger[who], filters=f)) == expected, (who, f)


def test_a_write_after_the_refresh_makes_it_count_live_again(ledger):
    tally.refresh()
    entry = LedgerEntry.objects.filter(grade="E").first() or LedgerEntry.objects.first()
    LedgerEntry.objects.filter(pk=entry.pk).update(
        grade="A", updated_at=F("updated_at") + timedelta(seconds=1)
    )
    assert not tally.current()
    assert tally.rows_for(actor=ledger["province"], filters=LedgerFilter()) is None
    summary = ledger_summary(actor=ledger["province"], filters=LedgerFilter())
    assert summary.by_grade["A"] == LedgerEntry.objects.filter(grade="A").count()
    tally.refresh()
    assert (
        _shape(ledger_summary(actor=ledger["province"], filters=LedgerFilter()))[0]["A"]
        == summary.by_grade["A"]
    )


def test_filters_the_tally_does_not_hold_count_live(ledger):
    tally.refresh()
    for f in (LedgerFilter(q="科技"), LedgerFilter(q="科技", hitech_zone="any")):
        assert tally.rows_for(actor=ledger["province"], filters=f) is None


def test_the_background_job_leaves_the_tally_current(ledger):
    from gaoqi.ledger.services import reevaluate_region

    assert not tally.current()
    reevaluate_region(region="320000", as_of=(AS_OF + timedelta(days=1)).isoformat())
    assert tally.current()


def test_the_migrations_rollups_are_the_refreshs(ledger):
    """Migration 0010 adds the roll-up rows to a tally built before it from its detail rows (SQL); they are
    the rows `refresh()` writes (Python), so a tally current before the migration stays right after it."""
    import importlib

    from django.db import connection

    from gaoqi.ledger.models import LedgerTally

    migration = importlib.import_module("gaoqi.ledger.migrations.0010_tally_rollups")
    tally.refresh()
    columns = ("list", "city", "county", "grade", "tech_field", "in_hitech_zone", "hitech_zone", "n", "as_of")
    rollups = LedgerTally.objects.filter(tech_field=LedgerTally.ROLLUP)
    written = sorted(rollups.values_list(*columns))
    assert {r[6] for r in written} > {LedgerTally.ROLLUP}  # per zone, and over every zone
    rollups.delete()
    with connection.cursor() as cursor:
        for operation in migration.Migration.operations:
            if hasattr(operation, "sql"):
                cursor.execute(operation.sql)
    assert sorted(rollups.values_list(*columns)) == written
    assert tally.current()


def test_a_refresh_of_a_current_tally_rebuilds_nothing_until_the_ledger_changes(ledger):
    from gaoqi.ledger.models import LedgerTally

    assert tally.refresh() > 0
    built = set(LedgerTally.objects.values_list("pk", "built_at"))
    assert tally.refresh() == 0  # nothing written since: the same rows, not rebuilt
    assert set(LedgerTally.objects.values_list("pk", "built_at")) == built
    # An entry gone with its firm leaves the latest write as it was: the count tells, and it is rebuilt.
    LedgerEntry.objects.filter(pk=LedgerEntry.objects.order_by("-updated_at").last().pk).delete()
    assert tally.current()
    assert tally.refresh() > 0
    total = LedgerTally.objects.filter(
        list="all", tech_field=LedgerTally.ROLLUP, hitech_zone=LedgerTally.ROLLUP
    )
    assert sum(total.values_list("n", flat=True)) == LedgerEntry.objects.count()
    assert tally.refresh(force=True) > 0 and set(LedgerTally.objects.values_list("pk", "built_at")) != built
