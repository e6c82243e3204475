"""Writing evaluation results: JSON lines, flat CSV, and an .xlsx officers can read."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from gaoqi.policy.core.model import ENGINE_VERSION
from gaoqi.policy.outputs.results import PolicyResult, ResultSet, iter_full_lines, summary_table

OUTCOME_ZH = {"pass": "符合", "fail": "不符合", "undetermined": "待专家评审"}


def write(rs: ResultSet, fmt: str, out: str | None) -> None:
    if fmt == "jsonl":
        write_jsonl(rs, out)
    elif fmt == "csv":
        frame = flat_frame(rs)
        if out:
            frame.write_csv(out, include_bom=True)
        else:
            sys.stdout.write(frame.write_csv())
    else:
        write_xlsx(rs, out)


def write_jsonl(rs: ResultSet, out: str | None) -> None:
    """Summary: the lines are built and written by Polars (no Python string per row); full: one
    json.dumps per per-firm evaluation."""
    if rs.detail != "full":
        lines = summary_table(rs)
        if out:
            lines.write_csv(out, include_header=False, quote_style="never")
        else:
            sys.stdout.flush()
            lines.write_csv(sys.stdout.buffer, include_header=False, quote_style="never")
            sys.stdout.buffer.flush()
        return
    stream = open(out, "w", encoding="utf-8") if out else sys.stdout
    try:
        for line in iter_full_lines(rs):
            stream.write(line + "\n")
    finally:
        if out:
            stream.close()
        else:
            stream.flush()


def _errors_text(res: PolicyResult, row: int) -> str | None:
    errs = res.errors.get(row)
    return "；".join(f"{e.column}：{e.reason}" for e in errs) if errs else None


def _gaps_text(res: PolicyResult, row: int) -> str | None:
    ev = res.evaluations.get(row)
    return "；".join(g.message_zh for g in ev.gaps) if ev is not None and ev.gaps else None


def policy_frame(rs: ResultSet, res: PolicyResult) -> pl.DataFrame:
    """One policy's rows (evaluated and failed) with text columns for errors and gaps."""
    t = res.table
    rows = t.get_column("_row").to_list()
    t = t.drop("errors").with_columns(
        pl.lit(res.policy.name).alias("policy"),
        pl.lit(res.policy.title_zh).alias("policy_title"),
        pl.Series("gaps", [_gaps_text(res, r) for r in rows], dtype=pl.String)
        if rs.detail == "full"
        else pl.lit(None, pl.String).alias("gaps"),
        pl.Series("errors", [_errors_text(res, r) for r in rows], dtype=pl.String),
    )
    evaluated = set(rows)
    missing = [r for r in res.errors if r not in evaluated]
    if missing:
        extra = pl.DataFrame(
            {
                "_row": missing,
                "policy": [res.policy.name] * len(missing),
                "policy_title": [res.policy.title_zh] * len(missing),
                "credit_code": [rs.names.get(r, (None, None))[0] for r in missing],
                "errors": [_errors_text(res, r) for r in missing],
            },
            schema_overrides={"_row": pl.Int64, "credit_code": pl.String},
        )
        t = pl.concat([t, extra], how="diagonal_relaxed")
    t = t.with_columns(
        pl.when(pl.col("errors").is_not_null()).then(None).otherwise(pl.col(c)).alias(c)
        for c in t.columns
        if "__" in c or c in ("outcome", "eligible", "score", "score_min", "score_max", "direct_pass_reason")
    )
    return t.sort("_row")


def flat_frame(rs: ResultSet) -> pl.DataFrame:
    frames = [policy_frame(rs, res).with_columns(pl.lit(i).alias("_p")) for i, res in enumerate(rs.results)]
    frame = pl.concat(frames, how="diagonal_relaxed").sort("_row", "_p").drop("_p")
    first = [
        "_row",
        "credit_code",
        "name",
        "policy",
        "policy_title",
        "outcome",
        "eligible",
        "score",
        "score_min",
        "score_max",
        "direct_pass_reason",
        "errors",
        "gaps",
    ]
    head = [c for c in first if c in frame.columns]
    return frame.select(head + [c for c in frame.columns if c not in head]).rename({"_row": "row"})


# --- xlsx ------------------------------------------------------------------------------------------------


