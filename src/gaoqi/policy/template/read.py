"""Reading the evaluation template (.csv / .xlsx) row by row into `EnterpriseFacts`.

A bad row never stops the others: it yields `RowError`s (file, spreadsheet row, header as written,
reason) and the next row is read. Problems with the file itself (unreadable, no credit-code column,
a field given twice) raise `TemplateError`. The cell rules live in `cells`; the cross-field rules are
`core.facts.CROSS_RULES`. A credit code repeated in a later row makes that row an error (`duplicate_rows`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gaoqi.policy.core.facts import (
    CROSS_RULES,
    FIELD_SPECS,
    FIELDS_BY_NAME,
    EnterpriseFacts,
    FieldSpec,
    Kind,
    NotAbove,
)
from gaoqi.policy.template import limits
from gaoqi.policy.template.cells import WAN, CellError, is_blank, normalize_header, parse_cell, parse_text


class TemplateError(Exception):
    """The file as a whole cannot be read as an evaluation template."""


NO_DATA_ROWS = "文件只有表头，没有数据行"


class NoDataRows(TemplateError):
    """A template with headers but no data row (e.g. the blank template uploaded by mistake). The readers
    return an empty result for such a file; `evaluate_file` and the CLI raise this (exit code 2)."""

    def __init__(self, message: str = NO_DATA_ROWS):
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    row: int  # 1-based spreadsheet row, the header row included
    column: str  # the header as written in the file ("" when the row as a whole is at fault)
    reason: str

    def to_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    header: str
    spec: FieldSpec
    scale: int = 1  # 10,000 for a 万元 column


@dataclass(frozen=True, slots=True)
class RowRecord:
    row: int
    facts: EnterpriseFacts | None
    errors: tuple[RowError, ...] = ()


@dataclass(slots=True)
class Layout:
    """Where the data is: the resolved columns and the first data row (0-based index)."""

    columns: list[Column]
    first_data: int
    unknown_headers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ReadResult:
    path: str
    records: list[RowRecord]
    unknown_headers: list[str]

    @property
    def facts(self) -> list[EnterpriseFacts]:
        return [r.facts for r in self.records if r.facts is not None]

    @property
    def errors(self) -> list[RowError]:
        return [e for r in self.records for e in r.errors]


# --- headers -------------------------------------------------------------------------------------

_ORDINALS = {"第一年": "1", "第二年": "2", "第三年": "3"}
_UNIT_RE = re.compile(r"^(.+?)\((?:单位:)?(万元|元|人|个|项|件)\)$")


_ROMAN_ZH = {"Ⅰ类": "一类", "Ⅱ类": "二类"}


def _aliases() -> dict[str, str]:
    """Every header spelling → field name, derived from FIELD_SPECS: the English name, the Chinese label,
    yearly labels with 第1年 as well as 第一年 (and the bare stem of a field asked for one year only, e.g.
    研发费用加计扣除基数), Ⅰ类/Ⅱ类 also written 一类/二类, and a few customary stems. A spelling claimed
    by two fields is a bug in the schema: refuse it here rather than read a column into the wrong field."""
    names: dict[str, str] = {}
    extra_stems = {
        "净资产（年末）": ["净资产"],
        "研发费用总额": ["研究开发费用总额", "研发费用"],
        "境内研发费用": ["境内研究开发费用"],
    }
    years_of_stem: dict[str, int] = {}
    for spec in FIELD_SPECS:
        match = re.match(r"^(.*)（(第[一二三]年)）$", spec.label_zh)
        if match:
            years_of_stem[match[1]] = years_of_stem.get(match[1], 0) + 1
    for spec in FIELD_SPECS:
        labels = [spec.name, spec.label_zh]
        match = re.match(r"^(.*)（(第[一二三]年)）$", spec.label_zh)
        if match:
            stem, ordinal = match[1], match[2]
            stems = [stem, *extra_stems.get(stem, [])]
            for s in stems:
                labels += [f"{s}（{ordinal}）", f"{s}（第{_ORDINALS[ordinal]}年）"]
            if years_of_stem[stem] == 1:
                labels.append(stem)
        for roman, zh in _ROMAN_ZH.items():
            labels += [label.replace(roman, zh) for label in labels if roman in label]
        for label in labels:
            key = normalize_header(label)
            if names.get(key, spec.name) != spec.name:  # pragma: no cover - a schema bug
                raise AssertionError(f"header {label!r} would name both {names[key]} and {spec.name}")
            names[key] = spec.name
    return names


HEADER_ALIASES = _aliases()


def resolve_header(header: object) -> tuple[FieldSpec, int] | None:
    """The field and scale a header names, or None. "(万元)"/"（万元）" suffixes scale by 10,000."""
    if not isinstance(header, str) or not header.strip():
        return None
    for part in header.splitlines() or [header]:
        key = normalize_header(part)
        if not key:
            continue
        scale = 1
        unit = _UNIT_RE.match(key)
        if key not in HEADER_ALIASES and unit:
            key, scale = unit[1], WAN if unit[2] == "万元" else 1
        name = HEADER_ALIASES.get(key)
        if name is not None:
            spec = FIELDS_BY_NAME[name]
            if scale == WAN and spec.kind is not Kind.MONEY:
                raise TemplateError(f"列“{header}”不是金额，不能使用万元单位")
            return spec, scale
    return None


def _resolves(row: Sequence[object]) -> tuple[int, bool]:
    """(number of non-blank cells, whether all of them are known headers)."""
    cells = [c for c in row if not is_blank(c)]
    try:
        return len(cells), all(resolve_header(c) for c in cells)
    except TemplateError:
        return len(cells), False


def find_layout(rows: Sequence[Sequence[object]]) -> Layout:
    """The header row is the first non-blank row; a second row of headers (the downloadable template
    shows Chinese then English) is recognised and skipped."""
    header_at = next((i for i, row in enumerate(rows) if any(not is_blank(c) for c in row)), None)
    if header_at is None:
        raise TemplateError("文件为空：没有表头行")
    first = rows[header_at]
    second = rows[header_at + 1] if header_at + 1 < len(rows) else []
    n, all_known = _resolves(second)
    two_rows = n >= 2 and all_known
    columns: list[Column] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for index in range(max(len(first), len(second) if two_rows else 0)):
        header = first[index] if index < len(first) else None
        resolved = resolve_header(header)
        if resolved is None and two_rows and index < len(second):
            header, resolved = second[index], resolve_header(second[index])
        if resolved is None:
            if not is_blank(header):
                unknown.append(str(header))
            continue
        spec, scale = resolved
        written = str(header).strip()
        if spec.name in seen:
            raise TemplateError(f"字段 {spec.name} 出现两次：“{seen[spec.name]}”和“{written}”")
        seen[spec.name] = written
        columns.append(Column(index, written, spec, scale))
    if "credit_code" not in seen:
        raise TemplateError("缺少必填列：统一社会信用代码（credit_code）")
    return Layout(columns, header_at + (2 if two_rows else 1), unknown)


# --- raw rows --------------------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t")
_SNIFF_CHARS = 1 << 20  # the header row is in the first megabyte of any sane file


def _decode_csv(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TemplateError("CSV 文件编码无法识别（UTF-16 内容有误）") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # Excel on Chinese Windows saves CSV as GBK; accept it rather than garble it
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise TemplateError("CSV 文件编码无法识别（应为 UTF-8）") from exc


def _known_header(cell: object) -> bool:
    try:
        return resolve_header(cell) is not None
    except TemplateError:  # e.g. a 万元 count: it does name a field
        return True


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV text among `DELIMITERS` (comma, semicolon, tab): the one that splits the
    first non-blank row into the most known headers. Ties (no known header at all, or a single column)
    go to the comma. Headers are known words, so this cannot be fooled by the data the way counting
    separator characters can."""
    head = text[:_SNIFF_CHARS]
    best, best_known = ",", 0
    for delimiter in DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)
            first = next((row for row in reader if _any_filled(row)), [])
        except csv.Error:
            continue
        known = sum(map(_known_header, first))
        if known > best_known:
            best, best_known = delimiter, known
    return best


