"""A re-evaluation's reads through a second connection sharing its snapshot (`ledger.store.shared_snapshot`):
the same frames as COPY on the job's own connection, what the job's transaction saw when it began (not a
later commit), the same stored rows; and never where an enclosing transaction may have written.

PostgreSQL only (pg_export_snapshot, ADBC's driver for PostgreSQL); the transactional tests commit their data,
as a job's own transaction does.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import polars as pl
import psycopg
import pytest
from django.db import connection, transaction

from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger import services, store
from gaoqi.ledger.facts import facts_table
from gaoqi.ledger.models import EvaluatedFacts, EvaluationSnapshot, LedgerEntry
from gaoqi.ledger.services import reevaluate
from gaoqi.registry.models import Enterprise
from tests.ledger.test_bulk_reevaluation import EDGE_SCHEMA, EDGE_SQL

AS_OF = date(2025, 6, 30)
N = 80
COMMITTED = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip(
            "reads sharing a snapshot are PostgreSQL's (pg_export_snapshot): set DATABASE_URL=postgres://…"
        )


@pytest.fixture
def reads(monkeypatch):
    """The queries read through the second connection."""
    seen = []
    frame = store._SnapshotReader.frame

    def counted(self, sql, params, wire):
        seen.append(sql)
        return frame(self, sql, params, wire)

    monkeypatch.setattr(store._SnapshotReader, "frame", counted)
    return seen


def _other_connection() -> psycopg.Connection:
    info = connection.connection.info
    return psycopg.connect(psycopg.conninfo.make_conninfo(info.dsn, password=info.password), autocommit=True)


@COMMITTED
def test_the_shared_snapshot_reads_the_frames_copy_reads(postgres, reads):
    load(generate(N, 7, AS_OF), progress=False)
    params = [4, "苏州 ,x'", True, date(2025, 1, 1), datetime(2025, 1, 1, 8, tzinfo=UTC)]
    sql, schema = EDGE_SQL, EDGE_SCHEMA
    copied, facts = store.copy_frame(sql, params, schema), facts_table(AS_OF, bulk=True)
    listed = facts_table(AS_OF, [1, 5, 9], bulk=True, span=(1, 40))
    assert not reads
    with transaction.atomic(), store.shared_snapshot() as shared:
        assert shared
        assert store.copy_frame(sql, params, schema).equals(copied)
        assert store.copy_frame("SELECT 1 WHERE false", [], {"a": pl.Int64}).shape == (0, 1)
        assert facts_table(AS_OF, bulk=True).equals(facts)
        assert facts_table(AS_OF, [1, 5, 9], bulk=True, span=(1, 40)).equals(listed)
    assert len(reads) > 5 and store._reader.get() is None


@COMMITTED
def test_the_shared_snapshot_is_the_transactions_not_a_later_commit(postgres):
    load(generate(5, 7, AS_OF), progress=False)
    firm = Enterprise.objects.order_by("pk").first()
    schema = {"backend": pl.Int64, "name": pl.String}
    sql = f"SELECT pg_backend_pid(), name FROM {Enterprise._meta.db_table} WHERE id = %s"
    with transaction.atomic(), store.shared_snapshot() as readers:
        assert readers == store.READERS > 1
        with _other_connection() as other:
            other.execute(f"UPDATE {Enterprise._meta.db_table} SET name = 'renamed' WHERE id = %s", [firm.pk])
        # A free connection is taken in turn: each of them reads once, every one in the snapshot.
        seen = [store.copy_frame(sql, [firm.pk], schema).row(0) for _ in range(readers)]
        assert len({backend for backend, _ in seen}) == readers
        assert {name for _, name in seen} == {firm.name}
    assert store.copy_frame(sql, [firm.pk], schema).item(0, "name") == "renamed"


@COMMITTED
def test_a_reevaluation_on_its_own_reads_ahead_through_the_snapshot_and_stores_the_row_paths_rows(
    postgres, reads, monkeypatch
):
    load(generate(N, 7, AS_OF), progress=False)
    rows = reevaluate(as_of=AS_OF, bulk=False)
    expected = (
        set(
            EvaluationSnapshot.objects.values_list(
                "enterprise_id", "policy", "outcome", "score", "criteria_json"
            )
        ),
        set(LedgerEntry.objects.values_list("enterprise_id", "grade", "name", "results_digest")),
        set(EvaluatedFacts.objects.values_list("enterprise_id", "facts_revision", "results_digest")),
    )
    assert not reads
    EvaluationSnapshot.objects.all().delete()
    LedgerEntry.objects.all().delete()
    EvaluatedFacts.objects.all().delete()
    threads = []
    read_slice = services._read_slice

    def spied(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return read_slice(*args, **kwargs)

    monkeypatch.setattr(services, "_read_slice", spied)
    bulk = reevaluate(as_of=AS_OF, slice_size=25)  # 4 slices: each next one read while this one is evaluated
    assert reads  # every slice's facts came through the second connection
    assert len(threads) == 4 and all(name.startswith("gaoqi-read") for name in threads)
    assert (bulk.written, bulk.entries, bulk.by_grade) == (rows.written, rows.entries, rows.by_grade)
    assert (
        set(
            EvaluationSnapshot.objects.values_list(
                "enterprise_id", "policy", "outcome", "score", "criteria_json"
            )
        ),
        set(LedgerEntry.objects.values_list("enterprise_id", "grade", "name", "results_digest")),
        set(EvaluatedFacts.objects.values_list("enterprise_id", "facts_revision", "results_digest")),
    ) == expected


@pytest.mark.django_db
def test_inside_an_enclosing_transaction_the_reads_stay_on_the_connection(postgres, reads):
    # A test's transaction (or a caller's) may hold writes a second connection would not see.
    load(generate(10, 7, AS_OF), progress=False)
    with transaction.atomic(), store.shared_snapshot() as shared:
        assert not shared
        assert facts_table(AS_OF, bulk=True).height == 10
    reevaluate(as_of=AS_OF)
    assert not reads and LedgerEntry.objects.count() == 10


@COMMITTED
def test_switched_off_the_reads_stay_on_the_connection(postgres, reads, settings):
    settings.GAOQI_SNAPSHOT_READS = False
    load(generate(10, 7, AS_OF), progress=False)
    assert reevaluate(as_of=AS_OF).firms == 10
    assert not reads


@COMMITTED
def test_a_failed_read_ahead_fails_the_run_and_leaves_nothing(postgres, monkeypatch):
    load(generate(N, 7, AS_OF), progress=False)
    read_slice, calls = services._read_slice, []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return read_slice(*args, **kwargs)

    monkeypatch.setattr(services, "_read_slice", failing)
    with pytest.raises(RuntimeError, match="went away"):
        reevaluate(as_of=AS_OF, slice_size=25)
    assert not LedgerEntry.objects.exists() and not EvaluationSnapshot.objects.exists()
    assert store._reader.get() is None


@COMMITTED
def test_a_big_write_of_the_ledger_is_vacuumed_after_the_commit(postgres, monkeypatch):
    # A job's own transaction: after it commits, each table it wrote many rows of is vacuumed (the threshold
    # lowered here); a run writing none leaves them alone.
    load(generate(N, 7, AS_OF), progress=False)
    monkeypatch.setattr(store, "BIG_WRITE", N)  # also: the empty ledger's indexes dropped and built after
    statements = []
    with connection.cursor() as cursor:
        # The writes wait for no lock of the snapshot's reads (its connection is closed before them): a
        # regression fails here instead of waiting for ever.
        cursor.execute("SET lock_timeout = '20s'")

    def spy(execute, sql, params, many, context):
        statements.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        assert reevaluate(as_of=AS_OF).entries.inserted == N
    vacuums = [(sql, atomic) for sql, atomic in statements if sql.startswith("VACUUM")]
    written = [EvaluationSnapshot, EvaluatedFacts, LedgerEntry]  # 4 N, N and N rows inserted
    assert vacuums == [(f"VACUUM (ANALYZE) {m._meta.db_table}", False) for m in written]
    statements.clear()
    with connection.execute_wrapper(spy):
        assert reevaluate(as_of=AS_OF).entries.unchanged == N
    assert not [sql for sql, _ in statements if sql.startswith("VACUUM")]
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")