def _cell_expr(cid: str, cols: set[str]) -> pl.Expr:
    """What an officer sees for one criterion (a ratio as %, a count, points or a points range; else
    符合/不符合), built for the whole column at once."""
    parts: list[pl.Expr] = []
    value = f"{cid}__value"
    if value in cols:
        v = pl.col(value)
        if cid.endswith(("ratio", "_score")):
            hundredths = (v * 10_000).round().cast(pl.Int64)  # percent with two decimals: 5.00%
            pct = (
                (hundredths // 100).cast(pl.String)
                + "."
                + (hundredths % 100).cast(pl.String).str.zfill(2)
                + "%"
            )
            parts.append(pl.when(v <= 10).then(pct).otherwise(v.cast(pl.String)))
        else:
            parts.append(v.cast(pl.Int64, strict=False).cast(pl.String))
    if f"{cid}__points" in cols:
        parts.append(pl.col(f"{cid}__points").cast(pl.String) + "分")
    elif f"{cid}__points_min" in cols:
        lo, hi = pl.col(f"{cid}__points_min"), pl.col(f"{cid}__points_max")
        parts.append(
            pl.when(lo == hi)
            .then(lo.cast(pl.String) + "分")
            .otherwise(lo.cast(pl.String) + "–" + hi.cast(pl.String) + "分")
        )
    text = pl.concat_str(parts, separator=" ", ignore_nulls=True) if parts else pl.lit(None, pl.String)
    if f"{cid}__passed" in cols:
        verdict = pl.when(pl.col(f"{cid}__passed")).then(pl.lit("符合")).otherwise(pl.lit("不符合"))
        text = pl.when(text.is_null() | (text == "")).then(verdict).otherwise(text)
    return text


def write_xlsx(rs: ResultSet, out: str | Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    head = wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    green = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
    amber = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
    wrap = wb.add_format({"text_wrap": False})
    outcome_fmt = {"pass": green, "fail": red, "undetermined": amber}
    for res in rs.results:
        _sheet(wb, rs, res, head, red, outcome_fmt, wrap)
    info = wb.add_worksheet("说明")
    lines = [
        ("评价日期", rs.as_of.isoformat()),
        (
            "说明详细程度",
            "逐家完整说明（含差距）"
            if rs.detail == "full"
            else "批量结果（差距未计算，需逐家说明请用 --detail full）",
        ),
        ("引擎版本", ENGINE_VERSION),
    ]
    for res in rs.results:
        lines.append(
            (
                res.policy.title_zh,
                f"{res.policy.title_zh} 版本 {res.policy.version}，参数哈希 {res.policy.param_hash[:16]}",
            )
        )
    lines.append(("颜色", "红色：不符合的条件；绿色：符合；黄色：待专家评审"))
    for i, (k, v) in enumerate(lines):
        info.write_row(i, 0, [k, v])
    info.set_column(0, 0, 18)
    info.set_column(1, 1, 90)
    wb.close()


def _sheet(wb, rs: ResultSet, res: PolicyResult, head, red, outcome_fmt, wrap) -> None:
    ws = wb.add_worksheet(res.policy.title_zh[:31])
    crits = list(res.policy.criteria.items())
    fixed = ["行号", "统一社会信用代码", "企业名称", "结果", "得分", "差距（对标找差）", "错误"]
    headers = fixed[:5] + [d.label_zh for _, d in crits] + fixed[5:]
    ws.set_row(0, 48)
    ws.write_row(0, 0, headers, head)
    widths = [6, 21, 28, 11, 9] + [max(9, min(16, len(d.label_zh) + 2)) for _, d in crits] + [60, 40]
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    ws.freeze_panes(1, 3)
    frame = policy_frame(rs, res)
    cols = set(frame.columns)
    lo, hi = pl.col("score_min").cast(pl.String), pl.col("score_max").cast(pl.String)
    frame = frame.with_columns(
        pl.coalesce(pl.col("score").cast(pl.String), lo + "–" + hi).alias("__score"),
        *[_cell_expr(cid, cols).alias(f"__text_{j}") for j, (cid, _) in enumerate(crits)],
        *[
            (pl.col(f"{cid}__passed") == False).fill_null(False).alias(f"__red_{j}")  # noqa: E712
            for j, (cid, _) in enumerate(crits)
            if f"{cid}__passed" in cols
        ],
    )
    reds = [f"__red_{j}" if f"__red_{j}" in frame.columns else None for j in range(len(crits))]
    names = [rs.names.get(r, (None, None))[1] for r in frame.get_column("_row").to_list()]
    view = frame.select(
        "_row",
        "credit_code",
        "outcome",
        "__score",
        *[f"__text_{j}" for j in range(len(crits))],
        *[r for r in reds if r],
        "gaps",
        "errors",
    )
    k = len(crits)
    red_pos = {j: 4 + k + i for i, j in enumerate(j for j, r in enumerate(reds) if r)}
    gap_col = 5 + k
    n = 0
    write_string = ws.write_string
    for n, (t, name) in enumerate(zip(view.iter_rows(), names, strict=True), start=1):
        ws.write_number(n, 0, t[0])
        write_string(n, 1, t[1] or "")
        write_string(n, 2, name or "")
        outcome = t[2]
        write_string(
            n, 3, OUTCOME_ZH.get(outcome, outcome) if outcome else "无法评价", outcome_fmt.get(outcome, red)
        )
        if t[3] is not None:
            write_string(n, 4, t[3])
        for j in range(k):
            text = t[4 + j]
            if j in red_pos and t[red_pos[j]]:
                write_string(n, 5 + j, text, red)
            elif text is not None and outcome is not None:
                write_string(n, 5 + j, text)
        if t[-2]:
            write_string(n, gap_col, t[-2], wrap)
        if t[-1]:
            write_string(n, gap_col + 1, t[-1], red)
    ws.autofilter(0, 0, max(n, 1), len(headers) - 1)
