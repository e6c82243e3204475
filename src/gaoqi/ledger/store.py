"""Writing a re-evaluation's rows: only what changed.

A re-evaluation recomputes every firm it is given, but most results are what is stored already (an import
touches a few figures; a nightly run changes little). `sync` compares the new rows with the stored ones in
Polars and then inserts the new keys, rewrites the rows whose results changed, touches only the bookkeeping
columns of rows whose results are the same (a new facts revision, the same verdict), and leaves identical rows
alone. The costs it avoids are the index updates of rewritten rows (the ledger's four name-ordered indexes
above all) and the deletes. Bookkeeping may live in another, narrower table (`touches=False`): the snapshots'
facts revision is the firm's (`EvaluatedFacts`, one row per firm and date), so an import that changes every
firm's figures but few verdicts writes one narrow row per firm instead of four wide snapshots (both
databases: a row is rewritten whole, the cost is its width and number, not the statement).

PostgreSQL has a bulk path for a province's registry (millions of rows), where moving rows through Python
tuples is the cost: `copy_frame` reads a query's rows with `COPY (SELECT …) TO STDOUT` (CSV) straight into
Polars, and a `Stage` receives the new rows slice by slice with COPY into a temporary staging table, then
classifies them against the stored rows into a narrow plan (key, stored id, action) and writes the inserted
rows with one `INSERT … ON CONFLICT` and the changed ones with one `UPDATE … FROM` by id: the stored rows never
leave the database, unchanged rows are not written at all.

Measured (300,000 firms, the run after an import changing every firm's figures, `python -m
bench.reevaluate_profile import`; docs/SCALING.md has the loads and the breakdown): SQLite 162.6 s wall / 54.2 s
CPU before, 94.1 s / 44.4 s after (the touches' writes 10.3 s CPU before, 1.6 s after); PostgreSQL 364.1 s
wall / 94 CPU-seconds (Python and server) before, 182.2 s / 51 after (the writes' server CPU 46.6 s before,
5.9 s after); at load 5–8 on 2 shared cores. Since then the callers pass only the rows of firms whose
results digest changed (`ledger.digest`): the same run, back to back at load 5–6, PostgreSQL 29.4 s / 17.9
CPU-seconds before, 12.7 s / 10.0 after; SQLite 35.0 s / 18.9 s before, 23.9 s / 9.0 s after.
"""

from __future__ import annotations

import importlib.util
import queue
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import polars as pl
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections

BATCH = 5_000
COPY_ROWS = 200_000  # rows per CSV block sent to COPY
BIG_WRITE = (
    100_000  # rows written from which the table's statistics are refreshed and its keys checked at once
)


@dataclass(frozen=True)
class Written:
    inserted: int = 0
    rewritten: int = 0
    touched: int = 0
    unchanged: int = 0

    def __add__(self, other: Written) -> Written:
        return Written(
            self.inserted + other.inserted,
            self.rewritten + other.rewritten,
            self.touched + other.touched,
            self.unchanged + other.unchanged,
        )


