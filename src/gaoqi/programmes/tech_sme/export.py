"""The officers' tech-SME queue of one phase, with the page's filters, as an Excel workbook (XlsxWriter,
constant memory): what the queue page lists, every row rather than one page."""

from __future__ import annotations

import tempfile

from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.programmes.tech_sme import params
from gaoqi.programmes.tech_sme.evaluation import FLAG_LABELS
from gaoqi.workflow.selectors import QueueFilter, queue

COLUMNS = ("序号", "申报编号", "统一社会信用代码", "企业名称", "设区市", "县（市、区）", "年度", "环节",
           "进入环节时间", "办理期限", "提交时间", "评价结论", "得分", "现场核查情形", "登记编号", "有效期至",
           "审核意见")  # fmt: skip
OUTCOMES = {"pass": "通过", "fail": "不通过", "undetermined": "待专家评审"}


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def export_queue(*, actor, filters: QueueFilter) -> str:
    """Write the queue (in scope, filtered as the page is, oldest first) to a temporary .xlsx and return its
    path (the caller streams and deletes it)."""
    import xlsxwriter

    from gaoqi.programmes.tech_sme.declaration import PROGRAMME

    path = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False).name
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet(_("科技型中小企业评价"))
    bold = wb.add_format({"bold": True})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    minute = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, COLUMNS, bold)
    ws.set_column(3, 3, 36)
    rows = queue(actor=actor, filters=filters).select_related("enterprise", "city", "county")
    row = 0
    for row, app in enumerate(rows.iterator(chunk_size=2000), start=1):
        snap = app.snapshot or {}
        ws.write_number(row, 0, row)
        ws.write_number(row, 1, app.pk)
        ws.write_string(row, 2, app.enterprise.credit_code)
        ws.write_string(row, 3, app.enterprise.name)
        ws.write_string(row, 4, app.city.name)
        ws.write_string(row, 5, app.county.name)
        ws.write_number(row, 6, app.year)
        ws.write_string(row, 7, str(PROGRAMME.label_of(app.phase)))
        ws.write_datetime(row, 8, _local(app.phase_since), minute)
        for col, value in ((9, app.deadline), (10, app.submitted_at)):
            if value:
                ws.write_datetime(row, col, _local(value), minute)
        if snap.get("outcome"):
            ws.write_string(row, 11, OUTCOMES.get(snap["outcome"], snap["outcome"]))
        if snap.get("score") is not None:
            ws.write(row, 12, snap["score"])  # an integer score (a string kept as written)
        ws.write_string(row, 13, "；".join(str(FLAG_LABELS.get(f, f)) for f in app.flags))
        ws.write_string(row, 14, app.reference_no)
        if app.valid_until:
            ws.write_datetime(row, 15, app.valid_until, day)
        ws.write_string(row, 16, app.remarks)
    if params.param("registration_no_format", timezone.localdate()).illustrative:
        ws.write_string(row + 2, 0, _("登记编号格式为示例参数，待确认；SYN- 开头的编号为演示合成数据"))
    wb.close()
    return path
