"""Target workbooks: the blank-or-current template officers fill in, and the assessment table."""

from __future__ import annotations

import tempfile

from django.utils.translation import gettext as _

from gaoqi.targets.models import Indicator
from gaoqi.targets.selectors import OVERALL, Progress


def _temp() -> str:
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    return handle.name


def targets_workbook(*, regions, current: dict, year: int) -> str:
    """One row per region the officer sets targets for, one column per indicator, filled with the current
    values; `targets_upload` reads it back (header on row 3, the same headers)."""
    import xlsxwriter

    path = _temp()
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet(_("目标任务"))
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    locked = book.add_format({"bg_color": "#F2F2F2"})
    sheet.write(
        0, 0, _("%(y)s 年度目标任务（填写各指标目标值；调整已下达目标须填写调整说明）") % {"y": year}, bold
    )
    headers = ["行政区划代码", "地区", *[f"{label}目标" for _c, label in Indicator.choices], "调整说明"]
    sheet.write_row(2, 0, [str(h) for h in headers], head)
    sheet.set_column(0, 1, 16)
    sheet.set_column(2, 1 + len(Indicator.values), 20)
    sheet.set_column(2 + len(Indicator.values), 2 + len(Indicator.values), 36)
    for i, region in enumerate(regions, start=3):
        sheet.write_string(i, 0, region.code, locked)
        sheet.write_string(i, 1, region.name, locked)
        for j, indicator in enumerate(Indicator.values, start=2):
            t = current.get((region.code, indicator))
            if t is not None:
                sheet.write_number(i, j, t.value)
    book.close()
    return path


def assessment_workbook(p: Progress, *, indicator: str, synthetic: bool) -> str:
    """The ranked assessment table as .xlsx."""
    import xlsxwriter

    path = _temp()
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet(_("考核排名"))
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "text_wrap": True})
    label = _("综合完成率") if indicator == OVERALL else str(Indicator(indicator).label)
    title = _("%(r)s %(y)s 年度目标任务考核排名（按%(i)s，截至 %(d)s，时序进度 %(p)s%%）") % {
        "r": p.region.name,
        "y": p.year,
        "i": label,
        "d": p.as_of.isoformat(),
        "p": p.pace,
    }
    if synthetic:
        title += _("（合成数据，仅供演示）")
    sheet.write(0, 0, title, bold)
    headers = [_("排名"), _("地区"), _("行政区划代码")]
    for _c, name in Indicator.choices:
        headers += [f"{name}{_('目标')}", f"{name}{_('完成')}", f"{name}{_('完成率%')}"]
    headers.append(_("综合完成率%"))
    sheet.write_row(2, 0, headers, head)
    sheet.set_column(1, 1, 16)
    for i, row in enumerate(p.rows, start=3):
        values = [row.rank if row.rank is not None else "—", row.region.name, row.region.code]
        for code in Indicator.values:
            c = row.cells[code]
            values += [
                c.target if c.target is not None else "",
                c.actual if c.actual is not None else _("暂无数据"),
                float(c.percent) if c.percent is not None else "",
            ]
        overall = row.percent(OVERALL)
        values.append(float(overall) if overall is not None else "")
        sheet.write_row(i, 0, values)
    book.close()
    return path
