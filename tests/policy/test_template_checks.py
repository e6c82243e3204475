"""Template readers: cross-field rules from `core.facts`, repeated credit codes, header-only and empty files,
CSV separators, the arithmetic's limits, and the fields added to the schema. Both readers, CSV and XLSX."""

from __future__ import annotations

import codecs
from dataclasses import replace
from datetime import date

import pytest
from python_calamine import CalamineWorkbook
from tests.policy.fixtures.firms import GOOD, credit_code, good_rows, write_csv, write_xlsx

from gaoqi.policy.core.engine import validate_facts
from gaoqi.policy.core.facts import (
    COUNT_LIMIT,
    CROSS_RULES,
    FIELD_SPECS,
    FIELDS_BY_NAME,
    MONEY_LIMIT,
    NotAbove,
)
from gaoqi.policy.loader import load_policy
from gaoqi.policy.template import TemplateError, read_table, read_template, resolve_header, write_template
from gaoqi.policy.template.read import sniff_delimiter

NEW_FIELDS = ("rnd_expense_deductible_y3", "ip_class2_used", "research_misconduct")
HEADER = [*GOOD, *NEW_FIELDS]
NUMERIC = {s.name for s in FIELD_SPECS if s.kind.value in ("money", "count")}


def rows_of(dicts, header=HEADER):
    return [[d.get(h, "") for h in header] for d in dicts]


def typed(rows, header=HEADER):
    """Numbers as Excel numbers (so that the XLSX tests also take the typed columns' shortcut)."""
    return [
        [
            int(v) if h in NUMERIC and isinstance(v, str) and v.lstrip("-").isdigit() else v
            for h, v in zip(header, r, strict=True)
        ]
        for r in rows
    ]


def write(tmp_path, fmt, rows, header=HEADER, name="f"):
    if fmt == "csv":
        return write_csv(tmp_path / f"{name}.csv", header, rows)
    return write_xlsx(tmp_path / f"{name}.xlsx", header, typed(rows, header))


def both(path):
    """(row reader, columnar reader), after checking that they agree on every value and error."""
    slow, fast = read_template(path), read_table(path)
    assert fast.errors == slow.errors
    assert fast.df.to_dicts() == [{"_row": r.row, **r.facts.as_dict()} for r in slow.records if r.facts]
    assert fast.n_rows == len(slow.records)
    return slow, fast


# --- cross-field rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("rule", CROSS_RULES, ids=lambda r: r.small)
def test_every_cross_rule_of_core_facts_is_checked_with_both_values(tmp_path, fmt, rule):
    over, equal = dict(GOOD), dict(GOOD, credit_code=credit_code(2))
    over[rule.small] = str(int(GOOD[rule.big]) + 1)
    equal[rule.small] = GOOD[rule.big]
    slow, fast = both(write(tmp_path, fmt, rows_of([over, equal])))
    (error,) = slow.errors
    assert (error.row, error.column) == (2, rule.small)
    small, big = int(GOOD[rule.big]) + 1, int(GOOD[rule.big])
    assert error.reason.startswith(rule.reason_zh)
    for header, value in ((rule.small, small), (rule.big, big)):  # each column as written, with its value
        assert header in error.reason
        assert (
            f"{value:,}元" if FIELDS_BY_NAME[header].kind.value == "money" else str(value)
        ) in error.reason
    assert fast.df.get_column("_row").to_list() == [3]  # equal is allowed


def test_cross_message_uses_chinese_headers_and_yuan_for_wan_columns(tmp_path):
    header = ["统一社会信用代码", "研发费用总额（第三年）（万元）", "成本费用支出总额"]
    path = write_csv(tmp_path / "zh.csv", header, [[credit_code(1), "300.5", "3,000,000"]])
    (error,) = both(path)[0].errors
    assert error.column == "研发费用总额（第三年）（万元）"
    assert error.reason == (
        "研发费用总额不能超过成本费用支出总额（研发费用总额（第三年）（万元）：3,005,000元，成本费用支出总额：3,000,000元）"
    )


