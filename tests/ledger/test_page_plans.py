"""How the ledger page reads its rows (issue 7, p95 ≤ 150 ms at 300,000 firms): the plans steered on SQLite
(the name order walked, or the gram table driving) read exactly the rows the plain filters select, the
summary of a name search counts exactly, and the page runs a bounded number of queries whatever the filter."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gaoqi.accounts.models import Role
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger import selectors, tally
from gaoqi.ledger.models import LedgerEntry
from gaoqi.ledger.selectors import GRAM, LEDGER_ORDER, WALK, LedgerFilter, Steer, ledger_summary
from gaoqi.ledger.services import reevaluate
from gaoqi.registry.name_search import fragment_grams
from tests import factories

AS_OF = date(2025, 6, 30)
PER_PAGE = 7
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the steering is SQLite's")


@pytest.fixture
def ledger(db, monkeypatch):
    load(generate(300, 3, AS_OF), progress=False)
    reevaluate(as_of=AS_OF)
    tally.refresh()
    monkeypatch.setattr(selectors, "PER_PAGE", PER_PAGE)
    names = list(LedgerEntry.objects.values_list("name", flat=True))
    # a fragment of one firm's name only (rare), and a three-character one held by several
    rare = next(
        n[i : i + 2] for n in names for i in range(len(n) - 1) if sum(n[i : i + 2] in m for m in names) == 1
    )
    three = Counter(n[i : i + 3] for n in names for i in range(len(n) - 2)).most_common(40)[-1][0]
    zone = (  # a zone of Kunshan's firms: within every officer's reach here
        LedgerEntry.objects.filter(county_id="320583")
        .exclude(hitech_zone=None)
        .values_list("hitech_zone_id", flat=True)
        .first()
    )
    assert zone
    return {
        "province": factories.province_admin(),
        "suzhou": factories.officer(Role.CITY_OFFICER, "320500"),
        "kunshan": factories.officer(Role.COUNTY_OFFICER, "320583"),
        "rare": rare,
        "three": three,
        "zone": zone,
    }


def _filters(ledger) -> list[LedgerFilter]:
    return [
        LedgerFilter(),
        LedgerFilter(tech_field="80"),
        LedgerFilter(tech_field="801", grade="C"),
        LedgerFilter(hitech_zone="any"),
        LedgerFilter(hitech_zone=ledger["zone"], list="sme_due"),
        LedgerFilter(q="科技"),
        LedgerFilter(q="科技", grade="A", tech_field="80"),
        LedgerFilter(q="科技", county="320583"),
        LedgerFilter(q=ledger["rare"]),
        LedgerFilter(q=ledger["three"], list="hte_reserve"),
        LedgerFilter(q="司"),
        LedgerFilter(q="91"),  # a credit-code prefix as well
    ]


def _ids(qs) -> list[int]:
    return list(qs.order_by(*LEDGER_ORDER).values_list("pk", flat=True))


@pytest.mark.parametrize("who", ["province", "suzhou", "kunshan"])
def test_a_steered_query_selects_the_rows_of_the_plain_one(ledger, who):
    actor = ledger[who]
    for f in _filters(ledger):
        plain = _ids(selectors._filtered(actor, f))
        assert plain == [
            e.pk
            for e in LedgerEntry.objects.filter(selectors.regional_q(actor)).order_by(*LEDGER_ORDER)
            if _matches(e, f)
        ]
        steers = [Steer(WALK)]
        if connection.vendor == "sqlite" and f.q:  # the gram table is SQLite's
            steers += [Steer(GRAM, gram) for gram in fragment_grams(f.q)]
        for steer in steers:
            assert _ids(selectors._filtered(actor, f, steer=steer)) == plain, (who, f, steer)
            if steer.how == GRAM and f.q != "91":
                # the same rows, none of the scope's or filters' conditions read off an index
                sql = str(selectors._filtered(actor, f, steer=steer).query)
                assert "+((" in sql or not (f.tech_field or f.hitech_zone or f.grade or who != "province")


def _matches(e: LedgerEntry, f: LedgerFilter) -> bool:
    """The filters written out in Python, against which the queries are checked."""
    from gaoqi.ledger.models import LISTS

    if f.list != "all" and not LedgerEntry.objects.filter(LISTS[f.list], pk=e.pk).exists():
        return False
    if f.county and e.county_id != f.county:
        return False
    if f.tech_field and not (e.tech_field_id or "").startswith(f.tech_field):
        return False
    if f.hitech_zone == "any" and not e.in_hitech_zone:
        return False
    if f.hitech_zone not in (None, "any", "none") and e.hitech_zone_id != f.hitech_zone:
        return False
    if f.grade and e.grade != f.grade:
        return False
    if f.q and f.q not in e.name and not e.enterprise.credit_code.startswith(f.q.upper()):
        return False
    return True


@pytest.mark.parametrize("who", ["province", "suzhou", "kunshan"])
def test_a_name_searchs_summary_counts_exactly(ledger, who):
    actor = ledger[who]
    level = "city_id" if who == "province" else "county_id"
    for f in _filters(ledger):
        if not f.q:
            continue
        summary = ledger_summary(actor=actor, filters=f)
        matching = [e for e in LedgerEntry.objects.filter(selectors.regional_q(actor)) if _matches(e, f)]
        everywhere = [e for e in matching if not f.grade] or [
            e
            for e in LedgerEntry.objects.filter(selectors.regional_q(actor))
            if _matches(e, replace(f, grade=None))
        ]
        assert summary.total == len(everywhere), (who, f)
        assert {g: n for g, n in summary.by_grade.items() if n} == dict(Counter(e.grade for e in everywhere))
        assert {r["region"].code: r["total"] for r in summary.rows} == dict(
            Counter(getattr(e, level) for e in everywhere)
        )


@sqlite_only
@pytest.mark.parametrize(
    ("params", "how"),
    [
        ({"tech_field": "80"}, WALK),  # many matches: the name order walked, the field tested on each row
        ({"hitech_zone": "any"}, WALK),
        ({"q": "科技"}, WALK),
        ({"q": "@rare"}, GRAM),  # few matches, a rare gram: read from the gram table and sorted
        ({}, None),  # the scope, tier and list alone: as planned (a name-ordered index)
        ({"grade": "B"}, None),
    ],
)
def test_sqlite_pages_are_steered_by_the_summarys_counts(client, ledger, monkeypatch, params, how):
    monkeypatch.setattr(selectors, "WALK_MIN", 10)  # the 300 firms' counts stand for 300,000's
    params = {k: ledger["rare"] if v == "@rare" else v for k, v in params.items()}
    client.force_login(ledger["suzhou"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/ledger/", params)
    page = response.context["page"]
    keys = [q["sql"] for q in queries if q["sql"].startswith('SELECT "ledger_ledgerentry"."id" AS "pk"')]
    assert len(keys) == 1
    if how == WALK:
        assert page.total >= 10 and "+((" in keys[0] and "gaoqi_name_gram" not in keys[0]
    elif how == GRAM:
        assert (
            page.total < 10
            and "gaoqi_name_gram" in keys[0]
            and '+(("ledger_ledgerentry"."city_id"' in keys[0]
        )
    else:
        assert "+(" not in keys[0]
    expected = _ids(selectors._filtered(ledger["suzhou"], LedgerFilter(**params)))
    assert [e.pk for e in page] == expected[:PER_PAGE]
    # every page by the cursors, forward
    seen = [e.pk for e in page]
    while page.has_next:
        page = client.get("/ledger/", {**params, "after": page.next_cursor}).context["page"]
        seen += [e.pk for e in page]
    assert seen == expected


# session, user, regions (2), fields, zones; the filters' checks (a region, a field: 1 each); the tally's
# stamp against the latest write (one query), its rows, the regions named, the latest run over the scope's
# region (its date); the scope's province check (summary and page); the
# page's keys and rows; the synthetic-data label. A name (counted live): SQLite's gram count and the tally's
# count of the scope; a tier beyond the cap: its own count. PostgreSQL reads the gram statistics every ten
# minutes (warmed here), and sets and restores its count's work memory (two statements; inside the test's
# transaction also a savepoint and its release).
MAX_QUERIES = 18 if connection.vendor == "sqlite" else 22


@pytest.mark.parametrize("who", ["province", "suzhou", "kunshan"])
def test_the_ledger_page_runs_a_bounded_number_of_queries_for_any_filter(
    client, ledger, who, django_assert_max_num_queries
):
    client.force_login(ledger[who])
    cases = [
        {},
        {"grade": "B", "list": "sme_due"},
        {"county": "320583", "grade": "C"},
        {"tech_field": "80", "hitech_zone": "any"},
        {"tech_field": "801", "hitech_zone": ledger["zone"], "list": "hte_reserve"},
        {"q": "科技"},
        {"q": "科技", "grade": "A", "tech_field": "80"},
        {"q": ledger["rare"], "county": "320583"},
        {"q": "91"},
        {"page": "2"},
    ]
    for params in cases:
        client.get("/ledger/", params)
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get("/ledger/", params)
        assert response.status_code == 200, params
        first = response.context["page"]
        if first.has_next:
            following = {k: v for k, v in params.items() if k != "page"} | {"after": first.next_cursor}
            with django_assert_max_num_queries(MAX_QUERIES):
                assert client.get("/ledger/", following).status_code == 200


@sqlite_only
def test_a_name_count_reads_the_firm_index_and_counts_the_same_without_it(ledger):
    f = LedgerFilter(q="科技")
    with CaptureQueriesContext(connection) as queries:
        summary = ledger_summary(actor=ledger["province"], filters=f)
    assert any(f"INDEXED BY {selectors.SQLITE_SUMMARY_INDEX}" in q["sql"] for q in queries)
    matching = [e for e in LedgerEntry.objects.all() if "科技" in e.name]
    assert summary.total == len(matching) > 0
    assert summary.as_of == max(e.as_of for e in matching)
    with connection.cursor() as cursor:  # as a later migration rebuilding the table would leave it
        cursor.execute(f"DROP INDEX {selectors.SQLITE_SUMMARY_INDEX}")
    again = ledger_summary(actor=ledger["province"], filters=f)
    assert (again.by_grade, again.total, again.as_of) == (summary.by_grade, summary.total, summary.as_of)


def test_a_names_count_runs_with_room_for_an_exact_bitmap_and_only_it(ledger):
    # PostgreSQL: the name search's count statement runs with PG_COUNT_WORK_MEM (SET LOCAL in its own
    # transaction: a common fragment's bitmap of matches stays exact); the setting ends with it.
    if connection.vendor != "postgresql":
        pytest.skip("work_mem is PostgreSQL's")
    from gaoqi.registry import name_search

    seen = []

    def spy(execute, sql, params, many, context):
        if 'FROM "ledger_ledgerentry"' in sql and "ledger_ledgertally" not in sql:  # the count's
            with context["connection"].cursor() as cursor:
                cursor.execute("SHOW work_mem")
                seen.append(cursor.fetchone()[0])
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        default = cursor.fetchone()[0]
        cursor.execute(f"ANALYZE {LedgerEntry._meta.db_table}")  # the grams' statistics, as in production
    name_search._pg_stats.clear()
    known = name_search.pg_gram_frequencies(selectors.LEDGER_NAMES.pg_index)
    names = list(LedgerEntry.objects.values_list("name", flat=True))
    common = Counter(g for n in names for g in fragment_grams(n))
    fragment = next(
        g
        for g, _ in common.most_common()
        if len(g) == 2 and 0 < known.get(g, 0) < selectors.COUNT_COMMON_GRAM
    )
    with connection.execute_wrapper(spy):
        summary = ledger_summary(actor=ledger["province"], filters=LedgerFilter(q=fragment))
    assert seen and set(seen) == {selectors.PG_COUNT_WORK_MEM}
    assert summary.total == sum(fragment in n for n in names)
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == default
