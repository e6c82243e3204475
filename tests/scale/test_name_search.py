"""Name-fragment search through the gram index (registry.name_search): the same firms as `name__contains`
for every fragment, the index kept right by every writer, and used by the list and the ledger."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from gaoqi.accounts.models import Role
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.intake import services as intake_services
from gaoqi.ledger.selectors import LedgerFilter, ledger_entries
from gaoqi.ledger.services import reevaluate
from gaoqi.registry import name_search
from gaoqi.registry.models import Enterprise
from gaoqi.registry.name_search import fragment_grams, name_contains_q, name_grams
from gaoqi.registry.selectors import EnterpriseFilter, enterprise_list
from gaoqi.registry.services import enterprise_update
from tests import factories
from tests.intake.test_services import _registry_file

NAMES = (
    "昆山恒瑞智能装备有限公司",
    "苏州智能X能装科技有限公司",  # holds 智能 and 能装 apart: "智能装" must not match it
    "恒恒恒科技",  # a repeated character
    "TCL华星光电技术有限公司",
    "tcl小写有限公司",
    "南京（江宁）新材料有限公司",
    "蠡",  # a one-character name
    "A",
)


def _index_grams(firm) -> set[str]:
    """The grams the database holds for a firm: the SQL function's (PostgreSQL) or the table's (SQLite)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT gaoqi_name_grams(name) FROM registry_enterprise WHERE id = %s", [firm.pk])
            return set(cursor.fetchone()[0])
        cursor.execute("SELECT gram FROM gaoqi_name_gram WHERE enterprise_id = %s", [firm.pk])
        return {row[0] for row in cursor.fetchall()}


def _search(fragment: str) -> set[int]:
    return set(Enterprise.objects.filter(name_contains_q(fragment)).values_list("pk", flat=True))


def _contains(fragment: str) -> set[int]:
    return set(Enterprise.objects.filter(name__contains=fragment).values_list("pk", flat=True))


def test_grams_of_names_and_fragments():
    assert name_grams("TCL华星") == {"t", "c", "l", "华", "星", "tc", "cl", "l华", "华星"}
    assert name_grams("恒恒") == {"恒", "恒恒"}
    assert name_grams("") == set()
    assert sorted(fragment_grams("智能装")) == ["智能", "能装"]
    assert fragment_grams("蠡") == ["蠡"]
    assert fragment_grams("") == []
    # A fragment's grams are among the grams of every name that contains it.
    for name in NAMES:
        for i in range(len(name)):
            for j in range(i + 1, len(name) + 1):
                assert set(fragment_grams(name[i:j])) <= name_grams(name)


@pytest.fixture
def firms(db):
    actor = factories.province_admin()
    return [factories.enterprise("320583", name=n, actor=actor) for n in NAMES]


def test_search_finds_exactly_what_contains_finds(firms):
    fragments = {name[i:j] for name in NAMES for i in range(len(name)) for j in range(i + 1, len(name) + 1)}
    fragments |= {"智能装", "恒恒恒恒", "无此企业", "华星光电技术有限公司X", "Tc", "（", "司"}
    for fragment in sorted(fragments):
        assert _search(fragment) == _contains(fragment), fragment
    x = next(f for f in firms if "X能装" in f.name)
    assert x.pk not in _search("智能装") and x.pk in _search("智能")


def test_the_database_holds_the_same_grams_as_python(firms):
    for firm in firms:
        assert _index_grams(firm) == name_grams(firm.name), firm.name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN expression index is PostgreSQL's")