def test_cross_rules_are_not_hand_written_in_the_readers(tmp_path, monkeypatch):
    """A rule added to core.facts.CROSS_RULES is checked by both readers without touching them."""
    import gaoqi.policy.template.read as read_mod
    import gaoqi.policy.template.table as table_mod

    rule = NotAbove("standards_led", "ip_class1", "标准数不能超过Ⅰ类知识产权数")
    monkeypatch.setattr(read_mod, "CROSS_RULES", (rule,))
    monkeypatch.setattr(table_mod, "CROSS_RULES", (rule,))
    row = dict(GOOD, standards_led="3", tech_staff="101")  # tech_staff > employees: no longer a rule here
    slow, _ = both(write_csv(tmp_path / "r.csv", HEADER, rows_of([row])))
    assert [(e.column, e.reason) for e in slow.errors] == [
        ("standards_led", "标准数不能超过Ⅰ类知识产权数（standards_led：3项，ip_class1：2项）")
    ]


def test_a_blank_side_of_a_cross_rule_is_not_checked(tmp_path):
    rows = [dict(GOOD, employees="", tech_staff="500"), dict(GOOD, credit_code=credit_code(2), ip_class2="")]
    rows[1]["ip_class2_used"] = "3"
    slow, fast = both(write_csv(tmp_path / "b.csv", HEADER, rows_of(rows)))
    assert slow.errors == [] and fast.df.height == 2


# --- repeated credit codes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_repeated_credit_code_is_an_error_on_the_later_rows_and_the_first_is_read(tmp_path, fmt):
    a, b = credit_code(1), credit_code(2)
    rows = [
        dict(GOOD, credit_code=a),  # row 2: read
        dict(GOOD, credit_code=b, employees="一百"),  # row 3: its own error; still the first b
        dict(GOOD, credit_code=a, name="重复一"),  # row 4: repeats row 2
        dict(GOOD, credit_code=a.lower(), employees="x"),  # row 5: same code in lower case, and a bad cell
        dict(GOOD, credit_code=b),  # row 6: repeats row 3 (whose other cells are bad)
        dict(GOOD, credit_code=credit_code(3)),  # row 7: read
    ]
    slow, fast = both(write(tmp_path, fmt, rows_of(rows)))
    got = [(e.row, e.column, e.reason) for e in slow.errors]
    dup = "统一社会信用代码与第{}行重复（同一企业只评价第一次出现的行）"
    assert got == [
        (3, "employees", "不是数字：'一百'"),
        (4, "credit_code", dup.format(2)),
        (5, "employees", "不是数字：'x'"),
        (5, "credit_code", dup.format(2)),
        (6, "credit_code", dup.format(3)),
    ]
    assert [f.credit_code for f in slow.facts] == [a, credit_code(3)]
    assert fast.df.get_column("_row").to_list() == [2, 7] and fast.rows == [2, 3, 4, 5, 6, 7]
    assert fast.raw_names[4] == (a, "重复一")  # the firm is still named in the reports


def test_repeated_codes_on_the_fastexcel_path(tmp_path):
    from gaoqi.policy.template.table import _xlsx_source

    rows = good_rows(4)
    rows[3]["credit_code"] = rows[1]["credit_code"]
    path = write(tmp_path, "xlsx", rows_of(rows))
    assert _xlsx_source(path) is not None  # clean typed columns: the Arrow path
    slow, fast = both(path)
    assert [(e.row, e.reason.startswith("统一社会信用代码与第3行重复")) for e in slow.errors] == [(5, True)]
    assert fast.df.get_column("_row").to_list() == [2, 3, 4]


def test_invalid_codes_are_not_duplicates_of_each_other(tmp_path):
    bad = credit_code(1)[:-1] + ("0" if credit_code(1)[-1] != "0" else "1")
    rows = [dict(GOOD, credit_code=bad), dict(GOOD, credit_code=bad), dict(GOOD, credit_code="")]
    slow, _ = both(write_csv(tmp_path / "i.csv", HEADER, rows_of(rows)))
    assert all("重复" not in e.reason for e in slow.errors) and len(slow.errors) == 3


# --- header-only and empty files ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_header_only_file_reads_as_no_rows(tmp_path, fmt):
    for rows in ([], [[""] * len(HEADER)] * 3):  # no rows; blank rows only
        slow, fast = both(write(tmp_path, fmt, rows))
        assert slow.records == [] and fast.n_rows == 0 and fast.df.height == 0 and fast.errors == []


