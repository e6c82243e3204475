"""The reader's columnar split (`intake.columns`) gives, row by row, what parsing every row gives.

A file mixing plain rows with every near miss of them is read twice, once as it runs and once with the
split switched off: every row (its values and its errors, word for word), the duplicates and the notes must
be equal, while the split took the plain rows.
"""

from __future__ import annotations

from gaoqi.intake import columns, services
from gaoqi.intake.profiles import get_profile
from gaoqi.intake.staging import read_rows
from tests import factories
from tests.intake.conftest import write_xlsx

HEAD = [
    "纳税人识别号",
    "纳税人名称",
    "所属年度",
    "营业收入",
    "研发费用",
    "可加计扣除研发费用",
    "应纳所得税额",
]


def _codes(n: int) -> list[str]:
    return [factories.credit_code("320583", 7000 + i) for i in range(n)]


def _near_misses() -> tuple[list[list], set[int]]:
    """Rows (header first) and the lines the split should take."""
    c = _codes(40)
    bad_digit = c[5][:17] + ("0" if c[5][17] != "0" else "1")
    rows = [
        HEAD,
        [c[0], "甲公司", 2024, 100, 50, 40, 7],  # 2: plain
        [c[1], "", 2024, 100.0, None, None, None],  # 3: plain, no name
        [c[2], None, 2024, 1, 2, 1, 0],  # 4: plain
        [f" {c[3]}", "乙公司", 2024, 1, 2, 1, 0],  # 5: a space before the code: the reader strips it
        [c[4].lower(), "丙公司", 2024, 1, 2, 1, 0],  # 6: lower case: the reader upper-cases it
        [bad_digit, "丁公司", 2024, 1, 2, 1, 0],  # 7: a wrong check digit: an error
        [c[6], " 戊公司", 2024, 1, 2, 1, 0],  # 8: a space before the name
        [c[7], "己  公司", 2024, 1, 2, 1, 0],  # 9: two spaces in the name
        [c[8], "庚公司", 2024, "1,000", "20", 1, 0],  # 10: plain, amounts as text
        [c[9], "辛公司", 2024, -5, 2, 1, 0],  # 11: negative money: an error
        [c[10], "壬公司", 2024, 1.5, 2, 1, 0],  # 12: a fraction of a yuan: an error
        [c[11], "癸公司", 2024, 10**13, 2, 1, 0],  # 13: beyond the engine's limit
        [c[12], "子公司", None, 1, 2, 1, 0],  # 14: no year
        [c[13], "丑公司", 1900, 1, 2, 1, 0],  # 15: a year out of range
        [c[14], "寅公司", "2024", 1, 2, 1, 0],  # 16: a year as text: the reader reads it
        [c[15], "卯公司", 2024, 1, 2, 3, 0],  # 17: the deduction base above the R&D expense
        [c[16], "辰公司", 2024, None, None, None, None],  # 18: no figure at all
        [c[17], "巳公司", 2024, 1, 2, 1, 0],  # 19 and 20: the same row twice: a duplicate
        [c[17], "巳公司", 2024, 1, 2, 1, 0],
        [c[18], "午公司", 2024, 1, 2, 1, 0],  # 21 and 22: two different rows for one firm-year
        [c[18], "午公司", 2024, 9, 2, 1, 0],
        [c[19], "未公司", 2024, 1, 2, 1, 0],  # 23: repeated by a parsed row (24): left to the reader
        [f"{c[19]} ", "未公司", 2024, 1, 2, 1, 0],
        [c[20], "申公司", 2023, 1, 2, 1, 0],  # 25: plain, another year of the firm in 26
        [c[20], "申公司", 2024, 1, 2, 1, 0],  # 26: plain
        [None, "合计", None, 999, 9, 9, 9],  # 27: a summary row
        [None, None, None, None, None, None, None, "备注"],  # 28: nothing in a mapped column
        [c[21], True, 2024, 1, 2, 1, 0],  # 29: a flag as a name
        [c[22], "酉公司", 2024, True, 2, 1, 0],  # 30: a flag as an amount
        [c[23], "戌公司", 2024, 0, 0, 0, 0],  # 31: plain, zeros
        [c[24], "亥公司\n分公司", 2024, 1, 2, 1, 0],  # 32: a line break in the name
        [12345, "数字代码", 2024, 1, 2, 1, 0],  # 33: a number as the code
        [c[25], "甲乙", 2024.0, 1, 2, 1, ""],  # 34: plain, an empty text cell
        [c[26], "甲丙", 2024, "  ", 2, 1, 0],  # 35: blanks in an amount
        [c[27], "甲丁", 2024, "1,00", 2, 1, 0],  # 36: a separator out of place: an error
        [c[28], "甲戊", 2024, "１,０００", 2, 1, 0],  # 37: full-width digits: the reader reads them
        [c[29], "甲己", 2024, "1000.0", 2, 1, 0],  # 38: a decimal point: the reader
        [c[30], "甲庚", 2024, " 1,000", 2, 1, 0],  # 39: a space before: the reader
        [c[31], "甲辛", 2024, "-1,000", 2, 1, 0],  # 40: negative: an error
        [c[32], "甲壬", 2024, "10,000,000,000,000", 2, 1, 0],  # 41: beyond the engine's limit
        [c[33], "甲癸", 2024, "0012", 2, 1, 0],  # 42: plain, leading zeros
        [c[34], "乙甲", 2024, "1,234,567,890,123,456,789,012", 2, 1, 0],  # 43: beyond Int64
    ]
    return rows, {2, 3, 4, 10, 25, 26, 31, 34, 42}


