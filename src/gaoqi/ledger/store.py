"""Writing a re-evaluation's rows: only what changed.

A re-evaluation recomputes every firm it is given, but most results are what is stored already (an import
touches a few figures; a nightly run changes little). `sync` compares the new rows with the stored ones in
Polars and then inserts the new keys, rewrites the rows whose results changed, touches only the bookkeeping
columns of rows whose results are the same (a new facts revision, the same verdict), and leaves identical rows
alone. The costs it avoids are the index updates of rewritten rows (the ledger's four name-ordered indexes
above all) and the deletes.

Measured (100,000 firms, SQLite, `python -m bench reevaluate`): see the benchmark's output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from django.db import connection

BATCH = 5_000


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


def read_frame(sql: str, params: Sequence, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A query's rows as a typed frame."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


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
