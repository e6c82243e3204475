"""Reading a whole file with a profile: the sheet, its layout, every data row parsed, duplicates found.

Pure reading: no database write. `read_rows` returns a `ReadOutcome` or raises `FileProblem` for a file
that cannot be read at all (then nothing is staged).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

import polars as pl

from gaoqi.intake import columns
from gaoqi.intake.columns import PlainRows
from gaoqi.intake.files import FileProblem, Sheet, Workbook, limits, open_workbook, sniff_delimiter
from gaoqi.intake.layout import HEADER_SEARCH_ROWS, Layout, find_layout, resolve
from gaoqi.intake.matching import name_key
from gaoqi.intake.profiles import Profile
from gaoqi.intake.rows import CellProblem, ParsedRow, RowReader, raw_text
from gaoqi.policy.template.cells import is_blank

Progress = Callable[[int, int, str], None]
PROGRESS_EVERY = 2_000
SYNTHETIC_MARK = "合成"


@dataclass
class ReadOutcome:
    file: str
    sha256: str
    size: int
    sheet: Sheet
    layout: Layout
    parsed: list[ParsedRow]  # the rows the reader parsed, in line order (all of them without `plain`)
    duplicates: dict[int, int] = field(default_factory=dict)  # line -> first line with the same content
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False
    plain: PlainRows | None = None  # the plain rows, a column at a time (`intake.columns`)

    @property
    def count(self) -> int:
        return len(self.parsed) + (self.plain.height if self.plain else 0)

    def rows_except(self, lines: set[int]) -> list[ParsedRow]:
        """Every row but those on `lines` as ParsedRows (the plain ones made now), in line order."""
        rows = [r for r in self.parsed if r.line not in lines]
        if self.plain is None or not self.plain.height:
            return rows
        kept = set(self.plain.frame["line"].to_list()) - lines
        return sorted(rows + self.plain.parsed(kept), key=lambda r: r.line) if kept else rows

    @property
    def rows(self) -> list[ParsedRow]:
        """Every row as a ParsedRow, in line order."""
        return self.rows_except(set())


def file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _ordered(workbook: Workbook, profile: Profile) -> list[Sheet]:
    named = {s.name: s for s in workbook.sheets}
    first = [named[n] for n in profile.sheets if n in named]
    return first + [s for s in workbook.sheets if s not in first]


def _choose_sheet(workbook: Workbook, profile: Profile, given_year: int | None):
    """The first sheet (profile's names first) whose header the profile recognises, with its layout."""
    problems: list[FileProblem] = []
    empty = []
    for sheet in _ordered(workbook, profile):
        if sheet.text:
            sheet.delimiter = sniff_delimiter(sheet.text, lambda c: resolve(c, profile) is not None)
        rows = sheet.rows()
        head = list(islice(rows, HEADER_SEARCH_ROWS))
        if not any(any(not is_blank(c) for c in r) for r in head):
            empty.append(sheet.label)
            continue
        try:
            layout = find_layout(head, sheet, profile, workbook.file, given_year)
        except FileProblem as exc:
            problems.append(exc)
            continue
        return sheet, layout, head, rows
    if problems:
        if len(workbook.sheets) == 1 or len(problems) == 1:
            raise problems[0]
        names = "、".join(f"“{s.label}”" for s in workbook.sheets)
        raise FileProblem(
            workbook.file,
            f"所有工作表（{names}）中都没有找到“{profile.title}”的表头；第一个工作表：{problems[0].reason}",
        )
    raise FileProblem(workbook.file, "文件中没有任何数据（工作表都是空的）", sheet="、".join(empty))


def _row_key(profile: Profile, row: ParsedRow) -> tuple:
    firm = row.credit_code or ("name", name_key(row.name), row.county)
    if profile.kind == "ip":
        return ("ip", row.item.get("ip_kind"), row.item.get("ip_number"))
    if profile.kind == "tag":
        return (firm, row.item.get("tag"), row.item.get("year"))
    return (firm, tuple(sorted(row.years)))


def read_rows(
    path: str | Path,
    profile: Profile,
    *,
    file_name: str | None = None,
    year: int | None = None,
    progress: Progress | None = None,
) -> ReadOutcome:
    path = Path(path)
    file = file_name or path.name
    workbook = open_workbook(path, file)
    sha256, size = file_digest(path)
    sheet, layout, head, rest = _choose_sheet(workbook, profile, year)
    reader = RowReader(profile, layout, sheet, file, year)
    first = layout.header_index + 1
    data = enumerate(chain(head[first:], rest), start=first)
    total = sheet.height or 0
    cap = limits()["cell_chars"]
    max_rows = limits()["rows"]
    plain = None
    if workbook.kind != "csv" and columns.eligible(reader):
        # The sheet is held by python-calamine already; its plain rows are decided a column at a time and
        # never become ParsedRows, the others are parsed below.
        sheet_rows = head[first:] + list(rest)
        plain, others = columns.split(reader, sheet_rows, first) if sheet_rows else (None, [])
        data = ((first + i, sheet_rows[i]) for i in others)
    parsed: list[ParsedRow] = []
    # Only an error row keeps its cells (as short texts, for the error workbook): memory follows the parsed
    # rows, not the file. A row that turns out to be an error later (a conflicting duplicate) is read again.
    for n, (row, cells) in enumerate(reader.rows(data), start=1):
        if n > max_rows:
            raise FileProblem(
                file, f"数据行数超过上限 {max_rows:,}（请分成多个文件导入）", sheet=sheet.name, row=row.line
            )
        if row.errors:
            row.raw = raw_text(cells, cap)
        parsed.append(row)
        if progress and n % PROGRESS_EVERY == 0:
            progress(row.line, total, "读取并校验")
    if plain is not None:
        parsed = _with_repeats(profile, reader, plain, parsed, first, sheet_rows)
        if len(parsed) + plain.height > max_rows:
            line = sorted([r.line for r in parsed] + plain.frame["line"].to_list())[max_rows]
            raise FileProblem(
                file, f"数据行数超过上限 {max_rows:,}（请分成多个文件导入）", sheet=sheet.name, row=line
            )
    if not parsed and not (plain and plain.height):
        raise FileProblem(file, "只有表头，没有数据行", sheet=sheet.name, row=layout.header_index + 1)
    duplicates = _duplicates(profile, parsed)
    later = {row.line: row for row in parsed if row.errors and row.raw is None}
    if later:
        for line, cells in enumerate(sheet.rows(), start=1):
            if line in later:
                later[line].raw = raw_text(cells, cap)
    notes = []
    if layout.unknown:
        notes.append(f"未使用的列：{'、'.join(layout.unknown[:20])}")
    if reader.summary_rows:
        notes.append(f"跳过合计行：第 {'、'.join(map(str, reader.summary_rows[:10]))} 行")
    if reader.skipped:
        notes.append(
            f"跳过没有可导入内容的行：第 {'、'.join(map(str, reader.skipped[:10]))} 行等 {len(reader.skipped)} 行"
        )
    ignored = [s.label for s in workbook.sheets if s is not sheet]
    if ignored:
        notes.append(f"读取工作表“{sheet.label}”，未读取：{'、'.join(ignored)}")
    elif sheet.name:
        notes.append(f"读取工作表“{sheet.name}”")
    synthetic = any(
        isinstance(c, str) and SYNTHETIC_MARK in c for r in head[: layout.header_index] for c in r
    )
    if progress:
        done = len(parsed) + (plain.height if plain else 0)
        progress(total or done, total or done, "读取并校验")
    return ReadOutcome(file, sha256, size, sheet, layout, parsed, duplicates, notes, synthetic, plain)


def _with_repeats(
    profile: Profile,
    reader: RowReader,
    plain: PlainRows,
    parsed: list[ParsedRow],
    first: int,
    sheet_rows: list[list],
) -> list[ParsedRow]:
    """`parsed` with the plain rows that repeat a parsed row's firm and year parsed too (in line order):
    which of them is a duplicate or an error is `_duplicates`' to say. Plain rows repeating each other were
    left to the reader already."""
    keys = [_row_key(profile, r) for r in parsed if not r.errors and r.credit_code]
    keys = [(code, years[0]) for code, years in keys if len(years) == 1]
    if not keys:
        return parsed
    taken = pl.DataFrame(keys, schema={"credit_code": pl.String, "bucket": pl.Int64}, orient="row")
    repeats = set(plain.frame.join(taken, on=["credit_code", "bucket"], how="semi")["line"].to_list())
    if not repeats:
        return parsed
    plain.frame = plain.frame.filter(~pl.col("line").is_in(sorted(repeats)))
    again = [
        row for row, _ in reader.rows((line - 1, sheet_rows[line - 1 - first]) for line in sorted(repeats))
    ]
    return sorted(parsed + again, key=lambda r: r.line)


def _duplicates(profile: Profile, rows: list[ParsedRow]) -> dict[int, int]:
    """Rows repeating an earlier row's key: identical ones are duplicates (skipped); different ones make
    both rows errors (which one is right is the department's to say, not ours)."""
    first: dict[tuple, ParsedRow] = {}
    digests: dict[int, str] = {}
    same: dict[int, int] = {}
    for row in rows:
        if row.errors:
            continue
        key = _row_key(profile, row)
        if key in first:
            earlier = first[key]
            digests.setdefault(earlier.line, earlier.digest())
            if row.digest() == digests[earlier.line]:
                same[row.line] = earlier.line
            else:
                reason = "与第 {} 行是同一{}，但数值不同；请核对后只保留一行"
                what = "知识产权" if profile.kind == "ip" else "企业（同一年度）"
                row.errors.append(CellProblem(None, "", reason.format(earlier.line, what)))
                if not any("数值不同" in e.reason for e in earlier.errors):
                    earlier.errors.append(CellProblem(None, "", reason.format(row.line, what)))
        else:
            first[key] = row
    return same