@pytest.mark.parametrize(
    "content", [b"", codecs.BOM_UTF8, b"\r\n\r\n", codecs.BOM_UTF8 + b" \n,,,\n", b";;;\n\t\t\n"]
)
def test_an_empty_csv_says_so(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    for reader in (read_template, read_table):
        with pytest.raises(TemplateError, match="文件为空"):
            reader(path)


def test_an_empty_xlsx_says_so(tmp_path):
    import xlsxwriter

    path = tmp_path / "empty.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet()
    book.close()
    for reader in (read_template, read_table):
        with pytest.raises(TemplateError, match="文件为空"):
            reader(path)


# --- CSV separators -----------------------------------------------------------------------------------------


def _text(header, rows, sep):
    def cell(v):
        v = str(v)
        return f'"{v}"' if any(c in v for c in (sep, '"', ",")) else v

    return "\r\n".join(sep.join(cell(v) for v in r) for r in [header, *rows]) + "\r\n"


@pytest.mark.parametrize("sep", [",", ";", "\t"])
@pytest.mark.parametrize("zh", [False, True], ids=["en", "zh"])
def test_semicolon_and_tab_separated_csv_are_read_like_comma_separated(tmp_path, sep, zh):
    header = [FIELDS_BY_NAME[h].label_zh for h in HEADER] if zh else HEADER
    rows = good_rows(3, revenue_y3="34,000,000")  # a quoted thousands separator inside a field
    path = tmp_path / "s.csv"
    path.write_text(_text(header, rows_of(rows), sep), encoding="utf-8-sig")
    slow, _ = both(path)
    assert slow.errors == [] and slow.unknown_headers == []
    assert [f.revenue_y3 for f in slow.facts] == [34_000_000] * 3
    comma = write_csv(tmp_path / "c.csv", header, rows_of(rows))
    assert slow.facts == read_template(comma).facts


def test_excel_unicode_text_export_utf16_tabs(tmp_path):
    path = tmp_path / "unicode.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + _text(HEADER, rows_of(good_rows(2)), "\t").encode("utf-16-le"))
    slow, _ = both(path)
    assert len(slow.facts) == 2 and slow.errors == []


def test_a_decimal_comma_is_rejected_not_read_as_thousands(tmp_path):
    path = tmp_path / "de.csv"
    path.write_text(_text(["credit_code", "revenue_y1", "employees"], [[credit_code(1), "12,5", "1,0"]], ";"))
    slow, _ = both(path)
    assert [(e.column, "千分位逗号位置不对" in e.reason) for e in slow.errors] == [
        ("revenue_y1", True),
        ("employees", True),
    ]


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        ("credit_code,name,employees", ","),
        ("credit_code;name;employees", ";"),
        ("credit_code\tname\temployees", "\t"),
        ("统一社会信用代码;企业名称;备注,说明", ";"),
        ("credit_code", ","),  # one column: nothing to tell, the comma
        ("a;b;c", ","),  # no known header: the comma, and find_layout names the missing column
    ],
)
def test_sniff_delimiter_counts_known_headers(first_line, expected):
    assert sniff_delimiter(f"\n{first_line}\nx;y\tz,w\n") == expected


# --- the arithmetic's limits -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_limits_are_the_engines(tmp_path, fmt):
    rows = [
        dict(
            GOOD,
            credit_code=credit_code(1),
            total_assets=str(MONEY_LIMIT - 1),
            ip_class1=str(COUNT_LIMIT - 1),
        ),
        dict(GOOD, credit_code=credit_code(2), total_assets=str(MONEY_LIMIT)),
        dict(GOOD, credit_code=credit_code(3), net_assets_y1=str(-MONEY_LIMIT)),
        dict(GOOD, credit_code=credit_code(4), ip_class1=str(COUNT_LIMIT)),
        dict(GOOD, credit_code=credit_code(5), net_assets_y1=str(-(MONEY_LIMIT - 1))),
    ]
    slow, _ = both(write(tmp_path, fmt, rows_of(rows)))
    got = {(e.row, e.column): e.reason for e in slow.errors}
    assert set(got) == {(3, "total_assets"), (4, "net_assets_y1"), (5, "ip_class1")}
    policy = load_policy("hte", date(2024, 6, 30))
    engine = {
        e.field: e.reason_zh
        for e in validate_facts(
            replace(slow.facts[0], total_assets=MONEY_LIMIT, ip_class1=COUNT_LIMIT), policy, date(2024, 6, 30)
        )
    }
    assert got[3, "total_assets"] == got[4, "net_assets_y1"] == engine["total_assets"]  # 须小于10万亿元
    assert got[5, "ip_class1"] == engine["ip_class1"]  # 须小于10亿
    assert "10万亿" in got[3, "total_assets"] and "10亿" in got[5, "ip_class1"]


