"""The firm's name on its ledger entry (ledger.names): the ledger's name search reads the entries alone, finds
exactly what the join to the register found, and follows every rename (service, import, revert)."""

from __future__ import annotations

from datetime import date
from importlib import import_module

import pytest
from django.db import connection
from django.db.models import F, Q

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import regional_q
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.intake import services as intake_services
from gaoqi.ledger import names
from gaoqi.ledger.models import LedgerEntry
from gaoqi.ledger.pinyin import sort_key
from gaoqi.ledger.selectors import LedgerFilter, ledger_entries, ledger_summary
from gaoqi.ledger.services import reevaluate
from gaoqi.registry import name_search
from gaoqi.registry.models import Enterprise
from gaoqi.registry.services import enterprise_update
from tests import factories
from tests.intake.test_services import _registry_file

AS_OF = date(2025, 6, 30)


@pytest.fixture
def ledger(db):
    load(generate(200, 5, AS_OF), progress=False)
    reevaluate(as_of=AS_OF)
    return factories.province_admin()


def _found(actor, q: str) -> set[int]:
    return {e.enterprise_id for e in ledger_entries(actor=actor, filters=LedgerFilter(q=q))}


def _joined(actor, q: str) -> set[int]:
    """What the ledger's search found through the join to the register (the filter before ledger.names)."""
    by = Q(enterprise__name__contains=q)
    if q.upper().isascii() and q.upper().isalnum():
        by |= Q(enterprise__credit_code__startswith=q.upper())
    return set(
        LedgerEntry.objects.filter(regional_q(actor)).filter(by).values_list("enterprise_id", flat=True)
    )


def test_the_entries_hold_their_firms_names(ledger):
    rows = LedgerEntry.objects.values_list(
        "name", "name_pinyin", "enterprise__name", "enterprise__name_pinyin"
    )
    assert len(rows) == 200
    for name, pinyin, firm_name, firm_pinyin in rows:
        assert (name, pinyin) == (firm_name, firm_pinyin)


def test_the_search_finds_what_the_join_found(ledger):
    suzhou = factories.officer(Role.CITY_OFFICER, "320500")
    firms = list(Enterprise.objects.order_by("pk")[:40])
    fragments = {f.name[i : i + n] for f in firms[::4] for n in (1, 2, 3) for i in (0, 2, 4)}
    fragments |= {
        "智能",
        "科技",
        "有限公司",
        "无此企业",
        firms[3].credit_code[:8].lower(),
        firms[5].credit_code,
    }
    for actor in (ledger, suzhou):
        for q in sorted(fragments):
            assert _found(actor, q) == _joined(actor, q), q
    assert _found(ledger, firms[5].credit_code) == {firms[5].pk}


def test_the_search_reads_the_entries_only(ledger):
    """No join to the register for a name (the page's keys, the summary's count): the entry's own name."""
    firm = Enterprise.objects.order_by("pk")[9]
    for q in ("科技", firm.name[2:4], firm.name[3:6], "司"):
        sql = str(ledger_entries(actor=ledger, filters=LedgerFilter(q=q)).values("pk").query)
        assert "registry_enterprise" not in sql and '"ledger_ledgerentry"."name"' in sql, sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN expression index is PostgreSQL's")
def test_postgres_plans_the_ledger_search_on_its_own_gram_index(ledger):
    firm = Enterprise.objects.order_by("pk")[7]
    q = Q(name_search._GramsContain(F("name"), name_search.fragment_grams(firm.name[2:4])))
    sql, params = LedgerEntry.objects.filter(q).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small is read whole otherwise
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert names.PG_INDEX in plan, plan
    # the statistics of the entries' index name its common grams (the search's "common fragment" rule)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_ledgerentry")
    name_search._pg_stats.clear()
    assert name_search.pg_gram_frequencies(names.PG_INDEX)["司"] > 0.9
    assert name_search.GRAM_FUNCTION not in str(
        ledger_entries(actor=ledger, filters=LedgerFilter(q="司")).query
    )
    assert firm.pk in _found(ledger, firm.name[2:4])


