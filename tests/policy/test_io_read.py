"""Reading the evaluation template: headers, cell rules, and bad rows reported by row and column."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from python_calamine import CalamineWorkbook
from tests.policy.fixtures.firms import GOOD, credit_code, good_rows, write_csv, write_xlsx

from gaoqi.policy.core.facts import FIELD_SPECS
from gaoqi.policy.template import TemplateError, read_table, read_template, write_template

HEADER = list(GOOD)


def rows_of(dicts, header=HEADER):
    return [[d.get(h, "") for h in header] for d in dicts]


def test_english_headers_without_bom_read_every_field(tmp_path):
    path = write_csv(tmp_path / "firms.csv", HEADER, rows_of(good_rows(2)))
    result = read_template(path)
    assert result.errors == []
    first = result.facts[0]
    assert first.credit_code == credit_code(1)
    assert first.founded_on == date(2015, 6, 1)
    assert first.employees == 100 and first.revenue_y3 == 34_000_000
    assert first.ip_self_developed is True and first.major_incident is False
    assert first.expert_advancement is None  # column absent = not reported
    assert [r.row for r in result.records] == [2, 3]


def test_chinese_headers_with_bom_yes_no_thousands_and_wan(tmp_path):
    header = [
        "统一社会信用代码",
        "企业名称",
        "成立日期",
        "职工总数",
        "科技人员数",
        "销售收入（第一年）",
        "销售收入(第3年)",
        "净资产（第一年）",
        "研发费用总额（第三年）（万元）",
        "是否有自主研发知识产权",
        "重大安全质量事故或严重环境违法",
        "Ⅰ类知识产权数",
        "二类知识产权数",
    ]
    row = [
        credit_code(7),
        "无锡某公司",
        "2019/3/5",
        "1,234",
        "200",
        "12,345,678",
        "9000000.0",
        "-50000",
        "123.4567",
        "是",
        "否",
        "1",
        "4",
    ]
    path = write_csv(tmp_path / "zh.csv", header, [row], bom=True)
    facts = read_template(path).facts[0]
    assert facts.credit_code == credit_code(7) and facts.name == "无锡某公司"
    assert facts.founded_on == date(2019, 3, 5)
    assert facts.employees == 1234 and facts.tech_staff == 200
    assert facts.revenue_y1 == 12_345_678 and facts.revenue_y3 == 9_000_000
    assert facts.net_assets_y1 == -50_000  # net assets may be negative
    assert facts.rnd_expense_y3 == 1_234_567  # 123.4567 万元, exactly
    assert facts.ip_self_developed is True and facts.major_incident is False
    assert facts.ip_class1 == 1 and facts.ip_class2 == 4


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1", True),
        ("0", False),
        ("TRUE", True),
        ("false", False),
        ("是", True),
        ("否", False),
        (" yes ", True),
    ],
)
def test_boolean_spellings(tmp_path, cell, expected):
    path = write_csv(tmp_path / "b.csv", ["credit_code", "bad_credit"], [[credit_code(1), cell]])
    assert read_template(path).facts[0].bad_credit is expected


def test_bad_rows_name_row_column_and_reason_and_do_not_stop_the_others(tmp_path):
    rows = good_rows(9)
    rows[0]["employees"] = "一百"  # row 2
    rows[1]["revenue_y1"] = "-5"  # row 3
    rows[2]["credit_code"] = ""  # row 4
    rows[3]["tech_staff"] = "101"  # row 5: more tech staff than employees
    rows[4]["founded_on"] = "2019-02-30"  # row 6
    rows[5]["credit_code"] = credit_code(6)[:-1] + ("0" if credit_code(6)[-1] != "0" else "1")  # row 7
    rows[6]["total_cost"] = "12.5"  # row 8: fractions of a yuan are rejected
    rows[7]["bad_credit"] = "maybe"  # row 9
    path = write_csv(tmp_path / "bad.csv", HEADER, rows_of(rows))
    result = read_template(path)
    got = {(e.row, e.column): e.reason for e in result.errors}
    assert set(got) == {
        (2, "employees"),
        (3, "revenue_y1"),
        (4, "credit_code"),
        (5, "tech_staff"),
        (6, "founded_on"),
        (7, "credit_code"),
        (8, "total_cost"),
        (9, "bad_credit"),
    }
    assert "不是数字" in got[2, "employees"]
    assert "负数" in got[3, "revenue_y1"]
    assert got[4, "credit_code"] == "必填项为空"
    assert got[5, "tech_staff"] == "科技人员数不能超过职工总数（tech_staff：101人，employees：100人）"
    assert "日期不存在" in got[6, "founded_on"]
    assert "校验位" in got[7, "credit_code"]
    assert "整数元" in got[8, "total_cost"]
    assert "是/否" in got[9, "bad_credit"]
    assert [f.credit_code for f in result.facts] == [credit_code(9)]  # the last row still read
    assert all(e.file == "bad.csv" for e in result.errors)


def test_error_column_is_the_header_as_written(tmp_path):
    path = write_csv(tmp_path / "zh.csv", ["统一社会信用代码", "职工总数"], [[credit_code(1), "x"]])
    (error,) = read_template(path).errors
    assert (error.row, error.column) == (2, "职工总数")


def test_blank_rows_are_skipped_but_counted_in_row_numbers(tmp_path):
    path = write_csv(
        tmp_path / "gap.csv",
        ["credit_code", "employees"],
        [[credit_code(1), "1"], ["", ""], [credit_code(2), "x"]],
    )
    result = read_template(path)
    assert [r.row for r in result.records] == [2, 4]
    assert result.errors[0].row == 4


def test_xlsx_numbers_dates_and_codes(tmp_path):
    header = [
        "credit_code",
        "region_code",
        "founded_on",
        "employees",
        "revenue_y1",
        "tech_field",
        "bad_credit",
    ]
    rows = [
        [credit_code(1), 320505.0, datetime(2016, 1, 2), 50.0, 1e9, 101.0, True],
        [credit_code(2), "320506", date(2017, 1, 2), 12.5, 3.0, "102", 0.0],
    ]
    path = write_xlsx(tmp_path / "x.xlsx", header, rows)
    result = read_template(path)
    first = result.facts[0]
    assert (
        first.region_code,
        first.founded_on,
        first.employees,
        first.revenue_y1,
        first.tech_field,
        first.bad_credit,
    ) == ("320505", date(2016, 1, 2), 50, 1_000_000_000, "101", True)
    (error,) = result.errors
    assert (error.row, error.column) == (3, "employees") and "整数" in error.reason


def test_gbk_csv_from_chinese_excel_is_read(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(f"统一社会信用代码,企业名称\n{credit_code(1)},南京某公司\n".encode("gbk"))
    assert read_template(path).facts[0].name == "南京某公司"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["name", "employees"], "统一社会信用代码"),
        (["credit_code", "employees", "职工总数"], "出现两次"),
        (["credit_code", "职工总数（万元）"], "万元"),
    ],
)
def test_file_level_problems_raise(tmp_path, header, message):
    path = write_csv(tmp_path / "f.csv", header, [[credit_code(1)] + ["1"] * (len(header) - 1)])
    with pytest.raises(TemplateError, match=message):
        read_template(path)
    with pytest.raises(TemplateError, match=message):
        read_table(path)


def test_unsupported_and_missing_files(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(TemplateError, match="不支持"):
        read_template(tmp_path / "a.txt")
    with pytest.raises(TemplateError, match="不存在"):
        read_template(tmp_path / "none.csv")


def test_unknown_headers_are_reported_not_fatal(tmp_path):
    path = write_csv(tmp_path / "u.csv", ["credit_code", "备注"], [[credit_code(1), "x"]])
    result = read_template(path)
    assert result.unknown_headers == ["备注"] and len(result.facts) == 1


def test_written_template_has_both_header_rows_and_reads_back(tmp_path):
    path = write_template(tmp_path / "template.xlsx")
    workbook = CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names == ["企业数据", "填表说明"]
    rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    assert rows[0] == [s.label_zh for s in FIELD_SPECS]
    assert rows[1] == [s.name for s in FIELD_SPECS]
    assert read_template(path).records == []


def test_two_header_rows_then_data(tmp_path):
    header_zh = [s.label_zh for s in FIELD_SPECS[:7]]
    header_en = [s.name for s in FIELD_SPECS[:7]]
    row = [credit_code(3), "某公司", "320505", "2015-01-01", "", "10", "2"]
    path = write_csv(tmp_path / "two.csv", header_zh, [header_en, row])
    result = read_template(path)
    assert [r.row for r in result.records] == [3]
    assert result.facts[0].tech_staff == 2
