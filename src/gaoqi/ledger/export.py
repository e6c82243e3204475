"""The ledger as an Excel file, streamed: XlsxWriter's constant-memory mode writes row by row."""

from __future__ import annotations

import tempfile

from django.utils.translation import gettext as _

from gaoqi.ledger.models import Grade
from gaoqi.ledger.selectors import LedgerFilter, ledger_entries

COLUMNS = (
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
)
OUTCOME = {"pass": "通过", "fail": "不通过", "undetermined": "待专家评审", None: "资料不全"}


def _yes(value) -> str:
    return {True: "是", False: "否", None: "—"}[value]


def export_ledger(*, actor, filters: LedgerFilter) -> str:
    """Write the filtered ledger to a temporary .xlsx and return its path (the caller streams and deletes it)."""
    import xlsxwriter

    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    book = xlsxwriter.Workbook(handle.name, {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet(_("培育台账"))
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    sheet.write_row(0, 0, [_(c) for c in COLUMNS], head)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 36)
    grades = dict(Grade.choices)
    rows = ledger_entries(actor=actor, filters=filters).values_list(
        "enterprise__credit_code",
        "enterprise__name",
        "city__name",
        "county__name",
        "tech_field__name",
        "grade",
        "hte_outcome",
        "tech_sme_eligible",
        "pool_eligible",
        "tech_sme_registered",
        "has_hte_certificate",
        "as_of",
    )
    for i, r in enumerate(rows.iterator(chunk_size=5000), start=1):
        sheet.write_row(
            i,
            0,
            (
                r[0],
                r[1],
                r[2],
                r[3],
                r[4] or "",
                str(grades[r[5]]),
                OUTCOME.get(r[6], r[6]),
                _yes(r[7]),
                _yes(r[8]),
                _yes(r[9]),
                _yes(r[10]),
            ),
        )
        if r[11]:
            sheet.write_datetime(i, 11, r[11])
    book.close()
    return handle.name
