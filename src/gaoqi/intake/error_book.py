"""The error workbook an officer downloads: the rows that cannot be imported, as they were in the file,
with the reasons in a first column and each offending cell highlighted (XlsxWriter, constant memory)."""

from __future__ import annotations

import io

import xlsxwriter

from gaoqi.intake.files import col_letter
from gaoqi.intake.models import ImportBatch
from gaoqi.intake.selectors import error_rows

REASON_HEADER = "错误说明"


def write_error_workbook(batch: ImportBatch) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    book.set_properties(
        {"title": f"导入错误 · {batch.file_name}", "created": batch.created_at.replace(tzinfo=None)}
    )
    head = book.add_format({"bold": True, "bg_color": "#F2F4F7", "border": 1})
    bad = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "border": 1})
    reason = book.add_format({"font_color": "#9C0006", "text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("错误行")
    sheet.freeze_panes(len(batch.header), 2)
    sheet.set_column(0, 0, 60)
    sheet.set_column(1, 1, 8)
    r = 0
    for header_row in batch.header:
        sheet.write(r, 0, REASON_HEADER if r == len(batch.header) - 1 else "", head)
        sheet.write(r, 1, "原行号" if r == len(batch.header) - 1 else "", head)
        for c, text in enumerate(header_row):
            sheet.write_string(r, c + 2, text, head)
        r += 1
    listing = []
    for row in error_rows(batch).iterator(chunk_size=2000):
        bad_cols = {e["col"] for e in row.errors if e.get("col") is not None}
        reasons = "；".join((f"{e['column']}：" if e.get("column") else "") + e["reason"] for e in row.errors)
        sheet.write_string(r, 0, reasons, reason)
        sheet.write_number(r, 1, row.line)
        for c, text in enumerate(row.raw):
            sheet.write_string(r, c + 2, text, bad if c in bad_cols else None)
        for c in bad_cols - set(range(len(row.raw))):  # a blank required cell beyond the row's last cell
            sheet.write_blank(r, c + 2, None, bad)
        for e in row.errors:
            listing.append((row.line, e))
        r += 1
    summary = book.add_worksheet("错误清单")
    for c, title in enumerate(("文件", "工作表", "行", "列", "原因")):
        summary.write(0, c, title, head)
    summary.set_column(0, 0, 30)
    summary.set_column(3, 3, 30)
    summary.set_column(4, 4, 80)
    for i, (line, e) in enumerate(listing, start=1):
        column = e.get("column") or ""
        if not column and e.get("col") is not None:
            column = f"{col_letter(e['col'])}列"
        summary.write_row(i, 0, (batch.file_name, batch.sheet or "CSV", line, column, e["reason"]))
    book.close()
    return out.getvalue()
