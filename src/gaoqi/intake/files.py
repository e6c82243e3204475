"""Opening an uploaded file safely: size limits first, then the format from its content, never its name.

- .xlsx (a zip): the members' declared sizes are checked against the inflated-size limit and a plausible
  compression ratio before anything is unpacked (a zip bomb is refused unread); formula cells are found
  by scanning the sheet's XML in chunks (python-calamine gives only their cached values, which a program
  that wrote the file may have left at 0);
- .xls (OLE2): python-calamine; an encrypted .xlsx is OLE2 too and is refused with that reason;
- CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (GBK without declaration); comma,
  semicolon or tab, whichever splits the first rows into the most known headers.
Every problem is a `FileProblem` naming the file (and sheet, row and column when there is one).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from django.conf import settings

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_RATIO = 200  # inflated / compressed: real sheets stay under ~20, a zip bomb is in the thousands
RATIO_FLOOR = 8 * 2**20  # small members may compress better than that (a sheet of zeros)
_FORMULA_RE = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*>\s*<f[\s>/]')
_CHUNK = 4 * 2**20


def limits() -> dict[str, int]:
    return settings.GAOQI_INTAKE_LIMITS


def col_letter(index: int) -> str:
    """0 -> A, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


@dataclass
class FileProblem(Exception):
    """The file (or one place in it) cannot be read; `message` names all that is known."""

    file: str
    reason: str
    sheet: str = ""
    row: int | None = None  # 1-based
    column: str = ""  # the header as written, or a column letter

    def __post_init__(self):
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [f"文件“{self.file}”"]
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列“{self.column}”")
        return "，".join(parts) + f"：{self.reason}"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass
class Sheet:
    name: str  # "" for a CSV file
    rows: Callable[[], Iterator[list]]  # every row from the first, cells as Python values
    height: int | None = None
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # 0-based
    formulas: set[tuple[int, int]] = field(default_factory=set)  # 0-based (row, col)
    text: str = ""  # a CSV file's decoded text (the delimiter is chosen once the profile is known)
    delimiter: str = ","

    @property
    def label(self) -> str:
        return self.name or "CSV"


@dataclass
class Workbook:
    file: str
    kind: str  # "xlsx", "xls", "csv"
    sheets: list[Sheet]


def check_size(size: int, file: str) -> None:
    cap = limits()["file_bytes"]
    if size > cap:
        raise FileProblem(file, f"文件大小 {size / 2**20:.1f} MB 超过上限 {cap / 2**20:.0f} MB")


def open_workbook(path: str | Path, file: str | None = None) -> Workbook:
    """The sheets of the file at `path` (`file`: the name shown in messages, e.g. the uploaded name)."""
    path = Path(path)
    file = file or path.name
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise FileProblem(file, f"无法打开文件（{exc.strerror}）") from exc
    check_size(size, file)  # before a single byte is read
    if size == 0:
        raise FileProblem(file, "文件为空（0 字节）")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(ZIP_MAGIC):
        return _open_xlsx(path, file)
    if head.startswith(OLE2_MAGIC):
        return _open_xls(path, file)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise FileProblem(
            file, "扩展名是 Excel，但内容不是 Excel 文件（文件可能已损坏，或是改了扩展名的其他文件）"
        )
    return _open_csv(path, file)


# --- xlsx -------------------------------------------------------------------------------------------


def _check_zip(z: zipfile.ZipFile, file: str) -> None:
    cap = limits()["inflated_bytes"]
    total = 0
    for info in z.infolist():
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise FileProblem(
                file,
                f"压缩比异常（{info.filename} 解压后 {info.file_size / 2**20:.0f} MB，"
                f"压缩后仅 {info.compress_size / 1024:.0f} KB），疑似压缩炸弹，已拒绝读取",
            )
    if total > cap:
        raise FileProblem(file, f"解压后大小 {total / 2**20:.0f} MB 超过上限 {cap / 2**20:.0f} MB")
    if "xl/workbook.xml" not in z.namelist():
        raise FileProblem(file, "这是一个 zip 压缩文件，但不是 Excel 工作簿（没有 xl/workbook.xml）")


def _sheet_paths(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML member, from the workbook and its relationships."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    try:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", ns)}
    out = {}
    for sheet in book.findall("m:sheets/m:sheet", ns):
        target = targets.get(sheet.get(f"{{{ns['r']}}}id"), "")
        target = target.lstrip("/")
        out[sheet.get("name", "")] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def _formula_cells(z: zipfile.ZipFile, member: str) -> set[tuple[int, int]]:
    """(row, col), 0-based, of every cell holding a formula: the sheet XML scanned in chunks."""
    found: set[tuple[int, int]] = set()
    try:
        stream = z.open(member)
    except KeyError:
        return found
    tail = b""
    with stream:
        while chunk := stream.read(_CHUNK):
            data = tail + chunk
            if b"<f" in data:
                for m in _FORMULA_RE.finditer(data):
                    found.add((int(m[2]) - 1, _col_index(m[1])))
            tail = data[-512:]
    return found


