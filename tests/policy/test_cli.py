"""`gaoqi evaluate` / `gaoqi simulate`: output fields, exit codes, formats (through main(argv))."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from python_calamine import CalamineWorkbook
from tests.policy.fixtures.firms import GOOD, good_rows, write_csv

from gaoqi.policy.cli import main

HEADER = list(GOOD)


@pytest.fixture
def firms_csv(tmp_path):
    rows = good_rows(4)
    rows[1]["employees"] = "一百"  # row 3: unreadable
    rows[2]["tech_staff"] = "5"  # row 4: 5% tech staff -> fails the HTE 10% condition
    rows[3]["revenue_y3"] = ""  # row 5: readable, but tech_sme / hte need it
    return write_csv(tmp_path / "firms.csv", HEADER, [[r[h] for h in HEADER] for r in rows])


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("detail", ["full", "summary"])
def test_jsonl_one_object_per_row_per_policy_and_errors(firms_csv, capsys, detail):
    code, out, err = run(
        [
            "evaluate",
            str(firms_csv),
            "--policy",
            "tech_sme",
            "--policy",
            "hte",
            "--as-of",
            "2024-06-30",
            "--detail",
            detail,
        ],
        capsys,
    )
    assert code == 1 and "2 行有错误" in err
    objs = [json.loads(line) for line in out.splitlines()]
    assert [(o["row"], o["policy"]) for o in objs] == [
        (r, p) for r in (2, 3, 4, 5) for p in ("tech_sme", "hte")
    ]
    by = {(o["row"], o["policy"]): o for o in objs}
    first = by[2, "tech_sme"]
    assert (first["outcome"], first["eligible"], first["score"]) == ("pass", True, 100)
    assert first["credit_code"] == GOOD["credit_code"] and first["errors"] == []
    assert {c["id"] for c in first["criteria"]} >= {"tech_sme.tech_staff_score", "tech_sme.score"}
    hte = by[2, "hte"]
    assert (hte["outcome"], hte["score_min"], hte["score_max"]) == ("undetermined", 48, 96)
    assert by[3, "hte"]["errors"] == [{"row": 3, "column": "employees", "reason": "不是数字：'一百'"}]
    assert by[3, "hte"]["outcome"] is None and by[3, "hte"]["credit_code"] == good_rows(4)[1]["credit_code"]
    failing = {c["id"]: c.get("passed") for c in by[4, "hte"]["criteria"]}
    assert by[4, "hte"]["outcome"] == "fail" and failing["hte.tech_staff_ratio"] is False
    assert by[5, "tech_sme"]["errors"][0]["column"] == "revenue_y3"
    if detail == "full":  # per-firm explanation: thresholds and gaps
        assert by[4, "hte"]["gaps"] and all("message_zh" in g for g in by[4, "hte"]["gaps"])
        assert by[2, "tech_sme"]["criteria"][0]["threshold"] is not None
    else:
        assert by[4, "hte"]["gaps"] is None and by[4, "hte"]["detail"] == "summary"


def test_full_and_summary_agree_on_every_verdict(firms_csv, capsys):
    args = ["evaluate", str(firms_csv), "--policy", "tech_sme,hte,pool", "--as-of", "2024-06-30"]
    _, full, _ = run([*args, "--detail", "full"], capsys)
    _, summary, _ = run([*args, "--detail", "summary"], capsys)
    for a, b in zip(full.splitlines(), summary.splitlines(), strict=True):
        a, b = json.loads(a), json.loads(b)
        assert {
            k: a[k] for k in ("row", "policy", "outcome", "eligible", "score", "score_min", "score_max")
        } == {k: b[k] for k in ("row", "policy", "outcome", "eligible", "score", "score_min", "score_max")}
        keys = ("id", "passed", "points_min", "points_max")
        assert [tuple(c[k] for k in keys) for c in a["criteria"]] == [
            tuple(c.get(k) for k in keys) for c in b["criteria"]
        ]


def test_all_rows_good_exit_zero(tmp_path, capsys):
    path = write_csv(tmp_path / "ok.csv", HEADER, [[r[h] for h in HEADER] for r in good_rows(3)])
    code, out, _ = run(["evaluate", str(path), "--policy", "pool", "--as-of", "2024-06-30"], capsys)
    assert code == 0 and len(out.splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy", "nope"], "未知政策"),
        (["--policy", "hte", "--as-of", "2010-01-01"], "不在有效期内"),
        (["--policy", "hte", "--as-of", "2024-13-01"], "YYYY-MM-DD"),
        (["--policy", "hte", "--format", "xlsx"], "--out"),
    ],
)
def test_usage_errors_exit_two(firms_csv, capsys, args, message):
    code, _, err = run(["evaluate", str(firms_csv), *args], capsys)
    assert code == 2 and message in err


def test_unreadable_file_exits_two(tmp_path, capsys):
    path = write_csv(tmp_path / "x.csv", ["name"], [["a"]])
    code, _, err = run(["evaluate", str(path), "--policy", "hte"], capsys)
    assert code == 2 and "统一社会信用代码" in err


def test_csv_output_is_flat(firms_csv, tmp_path, capsys):
    out = tmp_path / "r.csv"
    code, _, _ = run(
        ["evaluate", str(firms_csv), "--policy", "hte", "--as-of", "2024-06-30", "--out", str(out)], capsys
    )
    assert code == 1
    rows = list(csv.DictReader(open(out, encoding="utf-8-sig")))
    assert [r["row"] for r in rows] == ["2", "3", "4", "5"]
    assert rows[2]["hte.tech_staff_ratio__passed"] == "false" and rows[2]["outcome"] == "fail"
    assert "不是数字" in rows[1]["errors"]


def test_xlsx_output_for_officers(firms_csv, tmp_path, capsys):
    out = tmp_path / "r.xlsx"
    code, _, _ = run(
        ["evaluate", str(firms_csv), "--policy", "tech_sme,hte", "--as-of", "2024-06-30", "--out", str(out)],
        capsys,
    )
    assert code == 1
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["科技型中小企业评价办法", "高新技术企业认定", "说明"]
    rows = book.get_sheet_by_name("高新技术企业认定").to_python()
    header = rows[0]
    assert header[:5] == ["行号", "统一社会信用代码", "企业名称", "结果", "得分"]
    col = header.index("科技人员占职工总数比例")
    assert rows[3][0] == 4 and rows[3][3] == "不符合" and rows[3][col] == "5.00%"
    assert rows[3][header.index("差距（对标找差）")]  # gaps as text (small file: per-firm detail)
    assert "不是数字" in rows[2][header.index("错误")]
    # the failing criterion cell is highlighted red, the header frozen and filtered
    import zipfile

    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert (
        "FFFFC7CE" in styles
        and '<pane ySplit="1"' in sheet.replace('xSplit="3" ', "")
        and "<autoFilter" in sheet
    )

    def style(cell: str) -> str:
        attrs = sheet.split(f'<c r="{cell}"')[1].split(">")[0]
        return attrs.split('s="')[1].split('"')[0] if 's="' in attrs else ""

    letter = chr(ord("A") + col)
    assert style(f"{letter}4") == style("D4") != ""  # same red format as the "不符合" outcome cell
    assert style(f"{letter}2") != style(f"{letter}4")  # a passing criterion is not highlighted


def test_simulate_command(tmp_path, capsys):
    rows = good_rows(3)
    rows[0]["ip_class1"], rows[0]["ip_class2"] = "0", "1"
    path = write_csv(tmp_path / "f.csv", HEADER, [[r[h] for h in HEADER] for r in rows])
    (tmp_path / "r.yaml").write_text("ip.min_count: 2\n", encoding="utf-8")
    report = tmp_path / "report.xlsx"
    code, out, _ = run(
        [
            "simulate",
            str(path),
            "--policy",
            "pool",
            "--reform",
            str(tmp_path / "r.yaml"),
            "--as-of",
            "2024-06-30",
            "--out",
            str(report),
        ],
        capsys,
    )
    assert code == 0 and "不再符合 1 家" in out and report.exists()
    code, _, err = run(
        ["simulate", str(path), "--policy", "pool", "--reform", str(tmp_path / "missing.yaml")], capsys
    )
    assert code == 2


def test_console_script_dispatches(firms_csv):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gaoqi.cli",
            "evaluate",
            str(firms_csv),
            "--policy",
            "tech_sme",
            "--as-of",
            "2024-06-30",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and len(proc.stdout.splitlines()) == 4


def test_template_command_writes_a_template_the_reader_accepts(tmp_path):
    from gaoqi.cli import main as gaoqi_main
    from gaoqi.policy.template.read import read_template

    out = tmp_path / "模板.xlsx"
    assert gaoqi_main(["template", str(out)]) == 0
    assert out.exists()
    result = read_template(out)
    assert (
        result.records == [] and result.unknown_headers == []
    )  # headers only: no example row that could be imported by mistake


# --- file-level problems, repeated codes, separators, limits, policy titles ---------------------------------


def _rows(dicts, header=HEADER):
    return [[d.get(h, "") for h in header] for d in dicts]


@pytest.mark.parametrize("kind", ["csv", "xlsx", "template", "blank_rows"])
def test_header_only_file_exits_two_and_says_so(tmp_path, capsys, kind):
    from tests.policy.fixtures.firms import write_xlsx

    from gaoqi.policy.template.write import write_template

    if kind == "csv":
        path = write_csv(tmp_path / "h.csv", HEADER, [])
    elif kind == "xlsx":
        path = write_xlsx(tmp_path / "h.xlsx", HEADER, [])
    elif kind == "template":  # the blank template uploaded as it was downloaded
        path = write_template(tmp_path / "模板.xlsx")
    else:
        path = write_csv(tmp_path / "b.csv", HEADER, [[""] * len(HEADER)] * 2)
    code, out, err = run(["evaluate", str(path), "--policy", "hte", "--as-of", "2024-06-30"], capsys)
    assert code == 2 and out == ""
    assert "文件只有表头，没有数据行" in err


def test_simulate_header_only_file_exits_two(tmp_path, capsys):
    path = write_csv(tmp_path / "h.csv", HEADER, [])
    (tmp_path / "r.yaml").write_text("ip.min_count: 2\n", encoding="utf-8")
    code, out, err = run(
        [
            "simulate",
            str(path),
            "--policy",
            "pool",
            "--reform",
            str(tmp_path / "r.yaml"),
            "--as-of",
            "2024-06-30",
        ],
        capsys,
    )
    assert code == 2 and "文件只有表头，没有数据行" in err and out == ""


@pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx"])
def test_empty_file_exits_two(tmp_path, capsys, name):
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_bytes(b"")
    else:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path))
        book.add_worksheet()
        book.close()
    code, out, err = run(["evaluate", str(path), "--policy", "hte"], capsys)
    assert code == 2 and out == "" and "文件为空" in err


def test_repeated_credit_code_is_reported_and_the_first_row_evaluated(tmp_path, capsys):
    rows = good_rows(3)
    rows[2]["credit_code"] = rows[0]["credit_code"]
    path = write_csv(tmp_path / "dup.csv", HEADER, _rows(rows))
    code, out, err = run(
        ["evaluate", str(path), "--policy", "tech_sme,hte", "--as-of", "2024-06-30", "--detail", "summary"],
        capsys,
    )
    assert code == 1 and "1 行有错误" in err
    by = {(o["row"], o["policy"]): o for o in map(json.loads, out.splitlines())}
    assert by[2, "tech_sme"]["outcome"] == "pass" and by[3, "tech_sme"]["outcome"] == "pass"
    for policy in ("tech_sme", "hte"):
        dup = by[4, policy]
        assert dup["outcome"] is None and dup["credit_code"] == rows[0]["credit_code"]
        assert dup["errors"] == [
            {
                "row": 4,
                "column": "credit_code",
                "reason": "统一社会信用代码与第2行重复（同一企业只评价第一次出现的行）",
            }
        ]


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_or_tab_csv_evaluates_like_comma_csv(tmp_path, capsys, sep):
    comma = write_csv(tmp_path / "c.csv", HEADER, _rows(good_rows(3)))
    other = tmp_path / "s.csv"
    other.write_text(comma.read_text(encoding="utf-8").replace(",", sep), encoding="utf-8")
    args = ["--policy", "tech_sme,hte,pool", "--as-of", "2024-06-30"]
    code_c, out_c, _ = run(["evaluate", str(comma), *args], capsys)
    code_s, out_s, _ = run(["evaluate", str(other), *args], capsys)
    assert code_c == code_s == 0 and out_s == out_c


@pytest.mark.parametrize(
    ("fmt", "column", "value", "limit"),
    [
        ("csv", "revenue_y3", "900000000000000", "须小于10万亿元"),
        ("csv", "revenue_y3", "9e14", "须小于10万亿元"),
        ("csv", "net_assets_y3", "-9e14", "须小于10万亿元"),
        ("xlsx", "revenue_y3", 9e14, "须小于10万亿元"),
        ("xlsx", "employees", 9e14, "须小于10亿"),
        ("csv", "ip_class1", "900000000000000", "须小于10亿"),
    ],
)
@pytest.mark.parametrize("detail", ["full", "summary"])
def test_values_beyond_the_arithmetic_are_reported_by_row_and_column(
    tmp_path, capsys, fmt, column, value, limit, detail
):
    from tests.policy.fixtures.firms import write_xlsx

    rows = _rows(good_rows(3))
    rows[1][HEADER.index(column)] = value
    if fmt == "csv":
        path = write_csv(tmp_path / "big.csv", HEADER, rows)
    else:
        path = write_xlsx(tmp_path / "big.xlsx", HEADER, rows)
    code, out, err = run(
        ["evaluate", str(path), "--policy", "tech_sme,hte,pool", "--as-of", "2024-06-30", "--detail", detail],
        capsys,
    )
    assert code == 1 and "1 行有错误" in err
    objs = [json.loads(line) for line in out.splitlines()]
    assert len(objs) == 9
    for o in objs:
        if o["row"] == 3:
            assert o["outcome"] is None
            (error,) = o["errors"]
            assert (error["row"], error["column"]) == (3, column) and limit in error["reason"]
        else:
            assert o["outcome"] is not None and o["errors"] == []


def test_messages_name_policies_by_their_chinese_title(firms_csv, tmp_path, capsys):
    code, _, err = run(["evaluate", str(firms_csv), "--policy", "nope"], capsys)
    assert code == 2 and "hte（高新技术企业认定）" in err and "tech_sme（科技型中小企业评价办法）" in err
    code, _, err = run(["evaluate", str(firms_csv), "--policy", "hte", "--as-of", "2010-01-01"], capsys)
    assert (
        code == 2 and "高新技术企业认定（hte）在 2010-01-01 不在有效期内（有效期：2016-01-01 至 今）" in err
    )
    out = tmp_path / "r.csv"
    run(
        ["evaluate", str(firms_csv), "--policy", "tech_sme,hte", "--as-of", "2024-06-30", "--out", str(out)],
        capsys,
    )
    rows = list(csv.DictReader(open(out, encoding="utf-8-sig")))
    assert {(r["policy"], r["policy_title"]) for r in rows} == {
        ("tech_sme", "科技型中小企业评价办法"),
        ("hte", "高新技术企业认定"),
    }
    missing = [r for r in rows if r["row"] == "5"]  # revenue_y3 blank: required by both
    assert {r["errors"] for r in missing} == {
        "revenue_y3：科技型中小企业评价办法评价必填",
        "revenue_y3：高新技术企业认定评价必填",
    }
    for r in rows:  # no error text names a policy by its code
        assert not any(code in (r["errors"] or "") for code in ("tech_sme", "hte", "pool"))


def test_progress_bars_are_labelled_with_policy_titles(firms_csv):
    import contextlib
    from datetime import date

    from gaoqi.policy.cli import load_policies
    from gaoqi.policy.evaluate_file import evaluate_file

    seen = []

    def progress(total, desc, rows, unit="行"):
        seen.append(desc)
        return contextlib.nullcontext()

    as_of = date(2024, 6, 30)
    evaluate_file(
        firms_csv, load_policies(["tech_sme", "hte"], as_of), as_of, detail="full", progress=progress
    )
    assert seen == ["整理结果", "科技型中小企业评价办法", "高新技术企业认定"]
