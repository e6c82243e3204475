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

from gaoqi.policy.template.limits import declared_size_problem

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_RATIO = 200  # inflated / compressed: real sheets stay under ~20, a zip bomb is in the thousands
RATIO_FLOOR = 8 * 2**20  # small members may compress better than that (a sheet of zeros)
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
    formulas: dict = field(default_factory=dict)  # 0-based (row, col) -> CellMark
    text: str = ""  # the start of a CSV file's text (the delimiter is chosen once the profile is known)
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


def _check_zip(z: zipfile.ZipFile, file: str) -> dict[str, dict]:
    """FileProblem unless the archive's sizes are sound; returns each sheet's formula and error cells (sheet
    name -> `_FormulaScan.found`), scanned while its part is inflated for the size check (one pass)."""
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
    sheets = [i for i in z.infolist() if i.filename.startswith("xl/worksheets/")]
    for info in z.infolist():
        if not info.filename.startswith("xl/worksheets/"):  # first: these parts name the sheets' parts
            _check_declared_size(z, info, file)
    names = {member: name for name, member in _sheet_paths(z).items()}
    formulas: dict[str, dict] = {}
    for info in sheets:
        scan = _FormulaScan() if info.filename in names else None
        _check_declared_size(z, info, file, scan)
        if scan is not None:
            formulas[names[info.filename]] = scan.found
    return formulas


def _check_declared_size(z: zipfile.ZipFile, info: zipfile.ZipInfo, file: str, scan=None) -> None:
    """The sizes above are what the archive declares; a forged archive declares a few KB and inflates to GB
    (and the Excel reader would believe the data, not the header): each part is inflated once, in chunks,
    and refused at the first byte beyond what it declared (gaoqi.policy.template.limits)."""
    if problem := declared_size_problem(z, info, scan):
        raise FileProblem(file, problem)


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


# A cell holding a formula or an error value (t="e"), with its cached value: <c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>
_MARKED_CELL_RE = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"((?:[^>/]|/(?!>))*)>((?:(?!</c>).){0,40000}?)</c>', re.DOTALL
)
_VALUE_RE = re.compile(rb"<v>([^<]*)</v>|<is>", re.DOTALL)
_TAIL = 64 * 1024  # longer than any cell of interest (Excel formulas are at most 8,192 characters)
FORMULA, FORMULA_NO_VALUE, ERROR_VALUE = "formula", "formula_no_value", "error"


@dataclass(frozen=True)
class CellMark:
    """Why a cell cannot be imported as it reads: a formula (with or without a cached result) or an Excel
    error value such as #DIV/0! or #N/A (which python-calamine reads as an empty cell)."""

    kind: str  # FORMULA, FORMULA_NO_VALUE, ERROR_VALUE
    value: str = ""  # the error value, or the cached result as written

    def reason(self) -> str:
        if self.kind == ERROR_VALUE:
            return f"单元格是 Excel 错误值 {self.value}（不是空值），请修正公式或数据后再导入"
        if self.kind == FORMULA_NO_VALUE:
            return "单元格是公式且没有计算结果（文件未在 Excel 中重新计算保存），请改为数值后再导入"
        return "单元格是公式，请改为数值后再导入（复制后“选择性粘贴—数值”）"


def _mark(attrs: bytes, body: bytes) -> CellMark | None:
    has_formula = b"<f" in body
    is_error = b't="e"' in attrs
    if not (has_formula or is_error):
        return None
    m = _VALUE_RE.search(body)
    cached = m[1].decode("utf-8", "replace").strip() if m and m[1] is not None else ("inline" if m else "")
    if is_error:
        return CellMark(ERROR_VALUE, cached or "#VALUE!")
    if not cached:
        return CellMark(FORMULA_NO_VALUE)
    return CellMark(FORMULA, cached)