def test_a_rename_is_followed_by_the_ledger(ledger):
    firm = Enterprise.objects.order_by("pk")[11]
    old = firm.name
    enterprise_update(actor=ledger, enterprise=firm, name="无锡蠡湖动力有限公司", reason="更名")
    entry = LedgerEntry.objects.get(enterprise=firm)
    assert (entry.name, entry.name_pinyin) == ("无锡蠡湖动力有限公司", sort_key("无锡蠡湖动力有限公司"))
    assert _found(ledger, "蠡湖") == {firm.pk}
    assert firm.pk not in _found(ledger, old)
    summary = ledger_summary(actor=ledger, filters=LedgerFilter(q="蠡湖"))
    assert summary.total == 1
    # the re-evaluation writes the same name and key: nothing to rewrite
    assert reevaluate(as_of=AS_OF, enterprise_ids=[firm.pk]).entries.rewritten == 0


def test_an_import_and_its_revert_are_followed_by_the_ledger(ledger, tmp_path):
    actor = factories.officer(Role.CITY_OFFICER, "320500")
    firm = Enterprise.objects.filter(city_id="320500").order_by("pk").first()
    old = firm.name
    path = _registry_file(
        tmp_path,
        "reg.csv",
        [[firm.credit_code, "阿拉丁蠡湖科技有限公司", firm.county.name, firm.founded_on.isoformat(), "500"]],
    )
    batch = intake_services.batch_commit(
        actor=actor, batch=intake_services.batch_stage(actor=actor, path=path, profile="market_registry")
    )
    assert Enterprise.objects.get(pk=firm.pk).name == "阿拉丁蠡湖科技有限公司"
    assert _found(ledger, "蠡湖") == {firm.pk} and firm.pk not in _found(ledger, old)
    assert LedgerEntry.objects.get(enterprise=firm).name_pinyin == sort_key("阿拉丁蠡湖科技有限公司")
    intake_services.batch_revert(actor=actor, batch=batch, reason="误导入")
    assert _found(ledger, "蠡湖") == set() and firm.pk in _found(ledger, old)
    assert LedgerEntry.objects.get(enterprise=firm).name_pinyin == sort_key(old)


def test_the_migration_fills_the_names_from_the_register(ledger):
    LedgerEntry.objects.update(name="", name_pinyin="")
    migration = import_module("gaoqi.ledger.migrations.0008_ledgerentry_name")
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL[connection.vendor])
    test_the_entries_hold_their_firms_names(ledger)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the grams' statistics are PostgreSQL's")
def test_the_summary_counts_through_the_grams_the_page_walks_with_like(ledger, monkeypatch):
    """A gram held by 9 % of names: the page walks the name order with LIKE (stops at 50 rows), the summary's
    count, which reads every match in scope, takes them off the gram index."""
    from django.test.utils import CaptureQueriesContext

    from gaoqi.ledger.selectors import LedgerPage, ledger_page

    monkeypatch.setattr(name_search, "pg_gram_frequencies", lambda index=None: {"智能": 0.09})
    with CaptureQueriesContext(connection) as queries:
        summary = ledger_summary(actor=ledger, filters=LedgerFilter(q="智能"))
        assert isinstance(
            ledger_page(actor=ledger, filters=LedgerFilter(q="智能"), summary=summary), LedgerPage
        )
    count, keys = [
        x["sql"] for x in queries.captured_queries if 'FROM "ledger_ledgerentry" WHERE' in x["sql"]
    ][:2]
    assert name_search.GRAM_FUNCTION in count and "LIKE" not in count, count
    assert name_search.GRAM_FUNCTION not in keys and "LIKE" in keys, keys
    assert summary.total == len(_joined(ledger, "智能"))
