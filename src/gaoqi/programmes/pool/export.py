"""The admission list (入库名单) of a year and batch as an Excel workbook (XlsxWriter, constant memory)."""

from __future__ import annotations

import tempfile

from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.programmes.pool import params
from gaoqi.programmes.pool.selectors import admissions

COLUMNS = ("序号", "入库编号", "统一社会信用代码", "企业名称", "设区市", "县（市、区）", "年度", "批次",
           "入库日期", "培育期至", "专家评审平均分", "状态")  # fmt: skip


def export_admissions(*, actor, year: int | None, batch_no: int | None) -> str:
    """Write the list to a temporary .xlsx and return its path (the caller streams and deletes it)."""
    import xlsxwriter

    from gaoqi.programmes.pool.declaration import PROGRAMME

    path = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False).name
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "remove_timezone": True})
    ws = wb.add_worksheet(_("入库名单"))
    bold = wb.add_format({"bold": True})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, COLUMNS, bold)
    row = 0
    for row, r in enumerate(admissions(actor=actor, year=year, batch_no=batch_no).iterator(), start=1):
        app = r.application
        ws.write_number(row, 0, row)
        ws.write_string(row, 1, app.reference_no)
        ws.write_string(row, 2, app.enterprise.credit_code)
        ws.write_string(row, 3, app.enterprise.name)
        ws.write_string(row, 4, app.city.name)
        ws.write_string(row, 5, app.county.name)
        ws.write_number(row, 6, app.year)
        ws.write_number(row, 7, r.batch_no or 0)
        ws.write_datetime(row, 8, r.admitted_on, day)
        ws.write_datetime(row, 9, r.ends_on, day)
        if r.expert_score is not None:
            ws.write_number(row, 10, float(r.expert_score))  # a display value in the workbook only
        ws.write_string(row, 11, PROGRAMME.label_of(app.phase))
    if params.param("admission_no_format", timezone.localdate()).illustrative:
        ws.write_string(row + 2, 0, _("入库编号格式为示例参数，待确认"))
    wb.close()
    return path