def test_wan_columns_and_exponents_respect_the_limit(tmp_path):
    header = ["credit_code", "revenue_y1（万元）", "revenue_y2", "revenue_y3"]
    rows = [
        [credit_code(1), "999999999.9999", "9.999999999999e12", "1,000"],
        [credit_code(2), "1000000000", "9e14", "900,000,000,000,000"],
    ]
    slow, _ = both(write_csv(tmp_path / "w.csv", header, rows))
    assert slow.facts[0].revenue_y1 == MONEY_LIMIT - 1 and slow.facts[0].revenue_y2 == MONEY_LIMIT - 1
    assert [(e.row, e.column) for e in slow.errors] == [
        (3, "revenue_y1（万元）"),
        (3, "revenue_y2"),
        (3, "revenue_y3"),
    ]
    assert all("须小于10万亿元" in e.reason for e in slow.errors)


# --- the fields added to the schema -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("研发费用加计扣除基数（第三年）", "rnd_expense_deductible_y3"),
        ("研发费用加计扣除基数(第3年)", "rnd_expense_deductible_y3"),
        ("研发费用加计扣除基数", "rnd_expense_deductible_y3"),  # asked for one year only: the stem is enough
        ("rnd_expense_deductible_y3", "rnd_expense_deductible_y3"),
        ("已用于高企认定的Ⅱ类知识产权数", "ip_class2_used"),
        ("已用于高企认定的二类知识产权数", "ip_class2_used"),
        ("已用于高企认定的II类知识产权数", "ip_class2_used"),
        ("ip_class2_used", "ip_class2_used"),
        ("科研严重失信行为", "research_misconduct"),
        ("research_misconduct", "research_misconduct"),
        ("一类知识产权数", "ip_class1"),
        ("Ⅱ类知识产权数", "ip_class2"),
    ],
)
def test_headers_of_the_new_fields(header, name):
    assert resolve_header(header)[0].name == name


def test_every_field_is_named_by_its_label_and_name_and_no_spelling_names_two():
    from gaoqi.policy.template.read import HEADER_ALIASES, _aliases

    for spec in FIELD_SPECS:
        assert resolve_header(spec.label_zh)[0] is spec and resolve_header(spec.name)[0] is spec
    assert _aliases() == HEADER_ALIASES  # builds without a clash (it raises on one)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_new_fields_read_from_chinese_headers(tmp_path, fmt):
    header = [
        "统一社会信用代码",
        "研发费用总额（第三年）",
        "研发费用加计扣除基数（第三年）（万元）",
        "Ⅱ类知识产权数",
    ]
    header += ["已用于高企认定的Ⅱ类知识产权数", "科研严重失信行为"]
    rows = [[credit_code(1), "2400000", "200.5", "6", "2", "否"], [credit_code(2), "", "", "", "", "是"]]
    slow, _ = both(write(tmp_path, fmt, rows, header))
    first, second = slow.facts
    assert (first.rnd_expense_deductible_y3, first.ip_class2_used, first.research_misconduct) == (
        2_005_000,
        2,
        False,
    )
    assert (second.rnd_expense_deductible_y3, second.ip_class2_used, second.research_misconduct) == (
        None,
        None,
        True,
    )


def test_written_template_lists_every_field_with_its_rules(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    book = CalamineWorkbook.from_path(str(path))
    data = book.get_sheet_by_name("企业数据").to_python(skip_empty_area=False)
    for name in NEW_FIELDS:
        spec = FIELDS_BY_NAME[name]
        assert spec.label_zh in data[0] and name in data[1]
    help_rows = book.get_sheet_by_name("填表说明").to_python()
    by_name = {r[1]: r for r in help_rows if len(r) > 4 and r[1] in FIELDS_BY_NAME}
    assert set(by_name) == set(FIELDS_BY_NAME)
    for rule in CROSS_RULES:  # each cross rule is stated on its column, from core.facts
        assert f"不得大于“{FIELDS_BY_NAME[rule.big].label_zh}”" in by_name[rule.small][3]
    assert "加计扣除" in by_name["rnd_expense_deductible_y3"][3] and by_name["ip_class2_used"][3]
    assert by_name["research_misconduct"][4] == "Serious research misconduct"
    text = "\n".join(str(r[0]) for r in help_rows)
    assert "10万亿" in text and "分号" in text and "重复" in text
    assert read_template(path).records == []