class _FormulaScan:
    """Every cell holding a formula or an error value, (row, col) 0-based -> CellMark, from the sheet XML fed
    in chunks (bounded memory, never parsed whole); a tail of each chunk is kept for a cell cut in two."""

    def __init__(self):
        self.found: dict[tuple[int, int], CellMark] = {}
        self.tail = b""

    def __call__(self, chunk: bytes) -> None:
        data = self.tail + chunk
        if b"<f" in data or b't="e"' in data:
            for m in _MARKED_CELL_RE.finditer(data):
                if (mark := _mark(m[3], m[4])) is not None:
                    self.found[(int(m[2]) - 1, _col_index(m[1]))] = mark
        self.tail = data[-_TAIL:]


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
                formulas=formulas_of(name) if formulas_of else {},
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
        formulas = _check_zip(z, file)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise FileProblem(file, f"无法读取 Excel 文件（{exc}）") from exc
    return Workbook(file, "xlsx", _calamine_sheets(workbook, file, lambda n: formulas.get(n, {})))


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
    """Bytes to text by the CSV rules (tests and small inputs; files are read by `_open_csv`, streaming)."""
    encoding = _encoding_of(io.BytesIO(data), file)
    return data.decode(encoding)


def _encoding_of(fh, file: str) -> str:
    """The text encoding of a CSV file, read once in chunks (the file is never held whole): UTF-16 by its BOM,
    UTF-8 (BOM or not), else GB18030. FileProblem for binary content or bytes no encoding accepts."""
    head = fh.read(65536)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif b"\x00" in head:
        raise FileProblem(file, "文件内容不是文本（含二进制数据），也不是 Excel 文件")
    else:
        candidates = ["utf-8-sig", "gb18030"]
    furthest = (
        0  # the line where the encoding that read furthest failed: the likeliest place of the bad bytes
    )
    for encoding in candidates:
        fh.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        line, ok = 1, True
        while True:
            chunk = fh.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                ok = False
                line += chunk[: max(exc.start, 0)].count(b"\n")
                break
            if not chunk:
                break
            line += chunk.count(b"\n")
        if ok:
            return encoding
        furthest = max(furthest, line)
    line = furthest
    if candidates == ["utf-16"]:
        raise FileProblem(file, "文件编码无法识别（UTF-16 内容有误）")
    raise FileProblem(
        file, f"文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030，第 {line} 行附近字节有误）", row=line
    )


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


class _RecordLines:
    """The lines csv.reader consumes, kept for the record being read: where a parse error happened."""

    def __init__(self, fh):
        self.fh = fh
        self.current: list[str] = []
        self.current_chars = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.fh)
        if self.current_chars < 1 << 20:  # enough to place the error; a runaway field is not kept whole
            self.current.append(line)
            self.current_chars += len(line)
        return line

    def start_record(self) -> None:
        self.current, self.current_chars = [], 0


def _column_at_end(text: str, delimiter: str) -> int:
    """The 0-based column in which `text` (the start of a CSV record) ends: delimiters outside quotes."""
    column, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            column += 1
    return column


def _open_csv(path: Path, file: str) -> Workbook:
    """A CSV file read as a stream: the encoding is checked in one pass over chunks, then the rows are parsed
    from the file as they are asked for (memory does not grow with the file)."""
    with open(path, "rb") as fh:
        encoding = _encoding_of(fh, file)
        fh.seek(0)
        head = fh.read(1 << 16)
    text_head = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    cap = limits()
    sheet = Sheet(name="", rows=lambda: rows(), text=text_head)

    def rows() -> Iterator[list]:
        with open(path, encoding=encoding, newline="") as fh:
            lines = _RecordLines(fh)
            reader = csv.reader(lines, delimiter=sheet.delimiter)
            i = 0
            while True:
                lines.start_record()
                first_line = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise _csv_problem(
                        exc, file, first_line, "".join(lines.current), sheet.delimiter
                    ) from exc
                if i >= cap["rows"] + 50:
                    raise FileProblem(file, f"行数超过上限 {cap['rows']:,}", row=i + 1)
                if len(row) > cap["columns"]:
                    raise FileProblem(file, f"列数 {len(row)} 超过上限 {cap['columns']}", row=i + 1)
                i += 1
                yield row

    return Workbook(file, "csv", [sheet])


def _csv_problem(exc: csv.Error, file: str, line: int, consumed: str, delimiter: str) -> FileProblem:
    """A csv module error with the row (the record's first line) and, for an over-long field, its column."""
    text = str(exc)
    if "field larger than field limit" in text:
        column = _column_at_end(consumed, delimiter)
        return FileProblem(
            file,
            f"单元格内容超过 {csv.field_size_limit():,} 个字符（常见原因：引号未配对，其后的内容都被当成了一个单元格）",
            row=line,
            column=f"{col_letter(column)}列",
        )
    return FileProblem(file, f"CSV 格式有误：{text}", row=line)