def read_raw(path: str | Path) -> list[list[object]]:
    """All rows of the file's first sheet as Python values, row i = spreadsheet row i + 1. A CSV may be
    separated by commas, semicolons or tabs (see `sniff_delimiter`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise TemplateError(f"文件不存在：{path}")
    within_limits(path)
    rows = _read_raw(path, suffix)
    try:
        limits.check_shape(len(rows), max((len(r) for r in rows), default=0))
    except limits.InputTooLarge as exc:
        raise TemplateError(f"{path.name}：{exc}") from exc
    return rows


def within_limits(path: Path) -> None:
    try:
        limits.check_file(path)
    except limits.InputTooLarge as exc:
        raise TemplateError(f"{path.name}：{exc}") from exc


def _read_raw(path: Path, suffix: str) -> list[list[object]]:
    if suffix == ".csv":
        text = _decode_csv(path.read_bytes())
        if not text.strip(' \t\r\n,;"\ufeff'):  # only separators and spaces: as empty as "" is
            return []
        try:
            return [
                list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
            ]
        except csv.Error as exc:
            raise TemplateError(f"CSV 文件格式有误：{exc}") from exc
    if suffix in (".xlsx", ".xlsm", ".xls"):
        from python_calamine import CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_path(str(path))
            sheet = workbook.get_sheet_by_index(0)
            return sheet.to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises several error types for broken files
            raise TemplateError(f"无法读取 Excel 文件：{exc}") from exc
    raise TemplateError(f"不支持的文件类型：{suffix or '(无扩展名)'}（应为 .xlsx 或 .csv）")


# --- rows -----------------------------------------------------------------------------------------


_UNIT_ZH = {"CNY": "元", "persons": "人", "items": "项", "points": "分"}


def _value_text(value: object, spec: FieldSpec) -> str:
    """A value as an officer reads it in a message: money in yuan with thousands separators."""
    if spec.kind is Kind.MONEY and isinstance(value, int):
        return f"{value:,}元"
    return f"{value}{_UNIT_ZH.get(spec.unit, '')}"


def cross_error(rule: NotAbove, values: dict, headers: dict[str, str], file: str, row: int) -> RowError:
    """The error of a row breaking `rule`, on the `small` column: the rule, then both columns (as written
    in the file) with their values, e.g. 科技人员数不能超过职工总数（科技人员数：101人，职工总数：100人）."""
    small, big = FIELDS_BY_NAME[rule.small], FIELDS_BY_NAME[rule.big]
    return RowError(
        file,
        row,
        headers[rule.small],
        f"{rule.reason_zh}（{headers[rule.small]}：{_value_text(values[rule.small], small)}，"
        f"{headers[rule.big]}：{_value_text(values[rule.big], big)}）",
    )


def _cross_checks(values: dict[str, object], headers: dict[str, str], file: str, row: int) -> list[RowError]:
    """`core.facts.CROSS_RULES` (the engine applies the same rules): checked when both values are given."""
    return [
        cross_error(rule, values, headers, file, row)
        for rule in CROSS_RULES
        if (a := values.get(rule.small)) is not None and (b := values.get(rule.big)) is not None and a > b
    ]


def parse_row(cells: Sequence[object], columns: Sequence[Column], file: str, row: int) -> RowRecord:
    """One data row → RowRecord with facts or errors (never both)."""
    values: dict[str, object] = {}
    headers: dict[str, str] = {}
    errors: list[RowError] = []
    for col in columns:
        headers[col.spec.name] = col.header
        raw = cells[col.index] if col.index < len(cells) else None
        if is_blank(raw):
            continue
        try:
            values[col.spec.name] = parse_cell(raw, col.spec, col.scale)
        except CellError as exc:
            errors.append(RowError(file, row, col.header, str(exc)))
    if "credit_code" not in values and not any(e.column == headers["credit_code"] for e in errors):
        errors.append(RowError(file, row, headers["credit_code"], "必填项为空"))
    errors += _cross_checks(values, headers, file, row)
    if errors:
        return RowRecord(row, None, tuple(errors))
    return RowRecord(row, EnterpriseFacts(**values))


def _any_filled(cells: Sequence[object]) -> bool:
    """any(not is_blank(c) for c in cells), inlined: one call per row instead of one per cell (a row's
    first cell is usually filled, so this returns at once). `s.strip()` is empty exactly when `s` is
    empty or `s.isspace()` (both use the same Unicode whitespace)."""
    for c in cells:
        if c is None:
            continue
        if isinstance(c, str) and (not c or c.isspace()):
            continue
        return True
    return False


def data_rows(rows: Sequence[Sequence[object]], layout: Layout):
    """(spreadsheet row number, cells) for every non-blank data row."""
    for index in range(layout.first_data, len(rows)):
        cells = rows[index]
        if _any_filled(cells):
            yield index + 1, cells


def code_of(cells: Sequence[object], column: Column) -> str | None:
    """The credit code of a row as the reader reads it (upper case, stripped), or None if not valid."""
    raw = cells[column.index] if column.index < len(cells) else None
    if is_blank(raw):
        return None
    try:
        return parse_text(raw, "credit_code")
    except CellError:
        return None


def duplicate_rows(codes: Iterable[tuple[int, str | None]]) -> dict[int, int]:
    """Row -> the first row with the same credit code, for every later row repeating a code. `codes`:
    (row, valid code or None) in file order. A row counts as the first one whatever its other cells."""
    first: dict[str, int] = {}
    later: dict[int, int] = {}
    for row, code in codes:
        if code is None:
            continue
        seen = first.setdefault(code, row)
        if seen != row:
            later[row] = seen
    return later


def duplicate_error(file: str, row: int, header: str, first: int) -> RowError:
    return RowError(file, row, header, f"统一社会信用代码与第{first}行重复（同一企业只评价第一次出现的行）")


def read_template(path: str | Path) -> ReadResult:
    """Read every row of a template file; see the module docstring. A row repeating the credit code of
    an earlier row is not read: it gets `duplicate_error` (appended after its own errors, if any)."""
    rows = read_raw(path)
    layout = find_layout(rows)
    file = Path(path).name
    code_col = next(c for c in layout.columns if c.spec.name == "credit_code")
    numbered = list(data_rows(rows, layout))
    records = [parse_row(cells, layout.columns, file, n) for n, cells in numbered]
    dups = duplicate_rows(
        (r.row, r.facts.credit_code if r.facts is not None else code_of(cells, code_col))
        for r, (_, cells) in zip(records, numbered, strict=True)
    )
    if dups:
        records = [
            RowRecord(r.row, None, (*r.errors, duplicate_error(file, r.row, code_col.header, dups[r.row])))
            if r.row in dups
            else r
            for r in records
        ]
    return ReadResult(str(path), records, layout.unknown_headers)
