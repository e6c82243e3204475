"""The ledger summary's counts, materialised: one row per county, tier, list, tech field and high-tech zone
(`LedgerTally`).

The summary above the ledger page counts the entries in scope by region and tier. Counted per page view that
is a scan of every entry of a province (387 ms at 1,000,000 firms on PostgreSQL, measured). `refresh()`
counts once, after a re-evaluation (`gaoqi reevaluate`, the region job and an import's job call it), and
`rows_for()` answers from those rows whenever the page's filters are regions, a tier, a list, a tech field or
a zone (anything but a name). The rows are used only while they are current: `source_updated_at` must equal
the latest write of an entry (an indexed max), so a re-evaluation not followed by a refresh falls back to
counting live, never to stale figures. (An entry removed with its firm leaves the max unchanged: the tally counts it until the next
refresh, which then rebuilds it: the count of entries differs.)

A re-evaluation of every firm counts the tally itself from its entry rows as they pass (`Counts`: the rows it
writes, and those it leaves as they are with their stored date) and stores it: no grouping
of the whole ledger again (8.6 s at 4,000,000 firms, most of a daily run's margin). `refresh()` then finds
the tally current and complete. A test holds the counted tally equal to the rebuilt one.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from django.db import connection, transaction
from django.db.models import Count, Max, Q, Subquery, Sum
from django.utils import timezone

from gaoqi.ledger.models import LISTS, Grade, LedgerEntry, LedgerTally
from gaoqi.ledger.store import copy_into
from gaoqi.registry.selectors import hitech_zone_q, tech_field_q

ROLLUP = LedgerTally.ROLLUP
# The tally's grouping: its columns, and the entry's columns they count
GROUPED = {
    "city": "city_id",
    "county": "county_id",
    "grade": "grade",
    "tech_field": "tech_field_id",
    "in_hitech_zone": "in_hitech_zone",
    "hitech_zone": "hitech_zone_id",
}


def refresh(*, force: bool = False) -> int:
    """Rebuild the tally from the ledger (a few grouped queries); the number of rows written. Nothing is
    rebuilt (0) when the tally is current and counts every entry (a re-evaluation that changed no entry: at
    4,000,000 firms the rebuild is 15 s of grouping the same rows again), unless `force`."""
    if not force and _complete():
        return 0
    with transaction.atomic():
        latest = _latest_write()  # before counting: a write after it leaves the tally not current
        rows = []
        for key, condition in {"all": Q(), **LISTS}.items():
            grouped = (
                LedgerEntry.objects.filter(condition)
                .values_list(*GROUPED.values())
                .annotate(n=Count("pk"), as_of=Max("as_of"))
                .order_by()
            )
            detail = [
                (city, county, grade, field or "", in_zone, zone or "", n, as_of)
                for city, county, grade, field, in_zone, zone, n, as_of in grouped
            ]
            rows += [(key, *row) for row in [*detail, *_rollups(detail)]]
        return _replace(rows, latest)


def list_expr(condition: Q) -> pl.Expr:
    """A list's condition (`LISTS`: equalities joined by AND, the form they have) on a frame of entry rows:
    the rows the condition selects in the database (a null equals nothing, as in SQL). Anything else is
    refused rather than read another way."""
    if condition.negated or condition.connector != Q.AND:
        raise ValueError(f"not a conjunction of equalities: {condition!r}")
    expr = pl.lit(True)
    for child in condition.children:
        if isinstance(child, Q):
            expr = expr & list_expr(child)
            continue
        field, value = child
        if "__" in field or value is None or not isinstance(value, bool | int | str):
            raise ValueError(f"not an equality of a column and a value: {child!r}")
        expr = expr & (pl.col(field) == value)
    return expr


_KEY = ["list", *GROUPED]
# The entry columns a tally counts: its grouping's, and the lists' conditions'
COUNTED = [*GROUPED.values(), *sorted({field for q in LISTS.values() for field, _ in q.children})]


def _grouped(rows: pl.DataFrame) -> pl.DataFrame:
    """Entry rows (their GROUPED columns, the lists' columns and `as_of`) counted per list and tally key."""
    keys = [
        pl.col(column).fill_null("").alias(name)
        if name in ("tech_field", "hitech_zone")
        else pl.col(column).alias(name)
        for name, column in GROUPED.items()
    ]
    parts = []
    for key, condition in {"all": Q(), **LISTS}.items():
        of_list = rows if key == "all" else rows.filter(list_expr(condition))
        parts.append(
            of_list.group_by(keys)
            .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("as_of").max())
            .with_columns(pl.lit(key).alias("list"))
        )
    return pl.concat(parts).select(*_KEY, "n", "as_of")


