"""Moving many rows without building model instances.

`insert`: executemany on SQLite, COPY on PostgreSQL, for tables whose new rows need no id back (staged rows,
reports, extra facts); values must already be in the database's form (JSON as text, datetimes adapted by
`now()`). `frame_in`: the rows of a query whose key is among many values, as a Polars frame.
`without_cycle_collection`: a whole staging or commit without the cycle collector's passes.
"""

from __future__ import annotations

import functools
import gc
import itertools
import json
from collections.abc import Callable, Iterable, Sequence

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from gaoqi.ledger.store import copy_frame

BATCH = 5_000
CHUNK = 5_000  # keys per `IN (…)` list on SQLite (its limit on a statement's parameters is 32,766)
_key_tables = itertools.count()


def without_cycle_collection(fn: Callable) -> Callable:
    """`fn` run with Python's cycle collector paused. Staging or committing a big file makes millions of
    short-lived objects (rows, dicts, JSON texts), none of them in a cycle; every full collection in between
    walks all that are alive (a third of a 100,000-row commit's CPU, measured). Reference counting still
    frees them; collection resumes after (process-wide: another thread's work goes without it meanwhile)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return run


def now():
    return connection.ops.adapt_datetimefield_value(timezone.now())


dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def insert(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def insert_frame(model, frame: pl.DataFrame, slice_rows: int = 20_000) -> int:
    """`insert` of a frame whose columns are `model`'s fields (JSON as text). PostgreSQL: the frame written as
    CSV by Polars into COPY, a slice at a time, no Python tuple per row (texts quoted, so that an empty text
    stays one and only a null is NULL); SQLite: `insert` of its rows."""
    if connection.vendor != "postgresql":
        return insert(model, frame.columns, frame.iter_rows())
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in frame.columns)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, frame.height, slice_rows):
                part = frame.slice(start, slice_rows)
                copy.write(part.write_csv(include_header=False, quote_style="non_numeric"))
    return frame.height


def frame_in(qs, field: str, values: list, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The rows of `qs`, a `values_list()` of `schema`'s columns in its order, whose `field` is among
    `values` (distinct ints or texts), as a typed frame.

    PostgreSQL: the values go with COPY into a temporary table that the query joins, one query whose rows
    come back with COPY into Polars (`ledger.store.copy_frame`): the planner hashes the join for a big file
    and probes the index for a small one, and no row becomes a Python tuple. A list of 5,000 parameters per
    chunk instead cost the client more than the query (the driver parses the statement's placeholders) and
    the server one index probe per key. SQLite: chunks of `where_in`."""
    if not values:
        return pl.DataFrame(schema=schema)
    if connection.vendor != "postgresql":
        rows = []
        for i in range(0, len(values), CHUNK):
            rows += fetch(where_in(qs, field, values[i : i + CHUNK]))
        return pl.DataFrame(rows, schema=schema, orient="row")
    table = f"_gaoqi_keys_{next(_key_tables)}"
    kind = "bigint" if isinstance(values[0], int) else "text"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {table} (k {kind} NOT NULL) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            copy.write("".join(f"{_copy_text(v)}\n" for v in values))  # one block, not a call per key
        cursor.execute(f"ANALYZE {table}")  # its size, for the plan
        sql, params = qs.extra(
            where=[f"{_column(qs.model, field)} IN (SELECT k FROM {table})"]
        ).query.sql_with_params()
        frame = copy_frame(sql, params, schema)
        cursor.execute(f"DROP TABLE {table}")
    return frame


def _copy_text(value) -> str:
    """A value as a field of COPY's text format."""
    if isinstance(value, int):
        return str(value)
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _column(model, field: str) -> str:
    return f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name(model._meta.get_field(field).column)}"


def where_in(qs, field: str, values: list):
    """`qs` filtered to `field IN values`, the values handed to the driver as they are. Django prepares
    each value of an `__in` lookup one by one, which costs more than the query itself for thousands of
    keys; the values here are ids and validated credit codes from our own reads."""
    return qs.extra(
        where=[f"{_column(qs.model, field)} IN ({', '.join(['%s'] * len(values))})"], params=list(values)
    )


def fetch(qs) -> list[tuple]:
    """The rows of a `values_list()` of integer and text columns, straight from the cursor: Django's per-row
    converters cost more than the query for a few hundred thousand rows (and ints need none)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
