"""Excel exports of the R&D pages (XlsxWriter, written to a temporary file the view streams and deletes)."""

from __future__ import annotations

import tempfile
from datetime import date

from django.utils.translation import gettext as _

from gaoqi.rnd.models import InstitutionKind, InstitutionLevel
from gaoqi.rnd.selectors import RankedPerformance

RANKING_COLUMNS = (
    "排名",
    "研发机构名称",
    "类型",
    "级别",
    "依托企业",
    "统一社会信用代码",
    "设区市",
    "研发机构经费支出（元）",
    "依托企业销售收入（元）",
    "专职研发人员",
    "依托企业职工总数",
    "当年授权发明专利（Ⅰ类）",
    "当年其他知识产权（Ⅱ类）",
    "关键技术突破",
    "经费投入得分",
    "人员投入得分",
    "知识产权创造得分",
    "关键技术突破得分",
    "绩效总分",
    "绩效等级",
    "参数版本",
)
DIMENSIONS = ("funding", "staff", "ip", "breakthroughs")


def _book(path: str):
    import xlsxwriter

    return xlsxwriter.Workbook(path, {"default_date_format": "yyyy-mm-dd"})


def _temp() -> str:
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    return handle.name


def export_ranking(rows: list[RankedPerformance], *, year: int, synthetic: bool) -> str:
    """The year's performance ranking as .xlsx; returns the path (the caller streams and deletes it)."""
    path = _temp()
    book = _book(path)
    sheet = book.add_worksheet(_("绩效评价排名"))
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "text_wrap": True})
    title = _("%(y)s 年度省级企业研发机构绩效评价排名（评价参数为示例值）") % {"y": year}
    if synthetic:
        title += _("（合成数据，仅供演示）")
    sheet.write(0, 0, title, bold)
    sheet.write_row(2, 0, [_(c) for c in RANKING_COLUMNS], head)
    sheet.set_column(1, 1, 36)
    sheet.set_column(4, 4, 36)
    sheet.set_column(5, 5, 22)
    kinds, levels = dict(InstitutionKind.choices), dict(InstitutionLevel.choices)
    for i, r in enumerate(rows, start=3):
        p, inst = r.performance, r.performance.institution
        points = {c["id"].split(".")[-1]: c.get("points") for c in p.criteria}
        sheet.write_row(
            i,
            0,
            (
                r.rank,
                inst.name,
                str(kinds.get(inst.kind, inst.kind)),
                str(levels.get(inst.level, inst.level)),
                inst.enterprise.name,
                inst.enterprise.credit_code,
                inst.enterprise.city.name,
                p.rnd_spend,
                p.revenue,
                p.rnd_staff,
                p.employees,
                p.invention_patents,
                p.other_ip,
                p.key_breakthroughs,
                *[points.get(d) for d in DIMENSIONS],
                float(p.total),
                p.grade,
                f"{p.policy_version} · {p.param_hash[:12]}",
            ),
        )
    book.close()
    return path


def export_missing(firms, *, as_of: date, region_name: str, synthetic: bool) -> str:
    """Above-scale HTEs without an R&D institution (the coverage gap) as .xlsx."""
    path = _temp()
    book = _book(path)
    sheet = book.add_worksheet(_("未建研发机构的规上高企"))
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    title = _("%(r)s 未建研发机构的规模以上高新技术企业（截至 %(d)s）") % {
        "r": region_name,
        "d": as_of.isoformat(),
    }
    if synthetic:
        title += _("（合成数据，仅供演示）")
    sheet.write(0, 0, title, bold)
    sheet.write_row(2, 0, [_("统一社会信用代码"), _("企业名称"), _("设区市"), _("县（市、区）")], head)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 40)
    for i, e in enumerate(firms.iterator(chunk_size=2000), start=3):
        sheet.write_row(i, 0, (e.credit_code, e.name, e.city.name, e.county.name))
    book.close()
    return path
