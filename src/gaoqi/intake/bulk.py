"""Inserting many rows without building model instances: executemany on SQLite, COPY on PostgreSQL.

For tables whose new rows need no id back (staged rows, reports, extra facts); values must already be in
the database's form (JSON as text, datetimes adapted by `now()`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection
from django.utils import timezone

BATCH = 5_000


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


def where_in(qs, field: str, values: list):
    """`qs` filtered to `field IN values`, the values handed to the driver as they are. Django prepares
    each value of an `__in` lookup one by one, which costs more than the query itself for thousands of
    keys; the values here are ids and validated credit codes from our own reads."""
    model = qs.model
    column = f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name(model._meta.get_field(field).column)}"
    return qs.extra(where=[f"{column} IN ({', '.join(['%s'] * len(values))})"], params=list(values))


def fetch(qs) -> list[tuple]:
    """The rows of a `values_list()` of integer and text columns, straight from the cursor: Django's per-row
    converters cost more than the query for a few hundred thousand rows (and ints need none)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
