"""`bulk.frame_in`: the rows of a query whose key is among many values, as a typed frame. On PostgreSQL the
keys go through a temporary table and the rows come back with COPY; the frame must hold exactly the rows, and
the values, that the chunked `IN (…)` lists of `where_in` read (run on SQLite and on PostgreSQL)."""

from __future__ import annotations

import polars as pl
from django.db import transaction

from gaoqi.intake.bulk import fetch, frame_in, where_in
from gaoqi.registry.models import Enterprise
from tests import factories

SCHEMA = {"id": pl.Int64, "code": pl.String, "name": pl.String, "zoned": pl.Boolean}


def _rows(frame: pl.DataFrame) -> list[tuple]:
    return sorted(frame.iter_rows())


def test_frame_in_reads_what_where_in_reads(officers):
    names = ["普通公司", "带\t制表符\\反斜杠的公司", "", "带\n换行的公司"]
    firms = [
        factories.enterprise("320583", name=name or "占位", actor=officers["province"], in_hitech_zone=i == 1)
        for i, name in enumerate(names)
    ]
    for firm, name in zip(firms, names, strict=True):  # an empty text must not come back as null
        Enterprise.objects.filter(pk=firm.pk).update(name=name)
    outside = factories.enterprise("320115", name="不在键中的公司", actor=officers["province"])
    qs = Enterprise.objects.order_by().values_list("id", "credit_code", "name", "in_hitech_zone")
    codes = [f.credit_code for f in firms] + ["91320000MA0000000X"]  # one key no firm has
    ids = [f.pk for f in firms]

    by_code = frame_in(qs, "credit_code", codes, SCHEMA)
    expected = sorted(fetch(where_in(qs, "credit_code", codes)))
    assert _rows(by_code) == expected
    assert [(r[2], r[3]) for r in _rows(by_code)] == [(n, i == 1) for i, n in enumerate(names)]
    assert outside.pk not in by_code["id"].to_list()
    assert _rows(frame_in(qs, "id", ids, SCHEMA)) == expected
    assert _rows(frame_in(qs, "name", names, SCHEMA)) == expected  # keys with a tab, a backslash, a newline
    # Nested in a transaction and used twice in it (the key tables must not collide), and no keys at all.
    with transaction.atomic():
        assert _rows(frame_in(qs, "id", ids[:2], SCHEMA)) == expected[:2]
        assert _rows(frame_in(qs, "credit_code", codes[2:], SCHEMA)) == expected[2:]
    empty = frame_in(qs, "id", [], SCHEMA)
    assert empty.is_empty() and empty.schema == pl.Schema(SCHEMA)
