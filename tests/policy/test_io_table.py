"""The columnar reader gives exactly what the row reader gives: same values, same errors."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.policy.fixtures.firms import credit_code, write_csv, write_xlsx

from gaoqi.policy.template import read_table, read_template

HEADER = [
    "credit_code",
    "name",
    "region_code",
    "founded_on",
    "tech_field",
    "employees",
    "tech_staff",
    "revenue_y1",
    "net_assets_y1",
    "rnd_expense_y1（万元）",
    "rnd_expense_domestic_y1（万元）",
    "ip_class1",
    "bad_credit",
]

TEXT_JUNK = [
    "",
    " ",
    "\x1c",
    "abc",
    "１２３",
    "-",
    "1e3",
    "NaN",
    "12.50",
    "0.0",
    "-0",
    "+5",
    "1,2,3",
    "\x1c7",
]
CELLS = {
    "credit_code": [
        credit_code(1),
        credit_code(2).lower(),
        credit_code(3)[:-1] + "0",
        "",
        "12345",
        f" {credit_code(4)} ",
    ],
    "name": ["某公司", " 空格 ", "123.0", "true"],
    "region_code": ["320505", "320505.0", "32050", "abcdef", " 320506 "],
    "founded_on": [
        "2015-06-01",
        "2015/6/1",
        "2015年6月1日",
        "2015-02-30",
        "1899-12-31",
        "2015-06-01 00:00:00",
        "20150601",
    ],
    "tech_field": ["101", "101.0", "x"],
    "count": ["0", "7", "7.0", "7.5", "-1", "1,000", "999999999", "1000000000", "１２"],
    "money": [
        "0",
        "1234",
        "1,234",
        "1，234",
        "1234.00",
        "-1234",
        "12.5",
        "9999999999999",
        "10000000000000",
        "1.5e6",
        " 42 ",
    ],
    "wan": ["1", "123.4567", "123.45678", "0.0001", "-1", "999999999.9999", "1,000.5"],
    "bool": ["1", "0", "是", "否", "TRUE", "false", "Yes", "n", "2", "1.0", "0.0"],
}
KIND_OF = {
    "employees": "count",
    "tech_staff": "count",
    "ip_class1": "count",
    "revenue_y1": "money",
    "net_assets_y1": "money",
    "rnd_expense_y1（万元）": "wan",
    "rnd_expense_domestic_y1（万元）": "wan",
    "bad_credit": "bool",
}

XLSX_VALUES = {
    "count": [3.0, 3.5, -2.0, 10.0],
    "money": [1e9, 12.5, 1e13, 0.0, -7.0],
    "wan": [123.4567, 0.00005, 1.0],
    "bool": [True, False, 1.0, 2.0],
    "founded_on": [date(2014, 2, 3), datetime(2014, 2, 3), datetime(2014, 2, 3, 12, 30), 41000.0],
    "region_code": [320505.0, 320505.5],
    "name": [12.0, True],
}


def cell_strategy(column: str, xlsx: bool):
    kind = KIND_OF.get(column, column)
    options = CELLS[kind] + TEXT_JUNK
    if xlsx:
        options = options + XLSX_VALUES.get(kind, [])
    return st.sampled_from(options)


def rows_strategy(xlsx: bool):
    row = st.tuples(*[cell_strategy(h, xlsx) for h in HEADER]).map(list)
    return st.lists(row, min_size=1, max_size=8)


def assert_same(path: Path):
    slow = read_template(path)
    fast = read_table(path)
    assert sorted(fast.errors, key=lambda e: (e.row, e.column)) == sorted(
        slow.errors, key=lambda e: (e.row, e.column)
    )
    expected = [{"_row": r.row, **r.facts.as_dict()} for r in slow.records if r.facts is not None]
    assert fast.df.to_dicts() == expected
    assert fast.n_rows == len(slow.records)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy(xlsx=False))
def test_csv_fast_reader_equals_row_reader(rows):
    with tempfile.TemporaryDirectory() as tmp:
        assert_same(write_csv(Path(tmp) / "t.csv", HEADER, rows))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy(xlsx=True))
def test_xlsx_fast_reader_equals_row_reader(rows):
    with tempfile.TemporaryDirectory() as tmp:
        assert_same(write_xlsx(Path(tmp) / "t.xlsx", HEADER, rows))


TYPED = {
    "count": [0.0, 3.0, 3.5, -2.0, 999_999_999.0, 1e9, None],
    "money": [0.0, 1e9, 12.5, 9_999_999_999_999.0, 1e13, -7.0, None],
    "wan": [1.0, 123.4567, 0.00005, None],
    "bool": [True, False, None],
    "founded_on": [date(2014, 2, 3), datetime(2014, 2, 3), datetime(2014, 2, 3, 12, 30), None],
    "region_code": [320505.0, 320505.5, 99999.0, None],
    "tech_field": [101.0, 7.0, None],
    "name": [12.0, 12.5, None],
    "credit_code": [credit_code(1), credit_code(2)],
}
TYPED_FLOAT_BOOL = [1.0, 0.0, 2.0, None]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_xlsx_columns_of_one_type_take_the_typed_shortcut_with_the_same_result(data):
    """Excel columns holding only numbers / dates / booleans (no text, blanks as empty cells)."""
    n = data.draw(st.integers(1, 6))
    rows = [[None] * len(HEADER) for _ in range(n)]
    for j, h in enumerate(HEADER):
        kind = KIND_OF.get(h, h)
        options = TYPED[kind] + (TYPED_FLOAT_BOOL if kind == "bool" and data.draw(st.booleans()) else [])
        if kind == "bool" and options[-1] is None and len(options) > 3:
            options = TYPED_FLOAT_BOOL  # all floats in a boolean column
        for i in range(n):
            rows[i][j] = data.draw(st.sampled_from(options))
    with tempfile.TemporaryDirectory() as tmp:
        assert_same(write_xlsx(Path(tmp) / "t.xlsx", HEADER, rows))


def test_fast_reader_types_and_missing_columns(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["credit_code", "employees"], [[credit_code(1), "5"]])
    df = read_table(path).df
    assert df.schema["employees"] == pl.Int64 and df.schema["founded_on"] == pl.Date
    assert df.row(0, named=True)["employees"] == 5 and df.row(0, named=True)["revenue_y1"] is None


def test_fast_reader_on_many_clean_rows_reads_all_without_fallback(tmp_path):
    rows = [
        [credit_code(i), "320505", "2015-01-01", str(i % 50 + 10), "3", f"{i * 1000:,}"]
        for i in range(1, 2001)
    ]
    path = write_csv(
        tmp_path / "t.csv",
        ["credit_code", "region_code", "founded_on", "employees", "tech_staff", "revenue_y1"],
        rows,
    )
    result = read_table(path)
    assert result.errors == [] and result.df.height == 2000
    assert result.df.get_column("revenue_y1").to_list() == [i * 1000 for i in range(1, 2001)]


def _xlsx_layouts(path: Path, case: str) -> Path:
    """Hand-made sheets for the fastexcel path of the columnar reader (and its refusals)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet()
    top = 2 if case == "leading_blank_rows" else 0
    header = ["credit_code", "name", "founded_on", "employees", "revenue_y1（万元）", "bad_credit", "备注"]
    ws.write_row(top, 1 if case == "leading_blank_rows" else 0, header)
    rows = [
        [credit_code(1), "甲", date(2015, 6, 1), 12.0, 123.4567, True, None],
        [credit_code(2), "乙", datetime(2015, 6, 1, 8, 0), 12.5, 0.00005, False, "x"],
        [None, None, None, None, None, None, "只有备注"],
        [credit_code(3), "丙", date(2016, 1, 1), -1.0, 1.0, False, None],
    ]
    if case == "two_header_rows":
        rows.insert(
            0,
            [
                "统一社会信用代码",
                "企业名称",
                "成立日期",
                "职工总数",
                "销售收入（第一年）（万元）",
                "失信或经营异常",
                None,
            ],
        )
    if case == "numeric_in_text":
        rows[0][1] = 12.0
        rows[1][1] = 12.5
    if case == "date_in_text":
        rows[0][1] = date(2020, 1, 2)
    if case == "number_in_date":
        rows[0][2] = 41000.0
    if case == "float_in_bool":
        rows[0][5] = 1.0
    if case == "blank_text_in_number":
        rows[0][3] = " "
    if case == "empty_first_data_row":
        rows.insert(0, [None] * len(header))
    for i, row in enumerate(rows, start=top + 1):
        for j, value in enumerate(row):
            if value is None:
                continue
            if case == "formula" and j == 3 and isinstance(value, float):
                ws.write_formula(
                    i, j + (1 if case == "leading_blank_rows" else 0), f"={value}*1", None, value
                )
            else:
                ws.write(i, j + (1 if case == "leading_blank_rows" else 0), value)
    if case == "duplicate_header":
        ws.write(top, len(header), "credit_code")
    wb.close()
    return path


