"""The PostgreSQL bulk path of re-evaluation (COPY out, staging table and one upsert per table): the same rows
as the row path, unchanged rows not written at all, and the background job audited.

PostgreSQL only (COPY, system columns, ON CONFLICT): run with DATABASE_URL=postgres://…; on SQLite every test
here is skipped with that reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery

from gaoqi.audit.models import AuditEvent
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.jobs.services import start_job
from gaoqi.jobs.testing import run_queued_jobs
from gaoqi.ledger.facts import facts_table
from gaoqi.ledger.models import EvaluatedFacts, EvaluationSnapshot, LedgerEntry
from gaoqi.ledger.services import ENTRY_RESULT, reevaluate
from gaoqi.ledger.store import Written, copy_frame, read_frame
from gaoqi.registry.models import AnnualReport
from tests import factories

AS_OF = date(2025, 6, 30)
N = 150
POSTGRES_ONLY = (
    "the bulk re-evaluation path uses PostgreSQL's COPY and ON CONFLICT: set DATABASE_URL=postgres://…"
)


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip(POSTGRES_ONLY)


@pytest.fixture
def loaded(postgres):
    load(generate(N, 7, AS_OF), progress=False)
    return factories.province_admin()


def _snapshots() -> set[tuple]:
    """The snapshots' results, each with its facts revision (the firm's, for the date)."""
    fields = [f.attname for f in EvaluationSnapshot._meta.fields if f.attname not in ("id", "evaluated_at")]
    revision = EvaluatedFacts.objects.filter(enterprise_id=OuterRef("enterprise_id"), as_of=OuterRef("as_of"))
    return set(
        EvaluationSnapshot.objects.annotate(
            revision=Subquery(revision.values("facts_revision")[:1])
        ).values_list(*fields, "revision")
    )


def _entries() -> set[tuple]:
    fields = [f.attname for f in LedgerEntry._meta.fields if f.attname not in ("id", "updated_at")]
    return set(LedgerEntry.objects.values_list(*fields))


def _versions(model) -> dict[int, str]:
    """Each row's xmin: the transaction that last wrote it (a row not written keeps its own)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, xmin::text FROM {model._meta.db_table}")
        return dict(cursor.fetchall())


def test_the_bulk_path_is_refused_on_sqlite(db):
    if connection.vendor == "postgresql":
        pytest.skip("checks the refusal on SQLite")
    with pytest.raises(ValueError, match="PostgreSQL"):
        reevaluate(as_of=AS_OF, bulk=True)


# Nulls, empty strings, commas, quotes and line breaks, booleans, dates and timestamps; four parameters.
EDGE_SQL = (
    "SELECT * FROM (VALUES (1, '', true, DATE '2024-02-29', TIMESTAMPTZ '2025-06-30 23:59:59.123456+08'), "
    "(2, NULL, false, NULL, NULL), (3, E'a,b\"c\\nd', NULL, DATE '1949-10-01', "
    "TIMESTAMPTZ '1970-01-01 00:00:00+00'), (%s, %s, %s, %s, %s)) AS v(a, b, c, d, e)"
)
EDGE_SCHEMA = {"a": pl.Int64, "b": pl.String, "c": pl.Boolean, "d": pl.Date, "e": pl.Datetime("us")}


def test_copy_frame_reads_what_the_row_reader_reads(postgres):
    """Nulls, empty strings, commas, quotes and line breaks, booleans, dates and timestamps survive COPY."""
    params = [4, "苏州 ,x", True, date(2025, 1, 1), datetime(2025, 1, 1, 8, tzinfo=UTC)]
    bulk = copy_frame(EDGE_SQL, params, EDGE_SCHEMA).sort("a")
    rows = read_frame(EDGE_SQL, params, EDGE_SCHEMA).sort("a")
    assert bulk.to_dicts() == rows.with_columns(pl.col("e").dt.replace_time_zone(None)).to_dicts()
    assert bulk.get_column("b").to_list() == ["", None, 'a,b"c\nd', "苏州 ,x"]
    assert bulk.get_column("e").to_list()[0] == datetime(2025, 6, 30, 15, 59, 59, 123456)  # UTC
    assert copy_frame("SELECT 1 WHERE false", [], {"a": pl.Int64}).shape == (0, 1)