def read_frame(
    sql: str,
    params: Sequence,
    schema: dict[str, pl.DataType],
    *,
    bulk: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> pl.DataFrame:
    """A query's rows as a typed frame (`bulk`: through COPY, PostgreSQL only), on the database `using`."""
    if bulk:
        return copy_frame(sql, params, schema, using=using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _wire(sql: str, schema: dict[str, pl.DataType]) -> tuple[str, dict[str, pl.DataType]]:
    """The query's columns (in `schema`'s order) as they travel: booleans as 0/1 and timestamps as microseconds
    since the epoch (UTC), so that nothing depends on the server's text formats; and their wire types."""
    aliases = [f"c{i}" for i in range(len(schema))]
    exprs, wire = [], {}
    for alias, (name, dtype) in zip(aliases, schema.items(), strict=True):
        if dtype == pl.Boolean:
            exprs.append(f"q.{alias}::int")
            wire[name] = pl.Int8
        elif isinstance(dtype, pl.Datetime) or dtype == pl.Datetime:
            exprs.append(f"(extract(epoch from q.{alias}) * 1000000)::bigint")
            wire[name] = pl.Int64
        else:
            exprs.append(f"q.{alias}")
            wire[name] = dtype
    return f"SELECT {', '.join(exprs)} FROM ({sql}) AS q({', '.join(aliases)})", wire


def _from_wire(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(n).cast(pl.Boolean) if dtype == pl.Boolean else pl.from_epoch(n, "us").cast(dtype)
        for n, dtype in schema.items()
        if dtype == pl.Boolean or isinstance(dtype, pl.Datetime) or dtype == pl.Datetime
    )


def copy_frame(
    sql: str, params: Sequence, schema: dict[str, pl.DataType], *, using: str = DEFAULT_DB_ALIAS
) -> pl.DataFrame:
    """PostgreSQL: a query's rows (its columns in `schema`'s order) as a typed frame, on the database `using`.
    Inside `shared_snapshot` (a re-evaluation's reads): through its other connections as Arrow. Otherwise
    through `COPY (…) TO STDOUT` as CSV, parsed by Polars: SQL NULL is an empty field, an empty string a quoted
    one. The rows keep the query's ORDER BY (PostgreSQL does not pull up an ordered subquery: the outer SELECT
    reads it in its order)."""
    select, wire = _wire(sql, schema)
    reader = _reader.get()
    if reader is not None and reader.using == using:
        return _from_wire(reader.frame(select, params, wire), schema)
    statement = f"COPY ({select}) TO STDOUT (FORMAT csv)"
    # Through a temporary file: Polars reads it mapped, without a second copy of gigabytes of text in memory.
    with tempfile.NamedTemporaryFile(prefix="gaoqi-copy-", suffix=".csv") as spool:
        with (
            connections[using].cursor() as cursor,
            cursor.cursor.copy(statement, list(params) or None) as copy,
        ):
            for block in copy:
                spool.write(block)
        spool.flush()
        if not spool.tell():
            return pl.DataFrame(schema=schema)
        frame = pl.read_csv(spool.name, has_header=False, new_columns=list(schema), schema=wire)
    return _from_wire(frame, schema)


# The shared snapshot's connections: a slice's reads run on one while the next slice's run on the other.
READERS = 2
READ_WORK_MEM = "64MB"  # per sort or hash of a snapshot reader's statement (PostgreSQL's default: 4 MB)


class _SnapshotReader:
    """Connections to the database `using` (ADBC: libpq's binary COPY decoded to Arrow in C++, no Python per
    row, the GIL released), each in a read-only transaction that imports the snapshot of `using`'s
    transaction: they read what that transaction saw when the reader was opened (and none of that
    transaction's own writes). A query takes whichever connection is free: threads read at once, each on its
    own server backend."""

    def __init__(self, using: str, snapshot: str, readers: int = READERS):
        import adbc_driver_postgresql.dbapi as adbc
        import psycopg

        self.using, self.readers = using, readers
        main = connections[using].connection  # psycopg's connection: its parameters, and a formatter
        self._literal = psycopg.ClientCursor(main)
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        self._open = []
        dsn = psycopg.conninfo.make_conninfo(main.info.dsn, password=main.info.password)
        try:
            for _ in range(readers):
                conn = adbc.connect(dsn)
                cursor = conn.cursor()
                self._open.append((conn, cursor))
                cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                # The reports' merge hashes a slice's reports of a source: in memory, not in 16 batches on disk.
                cursor.execute(f"SET LOCAL work_mem = '{READ_WORK_MEM}'")
                # Not compiled: a slice's statements cost enough to be compiled with inlining and optimisation
                # (about 0.4 s of the server's time each), for expressions run once per row.
                cursor.execute("SET LOCAL jit = off")
                self._free.put(cursor)
        except BaseException:
            self.close()
            raise

    def frame(self, sql: str, params: Sequence, wire: dict[str, pl.DataType]) -> pl.DataFrame:
        # Parameters become literals, quoted by psycopg (ADBC's bound parameters skip its COPY path).
        statement = self._literal.mogrify(sql, list(params) or None)
        cursor = self._free.get()
        try:
            cursor.execute(statement)
            table = cursor.fetch_arrow_table()
        finally:
            self._free.put(cursor)
        frame = pl.from_arrow(table)
        return frame.rename(dict(zip(frame.columns, wire, strict=True))).cast(wire)

    def close(self) -> None:
        errors = []
        for conn, cursor in self._open:
            try:
                try:
                    cursor.execute("COMMIT")
                finally:
                    cursor.close()
                    conn.close()
            except Exception as error:  # every connection closed, the first failure raised
                errors.append(error)
        self._open = []
        if errors:
            raise errors[0]


_reader: ContextVar[_SnapshotReader | None] = ContextVar("gaoqi_snapshot_reader", default=None)


def snapshot_reads_available(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether `shared_snapshot` can read through other connections: PostgreSQL, the ADBC driver installed,
    not switched off (`GAOQI_SNAPSHOT_READS`)."""
    from django.conf import settings

    if connections[using].vendor != "postgresql" or not settings.GAOQI_SNAPSHOT_READS:
        return False
    return importlib.util.find_spec("adbc_driver_postgresql") is not None


@contextmanager
def shared_snapshot(using: str = DEFAULT_DB_ALIAS, readers: int | None = None):
    """Inside the block, `copy_frame` on `using` reads through other connections (`readers` of them: the
    block yields that number, 0 where it reads as before) that share the current transaction's snapshot
    (`pg_export_snapshot`): the same rows, decoded by ADBC instead of row by row in Python (at a province's
    size, COPY's rows through psycopg were 60 % of a re-evaluation's time), by several threads at once.

    Only for the outermost transaction before it writes anything: the other connections see what was
    committed when the block began, not this transaction's own writes. Where that cannot hold (not
    PostgreSQL, the driver absent, switched off, or an enclosing transaction — a test's, a caller's — that may
    have written), the block reads as before, through this connection. Close the block before writing what
    it read: its transactions hold share locks on the tables read (a dropped index waits for them)."""
    conn = connections[using]
    if not (snapshot_reads_available(using) and conn.in_atomic_block and len(conn.atomic_blocks) == 1):
        yield 0
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
    readers = readers or READERS
    reader = _SnapshotReader(using, snapshot, readers)
    token = _reader.set(reader)
    try:
        yield readers
    finally:
        _reader.reset(token)
        reader.close()


def copy_into(table: str, rows: pl.DataFrame) -> None:
    """PostgreSQL: the frame's rows into `table` (its columns by name) through COPY, in CSV blocks."""
    listed = ", ".join(rows.columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({listed}) FROM STDIN (FORMAT csv)") as copy,
    ):
        for start in range(0, rows.height, COPY_ROWS):
            copy.write(rows.slice(start, COPY_ROWS).write_csv(include_header=False))


class Stage:
    """PostgreSQL: what `sync` does, in the database, for rows that arrive in slices.

    `add` sends a slice of the new rows with COPY into a temporary staging table (the rows leave Python);
    `apply` then classifies every staged row against the stored one (the stored rows of `constant`'s selection:
    insert, rewrite, touch, keep, as `sync`), writes the rows that are not kept in one statement (`INSERT …
    ON CONFLICT (unique) DO UPDATE … WHERE` a value differs), in `order`, and returns the counts. `unique`: the
    table's unique key (`key` and the `constant` columns).

    A write of many rows (`BIG_WRITE`) checks the table's foreign keys once, set-based (`_checked_keys`),
    instead of one deferred trigger per row, where the database role may (see there).

    `source`, `touches`, `carried`, `dated`: as `sync`'s (the stored rows with bookkeeping kept in another
    table; columns written with a written row, never compared; the date column of rows that hold until a later
    row of the same key supersedes them)."""

    def __init__(
        self,
        table: str,
        *,
        key: str,
        result: Sequence[str],
        bookkeeping: Sequence[str] = (),
        stamp: dict[str, object],
        constant: dict[str, object] | None = None,
        unique: Sequence[str],
        order: Sequence[str] = (),
        source: str | None = None,
        touches: bool = True,
        carried: Sequence[str] = (),
        dated: str | None = None,
    ):
        self.table, self.key, self.result, self.bookkeeping = table, key, list(result), list(bookkeeping)
        self.carried = list(carried)
        self.dated = _checked_dated(dated, constant or {}, carried)
        self.stamp, self.constant, self.unique = stamp, constant or {}, list(unique)
        self.order = list(order) or [key]
        self.source, self.touches = source or table, touches
        self.columns = [key, *self.result, *self.bookkeeping, *self.carried]
        Stage._made += 1
        self.name = f"_stage{Stage._made}"
        self.staged = 0
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.name} ON COMMIT DROP AS "
                f"SELECT {', '.join(self.columns)} FROM {self.source} AS t WITH NO DATA"
            )

    _made = 0

    def add(self, new: pl.DataFrame) -> None:
        self.staged += new.height
        copy_into(self.name, new.select(self.columns))

    def apply(self) -> Written:
        if not self.staged:
            # Nothing to classify: no statement at all (an analysed empty stage left the planner free to
            # hash a province's stored rows for the join: 22 s of server CPU at 4,000,000 firms).
            return Written()
        table, key, constant, stage = self.table, self.key, self.constant, self.name
        # The columns written: the bookkeeping only where this table keeps it.
        written_columns = [key, *self.result, *(self.bookkeeping if self.touches else []), *self.carried]
        values = written_columns[1:]
        listed = ", ".join(written_columns)
        plan = f"{stage}_plan"

        def row(alias: str, names: Sequence[str]) -> str:
            return f"ROW({', '.join(f'{alias}.{c}' for c in names)})"

        dated = self.dated
        matched = {c: v for c, v in constant.items() if c != dated}
        match = " AND ".join([f"t.{key} = s.{key}", *(f"t.{c} = %s" for c in matched)])
        if dated:
            # The stored row of a key is its latest of the date or before (it holds until superseded).
            stored = (
                f"LEFT JOIN LATERAL (SELECT * FROM {self.source} AS t WHERE {match} AND t.{dated} <= %s "
                f"ORDER BY t.{dated} DESC LIMIT 1) t ON true"
            )
            match_params = [*matched.values(), constant[dated]]
        else:
            stored, match_params = f"LEFT JOIN {self.source} t ON {match}", list(matched.values())
        # Dated: a changed row of an earlier date is not rewritten (it stays that date's), a row of the date
        # is inserted beside it (a touch too, where this table keeps the bookkeeping).
        earlier = f"CASE WHEN t.{dated} < %s THEN 'insert' ELSE '{{}}' END" if dated else "'{}'"
        rewrite, action_params = earlier.format("rewrite"), [constant[dated]] if dated else []
        touched = earlier.format("touch") if self.touches else "'touch'"
        if self.bookkeeping and dated and self.touches:
            action_params.append(constant[dated])
        touch = (
            f"WHEN {row('t', self.bookkeeping)} IS DISTINCT FROM {row('s', self.bookkeeping)} THEN {touched} "
            if self.bookkeeping
            else ""
        )
        # A row of the same values whose carried columns differ (a digest missing or stale): those columns
        # alone are written (no stamp: its content did not change), so that it is not compared again.
        carry = (
            f"WHEN {row('t', self.carried)} IS DISTINCT FROM {row('s', self.carried)} THEN 'carry' "
            if self.carried
            else ""
        )
        targets = [*written_columns, *self.stamp, *constant]
        updated = [*values, *self.stamp]
        stamps = ["%s"] * len(self.stamp)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {stage} ({key})")  # the join's estimate needs the key's statistics only
            # The plan is narrow (key, stored id, action): the staged rows are read again for the few written.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {plan} ON COMMIT DROP AS "
                f"SELECT s.{key}, t.id AS stored_id, CASE WHEN t.id IS NULL THEN 'insert' "
                f"WHEN {row('t', self.result)} IS DISTINCT FROM {row('s', self.result)} THEN {rewrite} {touch}"
                f"{carry}ELSE 'keep' END AS action FROM {stage} s {stored}",
                [*action_params, *match_params],
            )
            cursor.execute(f"SELECT action, count(*) FROM {plan} GROUP BY action")
            counts = dict(cursor.fetchall())
            written = Written(
                counts.get("insert", 0),
                counts.get("rewrite", 0),
                counts.get("touch", 0),
                counts.get("keep", 0) + counts.get("carry", 0),
            )
            changed = ("rewrite", "touch") if self.touches else ("rewrite",)
            rows = (
                f"(SELECT s.*, p.stored_id, p.action FROM {stage} s JOIN {plan} p ON p.{key} = s.{key} "
                f"WHERE p.action IN ({', '.join(repr(a) for a in ('insert', *changed, 'carry'))}))"
            )
            statements = []
            if written.inserted:
                statements.append(
                    (
                        f"INSERT INTO {table} AS t ({', '.join(targets)}) "
                        f"SELECT {listed}, {', '.join([*stamps, *['%s'] * len(constant)])} FROM {rows} w "
                        f"WHERE w.action = 'insert' ORDER BY {', '.join(self.order)} "
                        f"ON CONFLICT ({', '.join(self.unique)}) DO UPDATE SET ({', '.join(updated)}) = "
                        f"{row('EXCLUDED', updated)} WHERE {row('t', values)} IS DISTINCT FROM "
                        f"{row('EXCLUDED', values)}",
                        [*self.stamp.values(), *constant.values()],
                    )
                )
            if sum(getattr(written, {"rewrite": "rewritten", "touch": "touched"}[a]) for a in changed):
                # By the stored row's id: no conflict check, and (the changed columns being unindexed, with
                # room on the page) a heap-only update.
                statements.append(
                    (
                        f"UPDATE {table} AS t SET ({', '.join(updated)}) = "
                        f"ROW({', '.join([*(f'w.{c}' for c in values), *stamps])}) FROM {rows} w "
                        f"WHERE w.action IN ({', '.join(repr(a) for a in changed)}) AND t.id = w.stored_id",
                        list(self.stamp.values()),
                    )
                )
            if counts.get("carry"):
                statements.append(
                    (
                        f"UPDATE {table} AS t SET ({', '.join(self.carried)}) = {row('w', self.carried)} "
                        f"FROM {rows} w WHERE w.action = 'carry' AND t.id = w.stored_id",
                        [],
                    )
                )
            writes = written.inserted + written.rewritten + (written.touched if self.touches else 0)
            rebuild = _indexes_off(cursor, table) if written.inserted >= BIG_WRITE else []
            if writes >= BIG_WRITE and _checked_keys(cursor, table, rows, written_columns):
                cursor.execute("SELECT current_setting('session_replication_role')")
                (role,) = cursor.fetchone()
                cursor.execute("SET LOCAL session_replication_role = replica")
                for statement, params in statements:
                    cursor.execute(statement, params)
                cursor.execute("SELECT set_config('session_replication_role', %s, true)", [role])
            else:
                for statement, params in statements:
                    cursor.execute(statement, params)
            cursor.execute(f"DROP TABLE {plan}")
            cursor.execute(f"DROP TABLE {stage}")
            if rebuild:
                # CREATE INDEX refuses a table with pending (deferred) checks: those of the rows written
                # with the per-row checks, or of earlier writes of an enclosing transaction, run now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for definition in rebuild:
                    cursor.execute(definition)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys: INITIALLY DEFERRED
            if written.inserted >= BIG_WRITE:  # the first run of a date: statistics for the pages
                cursor.execute(f"ANALYZE {table}")
        return written