def test_postgres_plans_the_search_on_the_gram_index(firms):
    """A rare pair (no common element of the column statistics) is read off the gram index first, in its own
    query, so the page's query cannot walk the name order filtering every row (7.9 s at 4M firms)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        q = name_contains_q("恒瑞")
    grams_sql = [x["sql"] for x in queries.captured_queries if "gaoqi_name_grams" in x["sql"]]
    assert len(grams_sql) == 1
    assert set(Enterprise.objects.filter(q).values_list("pk", flat=True)) == _contains("恒瑞")
    with connection.cursor() as cursor:
        # A table this small is read whole (or walked in name order) otherwise: only the gram index can
        # answer the condition in a bitmap scan.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + grams_sql[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert name_search.PG_INDEX in plan, plan


def test_rename_and_delete_keep_the_index(firms):
    actor = factories.province_admin()
    firm = firms[0]
    enterprise_update(actor=actor, enterprise=firm, name="无锡蠡湖动力有限公司", reason="更名")
    assert _search("恒瑞") == set() and _search("蠡湖") == {firm.pk}
    assert _index_grams(firm) == name_grams("无锡蠡湖动力有限公司")
    Enterprise.objects.filter(pk=firm.pk).delete()
    assert _search("蠡湖") == set()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM gaoqi_name_gram WHERE enterprise_id = %s", [firm.pk])
            assert cursor.fetchone()[0] == 0


def test_an_import_and_its_revert_keep_the_index(db, tmp_path):
    province = factories.province_admin()
    actor = factories.officer(Role.CITY_OFFICER, "320500")
    ks = factories.enterprise("320583", name="昆山恒瑞智能装备有限公司", actor=province)
    new_code = factories.credit_code("320506", 9201)
    path = _registry_file(
        tmp_path,
        "reg.csv",
        [
            [ks.credit_code, "阿拉丁蠡湖科技有限公司", "昆山市", "2015-03-01", "500"],
            [new_code, "吴中鼋头渚新设有限公司", "吴中区", "2024-05-06", "100"],
        ],
    )
    batch = intake_services.batch_commit(
        actor=actor, batch=intake_services.batch_stage(actor=actor, path=path, profile="market_registry")
    )
    created = Enterprise.objects.get(credit_code=new_code)
    assert _search("蠡湖") == {ks.pk} and _search("恒瑞") == set() and _search("鼋头") == {created.pk}
    intake_services.batch_revert(actor=actor, batch=batch, reason="误导入")
    assert _search("恒瑞") == {ks.pk} and _search("蠡湖") == set() and _search("鼋头") == set()


def test_the_demo_loader_keeps_the_index_right(db):
    """The loader defers the index itself (SQLite: the trigger; PostgreSQL from BULK_MIN firms: with the other
    indexes), nested in a caller's own deferral too."""
    ds = generate(80, 7, date(2025, 6, 30))
    load(ds, progress=False)
    firms = list(Enterprise.objects.all())
    assert len(firms) == 80
    for firm in firms[:20]:
        assert _index_grams(firm) == name_grams(firm.name)
    fragment = firms[0].name[2:4]
    assert _search(fragment) == _contains(fragment) and firms[0].pk in _search(fragment)
    # the index (PostgreSQL) and the trigger (SQLite) are back: a firm added afterwards is found
    late = factories.enterprise("320583", name="鼋头渚后来科技有限公司")
    assert _search("鼋头") == {late.pk}


def test_sqlite_common_grams_do_not_drive_the_search(firms, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's planner decides from the index statistics")
    monkeypatch.setattr(name_search, "GRAM_DRIVE_MAX", 1)  # every gram held by 2+ firms counts as common
    q = name_contains_q("有限")
    assert "gaoqi_name_gram" not in str(Enterprise.objects.filter(q).query)
    assert _search("有限") == _contains("有限")
    assert "gaoqi_name_gram" in str(Enterprise.objects.filter(name_contains_q("蠡")).query)


def test_list_and_ledger_search_by_fragment(db):
    load(generate(200, 11, date(2025, 6, 30)), progress=False)
    reevaluate(as_of=date(2025, 6, 30))
    province = factories.province_admin()
    firm = Enterprise.objects.order_by("pk")[17]
    fragment = firm.name[2:4]
    expected = _contains(fragment)
    page = enterprise_list(actor=province, filters=EnterpriseFilter(q=fragment), per_page=100)
    assert {e.pk for e in page.object_list} == expected
    entries = ledger_entries(actor=province, filters=LedgerFilter(q=fragment))
    assert {e.enterprise_id for e in entries} == expected
    # a credit-code prefix still finds the firm on the ledger, a Chinese term never looks at codes
    by_code = ledger_entries(actor=province, filters=LedgerFilter(q=firm.credit_code[:10].lower()))
    assert firm.pk in {e.enterprise_id for e in by_code}
    where = str(ledger_entries(actor=province, filters=LedgerFilter(q="智能")).query).split(" WHERE ", 1)[1]
    assert "credit_code" not in where


def test_postgres_common_grams_do_not_drive_the_search(firms, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite counts its grams instead (test above)")
    monkeypatch.setattr(
        name_search, "pg_gram_frequencies", lambda index=None: {"有限": 0.9, "限": 0.9, "恒瑞": 0.01}
    )
    assert name_search.GRAM_FUNCTION not in str(Enterprise.objects.filter(name_contains_q("有限")).query)
    assert _search("有限") == _contains("有限")
    assert name_search.GRAM_FUNCTION in str(Enterprise.objects.filter(name_contains_q("恒瑞")).query)
    # one rare gram is enough for the index to narrow; "限恒" is not among the common elements at all: its
    # firms are read off the index first (a query of their own), the filter is then on their ids
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        q = name_contains_q("有限恒瑞")
    assert any(name_search.GRAM_FUNCTION in x["sql"] for x in queries.captured_queries)
    assert set(Enterprise.objects.filter(q).values_list("pk", flat=True)) == _contains("有限恒瑞")