FASTEXCEL_CASES = {
    "plain": True,
    "leading_blank_rows": None,  # either path, as long as the result is the same
    "two_header_rows": False,  # the second header row is text above numbers: mixed columns
    "empty_first_data_row": True,
    "formula": True,
    "numeric_in_text": False,  # mixed types in a column: the row reader's path
    "date_in_text": False,
    "blank_text_in_number": False,
    "number_in_date": False,
    "float_in_bool": False,
    "duplicate_header": False,
}


def test_xlsx_fastexcel_path_equals_row_reader(tmp_path):
    from gaoqi.policy.template.table import _xlsx_source

    for case, fast in FASTEXCEL_CASES.items():
        path = _xlsx_layouts(tmp_path / f"{case}.xlsx", case)
        if case == "duplicate_header":
            import pytest

            from gaoqi.policy.template.read import TemplateError

            with pytest.raises(TemplateError):
                read_table(path)
            with pytest.raises(TemplateError):
                read_template(path)
            continue
        if fast is not None:
            assert (_xlsx_source(path) is not None) is fast, case
        assert_same(path)
        result = read_table(path)
        assert {e.row for e in result.errors} <= set(result.rows), case
        assert result.unknown_headers == ([] if case == "two_header_rows" else ["备注"]), case


def test_xlsx_text_nan_in_a_number_column_reads_like_the_row_reader(tmp_path):
    """Found by hypothesis: fastexcel turns the text "NaN" into a float NaN; the row reader quotes the text."""
    import xlsxwriter

    from gaoqi.policy.template.read import read_template

    path = tmp_path / "nan.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for col, value in enumerate(["credit_code", "employees", "tech_staff"]):
        sheet.write_string(0, col, value)
    for row, staff in (
        (1, "NaN"),
        (2, 3),
    ):  # text beside a number: fastexcel's strict mode takes "NaN" as NaN
        sheet.write_string(row, 0, "91320583MA1MXX0X0G")
        sheet.write_number(row, 1, 10)
        sheet.write(row, 2, staff)
    book.close()
    fast, slow = read_table(path), read_template(path)
    reasons = [e.reason for e in fast.errors if e.column == "tech_staff"]
    assert reasons == [e.reason for r in slow.records for e in r.errors if e.column == "tech_staff"]
    assert reasons and "NaN" in reasons[0]