def _indexes_off(cursor, table: str) -> list[str]:
    """An empty table about to receive many rows (the first run ever): drop its secondary indexes and
    return their definitions, to be built after the insert (a sort each, instead of a B-tree insert per row
    into each; the ledger has fourteen). The primary key and unique indexes stay (the upsert needs its
    conflict key). In the transaction: a failure puts them back; readers of the (empty) table wait for the
    commit. A table with rows keeps its indexes: [] then."""
    cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")
    if not cursor.fetchone()[0]:
        return []
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = %s::regclass AND NOT indisunique AND NOT indisprimary ORDER BY 1",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes]


def _checked_keys(cursor, table: str, rows: str, columns: Sequence[str]) -> bool:
    """Check the foreign keys of the rows about to be written (`rows`, a subquery) in one query per key, and say
    whether the write may then skip PostgreSQL's per-row checks (`session_replication_role = replica` for
    the write's statements: no trigger fires). The deferred check of millions of new rows (an index probe and a
    row lock each, at commit) was minutes of a first run; the set-based check is a join.

    Only when the role may set `session_replication_role` (a superuser, or PostgreSQL 15's `GRANT SET ON
    PARAMETER session_replication_role TO …`), the table has no trigger of its own (those would be skipped
    too) and every foreign-key column is staged; otherwise False and the usual per-row checks run. The
    referenced tables are locked in SHARE mode until the commit (reads go on; their writes wait), so a
    referenced row cannot go between the check and the commit. A missing reference raises IntegrityError,
    as the per-row check would."""
    cursor.execute("SELECT current_setting('server_version_num')::int")
    if cursor.fetchone()[0] < 150000:  # has_parameter_privilege and GRANT SET ON PARAMETER: PostgreSQL 15
        return False
    cursor.execute(
        "SELECT has_parameter_privilege('session_replication_role', 'SET'), "
        "NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal)",
        [table],
    )
    allowed, no_triggers = cursor.fetchone()
    cursor.execute(
        "SELECT a.attname, c.confrelid::regclass::text, r.attname, cardinality(c.conkey) FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1] "
        "WHERE c.conrelid = %s::regclass AND c.contype = 'f'",
        [table],
    )
    keys = cursor.fetchall()
    if not (allowed and no_triggers and all(column in columns and n == 1 for column, _, _, n in keys)):
        return False
    for referenced in sorted({ref for _, ref, _, _ in keys}):
        cursor.execute(f"LOCK TABLE {referenced} IN SHARE MODE")
    for column, referenced, target, _ in keys:
        cursor.execute(
            f"SELECT p.{column} FROM {rows} p WHERE p.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {referenced} r WHERE r.{target} = p.{column}) LIMIT 1"
        )
        missing = cursor.fetchone()
        if missing:
            raise IntegrityError(
                f"{table}.{column} = {missing[0]} is not present in {referenced}.{target} (foreign key)"
            )
    return True


