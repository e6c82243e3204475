"""Writing the downloadable evaluation template (.xlsx, Chinese and English headers)."""

from __future__ import annotations

from pathlib import Path

from gaoqi.policy.core.facts import COUNT_LIMIT, CROSS_RULES, FIELD_SPECS, FIELDS_BY_NAME, MONEY_LIMIT, Kind
from gaoqi.policy.template.cells import zh_number

DATA_SHEET = "企业数据"
HELP_SHEET = "填表说明"

_KIND_ZH = {
    Kind.TEXT: "文本",
    Kind.DATE: "日期（YYYY-MM-DD）",
    Kind.MONEY: "金额（元，整数）",
    Kind.COUNT: "整数",
    Kind.BOOL: "是/否（也可填 1/0、true/false）",
}

_NOTES = {
    "credit_code": "必填；18位，校验位须正确",
    "region_code": "县级行政区划代码（6位），如 320505",
    "tech_field": "《国家重点支持的高新技术领域》子领域代码；空白表示不属于",
    "employees": "最近一年职工总数（在职、兼职、临时聘用）",
    "tech_staff": "最近一年科技人员数",
    "rnd_expense_deductible_y3": (
        "最近一年可享受研发费用加计扣除的研发费用（科技型中小企业评价用）；空白时按研发费用总额计"
    ),
    "ip_class1": "有效的Ⅰ类知识产权",
    "ip_class2": "有效的Ⅱ类知识产权，含已用于高企认定的",
    "ip_class2_used": "Ⅱ类知识产权中已在以往高企认定中使用过的项数（不再计入）；空白表示0",
    "achievement_conversions": "近三年合计",
    "research_misconduct": "是否有科研严重失信行为记录；空白表示无记录",
    "expert_advancement": "可选：专家评分 0–8",
    "expert_core_support": "可选：专家评分 0–8",
    "expert_rnd_management": "可选：专家评分 0–20",
}


def _note(name: str) -> str:
    """The column's note, then the cross-field rules it takes part in (from `core.facts.CROSS_RULES`)."""
    parts = [_NOTES[name]] if name in _NOTES else []
    parts += [f"不得大于“{FIELDS_BY_NAME[r.big].label_zh}”" for r in CROSS_RULES if r.small == name]
    return "；".join(parts)


_HELP = [
    "第1行为中文表头，第2行为英文字段名；两行均可识别，数据从第3行开始，每行一家企业。",
    "_y1、_y2、_y3（第一/二/三年）为评价日前的三个会计年度，第三年为最近一年。",
    "金额单位为元，须为整数；如需按万元填写，把表头改为“销售收入（第一年）（万元）”，"
    "导入时精确换算为元（最多4位小数）。千分位逗号可以保留。",
    f"金额须小于{zh_number(MONEY_LIMIT)}元，人数、项数须小于{zh_number(COUNT_LIMIT)}；"
    "千分位逗号只能每三位一个，小数点写作“.”。",
    "是/否列可填 是/否、1/0 或 true/false；空白表示未填报。",
    "同一统一社会信用代码只能出现一次：重复的行报错，只评价第一次出现的行。",
    "也可使用 CSV 文件（UTF-8 带或不带 BOM，或 GBK；逗号、分号或制表符分隔），表头用中文或英文均可。",
]


def write_template(path: str | Path) -> Path:
    """Write the blank evaluation template: a data sheet (Chinese headers on row 1, English on row 2)
    and a help sheet listing every column. No example row: a forgotten one would be imported."""
    import xlsxwriter

    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    head_zh = wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"}
    )
    head_en = wb.add_format({"font_color": "#595959", "bg_color": "#F2F2F2", "border": 1, "font_size": 9})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money_fmt = wb.add_format({"num_format": "#,##0"})
    text_fmt = wb.add_format({"num_format": "@"})

    ws = wb.add_worksheet(DATA_SHEET)
    ws.set_row(0, 36)
    for col, spec in enumerate(FIELD_SPECS):
        ws.write_string(0, col, spec.label_zh, head_zh)
        ws.write_string(1, col, spec.name, head_en)
        note = _note(spec.name)
        ws.write_comment(0, col, f"{spec.name}：{_KIND_ZH[spec.kind]}" + (f"\n{note}" if note else ""))
        width = max(10, min(26, len(spec.label_zh) * 2 + 2))
        cell = {Kind.DATE: date_fmt, Kind.MONEY: money_fmt, Kind.TEXT: text_fmt}.get(spec.kind)
        ws.set_column(col, col, width, cell)
        if spec.kind is Kind.BOOL:
            ws.data_validation(2, col, 100_000, col, {"validate": "list", "source": ["是", "否"]})
        elif spec.kind in (Kind.COUNT, Kind.MONEY):
            limit = MONEY_LIMIT if spec.kind is Kind.MONEY else COUNT_LIMIT
            low = 0 if not spec.signed else -(limit - 1)
            ws.data_validation(
                2,
                col,
                100_000,
                col,
                {
                    "validate": "integer",
                    "criteria": "between",
                    "minimum": low,
                    "maximum": limit - 1,
                    "error_title": "数值无效",
                    "error_message": f"请填写{'不小于0、' if low == 0 else '绝对值'}小于{zh_number(limit)}的整数",
                },
            )
    ws.freeze_panes(2, 2)

    help_ws = wb.add_worksheet(HELP_SHEET)
    bold = wb.add_format({"bold": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for row, line in enumerate(_HELP):
        help_ws.write_string(row, 0, f"{row + 1}. {line}")
    top = len(_HELP) + 1
    help_ws.write_row(top, 0, ["中文表头", "英文字段名", "类型", "说明", "English"], bold)
    for i, spec in enumerate(FIELD_SPECS, start=top + 1):
        help_ws.write_row(
            i, 0, [spec.label_zh, spec.name, _KIND_ZH[spec.kind], _note(spec.name), spec.label_en], wrap
        )
    help_ws.set_column(0, 0, 34)
    help_ws.set_column(1, 1, 26)
    help_ws.set_column(2, 2, 30)
    help_ws.set_column(3, 3, 44)
    help_ws.set_column(4, 4, 40)
    wb.close()
    return path
