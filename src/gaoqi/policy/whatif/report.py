"""The what-if report workbook: 摘要 (summary), 按地市 (by city), 结果变化企业 (firms that changed), 参数."""

from __future__ import annotations

from pathlib import Path

from gaoqi.policy.outputs.write import OUTCOME_ZH
from gaoqi.policy.whatif.simulate import WhatIfResult, _show

CITY_HEADERS = {
    "city_code": "地市代码",
    "city": "地市",
    "firms": "参评企业数",
    "baseline_pass": "基准符合数",
    "reform_pass": "改革后符合数",
    "newly_passing": "新增符合",
    "no_longer_passing": "不再符合",
    "net_change": "净变化",
    "reward_change": "奖励支出变化（元）",
}
CHANGED_HEADERS = {
    "_row": "行号",
    "credit_code": "统一社会信用代码",
    "name": "企业名称",
    "region_code": "区划代码",
    "city": "地市",
    "baseline": "基准结果",
    "reform": "改革后结果",
    "changed_criteria": "结论改变的条件",
}


def write_report(result: WhatIfResult, path: str | Path) -> Path:
    import xlsxwriter

    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = wb.add_format({"num_format": "#,##0"})
    red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    green = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})

    ws = wb.add_worksheet("摘要")
    ws.set_column(0, 0, 26)
    ws.set_column(1, 3, 22)
    r = 0
    for line in result.summary_text().splitlines():
        ws.write_string(r, 0, line, bold if r == 0 else None)
        r += 1
    r += 1
    ws.write_row(r, 0, ["基准结果 → 改革后结果", "企业数"], head)
    for (before, after), n in sorted(
        result.transitions.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))
    ):
        r += 1
        ws.write_string(r, 0, f"{OUTCOME_ZH.get(before, before)} → {OUTCOME_ZH.get(after, after)}")
        ws.write_number(r, 1, n)
    if result.reward_param:
        r += 2
        ws.write_row(r, 0, ["奖励", "基准", "改革后"], head)
        rows = [
            ("单家奖励（元）", result.reward_baseline, result.reward_reform),
            ("奖励总额（元）", result.cost["baseline_total"], result.cost["reform_total"]),
            ("新增符合企业奖励（元）", None, result.cost["added"]),
            ("不再符合企业原奖励（元）", result.cost["saved"], None),
            ("净变化（元）", None, result.cost["net"]),
        ]
        for label, a, b in rows:
            r += 1
            ws.write_string(r, 0, label)
            for j, v in ((1, a), (2, b)):
                if v is not None:
                    ws.write_number(r, j, v, money)

    ws = wb.add_worksheet("按地市")
    cols = [c for c in CITY_HEADERS if c in result.by_city.columns]
    ws.write_row(0, 0, [CITY_HEADERS[c] for c in cols], head)
    for i, row in enumerate(result.by_city.select(cols).iter_rows(), start=1):
        ws.write_row(i, 0, row)
    ws.set_column(0, len(cols) - 1, 14)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(1, result.by_city.height), len(cols) - 1)

    ws = wb.add_worksheet("结果变化企业")
    cols = [c for c in CHANGED_HEADERS if c in result.changed.columns]
    ws.write_row(0, 0, [CHANGED_HEADERS[c] for c in cols], head)
    for i, row in enumerate(result.changed.select(cols).iter_rows(named=True), start=1):
        for j, c in enumerate(cols):
            v = row[c]
            if c in ("baseline", "reform"):
                ws.write_string(i, j, OUTCOME_ZH.get(v, v or ""), green if v == "pass" else red)
            elif v is not None:
                ws.write(i, j, v)
    ws.set_column(0, len(cols) - 1, 16)
    ws.set_column(2, 2, 28)
    ws.set_column(len(cols) - 1, len(cols) - 1, 60)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(1, result.changed.height), len(cols) - 1)

    ws = wb.add_worksheet("参数")
    ws.write_row(0, 0, ["参数", "基准值", "改革值", "基准来源"], head)
    i = 0
    for i, name in enumerate(result.overrides, start=1):
        ws.write_row(
            i,
            0,
            [
                name,
                _show(result.baseline.params[name].value),
                _show(result.reform.params[name].value),
                result.baseline.params[name].source.cite(),
            ],
        )
    for o in result.not_in_force:
        i += 1
        ws.write_row(i, 0, [o.name, "", str(o.value), f"尚未生效：{o.effective_from}"])
    ws.set_column(0, 3, 30)
    wb.close()
    return path
