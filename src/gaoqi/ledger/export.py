"""The ledger as an Excel file.

The filtered ledger's rows come from one query, built from the selector's queryset (`ledger_entries`: the
actor's scope and the filters stay enforced there) with the entry's own columns (its copy of the firm's name
included) and the firm's credit code, in the ledger's order; read as a Polars frame (COPY on PostgreSQL). The names of regions and tech
fields and the labels (tier, outcome, yes/no) are mapped in Polars from small lookup tables, not joined per
row nor built as Python objects per row. Written by rustpy-xlsxwriter (Python bindings of the Rust port of
XlsxWriter, from the frame's columns) to a temporary file, which the view streams.

Measured at 300,000 firms (`python -m bench ledger`; figures and load in docs/SCALING.md "Ledger export at
300,000 firms"): the writer is most of the cost now (~5 s CPU); the ORM rows and a dict per row it replaces
cost ~3.5 s CPU more on PostgreSQL, where the query also ran without parallel workers (a server-side cursor).
XlsxWriter stays the writer of every other workbook; this one is the province-size file.
"""

from __future__ import annotations

import tempfile

import polars as pl
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.utils.translation import gettext as _

from gaoqi.ledger.models import Grade
from gaoqi.ledger.selectors import LedgerFilter, ledger_entries
from gaoqi.ledger.store import read_frame
from gaoqi.regions.models import Region
from gaoqi.registry.models import TechField

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

# The query's columns (the selector's field paths) and their types, in the order of COLUMNS.
FIELDS = {
    "enterprise__credit_code": pl.Utf8,
    "name": pl.Utf8,  # the entry's copy of the firm's name (kept in step with renames: ledger.names)
    "city_id": pl.Utf8,
    "county_id": pl.Utf8,
    "tech_field_id": pl.Utf8,
    "grade": pl.Utf8,
    "hte_outcome": pl.Utf8,
    "tech_sme_eligible": pl.Boolean,
    "pool_eligible": pl.Boolean,
    "tech_sme_registered": pl.Boolean,
    "has_hte_certificate": pl.Boolean,
    "as_of": pl.Date,
}


def ledger_sheet(*, actor, filters: LedgerFilter) -> pl.DataFrame:
    """The export's cells: one column per COLUMNS header (translated), one row per entry of the filtered
    ledger, in its order."""
    qs = ledger_entries(actor=actor, filters=filters).values_list(*FIELDS)
    rows = _read(qs)
    regions = dict(Region.objects.using(qs.db).values_list("code", "name"))
    fields = dict(TechField.objects.using(qs.db).values_list("code", "name"))
    grades = {code: str(label) for code, label in Grade.choices}
    outcome = {k: _(v) for k, v in OUTCOME.items() if k is not None}
    yes = {True: _("是"), False: _("否")}

    def yes_no(name: str) -> pl.Expr:
        return pl.col(name).replace_strict(yes, default="—", return_dtype=pl.Utf8)

    cells = [
        pl.col("enterprise__credit_code"),
        pl.col("name"),
        pl.col("city_id").replace_strict(regions, return_dtype=pl.Utf8),
        pl.col("county_id").replace_strict(regions, return_dtype=pl.Utf8),
        pl.col("tech_field_id").replace_strict(fields, default="", return_dtype=pl.Utf8),
        pl.col("grade").replace_strict(grades, return_dtype=pl.Utf8),
        pl.col("hte_outcome").replace(outcome).fill_null(_(OUTCOME[None])),
        yes_no("tech_sme_eligible"),
        yes_no("pool_eligible"),
        yes_no("tech_sme_registered"),
        yes_no("has_hte_certificate"),
        pl.col("as_of"),
    ]
    return rows.select(cell.alias(_(head)) for cell, head in zip(cells, COLUMNS, strict=True))


def _read(qs) -> pl.DataFrame:
    """The rows of a `values_list(*FIELDS)` queryset as a typed frame, in its order, on the database it reads
    (a replica when the view reads one): COPY on PostgreSQL, one fetch on SQLite."""
    try:
        sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    except EmptyResultSet:  # a filter that cannot match (e.g. a name none holds): no query at all
        return pl.DataFrame(schema=FIELDS)
    bulk = connections[qs.db].vendor == "postgresql"
    return read_frame(sql, params, FIELDS, bulk=bulk, using=qs.db)


def export_ledger(*, actor, filters: LedgerFilter) -> str:
    """Write the filtered ledger to a temporary .xlsx and return its path (the caller streams and deletes it)."""
    import rustpy_xlsxwriter

    sheet = ledger_sheet(actor=actor, filters=filters)
    head = sheet.columns
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    rustpy_xlsxwriter.write_worksheet(
        sheet,
        handle.name,
        sheet_name=_("培育台账"),
        bold_headers=True,
        freeze_row=1,
        datetime_format="yyyy-mm-dd",
        column_widths={head[0]: 22, head[1]: 36},
    )
    return handle.name