Firms = tuple[Sequence[int] | None, tuple[int, int] | None]  # a slice: listed ids and/or an id range


def firms_clause(column: str, ids: Sequence[int] | None = None, span: tuple[int, int] | None = None):
    """(` AND …`, params) selecting the listed firms (`ids`) and/or the firms of an id range (`span`: the
    first and last id, inclusive) by `column`; ("", []) for every firm. Listed ids go as one array on
    PostgreSQL (no limit on their number), as `IN (…)` on SQLite."""
    sql, params = "", []
    if span is not None:
        sql, params = f" AND {column} BETWEEN %s AND %s", list(span)
    if ids is not None:
        if connection.vendor == "postgresql":
            sql, params = f"{sql} AND {column} = ANY(%s)", [*params, list(ids)]
        else:
            sql, params = f"{sql} AND {column} IN ({','.join(['%s'] * len(ids))})", [*params, *ids]
    return sql, params


def stored_rows(
    source: str,
    key: str,
    schema: dict[str, pl.DataType],
    constant: dict[str, object],
    firms: Firms,
    dated: str | None = None,
) -> pl.DataFrame:
    """`id`, `key` and the `schema` columns of the stored rows of `source` (a table, or a query of one joined
    with another holding its bookkeeping) with the `constant` values, of the firms `firms` (`firms_clause`).
    `dated`: the constant that is a date: each key's latest row of that date or before (`latest_rows`),
    with its date."""
    by_firm, params = firms_clause(f"t.{key}", *firms)
    others = {c: v for c, v in constant.items() if c != dated}
    where = "".join(f" AND t.{c} = %s" for c in others) + by_firm
    full = {"id": pl.Int64, key: pl.Int64, **schema}
    if dated:
        full[dated] = pl.Date
        sql, params = latest_rows(
            source, key, list(full), dated, constant[dated], where, [*others.values(), *params]
        )
        return read_frame(sql, params, full)
    listed = ", ".join(f"t.{c}" for c in full)
    return read_frame(
        f"SELECT {listed} FROM {source} AS t WHERE 1 = 1{where}", [*others.values(), *params], full
    )


