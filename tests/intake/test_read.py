"""Reading departments' files: sheets, header rows, merged headers, units, encodings and cell spellings."""

from __future__ import annotations

from datetime import date

from gaoqi.intake.profiles import get_profile
from gaoqi.intake.staging import read_rows
from tests import factories
from tests.intake.conftest import write_csv, write_xlsx

CODE = factories.credit_code("320583", 31)
CODE2 = factories.credit_code("320506", 32)


def _read(path, profile, **kw):
    return read_rows(path, get_profile(profile), **kw)


def test_every_sample_reads_without_errors(db, samples):
    for path in sorted(samples.iterdir()):
        read = _read(path, path.stem)
        assert read.rows and not [r.errors for r in read.rows if r.errors], path.name
        assert read.synthetic, path.name  # the title row says 合成数据


def test_two_row_header_with_merged_years_and_thousands_of_yuan(db, samples):
    read = _read(samples / "statistics.xlsx", "statistics")
    assert read.layout.header_index == 2  # title, year band, indicators
    years = {(c.target.name, c.year) for c in read.layout.columns if c.year}
    assert ("revenue", 2024) in years and ("revenue", 2025) in years
    first = read.rows[0]
    assert set(first.years) == {2024, 2025}
    assert first.years[2024]["revenue"] % 1000 == 0  # 千元 -> yuan
    assert first.years[2025]["rnd_intensity"] > 0 and first.firm["above_scale"] in (True, False)


def test_gbk_csv_without_declaration_full_width_digits_and_separators(db, samples):
    read = _read(samples / "tax.csv", "tax")
    assert read.rows[0].name.startswith("苏州")  # decoded, not mojibake
    values = {(r.line, y): v for r in read.rows for y, v in r.years.items()}
    assert all(isinstance(v["revenue"], int) for v in values.values())
    full_width_row = next(r for r in read.rows if r.line == 3 + 2 * 3)  # firm 3 (title, header): R&D １２３
    assert isinstance(full_width_row.years[2024]["rnd_expense"], int)


def test_header_below_titles_chinese_dates_and_counties_by_name(db, samples):
    read = _read(samples / "market_registry.xlsx", "market_registry")
    assert read.layout.header_index == 2
    firms = {r.credit_code: r for r in read.rows}
    assert {r.county for r in read.rows} >= {"320583", "320106", "320214"}
    assert all(isinstance(r.firm["founded_on"], date) for r in firms.values())
    assert read.rows[0].firm["registered_capital"] % 10_000 == 0  # 万元


def test_text_numbers_units_in_headers_and_dates(db, tmp_path):
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["纳税人识别号", "所属年度", "营业收入（万元）", "研发费用", "资产总额"],
            [CODE, "2024年", "１２.５", "1,234", " 56 "],
            [CODE2.lower(), "２０２４", "3", "1，000", ""],
        ],
    )
    read = _read(path, "tax")
    a, b = read.rows
    assert a.years == {2024: {"revenue": 125_000, "rnd_expense": 1234, "total_assets": 56}}
    assert b.credit_code == CODE2 and b.years[2024] == {"revenue": 30_000, "rnd_expense": 1000}


def test_year_from_the_header_or_the_command(db, tmp_path):
    path = write_csv(
        tmp_path / "y.csv", [["纳税人识别号", "2023年营业收入", "营业收入（2024年）"], [CODE, 1, 2]]
    )
    assert _read(path, "tax").rows[0].years == {2023: {"revenue": 1}, 2024: {"revenue": 2}}
    path = write_csv(tmp_path / "g.csv", [["纳税人识别号", "营业收入"], [CODE, 7]])
    assert _read(path, "tax", year=2022).rows[0].years == {2022: {"revenue": 7}}


def test_utf8_bom_semicolons_and_summary_rows(db, tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("\ufeff纳税人识别号;所属年度;营业收入\n".encode() + f"{CODE};2024;5\n合计;;5\n".encode())
    read = _read(path, "tax")
    assert [r.line for r in read.rows] == [2] and any("合计" in n for n in read.notes)


def test_merged_text_cells_stand_for_every_row(db, tmp_path):
    rows = [
        ["统一社会信用代码", "企业名称", "所在地区", "认定类别", "认定年度"],
        [CODE, "甲", "昆山市", "创新型中小企业", 2024],
        [CODE2, "乙", None, "创新型中小企业", 2024],
    ]
    path = write_xlsx(
        tmp_path / "m.xlsx", rows, merges=[(1, 2, 2, 2, "昆山市"), (1, 3, 2, 3, "创新型中小企业")]
    )
    read = _read(path, "industry_it_lists")
    assert [r.county for r in read.rows] == ["320583", "320583"]
    assert [r.item["tag"] for r in read.rows] == ["innovative_sme", "innovative_sme"]


def test_xlsx_content_under_a_csv_name(db, tmp_path):
    path = write_xlsx(tmp_path / "real.xlsx", [["纳税人识别号", "所属年度", "营业收入"], [CODE, 2024, 9]])
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(path.read_bytes())
    assert _read(renamed, "tax").rows[0].years == {2024: {"revenue": 9}}
