"""Reading a small fixed-layout table (one header row, one record per row) for imports that fill models of
their own rather than registry facts (R&D institution lists, target workbooks).

Same file handling as the profiles (`files.open_workbook`: limits, format from content, CSV encodings) and the
same error convention: every problem names the file, the row and the column (as written, with its letter) and
the reason. The caller parses cells (`policy.template.cells` parsers) and collects `CellProblem`s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gaoqi.intake.files import FileProblem, col_letter, open_workbook
from gaoqi.policy.template.cells import is_blank, normalize_header

HEADER_SCAN_ROWS = 10


@dataclass(frozen=True)
class Column:
    name: str  # the English name (code)
    headers: tuple[str, ...]  # accepted headers, the first shown in messages; the name is accepted too
    required: bool = True


@dataclass
class TableRow:
    number: int  # 1-based row number in the sheet
    cells: dict[str, object]  # column name -> raw cell value (None when blank or absent)
    columns: dict[str, str]  # column name -> "header（X列）" as shown in messages


def problem(file: str, row: int | None, column: str, reason: str) -> dict:
    """One error in the platform's shape: {file, row, column, reason, message}."""
    p = FileProblem(file, reason, row=row, column=column)
    return p.to_dict()


def _match(value: object, columns: list[Column]) -> str | None:
    if is_blank(value):
        return None
    text = normalize_header(str(value))
    for c in columns:
        if text in {normalize_header(h) for h in (*c.headers, c.name)}:
            return c.name
    return None


def read_table(path: str | Path, file: str, columns: list[Column]) -> tuple[list[TableRow], list[dict]]:
    """The data rows of the first sheet whose header row (within the first rows) names the required columns.

    Returns (rows, errors); errors are file-level (unreadable file, no header, a required column missing, a
    column named twice). Rows with nothing in any known column are skipped.
    """
    try:
        book = open_workbook(path, file)
    except FileProblem as exc:
        return [], [exc.to_dict()]
    required = [c for c in columns if c.required]
    best: tuple[int, object, int, dict[int, str]] | None = None
    for sheet in book.sheets:
        if book.kind == "csv":
            from gaoqi.intake.files import sniff_delimiter

            sheet.delimiter = sniff_delimiter(sheet.text, lambda h: _match(h, columns) is not None)
        try:
            head_rows = []
            for i, row in enumerate(sheet.rows()):
                if i >= HEADER_SCAN_ROWS:
                    break
                head_rows.append(row)
        except FileProblem as exc:
            return [], [exc.to_dict()]
        for i, row in enumerate(head_rows):
            found = {j: _match(v, columns) for j, v in enumerate(row)}
            found = {j: n for j, n in found.items() if n}
            score = len(set(found.values()))
            if best is None or score > best[0]:
                best = (score, sheet, i, found)
    if best is None or best[0] == 0:
        return [], [problem(file, None, "", "找不到表头：前 10 行中没有可识别的列名")]
    _score, sheet, header_index, found = best
    errors = []
    seen: dict[str, int] = {}
    header_row = next(r for k, r in enumerate(sheet.rows()) if k == header_index)
    for j, name in sorted(found.items()):
        if name in seen:
            errors.append(
                problem(file, header_index + 1, f"{header_row[j]}（{col_letter(j)}列）", "与前面的列重复")
            )
        else:
            seen[name] = j
    for c in required:
        if c.name not in seen:
            errors.append(problem(file, header_index + 1, c.headers[0], "缺少必填列"))
    if errors:
        return [], errors
    shown = {name: f"{header_row[j]}（{col_letter(j)}列）" for name, j in seen.items()}
    return list(_rows(sheet, header_index, seen, shown, file, errors)), errors


def _rows(
    sheet, header_index: int, seen: dict[str, int], shown: dict[str, str], file, errors
) -> Iterator[TableRow]:
    try:
        for i, row in enumerate(sheet.rows()):
            if i <= header_index:
                continue
            cells = {
                name: (row[j] if j < len(row) and not is_blank(row[j]) else None) for name, j in seen.items()
            }
            if all(v is None for v in cells.values()):
                continue
            yield TableRow(i + 1, cells, shown)
    except FileProblem as exc:
        errors.append(exc.to_dict())
