"""Writing a re-evaluation's rows: only what changed.

A re-evaluation recomputes every firm it is given, but most results are what is stored already (an import
touches a few figures; a nightly run changes little). `sync` compares the new rows with the stored ones in
Polars and then inserts the new keys, rewrites the rows whose results changed, touches only the bookkeeping
columns of rows whose results are the same (a new facts revision, the same verdict), and leaves identical rows
alone. The costs it avoids are the index updates of rewritten rows (the ledger's four name-ordered indexes
above all) and the deletes.

Measured (100,000 firms, SQLite, `python -m bench reevaluate`): see the benchmark's output.

PostgreSQL has a bulk path for a province's registry (millions of rows), where moving rows through Python
tuples is the cost: `copy_frame` reads a query's rows with `COPY (SELECT …) TO STDOUT` (CSV) straight into
Polars, and `sync_in_database` sends the new rows with COPY into a temporary staging table, then compares them
with the stored rows and writes the changed ones in one statement (`INSERT … ON CONFLICT … DO UPDATE … WHERE`
the values differ): the stored rows never leave the database, unchanged rows are not written at all.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from django.db import connection

BATCH = 5_000
COPY_ROWS = 200_000  # rows per CSV block sent to COPY
ANALYZE_AFTER = 100_000  # rows inserted by a bulk write from which the table's statistics are refreshed


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
    sql: str, params: Sequence, schema: dict[str, pl.DataType], *, bulk: bool = False
) -> pl.DataFrame:
    """A query's rows as a typed frame (`bulk`: through COPY, PostgreSQL only)."""
    if bulk:
        return copy_frame(sql, params, schema)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def copy_frame(sql: str, params: Sequence, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """PostgreSQL: a query's rows (its columns in `schema`'s order) through `COPY (…) TO STDOUT` as CSV, parsed
    by Polars. Booleans travel as 0/1 and timestamps as microseconds since the epoch (UTC), so that nothing
    depends on the server's text formats; SQL NULL is an empty field, an empty string a quoted one."""
    names = list(schema)
    aliases = [f"c{i}" for i in range(len(names))]
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
    statement = (
        f"COPY (SELECT {', '.join(exprs)} FROM ({sql}) AS q({', '.join(aliases)})) TO STDOUT (FORMAT csv)"
    )
    # Through a temporary file: Polars reads it mapped, without a second copy of gigabytes of text in memory.
    with tempfile.NamedTemporaryFile(prefix="gaoqi-copy-", suffix=".csv") as spool:
        with connection.cursor() as cursor, cursor.cursor.copy(statement, list(params) or None) as copy:
            for block in copy:
                spool.write(block)
        spool.flush()
        if not spool.tell():
            return pl.DataFrame(schema=schema)
        frame = pl.read_csv(spool.name, has_header=False, new_columns=names, schema=wire)
    return frame.with_columns(
        pl.col(n).cast(pl.Boolean) if dtype == pl.Boolean else pl.from_epoch(n, "us").cast(dtype)
        for n, dtype in schema.items()
        if dtype == pl.Boolean or isinstance(dtype, pl.Datetime) or dtype == pl.Datetime
    )


def sync_in_database(
    table: str,
    new: pl.DataFrame,
    *,
    key: str,
    result: Sequence[str],
    bookkeeping: Sequence[str] = (),
    stamp: dict[str, object],
    constant: dict[str, object] | None = None,
    unique: Sequence[str],
) -> Written:
    """PostgreSQL: what `sync` does, in the database. `new` goes with COPY into a temporary staging table; one
    statement then classifies each row against the stored one (the stored rows of `constant`'s selection:
    insert, rewrite, touch, keep, as `sync`), inserts or updates the rows that are not kept (`INSERT … ON
    CONFLICT (unique) DO UPDATE … WHERE` a value differs) and returns the counts. `unique`: the table's unique
    key (`key` and the `constant` columns)."""
    constant = constant or {}
    values = [*result, *bookkeeping]
    columns = [key, *values]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE _stage ON COMMIT DROP AS SELECT {listed} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY _stage ({listed}) FROM STDIN (FORMAT csv)") as copy:
            rows = new.select(columns)
            for start in range(0, rows.height, COPY_ROWS):
                copy.write(rows.slice(start, COPY_ROWS).write_csv(include_header=False))
        cursor.execute("ANALYZE _stage")

        def row(alias: str, names: Sequence[str]) -> str:
            return f"ROW({', '.join(f'{alias}.{c}' for c in names)})"

        match = " AND ".join([f"t.{key} = s.{key}", *(f"t.{c} = %s" for c in constant)])
        touch = (
            f"WHEN {row('t', bookkeeping)} IS DISTINCT FROM {row('s', bookkeeping)} THEN 'touch' "
            if bookkeeping
            else ""
        )
        targets = [*columns, *stamp, *constant]
        updated = [*values, *stamp]
        cursor.execute(
            f"WITH plan AS MATERIALIZED ("
            f"SELECT s.*, CASE WHEN t.id IS NULL THEN 'insert' "
            f"WHEN {row('t', result)} IS DISTINCT FROM {row('s', result)} THEN 'rewrite' {touch}"
            f"ELSE 'keep' END AS action FROM _stage s LEFT JOIN {table} t ON {match}), "
            f"written AS (INSERT INTO {table} AS t ({', '.join(targets)}) "
            f"SELECT {listed}, {', '.join(['%s'] * (len(stamp) + len(constant)))} FROM plan WHERE action <> 'keep' "
            f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET ({', '.join(updated)}) = "
            f"{row('EXCLUDED', updated)} WHERE {row('t', values)} IS DISTINCT FROM {row('EXCLUDED', values)}) "
            f"SELECT action, count(*) FROM plan GROUP BY action",
            [*constant.values(), *stamp.values(), *constant.values()],
        )
        counts = dict(cursor.fetchall())
        cursor.execute("DROP TABLE _stage")
        if counts.get("insert", 0) >= ANALYZE_AFTER:  # the first run of a date: statistics for the pages
            cursor.execute(f"ANALYZE {table}")
    return Written(
        counts.get("insert", 0), counts.get("rewrite", 0), counts.get("touch", 0), counts.get("keep", 0)
    )


def stored_rows(
    table: str, key: str, schema: dict[str, pl.DataType], where: str, params: Sequence, ids: list[int] | None
) -> pl.DataFrame:
    """`id`, `key` and the `schema` columns of the stored rows matching `where` (and `key IN ids` when given:
    read in chunks for a few firms, the whole selection and a join for many)."""
    full = {"id": pl.Int64, key: pl.Int64, **schema}
    base = f"SELECT {', '.join(full)} FROM {table} WHERE {where}"
    if ids is None or len(ids) > 50_000:
        out = read_frame(base, params, full)
        if ids is not None:
            out = out.join(pl.DataFrame({key: ids}, schema={key: pl.Int64}), on=key, how="semi")
        return out
    frames = [pl.DataFrame(schema=full)]
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        marks = ",".join(["%s"] * len(chunk))
        frames.append(read_frame(f"{base} AND {key} IN ({marks})", [*params, *chunk], full))
    return pl.concat(frames)


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
) -> Written:
    """Bring `table` to `new` (one row per `key`): insert, rewrite, touch or leave each row.

    `result`: the columns whose change rewrites a row; `bookkeeping`: compared too, but a change there alone
    only touches the row (a facts revision with the same verdict); `stamp`: written with every written row,
    never compared (a time); `constant`: the same for every row and part of the selection `stored` was read
    with (the evaluation date, the policy), given to inserts. `stored`: the current rows (`id`, `key`,
    `result`, `bookkeeping`) of that selection, from `stored_rows`."""
    constant = constant or {}
    joined = new.join(stored, on=key, how="left", suffix="__old")
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in result])
    same_books = pl.all_horizontal(
        [pl.lit(True), *(pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in bookkeeping)]
    )
    exists = pl.col("id").is_not_null()
    plan = joined.with_columns(
        pl.when(~exists)
        .then(pl.lit("insert"))
        .when(~same)
        .then(pl.lit("rewrite"))
        .when(~same_books)
        .then(pl.lit("touch"))
        .otherwise(pl.lit("keep"))
        .alias("_action")
    )
    counts = dict(plan.group_by("_action").len().iter_rows())
    values = [*result, *bookkeeping]
    stamps = list(stamp.values())
    if counts.get("insert"):
        rows = plan.filter(pl.col("_action") == "insert").select(key, *values).iter_rows()
        _insert(table, [key, *values, *stamp, *constant], rows, [*stamps, *constant.values()])
    if counts.get("rewrite"):
        rows = plan.filter(pl.col("_action") == "rewrite").select(*values, "id").iter_rows()
        _update(table, [*values, *stamp], rows, stamps)
    if counts.get("touch"):
        rows = plan.filter(pl.col("_action") == "touch").select(*bookkeeping, "id").iter_rows()
        _update(table, [*bookkeeping, *stamp], rows, stamps)
    return Written(
        counts.get("insert", 0), counts.get("rewrite", 0), counts.get("touch", 0), counts.get("keep", 0)
    )


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