def sync(
    table: str,
    new: pl.DataFrame,
    stored: pl.DataFrame,
    *,
    key: str,
    result: Sequence[str],
    bookkeeping: Sequence[str] = (),
    stamp: dict[str, object],
    constant: dict[str, object] | None = None,
    touches: bool = True,
    carried: Sequence[str] = (),
    dated: str | None = None,
) -> Written:
    """Bring `table` to `new` (one row per `key`): insert, rewrite, touch or leave each row.

    `result`: the columns whose change rewrites a row; `bookkeeping`: compared too, but a change there alone
    only touches the row (a facts revision with the same verdict); `stamp`: written with every written row,
    never compared (a time); `constant`: the same for every row and part of the selection `stored` was read
    with (the evaluation date, the policy), given to inserts. `stored`: the current rows (`id`, `key`,
    `result`, `bookkeeping`) of that selection, from `stored_rows`.

    `touches=False`: the bookkeeping is kept in another table (`stored` read it through a join; that
    table's own writer writes it), so a touched row is counted and not written, and inserts and rewrites
    write the result columns only.

    `carried`: columns of `new` written with every inserted or rewritten row and not part of the comparison
    (a digest of the row): a stored row whose values are the same but whose carried columns differ (a digest
    missing, or stale after a rename) gets those columns alone written, without a stamp, and counts as
    unchanged; it is then not compared again. `stored` holds them where they are to be compared so.

    `dated`: the column of `constant` holding the date of rows that hold from that date until a later row
    of the same key (and other constants) supersedes them (`stored`: each key's latest row of the date or
    before, with that column: `latest_rows`). A changed row of an earlier date is not rewritten, it stays
    that date's: a row of the date is inserted beside it. So a run on a new date writes what changed only."""
    constant = constant or {}
    _checked_dated(dated, constant, carried)
    joined = new.join(stored, on=key, how="left", suffix="__old")
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in result])
    same_books = pl.all_horizontal(
        [pl.lit(True), *(pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in bookkeeping)]
    )
    compared = [c for c in carried if f"{c}__old" in joined.columns]  # those `stored` holds
    same_carried = pl.all_horizontal(
        [pl.lit(True), *(pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in compared)]
    )
    exists = pl.col("id").is_not_null()
    plan = joined.with_columns(
        pl.when(~exists)
        .then(pl.lit("insert"))
        .when(~same)
        .then(pl.lit("rewrite"))
        .when(~same_books)
        .then(pl.lit("touch"))
        .when(~same_carried)
        .then(pl.lit("carry"))
        .otherwise(pl.lit("keep"))
        .alias("_action")
    )
    if dated:
        earlier = ["rewrite", "touch"] if touches else ["rewrite"]
        stored_date = f"{dated}__old" if f"{dated}__old" in plan.columns else dated
        plan = plan.with_columns(
            pl.when(pl.col("_action").is_in(earlier) & (pl.col(stored_date) < constant[dated]))
            .then(pl.lit("insert"))
            .otherwise(pl.col("_action"))
            .alias("_action")
        )
    counts = dict(plan.group_by("_action").len().iter_rows())
    values = [*result, *(bookkeeping if touches else []), *carried]
    stamps = list(stamp.values())
    if counts.get("insert"):
        rows = plan.filter(pl.col("_action") == "insert").select(key, *values).iter_rows()
        _insert(table, [key, *values, *stamp, *constant], rows, [*stamps, *constant.values()])
    if counts.get("rewrite"):
        rows = plan.filter(pl.col("_action") == "rewrite").select(*values, "id").iter_rows()
        _update(table, [*values, *stamp], rows, stamps)
    if counts.get("touch") and touches:
        rows = plan.filter(pl.col("_action") == "touch").select(*bookkeeping, "id").iter_rows()
        _update(table, [*bookkeeping, *stamp], rows, stamps)
    if counts.get("carry"):  # the same values, a missing or stale digest: the digest alone, no stamp
        rows = plan.filter(pl.col("_action") == "carry").select(*compared, "id").iter_rows()
        _update(table, compared, rows, [])
    return Written(
        counts.get("insert", 0),
        counts.get("rewrite", 0),
        counts.get("touch", 0),
        counts.get("keep", 0) + counts.get("carry", 0),
    )


