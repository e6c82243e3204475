"""Reads of the cultivation ledger. Every function takes the actor; scope is gaoqi.accounts.scope's."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.db import OperationalError, connection, connections, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import regional_q
from gaoqi.errors import ValidationFailed
from gaoqi.ledger.models import LISTS as LEDGER_LISTS
from gaoqi.ledger.models import Grade, LedgerEntry
from gaoqi.ledger.names import LEDGER as LEDGER_NAMES
from gaoqi.registry.models import Enterprise
from gaoqi.registry.name_search import (
    GRAM_DRIVE_MAX,
    PG_COMMON_GRAM,
    RarestGram,
    Unindexed,
    exact_by_grams,
    name_contains_q,
    sqlite_gram_q,
    sqlite_rarest_gram,
)
from gaoqi.registry.selectors import (
    after_q,
    hitech_zone_q,
    pack_cursor,
    page_number,
    tech_field_q,
    unpack_cursor,
)

CREDIT_CODE_CHARS = re.compile(r"[0-9A-Z]+")

LISTS = {"all": Q(), **LEDGER_LISTS}
PER_PAGE = 50


@dataclass(frozen=True)
class LedgerFilter:
    city: str | None = None
    county: str | None = None
    grade: str | None = None
    tech_field: str | None = None
    hitech_zone: str | None = None  # a zone code, ZONE_ANY or ZONE_NONE (as on the enterprise list)
    list: str = "all"
    q: str | None = None


def _scoped(actor) -> QuerySet:
    # The entry carries its firm's city, county and id: scoped without a join (at 300,000 firms a join to the
    # enterprises cost 0.2-0.3 s per count on SQLite).
    return LedgerEntry.objects.filter(regional_q(actor))


# A name search's summary counts every match in scope (up to the cap) instead of walking the name order to a
# page's 50 rows: the gram index reads fewer rows than a LIKE over the scope for grams held by up to this share
# of names (measured at 300,000 firms, PostgreSQL: 智能, 8.9 %, Suzhou's 7,583 matches 264 → 117 ms; 技术,
# 12.7 %, the province's capped count 114 → 37 ms; 科技, 35 %, already slower: 57 → 72 ms). docs/SCALING.md.
COUNT_COMMON_GRAM = 0.15


# SQLite plans (the ledger has no statistics there: its planner takes every indexed condition for a
# selective one). `Steer` says what the page's or the count's query reads first; the other conditions are
# `Unindexed` (tested on each row read). PostgreSQL plans from its statistics: no steering.
WALK = "walk"  # the name-order index of the scope, tier or list; field, zone and name tested per row
GRAM = "gram"  # the firms holding the name's rarest gram (the gram table), every other condition per row


@dataclass(frozen=True)
class Steer:
    how: str  # WALK or GRAM
    gram: str | None = None  # GRAM: the gram that drives


def _filtered(
    actor,
    f: LedgerFilter,
    *,
    with_grade: bool = True,
    counting: bool = False,
    steer: Steer | None = None,
    rarest: RarestGram | None = None,
) -> QuerySet:
    # Conditions the steered plan does not read off an index (SQLite; elsewhere as they are).
    def tested(q: Q, indexed: bool) -> Q | Unindexed:
        return q if indexed or not q else Unindexed(q)

    ordered = steer is None or steer.how == WALK  # the scope, tier and list: name-ordered indexes
    other = steer is None  # field and zone
    qs = _scoped(actor) if ordered else LedgerEntry.objects.filter(tested(regional_q(actor), False))
    qs = qs.filter(tested(LISTS.get(f.list, Q()), ordered))
    if f.city:
        qs = qs.filter(tested(Q(city_id=f.city), ordered))
    if f.county:
        qs = qs.filter(tested(Q(county_id=f.county), ordered))
    if f.tech_field:
        qs = qs.filter(tested(tech_field_q(f.tech_field), other))
    qs = qs.filter(tested(hitech_zone_q(f.hitech_zone), other))
    if f.q:
        # The entry's own name through its gram index (ledger.names): no join to the register. A credit-code
        # prefix only when the term could be one (a Chinese fragment cannot), its firms by a subquery.
        if steer is None:
            common = COUNT_COMMON_GRAM if counting else PG_COMMON_GRAM
            by_name = name_contains_q(f.q, names=LEDGER_NAMES, common=common, sqlite_rarest=rarest)
        elif steer.how == GRAM:
            by_name = sqlite_gram_q(steer.gram, LEDGER_NAMES)
            if not exact_by_grams(f.q):
                by_name &= Q(name__contains=f.q)
        else:
            by_name = Q(name__contains=f.q)
        code = f.q.upper()
        if CREDIT_CODE_CHARS.fullmatch(code):
            by_name |= Q(
                enterprise_id__in=Enterprise.objects.filter(credit_code__startswith=code).values("pk")
            )
        qs = qs.filter(tested(by_name, steer is None or steer.how == GRAM))
    if with_grade and f.grade:
        qs = qs.filter(tested(Q(grade=f.grade), ordered))
    return qs


def ledger_entries(*, actor, filters: LedgerFilter) -> QuerySet:
    """The filtered ledger in pinyin order of the names."""
    return (
        _filtered(actor, filters)
        .select_related("enterprise", "county", "city", "tech_field")
        .order_by("name_pinyin", "enterprise_id")
    )


def ledger_entries_by_ids(*, actor, enterprise_ids: list[int]) -> list[LedgerEntry]:
    """The entries of these firms that are in the actor's scope (others are left out, silently: not found)."""
    return list(
        _scoped(actor).filter(enterprise_id__in=enterprise_ids).order_by("name_pinyin", "enterprise_id")
    )


