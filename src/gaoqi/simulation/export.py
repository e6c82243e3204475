"""The comparison of reforms as an Excel workbook (XlsxWriter): a summary sheet side by side, then per reform
its parameters, its city and county counts and the firms that change outcome."""

from __future__ import annotations

import io

import xlsxwriter

from gaoqi.simulation.models import Run

HEAD = [
    "方案",
    "政策",
    "评价基准日",
    "参评企业",
    "无法评价",
    "基准符合",
    "方案符合",
    "新增符合",
    "不再符合",
    "奖励参数",
    "奖励净变化（元）",
]
REGION_HEAD = [
    "地区代码",
    "地区",
    "参评企业",
    "基准符合",
    "方案符合",
    "新增符合",
    "不再符合",
    "净变化",
    "奖励变化（元）",
]
NOTE = "政策模拟结果，仅供研究比较；现行政策参数未改变，参数调整须以新的有日期的政策文件版本发布后生效。演示数据为合成数据。"


def _sheet_name(i: int, name: str) -> str:
    bad = "[]:*?/\\"
    clean = "".join("_" if c in bad else c for c in name)
    return f"{i}-{clean}"[:31]


def comparison_workbook(runs: list[Run]) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = wb.add_format({"bold": True})
    ws = wb.add_worksheet("对比")
    ws.write(0, 0, NOTE)
    ws.write_row(2, 0, HEAD, bold)
    for r, run in enumerate(runs, start=3):
        s = run.summary or {}
        ws.write_row(
            r,
            0,
            [
                run.reform.name,
                run.policy,
                run.as_of.isoformat(),
                s.get("n_firms"),
                s.get("n_unevaluable"),
                s.get("baseline_pass"),
                s.get("reform_pass"),
                s.get("newly_passing"),
                s.get("no_longer_passing"),
                s.get("reward_param") or "",
                (s.get("cost") or {}).get("net", ""),
            ],
        )
    ws.set_column(0, 0, 24)
    ws.set_column(1, len(HEAD), 12)
    for i, run in enumerate(runs, start=1):
        s = run.summary or {}
        sh = wb.add_worksheet(_sheet_name(i, run.reform.name))
        sh.write(0, 0, f"{run.reform.name}（{run.policy}，评价基准日 {run.as_of}）")
        sh.write_row(1, 0, ["参数", "现行值", "方案值"], bold)
        row = 2
        for p in s.get("params", []):
            sh.write_row(row, 0, [p["name"], p["baseline"], p["reform"]])
            row += 1
        for title, key in (("按设区市", "by_city"), ("按县（市、区）", "by_county")):
            row += 1
            sh.write(row, 0, title, bold)
            sh.write_row(row + 1, 0, REGION_HEAD, bold)
            row += 2
            for code, c in s.get(key, {}).items():
                sh.write_row(
                    row,
                    0,
                    [
                        code,
                        c["name"],
                        c["firms"],
                        c["baseline_pass"],
                        c["reform_pass"],
                        c["newly_passing"],
                        c["no_longer_passing"],
                        c["net_change"],
                        c.get("reward_change", ""),
                    ],
                )
                row += 1
        row += 1
        sh.write(row, 0, "结论变化的企业", bold)
        sh.write_row(
            row + 1,
            0,
            ["统一社会信用代码", "企业名称", "设区市", "县（市、区）", "基准结论", "方案结论", "变化的条件"],
            bold,
        )
        row += 2
        for ch in (
            run.changes.select_related("enterprise").order_by("city", "county", "enterprise_id").iterator()
        ):
            sh.write_row(
                row,
                0,
                [
                    ch.enterprise.credit_code,
                    ch.enterprise.name,
                    ch.city,
                    ch.county,
                    ch.baseline,
                    ch.reform,
                    ch.criteria,
                ],
            )
            row += 1
        sh.set_column(0, 1, 24)
        sh.set_column(2, 8, 12)
    wb.close()
    return out.getvalue()