def _checked_dated(dated: str | None, constant: dict, carried: Sequence[str]) -> str | None:
    if dated is not None and (dated not in constant or carried):
        raise ValueError("a dated table's date is one of its constants, and its rows carry no columns")
    return dated


def latest_rows(
    source: str, key: str, columns: Sequence[str], dated: str, on: object, where: str = "", params=()
) -> tuple[str, list]:
    """(SQL, params) of each key's latest row of `source` dated `on` or before (rows that hold until
    superseded: `sync`'s `dated`), its `columns` (the date among them); `where`: ` AND …` conditions of
    `source`'s rows (alias `t`). PostgreSQL: DISTINCT ON; SQLite: the row of the group's max(date) (its
    documented choice of a bare column's value; the date typed by its column name, as Django's converters
    read a computed column's type)."""
    if connection.vendor == "postgresql":
        listed = ", ".join(f"t.{c}" for c in columns)
        return (
            f"SELECT DISTINCT ON (t.{key}) {listed} FROM {source} AS t WHERE t.{dated} <= %s{where} "
            f"ORDER BY t.{key}, t.{dated} DESC",
            [on, *params],
        )
    listed = ", ".join(f'max(t.{c}) AS "{c} [date]"' if c == dated else f"t.{c}" for c in columns)
    return f"SELECT {listed} FROM {source} AS t WHERE t.{dated} <= %s{where} GROUP BY t.{key}", [on, *params]


def _insert(table: str, columns: list[str], rows, extra: list) -> None:
    """INSERT rows `(*values)` followed by the same `extra` values."""
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *extra))
            return
        _many(cursor, sql, ((*row, *extra) for row in rows))


def _update(table: str, columns: list[str], rows, extra: list) -> None:
    """UPDATE … SET columns WHERE id = …, for rows `(*values, id)`; `extra` completes the values (the last
    columns). PostgreSQL: COPY into a temporary table and one UPDATE … FROM (executemany would be a round trip
    per row)."""
    n = len(columns) - len(extra)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMPORARY TABLE _sync ON COMMIT DROP AS SELECT id, {', '.join(columns)} FROM {table} "
                "WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY _sync ({', '.join([*columns, 'id'])}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row[:n], *extra, row[n]))
            sets = ", ".join(f"{c} = _sync.{c}" for c in columns)
            cursor.execute(f"UPDATE {table} SET {sets} FROM _sync WHERE {table}.id = _sync.id")
            cursor.execute("DROP TABLE _sync")
            return
        sql = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE id = %s"
        _many(cursor, sql, ((*row[:n], *extra, row[n]) for row in rows))


def _many(cursor, sql: str, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            cursor.executemany(sql, batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
