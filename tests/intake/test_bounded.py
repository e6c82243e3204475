"""Bounded, clear input handling: forged zip bombs fail fast in bounded memory, CSV is read as a stream, an
over-long CSV field is placed (file, row, column), Excel error values and formulas without a result are said
as such (never read as empty), a merged header cell over data columns is an error, the sheet read is named.
The policy engine's reader (the `gaoqi evaluate` CLI) refuses the same oversized inputs."""

from __future__ import annotations

import csv
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from gaoqi.intake import services
from gaoqi.intake.files import FileProblem, open_workbook
from gaoqi.intake.models import RowStatus
from gaoqi.intake.presenters import row_messages
from gaoqi.intake.services import _profile
from gaoqi.intake.staging import read_rows
from gaoqi.policy.template.read import TemplateError, read_raw
from gaoqi.policy.template.table import read_table
from tests import factories
from tests.intake.conftest import write_csv, write_xlsx

CODE = factories.credit_code("320583", 5151)
TAX = ["纳税人识别号", "纳税人名称", "所属年度", "营业收入", "成本费用总额", "研发费用"]


def _zeros_deflate(total: int) -> bytes:
    """A raw deflate stream of `total` zero bytes, built from one repeated flushed block (fast to make)."""
    block = 1 << 24
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(b"\0" * block) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(b"\0" * block) + comp.flush(zlib.Z_FULL_FLUSH)
    assert again == piece or len(again) <= len(piece)  # after a full flush the encoder repeats itself
    out = [piece] + [again] * (total // block - 1)
    return b"".join(out) + comp.flush(zlib.Z_FINISH)


def _forged_zip(path: Path, members: dict[str, bytes], bomb: bytes, declared: int) -> Path:
    """A zip whose sheet part is `bomb` (raw deflate) but whose headers declare `declared` bytes inflated."""
    entries, body = [], b""
    parts = [(name, zlib.compress(data)[2:-4], len(data), zlib.crc32(data)) for name, data in members.items()]
    parts.append(("xl/worksheets/sheet1.xml", bomb, declared, 0))
    for name, data, size, crc in parts:
        offset = len(body)
        raw = name.encode()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(raw), 0)
        body += header + raw + data
        entries.append((raw, crc, len(data), size, offset))
    central = b""
    for raw, crc, csize, size, offset in entries:
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            csize,
            size,
            len(raw),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(body), 0)
    path.write_bytes(body + central + end)
    return path


WORKBOOK = {
    "[Content_Types].xml": b"<Types/>",
    "xl/workbook.xml": b'<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": b'<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>",
}