def _read(path, monkeypatch, split: bool):
    if not split:
        monkeypatch.setattr(columns, "eligible", lambda reader: False)
    outcome = read_rows(path, get_profile("tax"))
    monkeypatch.undo()
    return outcome


def _as_data(outcome) -> tuple:
    rows = [
        (r.line, r.credit_code, r.name, r.county, r.year, r.firm, r.years, r.item, r.raw,
         [e.to_dict() for e in r.errors])
        for r in outcome.rows
    ]  # fmt: skip
    return rows, outcome.duplicates, outcome.notes, outcome.count


def test_the_split_reads_what_the_reader_reads(db, tmp_path, monkeypatch):
    rows, plain_lines = _near_misses()
    path = write_xlsx(tmp_path / "tax.xlsx", rows)
    split = _read(path, monkeypatch, split=True)
    parsed = _read(path, monkeypatch, split=False)
    assert _as_data(split) == _as_data(parsed)
    assert split.plain is not None and set(split.plain.frame["line"].to_list()) == plain_lines
    assert parsed.plain is None
    assert split.duplicates == {20: 19, 24: 23}
    assert [r.line for r in split.rows if any("数值不同" in e.reason for e in r.errors)] == [21, 22]
    assert split.count == len(rows) - 3  # the header, the summary row and the empty row


def test_a_repeat_of_a_plain_row_is_told_apart_by_the_reader(db, tmp_path, monkeypatch):
    """Two rows for one firm-year, the second written so that only the reader takes it: a duplicate."""
    code = _codes(1)[0]
    rows = [HEAD, [code, "甲公司", 2024, 1, 2, 1, 0], [code.lower(), "甲公司", 2024, 1, 2, 1, 0]]
    path = write_xlsx(tmp_path / "repeat.xlsx", rows)
    outcome = _read(path, monkeypatch, split=True)
    assert outcome.duplicates == {3: 2} and outcome.plain.height == 0


def test_staging_a_file_gives_the_same_rows_either_way(db, tmp_path, monkeypatch):
    rows, _ = _near_misses()
    path = write_xlsx(tmp_path / "tax.xlsx", rows)
    actor = factories.province_admin()

    def staged():
        batch = services.batch_stage(actor=actor, path=path, profile="tax")
        return batch.summary, list(
            batch.rows.order_by("line").values_list(
                "line", "status", "credit_code", "name", "errors", "values"
            )
        )

    split = staged()
    monkeypatch.setattr(columns, "eligible", lambda reader: False)
    assert split == staged()
    assert split[0]["rows"] == len(rows) - 3