# A run writing more entries than this (a first run, a new reporting year) leaves the tally to `refresh()`:
# reading back the dates of millions of written entries is no cheaper than grouping the ledger.
COUNTED_WRITES_MAX = 500_000


class Counts:
    """The tally of a re-evaluation of every firm, counted from its entry rows as its slices pass (and let
    go): `add` the rows it leaves as they are stored (with their stored date, `as_of`), `add_written` those
    it hands to the writer, whose date the write decides (the run's where the values changed, else the
    stored one) and `write` reads back. After the run's writes, in its transaction, `write` stores the
    tally, stamped with the ledger's latest write (the run's own)."""

    def __init__(self):
        self._parts: list[pl.DataFrame] = []
        self._written: list[pl.DataFrame] = []
        self.written = 0  # rows handed to the writer: their dates are read back

    def add(self, rows: pl.DataFrame) -> None:
        if rows.height:
            self._parts.append(_grouped(rows))

    def add_written(self, rows: pl.DataFrame) -> None:
        self.written += rows.height
        if not self.complete:
            self._written.clear()  # not counted here: refresh() will
        elif rows.height:
            self._written.append(rows.select("enterprise_id", *COUNTED))

    @property
    def complete(self) -> bool:
        """Whether `write` may store the tally (not too many written rows to read back)."""
        return self.written <= COUNTED_WRITES_MAX

    def write(self, dates_of: Callable[[list[int]], pl.DataFrame]) -> int:
        """Store the counted tally, `complete` only (`dates_of(ids)`: (enterprise_id, as_of) of the stored
        entries of the written firms); the number of tally rows."""
        if not self.complete:
            raise ValueError("too many written entries to count: refresh() the tally")
        latest = _latest_write()
        parts = list(self._parts)
        if self._written:
            written = pl.concat(self._written)
            dated = dates_of(written.get_column("enterprise_id").to_list())
            parts.append(_grouped(written.join(dated, on="enterprise_id", how="left")))
        detail = (
            pl.concat(parts).group_by(_KEY).agg(pl.col("n").sum(), pl.col("as_of").max())
            if parts
            else pl.DataFrame(schema={**dict.fromkeys(_KEY, pl.String), "n": pl.Int64, "as_of": pl.Date})
        )
        rows = []
        for key in {"all": None, **LISTS}:
            of_list = detail.filter(pl.col("list") == key).drop("list").rows()
            rows += [(key, *row) for row in [*of_list, *_rollups(of_list)]]
        return _replace(rows, latest)


def _latest_write():
    return LedgerEntry.objects.aggregate(m=Max("updated_at"))["m"]


def _replace(rows: list[tuple], latest) -> int:
    """Make these rows ((list, *GROUPED, n, as_of)) the tally, stamped with `latest` (the latest write of an
    entry they count); their number. PostgreSQL: through COPY (65,000 rows at 4,000,000 firms: a tenth of a second, against seconds
    of `bulk_create`), then fresh statistics (without them the planner took the 30,000 rows of a province for
    one and read them through an index, then sorted: 385 ms against 85 ms, 300,000 firms, load ≈ 9)."""
    now = timezone.now()
    LedgerTally.objects.all().delete()
    if connection.vendor != "postgresql":
        LedgerTally.objects.bulk_create(
            [
                LedgerTally(
                    **dict(zip(_KEY, row[:7], strict=True)),
                    n=row[7],
                    as_of=row[8],
                    source_updated_at=latest,
                    built_at=now,
                )
                for row in rows
            ],
            batch_size=1000,
        )
        return len(rows)
    frame = pl.DataFrame(
        rows,
        schema={
            **dict.fromkeys(_KEY, pl.String),
            "in_hitech_zone": pl.Boolean,
            "n": pl.Int64,
            "as_of": pl.Date,
        },
        orient="row",
    ).with_columns(
        pl.lit(latest.isoformat() if latest else None, pl.String).alias("source_updated_at"),
        pl.lit(now.isoformat()).alias("built_at"),
    )
    copy_into(LedgerTally._meta.db_table, frame)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LedgerTally._meta.db_table}")
    return len(rows)


