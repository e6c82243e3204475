"""The ledger export (xlsx): the cells, the scope, the filters and the order of the ledger page."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from python_calamine import CalamineWorkbook

from gaoqi.accounts.models import Role
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger.models import Grade, LedgerEntry
from gaoqi.ledger.services import reevaluate
from tests import factories

AS_OF = date(2025, 6, 30)
HEAD = [
    "统一社会信用代码",
    "企业名称",
    "设区市",
    "县（市、区）",
    "技术领域",
    "台账分级",
    "高企评价",
    "科技型中小企业评价",
    "培育库评价",
    "已入库科技型中小企业",
    "持有高企证书",
    "评价基准日",
]
OUTCOME = {"pass": "通过", "fail": "不通过", "undetermined": "待专家评审", None: "资料不全"}
YES = {True: "是", False: "否", None: "—"}


@pytest.fixture
def ledger(db):
    load(generate(300, 3, AS_OF), progress=False)
    reevaluate(as_of=AS_OF)
    return {
        "province": factories.province_admin(),
        "suzhou": factories.officer(Role.CITY_OFFICER, "320500"),
    }


def _export(client, user, **params) -> list[list]:
    client.force_login(user)
    response = client.get("/ledger/export.xlsx", params)
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(BytesIO(b"".join(response.streaming_content)))
    return book.get_sheet_by_index(0).to_python()


def _expected(entries) -> list[list]:
    """The rows as the ledger shows them, built from the entries one by one (the reference)."""
    grades = {code: str(label) for code, label in Grade.choices}
    rows = sorted(
        entries.select_related("enterprise", "city", "county", "tech_field"),
        key=lambda e: (e.name_pinyin, e.enterprise_id),
    )
    return [
        [
            e.enterprise.credit_code,
            e.enterprise.name,
            e.city.name,
            e.county.name,
            e.tech_field.name if e.tech_field else "",
            grades[e.grade],
            OUTCOME.get(e.hte_outcome, e.hte_outcome),
            YES[e.tech_sme_eligible],
            YES[e.pool_eligible],
            YES[e.tech_sme_registered],
            YES[e.has_hte_certificate],
            e.as_of,
        ]
        for e in rows
    ]


def test_a_city_officers_export_is_the_citys_ledger_cell_by_cell(client, ledger):
    rows = _export(client, ledger["suzhou"])
    assert rows[0] == HEAD
    expected = _expected(LedgerEntry.objects.filter(city_id="320500"))
    assert len(expected) > 10
    assert rows[1:] == expected
    # Nanjing has firms in the ledger, none in Suzhou's export.
    nanjing = set(
        LedgerEntry.objects.filter(city_id="320100").values_list("enterprise__credit_code", flat=True)
    )
    assert nanjing and not nanjing & {r[0] for r in rows[1:]}


def test_a_filtered_export_holds_the_filtered_rows_in_order(client, ledger):
    entries = LedgerEntry.objects.filter(tech_sme_eligible=True, tech_sme_registered=False, grade="C")
    rows = _export(client, ledger["province"], list="sme_due", grade="C")
    assert len(rows) > 2 and rows[1:] == _expected(entries)
    # a name fragment (the filter joins the firms' names) and a county
    entry = LedgerEntry.objects.select_related("enterprise").order_by("enterprise_id").first()
    fragment = entry.enterprise.name[2:4]
    rows = _export(client, ledger["province"], q=fragment, county=entry.county_id)
    expected = _expected(
        LedgerEntry.objects.filter(county_id=entry.county_id, enterprise__name__contains=fragment)
    )
    assert entry.enterprise.credit_code in {r[0] for r in rows[1:]}
    assert rows[1:] == expected


def test_an_export_without_rows_has_the_header_only(client, ledger):
    assert _export(client, ledger["suzhou"], q="无此名称") == [HEAD]
