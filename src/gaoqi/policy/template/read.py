"""Reading the evaluation template (.csv / .xlsx) row by row into `EnterpriseFacts`.

A bad row never stops the others: it yields `RowError`s (file, spreadsheet row, header as written,
reason) and the next row is read. Problems with the file itself (unreadable, no credit-code column,
a field given twice) raise `TemplateError`. The cell rules live in `io_cells`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gaoqi.policy.core.facts import FIELD_SPECS, FIELDS_BY_NAME, EnterpriseFacts, FieldSpec, Kind
from gaoqi.policy.template.cells import WAN, CellError, is_blank, normalize_header, parse_cell


class TemplateError(Exception):
    """The file as a whole cannot be read as an evaluation template."""


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


def _aliases() -> dict[str, str]:
    names: dict[str, str] = {}
    extra_stems = {
        "净资产（年末）": ["净资产"],
        "研发费用总额": ["研究开发费用总额", "研发费用"],
        "境内研发费用": ["境内研究开发费用"],
    }
    for spec in FIELD_SPECS:
        labels = [spec.name, spec.label_zh]
        match = re.match(r"^(.*)（(第[一二三]年)）$", spec.label_zh)
        if match:
            stem, ordinal = match[1], match[2]
            stems = [stem, *extra_stems.get(stem, [])]
            for s in stems:
                labels += [f"{s}（{ordinal}）", f"{s}（第{_ORDINALS[ordinal]}年）"]
        labels += {"ip_class1": ["一类知识产权数"], "ip_class2": ["二类知识产权数"]}.get(spec.name, [])
        for label in labels:
            names[normalize_header(label)] = spec.name
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


def read_raw(path: str | Path) -> list[list[object]]:
    """All rows of the file's first sheet as Python values, row i = spreadsheet row i + 1."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise TemplateError(f"文件不存在：{path}")
    if suffix == ".csv":
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:  # Excel on Chinese Windows saves CSV as GBK; accept it rather than garble it
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise TemplateError("CSV 文件编码无法识别（应为 UTF-8）") from exc
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
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


def _cross_checks(values: dict[str, object], headers: dict[str, str], file: str, row: int) -> list[RowError]:
    errors = []
    staff, employees = values.get("tech_staff"), values.get("employees")
    if staff is not None and employees is not None and staff > employees:
        errors.append(
            RowError(
                file, row, headers["tech_staff"], f"科技人员数（{staff}）不能大于职工总数（{employees}）"
            )
        )
    for year in (1, 2, 3):
        domestic, total = values.get(f"rnd_expense_domestic_y{year}"), values.get(f"rnd_expense_y{year}")
        if domestic is not None and total is not None and domestic > total:
            errors.append(
                RowError(
                    file,
                    row,
                    headers[f"rnd_expense_domestic_y{year}"],
                    f"境内研发费用（{domestic}）不能大于研发费用总额（{total}）",
                )
            )
    return errors


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


def read_template(path: str | Path) -> ReadResult:
    """Read every row of a template file; see the module docstring."""
    rows = read_raw(path)
    layout = find_layout(rows)
    file = Path(path).name
    records = [parse_row(cells, layout.columns, file, n) for n, cells in data_rows(rows, layout)]
    return ReadResult(str(path), records, layout.unknown_headers)