PAGE_NUMBER_MAX = 20  # `page=N` reads N × 50 rows (OFFSET): deeper pages are reached by their cursors
LEDGER_ORDER = ("name_pinyin", "enterprise_id")


def encode_cursor(entry: LedgerEntry, position: int) -> str:
    """An opaque place in the ledger's order: the entry's pinyin key and firm id, and its position (0-based) in
    the filtered ledger, shown as the row numbers and the page number (display only: the rows come from the
    key alone)."""
    return pack_cursor(entry.name_pinyin, entry.enterprise_id, position)


def decode_cursor(value: str, *, field: str) -> tuple[str, int, int]:
    """(pinyin key, firm id, position) from a cursor, else ValidationFailed (never a server error)."""
    try:
        key, pk, position = unpack_cursor(value, 3)
        if not (pk.isdigit() and position.isdigit()) or len(pk) > 18 or len(position) > 9 or "\x00" in key:
            raise ValueError
        return key, int(pk), int(position)
    except ValueError:
        raise ValidationFailed(
            _("翻页位置有误"), [{"field": field, "reason": _("请从台账的“上一页”“下一页”链接进入")}]
        ) from None


@dataclass
class LedgerPage:
    """One page of the filtered ledger: its rows, the links to the pages before and after (cursors) and the
    position of its first row. `total` is the summary's count of the filtered ledger, `capped` when that
    count stopped at the cap (the total is then at least `total`)."""

    object_list: list
    start: int  # position of the first row (0-based)
    total: int
    capped: bool
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.start > 0

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def start_index(self) -> int:
        return self.start + 1

    @property
    def number(self) -> int:
        return self.start // PER_PAGE + 1

    @property
    def num_pages(self) -> int | None:
        """The number of pages, None when the total is capped (unknown)."""
        return None if self.capped else max(1, -(-self.total // PER_PAGE))

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def ledger_page(
    *,
    actor,
    filters: LedgerFilter,
    summary: Summary,
    page: int | str | None = None,
    after: str | None = None,
    before: str | None = None,
) -> LedgerPage:
    """One page of the filtered ledger in its order (pinyin key, firm id), read off an index in that order:
    the first page, the page after the cursor `after` or before the cursor `before` (keyset: a deep page
    costs what the first does), or a small page number (`page` ≤ PAGE_NUMBER_MAX, for old links). Only the
    keys are read in order; the rows with their firm, regions and field are fetched for those keys (a join
    first let the planner sort the whole selection). The total is the `summary`'s of the same filters.
    ValidationFailed for a cursor or page number that is not one, or both given (never another page instead)."""
    total = summary.by_grade.get(filters.grade, 0) if filters.grade else summary.total
    capped = summary.capped_grade if filters.grade else summary.capped
    steer = _page_steer(filters, summary, total, capped)
    keys = (
        _filtered(actor, filters, steer=steer, rarest=summary.gram)
        .order_by(*LEDGER_ORDER)
        .values_list("pk", "name_pinyin", "enterprise_id")
    )

    def cursor_q(q: Q) -> Q | Unindexed:  # the gram drives: the cursor is tested on its matches
        return Unindexed(q) if steer is not None and steer.how == GRAM else q

    if sum(x is not None for x in (page, after, before)) > 1:
        raise ValidationFailed(_("页码有误"), [{"field": "page", "reason": _("翻页位置与页码不能同时使用")}])
    if before is not None:
        key, pk, position = decode_cursor(before, field="before")
        earlier = keys.filter(cursor_q(_before(key, pk))).order_by("-name_pinyin", "-enterprise_id")
        rows = list(earlier[: PER_PAGE + 1])
        if len(rows) > PER_PAGE:
            rows, start = rows[:PER_PAGE][::-1], max(position - PER_PAGE, 1)
        else:  # the first page (also when the rows before the cursor are fewer than a page)
            rows, start = list(keys[: PER_PAGE + 1]), 0
    elif after is not None:
        key, pk, position = decode_cursor(after, field="after")
        following = cursor_q(after_q(key, pk, "enterprise_id"))
        rows, start = list(keys.filter(following)[: PER_PAGE + 1]), position + 1
    else:
        number = page_number(1 if page is None else page)
        if number > PAGE_NUMBER_MAX or (number > 1 and not capped and (number - 1) * PER_PAGE >= total):
            pages = max(1, -(-total // PER_PAGE))
            reason = (
                _("共 %(n)s 页") % {"n": pages}
                if number > pages and not capped
                else _("页码超过 %(max)s 时请用“下一页”翻页") % {"max": PAGE_NUMBER_MAX}
            )
            raise ValidationFailed(_("页码超出范围"), [{"field": "page", "reason": reason}])
        start = (number - 1) * PER_PAGE
        rows = list(keys[start : start + PER_PAGE + 1])
        if number > 1 and not rows:
            raise ValidationFailed(_("页码超出范围"), [{"field": "page", "reason": _("该页没有企业")}])
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    by_id = {
        row.pk: row
        for row in LedgerEntry.objects.filter(pk__in=[r[0] for r in rows]).select_related(
            "enterprise", "county", "city", "tech_field"
        )
    }
    entries = [by_id[r[0]] for r in rows if r[0] in by_id]
    return LedgerPage(
        object_list=entries,
        start=start,
        total=total,
        capped=capped,
        next_cursor=encode_cursor(entries[-1], start + len(entries) - 1) if more and entries else None,
        previous_cursor=encode_cursor(entries[0], start) if start > 0 and entries else None,
    )


# SQLite, the page: from this many matches on, walking the name order to a page's 51 rows reads fewer rows
# than reading every match and sorting (about 51 × scope / matches against matches: even at a province's
# 300,000 entries, 5,100 rows at most on either side of it).
WALK_MIN = 3_000


def _page_steer(f: LedgerFilter, summary: Summary, total: int, capped: bool) -> Steer | None:
    """SQLite: how the page's keys are read when the filters hold a field, zone or name (the scope, tier and
    list alone have name-ordered indexes the planner finds): many matches, the name order walked; few
    matches of a name whose rarest gram is rare, from the gram table and sorted; else as planned."""
    if connection.vendor != "sqlite" or not (f.tech_field or f.hitech_zone or f.q):
        return None
    if capped or total >= WALK_MIN:
        return Steer(WALK)
    rarest = summary.gram
    if rarest is not None and rarest.firms <= GRAM_DRIVE_MAX:
        return Steer(GRAM, rarest.gram)
    return None


def _before(key: str, pk: int) -> Q:
    return Q(name_pinyin__lte=key) & (Q(name_pinyin__lt=key) | Q(enterprise_id__lt=pk))


SUMMARY_CAP = 10_000  # a name search's summary reads at most this many entries + 1


@dataclass(frozen=True)
class Summary:
    """The filtered ledger's counts by tier and by child region. `capped`: more than the cap matched, the
    counts are not shown (`total` is the cap, `by_grade` and `rows` are empty); `capped_grade`: the same
    for the entries of the tier filter (whose count is then in `by_grade`)."""

    by_grade: dict[str, int]
    rows: list[dict]  # per child region: {"region": Region, "counts": {grade: n}, "total": n}
    total: int
    as_of: object
    capped: bool = False
    capped_grade: bool = False
    gram: RarestGram | None = None  # SQLite, a name: its rarest gram (the page's plan reuses it)


def ledger_summary(*, actor, filters: LedgerFilter, cap: int | None = None) -> Summary:
    """Counts by tier for the filtered set (whatever the tier filter), and per child region (cities for the
    province, counties for a city): from the tally (ledger.tally) when it is current, for any filter but a
    name. A name search is counted live, reading at most `cap` (SUMMARY_CAP) + 1 entries: beyond that the
    summary is capped (a common fragment matches tens of thousands of firms; counting all of them through
    the join to the names cost 0.6-0.7 s at 1,000,000 firms). The count reads the entries' own names, through
    their gram index for grams up to COUNT_COMMON_GRAM. A tally not current (entries written since its
    refresh) is replaced by an exact grouped count."""
    from gaoqi.ledger import tally

    cap = cap or SUMMARY_CAP
    gram = None
    level = "city" if actor.role == Role.PROVINCE_OFFICER and not filters.city else "county"
    stored = tally.rows_for(actor=actor, filters=filters, level=level)
    if stored is None and not filters.q:
        # Filters the tally holds, but it is not current (entries written since its refresh): counted, exact.
        qs = _filtered(actor, filters, with_grade=False).order_by()
        stored = qs.values_list(f"{level}_id", "grade").annotate(n=Count("pk"), latest=Max("as_of"))
    elif stored is None:
        gram, steer = _count_steer(actor, filters)
        columns = (f"{level}_id", "grade", "as_of")
        if steer is not None:
            found = _gram_rows(actor, filters, steer.gram, columns, with_grade=False, limit=cap + 1)
        else:
            qs = _filtered(actor, filters, with_grade=False, counting=True, rarest=gram).order_by()
            with _exact_bitmaps(qs.db):
                found = list(qs.values_list(*columns)[: cap + 1])
        if len(found) > cap:
            by_grade, capped_grade = {g: 0 for g in Grade.values}, False
            if filters.grade:
                if steer is not None:
                    n = len(_gram_rows(actor, filters, steer.gram, ("id",), with_grade=True, limit=cap + 1))
                else:
                    qs = _filtered(actor, filters, counting=True, rarest=gram).order_by()
                    with _exact_bitmaps(qs.db):
                        n = qs[: cap + 1].count()
                by_grade[filters.grade], capped_grade = min(n, cap), n > cap
            return Summary(by_grade, [], cap, None, capped=True, capped_grade=capped_grade, gram=gram)
        # grouped here (up to 10,000 rows): one row per region and tier, as the tally gives them
        latest = max((as_of for _, _, as_of in found if as_of), default=None)
        stored = [(*key, n, latest) for key, n in Counter((r, g) for r, g, _ in found).items()]
    grades = Grade.values  # built anew at every access: not once per row
    by_grade = dict.fromkeys(grades, 0)
    counts: dict[str, dict[str, int]] = {}
    latest = None
    for region, grade, n, as_of in stored:
        if region not in counts:
            counts[region] = dict.fromkeys(grades, 0)
        counts[region][grade] += n
        by_grade[grade] += n
        if as_of and (latest is None or as_of > latest):
            latest = as_of
    from gaoqi.regions.models import Region

    regions = {r.code: r for r in Region.objects.filter(code__in=counts)}
    rows = [
        {"region": regions[code], "counts": c, "total": sum(c.values())} for code, c in sorted(counts.items())
    ]
    run = _last_run(actor, filters)
    if run and (latest is None or run > latest):
        latest = run
    return Summary(by_grade, rows, sum(by_grade.values()), latest, gram=gram if filters.q else None)


def _last_run(actor, filters: LedgerFilter):
    """The date of the latest re-evaluation of every firm of a region holding the page's scope (or of the
    whole registry): the ledger's evaluation date there, though entries whose values it did not change keep
    the date of the run that wrote them (`LedgerRun`)."""
    from gaoqi.ledger.models import LedgerRun

    code = filters.county or filters.city or actor.region_id or ""
    # the scope's province, city and itself (GB/T 2260: the code's first two and four digits)
    covering = {code, f"{code[:2]}0000", f"{code[:4]}00"} if len(code) == 6 else set()
    runs = LedgerRun.objects.filter(Q(region__isnull=True) | Q(region_id__in=covering))
    return runs.aggregate(latest=Max("as_of"))["latest"]


# PostgreSQL, a name's summary count: the work memory of its bitmap of matches. A common fragment's matches
# (智能: 461,000 of 4,000,000 entries, on most of the ledger's pages) overflow the default 4 MB: the bitmap
# turns lossy, and every entry of a lossy page is tested again by computing its name's grams (543 ms against
# 110 ms with the bitmap exact, measured at 4,000,000 firms). About 64 bytes a heap page: 32 MB holds a
# ledger of 10,000,000 entries. For this one statement (SET LOCAL in its own transaction).
PG_COUNT_WORK_MEM = "32MB"


@contextmanager
def _exact_bitmaps(alias: str):
    """The block's statements on the database `alias` (the replica where the page reads one) run with
    PG_COUNT_WORK_MEM (PostgreSQL; elsewhere nothing changes)."""
    if connections[alias].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('work_mem'), set_config('work_mem', %s, true)", [PG_COUNT_WORK_MEM]
        )
        previous = cursor.fetchone()[0]
        yield
        # Back as it was for the rest of an enclosing transaction (a savepoint's release keeps a SET LOCAL;
        # an error rolls it back with the savepoint).
        cursor.execute("SELECT set_config('work_mem', %s, true)", [previous])


# SQLite: an index of the entries by firm holding what a summary counts (migration 0011, SQLite only): the
# count of a name's matches looks each of its gram's firms up in it, not in the table (Suzhou's 7,583 matches
# of 智能 among its 25,621 firms, 300,000 entries: 63 ms through the firm's unique index and the table, 24 ms).
SQLITE_SUMMARY_INDEX = "ledger_firm_summary"


def _gram_rows(actor, f: LedgerFilter, gram: str, columns, *, with_grade: bool, limit: int) -> list[tuple]:
    """SQLite: `columns` of the entries matching `f` whose firm holds `gram`, at most `limit`, read from the gram
    table first (CROSS JOIN: SQLite keeps that order) and looked up in SQLITE_SUMMARY_INDEX; the other
    conditions (compiled by the ORM, not read off an index) and the name's LIKE (unless the gram is the
    fragment) tested on each. Same rows as `_filtered`."""
    from django.core.exceptions import EmptyResultSet, FullResultSet

    from gaoqi.registry.name_search import SQLITE_TABLE

    qs = _filtered(actor, replace(f, q=None), with_grade=with_grade, steer=Steer(GRAM, gram))
    if not exact_by_grams(f.q):
        qs = qs.filter(Unindexed(Q(name__contains=f.q)))
    try:
        where, params = qs.query.get_compiler(connection=connection).compile(qs.query.where)
    except FullResultSet:
        where, params = "1", []
    except EmptyResultSet:
        return []
    table = LedgerEntry._meta.db_table
    selected = ", ".join(f'"{table}"."{c}"' for c in columns)
    sql = (
        f'SELECT {selected} FROM {SQLITE_TABLE} AS g CROSS JOIN "{table}" <indexed>'
        f'ON "{table}"."enterprise_id" = g.enterprise_id WHERE g.gram = %s AND ({where or "1"}) LIMIT %s'
    )
    with connection.cursor() as cursor:
        try:
            cursor.execute(
                sql.replace("<indexed>", f"INDEXED BY {SQLITE_SUMMARY_INDEX} ", 1), [gram, *params, limit]
            )
        except OperationalError:
            # The index is gone (a later migration rebuilding the table on SQLite keeps only the model's
            # indexes): the same rows through the firm's unique index.
            cursor.execute(sql.replace("<indexed>", "", 1), [gram, *params, limit])
        return cursor.fetchall()


# SQLite, a name's summary count: the gram table drives when its rarest gram is held by at most this many
# firms and by fewer than the scope's entries (counting the gram's firms reads its index range: ~1 ms).
COUNT_DRIVE_MAX = 100_000


def _count_steer(actor, f: LedgerFilter) -> tuple[RarestGram | None, Steer | None]:
    """SQLite: the name's rarest gram and how its summary count reads the entries. The gram's firms (each
    looked up, the scope tested) when they are fewer than the entries of the scope and other filters (the
    tally's count of the same filters without the name; a county's few thousand entries are read
    faster off its index); else as planned. Measured at 300,000 firms, Suzhou's 7,583 matches of 智能 (its
    25,621 firms): 262 ms testing the city's 90,000 names, 24 ms from the gram (`_gram_rows`)."""
    if connection.vendor != "sqlite" or CREDIT_CODE_CHARS.fullmatch(f.q.upper()):
        return None, None
    rarest = sqlite_rarest_gram(f.q, COUNT_DRIVE_MAX)
    if rarest is None or rarest.firms > COUNT_DRIVE_MAX:
        return rarest, None
    from gaoqi.ledger import tally

    scope = tally.total_for(actor=actor, filters=replace(f, q=None, grade=None))
    if scope is None:  # the tally is not current: a county's entries are few
        small = bool(f.county) or actor.role == Role.COUNTY_OFFICER
    else:
        small = scope <= rarest.firms
    if small:
        return rarest, None
    return rarest, Steer(GRAM, rarest.gram)