def _calamine_rows(sheet, n_rows_cap: int, file: str, name: str) -> Callable[[], Iterator[list]]:
    def rows() -> Iterator[list]:
        for i, row in enumerate(sheet.iter_rows()):
            if i >= n_rows_cap:
                raise FileProblem(file, f"行数超过上限 {limits()['rows']:,}", sheet=name, row=i + 1)
            yield row

    return rows


def _calamine_sheets(workbook, file: str, formulas_of=None) -> list[Sheet]:
    cap = limits()
    sheets = []
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except Exception as exc:  # calamine raises several error types for broken sheets
            raise FileProblem(file, f"工作表无法读取：{exc}", sheet=name) from exc
        start = sheet.start or (0, 0)
        height = (start[0] + sheet.height) if sheet.height else 0
        width = (start[1] + sheet.width) if sheet.width else 0
        if width > cap["columns"]:
            raise FileProblem(file, f"列数 {width} 超过上限 {cap['columns']}", sheet=name)
        if height > cap["rows"] + 50:  # the header block and title rows come on top of the data rows
            raise FileProblem(file, f"行数 {height:,} 超过上限 {cap['rows']:,}", sheet=name)
        sheets.append(
            Sheet(
                name=name,
                rows=_calamine_rows(sheet, cap["rows"] + 50, file, name),
                height=height,
                merged=list(sheet.merged_cell_ranges or []),
                formulas=formulas_of(name) if formulas_of else set(),
            )
        )
    return sheets


def _open_xlsx(path: Path, file: str) -> Workbook:
    from python_calamine import CalamineWorkbook

    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileProblem(file, f"Excel 文件已损坏，无法解压（{exc}）") from exc
    with z:
        _check_zip(z, file)
        paths = _sheet_paths(z)
        formulas = {name: _formula_cells(z, member) for name, member in paths.items()}
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise FileProblem(file, f"无法读取 Excel 文件（{exc}）") from exc
    return Workbook(file, "xlsx", _calamine_sheets(workbook, file, lambda n: formulas.get(n, set())))


def _open_xls(path: Path, file: str) -> Workbook:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        text = str(exc)
        if "password" in text.lower() or "encrypt" in text.lower():
            raise FileProblem(file, "文件已加密（设有打开密码），请取消密码后再导入") from exc
        raise FileProblem(file, f"无法读取 .xls 文件（可能已损坏，或是加密的 .xlsx）：{text[:200]}") from exc
    return Workbook(file, "xls", _calamine_sheets(workbook, file))


# --- csv --------------------------------------------------------------------------------------------

DELIMITERS = (",", "\t", ";")


def decode_text(data: bytes, file: str) -> str:
    if b"\x00" in data[:65536] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileProblem(file, "文件内容不是文本（含二进制数据），也不是 Excel 文件")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileProblem(file, "文件编码无法识别（UTF-16 内容有误）") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:  # Excel on Chinese Windows saves CSV as GBK (a subset of GB18030) without saying so
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            file, f"文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030，第 {line} 行附近字节有误）", row=line
        ) from exc


def sniff_delimiter(text: str, known: Callable[[str], bool]) -> str:
    """The separator that splits the first lines into the most known headers (ties: comma)."""
    head = text[: 1 << 16]
    best, best_known = ",", 0
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter))[:30]
        except csv.Error:
            continue
        score = max((sum(1 for c in row if known(c)) for row in rows), default=0)
        if score > best_known:
            best, best_known = delimiter, score
    return best


def _open_csv(path: Path, file: str) -> Workbook:
    text = decode_text(path.read_bytes(), file)
    cap = limits()
    sheet = Sheet(name="", rows=lambda: rows(), text=text)

    def rows() -> Iterator[list]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sheet.delimiter)
        try:
            for i, row in enumerate(reader):
                if i >= cap["rows"] + 50:
                    raise FileProblem(file, f"行数超过上限 {cap['rows']:,}", row=i + 1)
                if len(row) > cap["columns"]:
                    raise FileProblem(file, f"列数 {len(row)} 超过上限 {cap['columns']}", row=i + 1)
                yield row
        except csv.Error as exc:
            raise FileProblem(file, f"CSV 格式有误：{exc}", row=reader.line_num) from exc

    return Workbook(file, "csv", [sheet])