def _rollups(detail: list[tuple]) -> list[tuple]:
    """The roll-up rows of a list's detail rows (city, county, grade, field, in zone, zone, n, as_of): per
    county and tier over every field (ROLLUP) and each zone, and over every field and zone (ROLLUP twice)."""
    sums: dict[tuple, list] = {}
    for city, county, grade, _field, in_zone, zone, n, as_of in detail:
        for key in (
            (city, county, grade, ROLLUP, in_zone, zone),
            (city, county, grade, ROLLUP, False, ROLLUP),
        ):
            total = sums.setdefault(key, [0, None])
            total[0] += n
            if as_of and (total[1] is None or as_of > total[1]):
                total[1] = as_of
    return [(*key, n, as_of) for key, (n, as_of) in sums.items()]


def _complete() -> bool:
    """Current, and its province-wide roll-up rows add up to the number of entries (an entry deleted with its
    firm leaves the latest write as it was, but not the count)."""
    if not current():
        return False
    counted = (
        LedgerTally.objects.filter(list="all", tech_field=ROLLUP, hitech_zone=ROLLUP).aggregate(n=Sum("n"))[
            "n"
        ]
        or 0
    )
    return counted == LedgerEntry.objects.count()


def current() -> bool:
    """Whether the tally reflects the ledger's latest write (and exists): one query, the stamp of its first row
    and the latest write (off the index)."""
    latest = LedgerEntry.objects.order_by("-updated_at").values("updated_at")[:1]
    row = (
        LedgerTally.objects.order_by("pk")
        .annotate(latest=Subquery(latest))
        .values_list("source_updated_at", "latest")
        .first()
    )
    return row is not None and row[0] is not None and row[0] == row[1]


def rows_for(*, actor, filters, level: str = "county") -> list[tuple] | None:
    """The tally rows the summary of `filters` adds up, scoped like the ledger (`regional_q` by city and
    county), or None when the filters need the entries themselves (a name) or the tally is not
    current. A top-level tech field sums its sub-fields' rows (codes extend their field's code); without a
    field the roll-up rows answer (every field; every zone too without a zone filter: ~1,000 rows for a
    province instead of ~15,000). Summed in the database by `level` ("city" or "county") and tier:
    [(region, grade, n, latest as_of)]."""
    qs = _rows(actor=actor, filters=filters)
    if qs is None:
        return None
    return list(qs.values_list(level, "grade").annotate(total=Sum("n"), latest=Max("as_of")).order_by())


def total_for(*, actor, filters) -> int | None:
    """The number of entries `rows_for` counts (None as there), summed in the database without grouping."""
    qs = _rows(actor=actor, filters=filters)
    return None if qs is None else qs.aggregate(n=Sum("n"))["n"] or 0


def _rows(*, actor, filters):
    from gaoqi.accounts.models import Role

    if filters.q or not current():
        return None
    qs = LedgerTally.objects.filter(list=filters.list if filters.list else "all")
    role, code = actor.role, actor.region_id
    if role == Role.PROVINCE_OFFICER:
        qs = qs.filter(city__startswith=code[:2])
    elif role == Role.CITY_OFFICER:
        qs = qs.filter(city=code)
    elif role == Role.COUNTY_OFFICER:
        qs = qs.filter(county=code)
    else:
        return None
    if filters.tech_field:
        # The rows of the field (a top-level field: the code range of its sub-fields, as the ledger's filter)
        field = filters.tech_field
        qs = qs.filter(tech_field_q(field, column="tech_field"))
        qs = qs.filter(hitech_zone_q(filters.hitech_zone))
    elif filters.hitech_zone:
        # every field's rows of each zone
        qs = qs.filter(hitech_zone_q(filters.hitech_zone), tech_field=ROLLUP).exclude(hitech_zone=ROLLUP)
    else:
        qs = qs.filter(tech_field=ROLLUP, hitech_zone=ROLLUP)  # a county's tier in one row
    if filters.city:
        qs = qs.filter(city=filters.city)
    if filters.county:
        qs = qs.filter(county=filters.county)
    return qs


__all__ = ["Grade", "current", "refresh", "rows_for", "total_for"]