def test_bulk_facts_equal_the_row_facts(loaded):
    assert (
        facts_table(AS_OF, bulk=True).sort("enterprise_id").equals(facts_table(AS_OF).sort("enterprise_id"))
    )


def test_the_bulk_path_stores_the_same_rows_as_the_row_path(loaded):
    rows = reevaluate(as_of=AS_OF, bulk=False)
    expected_snapshots, expected_entries = _snapshots(), _entries()
    assert len(expected_snapshots) == N * 4 and len(expected_entries) == N
    EvaluationSnapshot.objects.all().delete()
    LedgerEntry.objects.all().delete()
    EvaluatedFacts.objects.all().delete()
    bulk = reevaluate(as_of=AS_OF, bulk=True)
    assert _snapshots() == expected_snapshots
    assert _entries() == expected_entries
    assert (bulk.written, bulk.entries, bulk.by_grade) == (rows.written, rows.entries, rows.by_grade)
    assert bulk.written == Written(inserted=N * 4) and bulk.entries == Written(inserted=N)


def test_the_bulk_path_writes_only_the_rows_that_changed(loaded):
    reevaluate(as_of=AS_OF, bulk=True)
    snapshots, entries = _versions(EvaluationSnapshot), _versions(LedgerEntry)
    again = reevaluate(as_of=AS_OF, bulk=True)
    assert again.written == Written(unchanged=N * 4) and again.entries == Written(unchanged=N)
    assert _versions(EvaluationSnapshot) == snapshots and _versions(LedgerEntry) == entries  # not even locked

    report = AnnualReport.objects.filter(year=AS_OF.year - 1, employees__isnull=False).first()
    firm = report.enterprise_id
    AnnualReport.objects.filter(pk=report.pk).update(employees=report.employees + 5_000)  # too big a tech SME
    expected, revisions = _snapshots(), _versions(EvaluatedFacts)
    third = reevaluate(as_of=AS_OF, bulk=True)
    assert third.written.inserted == 0 and third.written.unchanged == N * 4 - 4
    assert third.written.rewritten + third.written.touched == 4 and third.written.rewritten >= 1
    after = _versions(EvaluationSnapshot)
    changed = {pk for pk, version in after.items() if snapshots[pk] != version}
    # Only the firm's snapshots whose result changed are written; its touched ones keep their row, the new
    # facts revision is written once, in the firm's EvaluatedFacts row.
    assert len(changed) == third.written.rewritten
    assert changed < set(EvaluationSnapshot.objects.filter(enterprise=firm).values_list("pk", flat=True))
    facts = EvaluatedFacts.objects.get(enterprise=firm, as_of=AS_OF).pk
    assert {pk for pk, version in _versions(EvaluatedFacts).items() if revisions[pk] != version} == {facts}
    with connection.cursor() as cursor:  # room left on its page (fillfactor): no index entry written
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [EvaluatedFacts._meta.db_table],
        )
        assert cursor.fetchone() == (1, 1)
    # The other firms' rows are exactly as they were; the firm's are what the row path computes.
    bulk_rows = _snapshots()
    assert {r for r in bulk_rows if r[0] != firm} == {r for r in expected if r[0] != firm}
    assert {r for r in bulk_rows if r[0] == firm} != {r for r in expected if r[0] == firm}
    EvaluationSnapshot.objects.all().delete()
    LedgerEntry.objects.all().delete()
    EvaluatedFacts.objects.all().delete()
    reevaluate(as_of=AS_OF, bulk=False)
    assert _snapshots() == bulk_rows


def test_the_background_job_takes_the_bulk_path_and_is_audited(loaded):
    job = start_job(
        actor=loaded,
        kind="ledger.reevaluate",
        func_path="gaoqi.ledger.services.reevaluate_region",
        kwargs={"region": "320000", "as_of": AS_OF.isoformat()},
        restartable=True,
    )
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.done == job.total == N * 4
    event = AuditEvent.objects.get(target_type="ledger.reevaluation", target_id=AS_OF.isoformat())
    assert event.new["path"] == "postgresql-bulk"
    assert event.new["firms"] == N and event.new["snapshots"]["inserted"] == N * 4
    assert event.new["entries"]["inserted"] == N
    assert EvaluationSnapshot.objects.count() == N * 4 and LedgerEntry.objects.count() == N