@pytest.fixture(scope="module")
def bomb10(tmp_path_factory) -> Path:
    """A 10 MB forged zip bomb: ~10 GB of zeros whose headers declare 4 MB."""
    data = _zeros_deflate(10 * 2**30)
    assert 9 * 2**20 < len(data) < 12 * 2**20
    return _forged_zip(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", WORKBOOK, data, 4 * 2**20)


def _bounded(fn) -> tuple[float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return time.perf_counter() - started, peak


def test_a_forged_10mb_zip_bomb_fails_fast_in_bounded_memory(bomb10, db):
    assert bomb10.stat().st_size > 9 * 2**20
    caught = []

    def read():
        with pytest.raises(FileProblem) as err:
            open_workbook(bomb10)
        caught.append(err.value)

    seconds, peak = _bounded(read)
    message = caught[0].message
    assert "压缩炸弹" in message and "bomb.xlsx" in message and "声明解压后" in message
    assert seconds < 5, seconds
    assert peak < 64 * 2**20, peak  # a few chunks, never the inflated part


def test_the_engine_reader_refuses_the_same_bomb(bomb10):
    for read in (read_raw, read_table):
        seconds, _ = _bounded(lambda r=read: pytest.raises(TemplateError, r, bomb10))
        assert seconds < 5
    with pytest.raises(TemplateError, match="压缩炸弹"):
        read_table(bomb10)


def test_the_engine_reader_refuses_oversized_files(tmp_path, monkeypatch):
    from gaoqi.policy.template import limits

    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:
        fh.truncate(limits.MAX_FILE_BYTES + 1)  # sparse: refused before a byte is read
    with pytest.raises(TemplateError, match="超过上限"):
        read_table(path)
    monkeypatch.setattr(limits, "MAX_ROWS", 3)
    rows = write_csv(tmp_path / "rows.csv", [["统一社会信用代码", "企业名称"]] + [[CODE, "甲"]] * 5)
    with pytest.raises(TemplateError, match="行数 6 超过上限 3"):
        read_raw(rows)


def test_an_honest_ordinary_workbook_passes_the_size_checks(tmp_path, db):
    path = write_xlsx(tmp_path / "ok.xlsx", [TAX, [CODE, "甲公司", 2024, 100, 50, 5]])
    book = open_workbook(path)
    assert [s.name for s in book.sheets] == ["Sheet1"]


# --- CSV: a stream, and its errors placed --------------------------------------------------------------


def _big_csv(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(TAX)
        for i in range(rows):
            w.writerow(
                [
                    factories.credit_code("320583", 100_000 + i),
                    f"测试企业{i}有限公司",
                    2024,
                    1000 + i,
                    900,
                    10,
                ]
            )
    return path


def test_csv_rows_are_read_as_a_stream(tmp_path, db):
    path = _big_csv(tmp_path / "big.csv", 40_000)
    size = path.stat().st_size
    book = open_workbook(path)

    def read_all():
        assert sum(1 for _ in book.sheets[0].rows()) == 40_001

    _, peak = _bounded(read_all)
    assert peak < size / 4, (peak, size)  # was 6x the file (the whole text, decoded, copied)


def test_reading_a_csv_keeps_only_the_parsed_rows(tmp_path, db):
    """The read's peak is the parsed rows it returns plus a little, not copies of the file (was 25x)."""
    path = _big_csv(tmp_path / "big.csv", 20_000)
    size = path.stat().st_size
    tracemalloc.start()
    outcome = read_rows(path, _profile("tax"))
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(outcome.rows) == 20_000
    assert peak - kept < 2 * size, (peak, kept, size)
    assert peak < 20 * size


def test_an_over_long_csv_field_names_file_row_and_column(tmp_path, db):
    """An unclosed quote swallows the rest of the file into one field: csv's field limit, placed."""
    path = tmp_path / "unclosed.csv"
    rows = [",".join(TAX), f"{CODE},甲公司,2024,100,50,5", f'{CODE},"乙公司,2024,100,50,5']
    rows += [f"{CODE},丙{i},2024,1,1,1" for i in range(20_000)]
    path.write_text("\n".join(rows), encoding="utf-8")
    with pytest.raises(services.ImportFileError) as err:
        services.batch_stage(actor=factories.province_admin(), path=path, profile="tax")
    message = err.value.message
    assert "文件“unclosed.csv”" in message and "第 3 行" in message and "列“B列”" in message
    assert "引号未配对" in message


def test_gbk_and_utf8_bom_csv_are_still_read(tmp_path, db):
    for encoding in ("gb18030", "utf-8-sig", "utf-16"):
        path = write_csv(tmp_path / f"{encoding}.csv", [TAX, [CODE, "甲公司", 2024, 100, 50, 5]], encoding)
        outcome = read_rows(path, _profile("tax"))
        assert outcome.rows[0].name == "甲公司"


def test_an_encoding_error_deep_in_a_big_file_names_its_line(tmp_path, db):
    path = _big_csv(tmp_path / "bad.csv", 2_000)
    with open(path, "ab") as fh:
        fh.write(b"\xff\xfe\xfd,\x80\x80\n")
    with pytest.raises(FileProblem, match="第 2002 行"):
        open_workbook(path)


# --- Excel: error values and formulas, merged headers, the sheet named ------------------------------


def test_excel_error_values_and_formulas_without_a_result_are_said_as_such(tmp_path, db):
    path = write_xlsx(
        tmp_path / "errors.xlsx",
        [
            TAX,
            [CODE, "甲公司", 2024, None, 50, 5],
            [CODE, "乙公司", 2023, None, 50, 5],
            [CODE, "丙", 2022, None, 50, 5],
        ],
        formulas=[(1, 3, "=1/0", "#DIV/0!"), (2, 3, "=NA()", "#N/A"), (3, 3, "=SUM(1,2)", "")],
    )
    batch = services.batch_stage(actor=factories.province_admin(), path=path, profile="tax")
    messages = {
        row.line: " ".join(row_messages(batch, row)) for row in batch.rows.filter(status=RowStatus.ERROR)
    }
    assert "#DIV/0!" in messages[2] and "错误值" in messages[2] and "营业收入（D列）" in messages[2]
    assert "#N/A" in messages[3]
    assert "没有计算结果" in messages[4]
    assert not any("为空" in m for m in messages.values())


def test_a_plain_error_value_without_a_formula_is_an_error_too(tmp_path, db):
    path = tmp_path / "plain_error.xlsx"
    write_xlsx(path, [TAX, [CODE, "甲公司", 2024, 7, 50, 5]])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b'<c r="D2"><v>7</v></c>', b'<c r="D2" t="e"><v>#N/A</v></c>')
    assert b"#N/A" in parts[sheet]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    batch = services.batch_stage(actor=factories.province_admin(), path=path, profile="tax")
    row = batch.rows.get(line=2)
    assert row.status == RowStatus.ERROR and "#N/A" in " ".join(row_messages(batch, row))


def test_a_merged_header_over_data_columns_is_an_error(tmp_path, db):
    path = write_xlsx(
        tmp_path / "merged_header.xlsx",
        [TAX[:3] + [None, None, "研发费用"], [CODE, "甲公司", 2024, 100, 50, 5]],
        merges=[(0, 3, 0, 4, "营业收入")],
    )
    with pytest.raises(services.ImportFileError) as err:
        services.batch_stage(actor=factories.province_admin(), path=path, profile="tax")
    message = err.value.message
    assert "合并了 D–E 列" in message and "工作表“Sheet1”" in message and "第 1 行" in message


def test_a_merged_title_and_a_year_band_are_still_fine(tmp_path, db):
    path = write_xlsx(
        tmp_path / "band.xlsx",
        [
            ["2024年度税务数据"] + [None] * 5,
            ["纳税人识别号", "纳税人名称", "营业收入", "研发费用"],
            [CODE, "甲公司", 100, 5],
        ],
        merges=[(0, 0, 0, 5, "2024年度税务数据")],
    )
    outcome = read_rows(path, _profile("tax"), year=2024)
    assert outcome.rows and not outcome.rows[0].errors


def test_the_sheet_read_is_named(tmp_path, db):
    path = write_xlsx(tmp_path / "named.xlsx", [TAX, [CODE, "甲公司", 2024, 100, 50, 5]], sheet="税务数据")
    batch = services.batch_stage(actor=factories.province_admin(), path=path, profile="tax")
    assert batch.sheet == "税务数据"
    assert "读取工作表“税务数据”" in batch.notes
