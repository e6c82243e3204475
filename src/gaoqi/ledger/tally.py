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
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Subquery, Sum
from django.utils import timezone

from gaoqi.ledger.models import LISTS, Grade, LedgerEntry, LedgerTally
from gaoqi.registry.selectors import hitech_zone_q, tech_field_q

ROLLUP = LedgerTally.ROLLUP


def refresh(*, force: bool = False) -> int:
    """Rebuild the tally from the ledger (a few grouped queries); the number of rows written. Nothing is
    rebuilt (0) when the tally is current and counts every entry (a re-evaluation that changed no entry: at
    4,000,000 firms the rebuild is 15 s of grouping the same rows again), unless `force`."""
    if not force and _complete():
        return 0
    now = timezone.now()
    with transaction.atomic():
        latest = LedgerEntry.objects.aggregate(m=Max("updated_at"))["m"]
        rows = []
        for key, condition in {"all": Q(), **LISTS}.items():
            grouped = (
                LedgerEntry.objects.filter(condition)
                .values("city_id", "county_id", "grade", "tech_field_id", "in_hitech_zone", "hitech_zone_id")
                .annotate(n=Count("pk"), as_of=Max("as_of"))
                .order_by()
            )
            detail = [
                (
                    r["city_id"],
                    r["county_id"],
                    r["grade"],
                    r["tech_field_id"] or "",
                    r["in_hitech_zone"],
                    r["hitech_zone_id"] or "",
                    r["n"],
                    r["as_of"],
                )
                for r in grouped
            ]
            rows += [
                LedgerTally(
                    city=city,
                    county=county,
                    grade=grade,
                    tech_field=field,
                    in_hitech_zone=in_zone,
                    hitech_zone=zone,
                    list=key,
                    n=n,
                    as_of=as_of,
                    source_updated_at=latest,
                    built_at=now,
                )
                for city, county, grade, field, in_zone, zone, n, as_of in [*detail, *_rollups(detail)]
            ]
        LedgerTally.objects.all().delete()
        LedgerTally.objects.bulk_create(rows, batch_size=1000)
    if connection.vendor == "postgresql":
        # Fresh statistics: without them the planner took the 30,000 rows of a province for one and read
        # them through an index, then sorted (385 ms against 85 ms, 300,000 firms, load ≈ 9).
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