def test_a_sliced_run_stores_what_the_whole_run_stores(loaded):
    """Slices of 40 firms (four slices of 150): the same rows and counts as one slice, on a first run and
    on a second one, for the whole registry and for listed firms; progress names each slice."""
    whole = reevaluate(as_of=AS_OF, slice_size=1_000)
    expected_snapshots, expected_entries = _snapshots(), _entries()
    EvaluationSnapshot.objects.all().delete()
    LedgerEntry.objects.all().delete()
    EvaluatedFacts.objects.all().delete()
    seen = []
    sliced = reevaluate(as_of=AS_OF, slice_size=40, progress=lambda d, t, m: seen.append(m))
    assert _snapshots() == expected_snapshots and _entries() == expected_entries
    assert (sliced.firms, sliced.written, sliced.entries, sliced.by_grade) == (
        whole.firms,
        whole.written,
        whole.entries,
        whole.by_grade,
    )
    assert [m for m in seen if "/4" in m] == [f"第 {k}/4 批企业：读取、评价" for k in (1, 2, 3, 4)]
    again = reevaluate(as_of=AS_OF, slice_size=40)
    assert again.written == Written(unchanged=N * 4) and again.entries == Written(unchanged=N)
    ids = list(LedgerEntry.objects.order_by("-enterprise_id").values_list("enterprise_id", flat=True)[:90])
    listed = reevaluate(as_of=AS_OF, enterprise_ids=ids, slice_size=25)
    assert listed.firms == 90 and listed.entries == Written(unchanged=90)
    assert _snapshots() == expected_snapshots


def test_a_big_first_write_checks_the_keys_at_once_and_builds_the_indexes_after(loaded, monkeypatch):
    """From `BIG_WRITE` rows (lowered here): the foreign keys checked set-based, the per-row triggers
    skipped, an empty table's secondary indexes built after the insert: the same rows and the same schema."""
    from gaoqi.ledger import store

    reevaluate(as_of=AS_OF, bulk=False)
    expected_snapshots, expected_entries = _snapshots(), _entries()
    EvaluationSnapshot.objects.all().delete()
    LedgerEntry.objects.all().delete()
    EvaluatedFacts.objects.all().delete()
    indexes = "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass"
    with connection.cursor() as cursor:
        cursor.execute(indexes, [LedgerEntry._meta.db_table])
        before = set(cursor.fetchall())
    checked, dropped = [], []
    monkeypatch.setattr(store, "BIG_WRITE", 10)
    real_checked, real_off = store._checked_keys, store._indexes_off
    monkeypatch.setattr(store, "_checked_keys", lambda *a: checked.append(a[1]) or real_checked(*a))
    monkeypatch.setattr(store, "_indexes_off", lambda *a: dropped.append(r := real_off(*a)) or r)
    result = reevaluate(as_of=AS_OF, bulk=True, slice_size=60)
    assert result.written == Written(inserted=N * 4) and result.entries == Written(inserted=N)
    assert _snapshots() == expected_snapshots and _entries() == expected_entries
    assert checked.count(LedgerEntry._meta.db_table) == 1 and len(checked) == 6  # 4 policies, facts, ledger
    assert len(dropped[-1]) >= 12  # the ledger's secondary indexes, built again below
    with connection.cursor() as cursor:
        cursor.execute(indexes, [LedgerEntry._meta.db_table])
        assert set(cursor.fetchall()) == before
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


def test_the_set_based_key_check_refuses_a_missing_reference(loaded, monkeypatch):
    from django.db import IntegrityError, transaction

    from gaoqi.ledger import store

    reevaluate(as_of=AS_OF, bulk=True)
    schema = {"enterprise_id": pl.Int64, **ENTRY_RESULT}
    rows = read_frame(f"SELECT {', '.join(schema)} FROM {LedgerEntry._meta.db_table}", [], schema)
    rows = rows.with_columns(pl.lit("999999").alias("county_id"))  # every FK column staged
    monkeypatch.setattr(store, "BIG_WRITE", 10)
    with pytest.raises(IntegrityError, match=r"county_id = 999999 is not present in regions_region"):
        with transaction.atomic():
            stage = store.Stage(
                LedgerEntry._meta.db_table,
                key="enterprise_id",
                result=list(ENTRY_RESULT),
                stamp={"updated_at": datetime(2025, 7, 1, tzinfo=UTC)},
                unique=["enterprise_id"],
            )
            stage.add(rows)
            stage.apply()
    assert not LedgerEntry.objects.filter(county_id="999999").exists()
