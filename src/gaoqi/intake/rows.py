"""Reading a sheet's data rows into typed values, each cell by the rules of `policy.template.cells`.

Text cells are NFKC-normalised first where a number, date or code is expected (full-width digits and
punctuation, "１２３．５" -> 123.5). A bad cell is an error on its row (naming the column as written and its
letter) and never stops the other rows. Decisions where the source is ambiguous, not guessed:
- a formula cell is an error (a file written by a program may carry a stale cached value);
- a merged range over data rows stands for every row it spans for text, dates, codes and flags, and is
  an error for numbers (one figure cannot belong to several firms);
- "20190305" is a date (市场监管 exports write it so); an Excel serial number in a date column is not;
- rows naming no firm and holding 合计/总计/小计, or holding nothing in any mapped column, are skipped
  and counted in the batch notes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from gaoqi.intake.files import Sheet, col_letter, limits
from gaoqi.intake.layout import Layout
from gaoqi.intake.profiles import Profile
from gaoqi.intake.targets import Store
from gaoqi.intake.values import ValueReader, fast_credit_code
from gaoqi.policy.core.facts import CROSS_RULES, FIELDS_BY_NAME, MONEY_LIMIT, Kind
from gaoqi.policy.template.cells import (
    CellError,
    is_blank,
    normalize_header,
)

SUMMARY_WORDS = ("合计", "总计", "小计", "累计")
_NUMERIC_KINDS = frozenset({Kind.MONEY, Kind.COUNT, "percent"})
FAST_MONEY, FAST_CODE, FAST_NAME, FAST_YEAR = 1, 2, 3, 4  # spellings `RowReader.parse` decides inline


def _stem(name: str) -> str:
    spec = FIELDS_BY_NAME[name]
    return spec.stem or spec.name


# The engine's cross-field rules between two figures of one year that an import can bring together,
# by target name (`rnd_expense_deductible_y3 <= rnd_expense_y3` holds for every year's figures alike).
ROW_RULES = tuple(
    {(_stem(r.small), _stem(r.big)): r.reason_zh for r in CROSS_RULES if r.small != "ip_class2_used"}.items()
)


@dataclass(slots=True)
class CellProblem:
    col: int | None  # 0-based, None when the row as a whole is at fault
    column: str  # the header as written with its letter, "" for the row
    reason: str

    def to_dict(self) -> dict:
        return {"col": self.col, "column": self.column, "reason": self.reason}


@dataclass(slots=True)
class ParsedRow:
    line: int  # 1-based spreadsheet row
    credit_code: str = ""
    name: str = ""
    county: str = ""  # county code
    city: str = ""
    year: int | None = None  # from the year column
    firm: dict = field(default_factory=dict)  # Enterprise fields and non-yearly extras
    years: dict = field(default_factory=dict)  # {year: {target: value}}
    item: dict = field(default_factory=dict)  # ip_* fields, or the tag
    errors: list[CellProblem] = field(default_factory=list)
    raw: list | None = None

    def digest(self) -> str:
        content = (
            self.credit_code,
            self.name,
            self.county,
            sorted(self.firm.items()),
            sorted((y, sorted(v.items())) for y, v in self.years.items()),
            sorted(self.item.items()),
        )
        return hashlib.sha1(repr(content).encode()).hexdigest()

    def values_json(self) -> dict:
        def j(d: dict) -> dict:
            return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in d.items()}

        out: dict = {}
        if self.firm:
            out["firm"] = j(self.firm)
        if self.years:  # yearly figures are numbers: no conversion
            out["years"] = {str(y): v for y, v in sorted(self.years.items())}
        if self.item:
            out["item"] = j(self.item)
        return out


class RowReader:
    """Parses the data rows of one sheet laid out by `layout` for `profile`."""

    def __init__(self, profile: Profile, layout: Layout, sheet: Sheet, file: str, given_year: int | None):
        self.profile, self.layout, self.sheet, self.file = profile, layout, sheet, file
        self.given_year = given_year
        self.values = ValueReader(profile, timezone.localdate())
        self.today = timezone.localdate()
        self.cell_cap = limits()["cell_chars"]
        self.skipped: list[int] = []
        self.summary_rows: list[int] = []
        self.label = {c.index: f"{c.header}（{c.letter}列）" for c in layout.columns}
        # Key columns first (the city decides between two counties of one name, the year places figures).
        self.columns = sorted(
            layout.columns, key=lambda c: (c.target.store is not Store.KEY, c.target.kind != "city")
        )
        self._merged = self._data_merges(sheet.merged, layout.header_index + 1)
        self._merged_tops = {(r0, c0): text for (r0, c0, text) in self._merged.values()}
        self._merge_values: dict[tuple[int, int], object] = {}
        self._prepare()

    @staticmethod
    def _data_merges(merged, first_data: int) -> dict[tuple[int, int], tuple[int, int, str]]:
        """Covered cell (row, col) -> (top-left row, col, range as A1:B2) for merges in the data rows."""
        out = {}
        for (r0, c0), (r1, c1) in merged:
            if r1 < first_data:
                continue
            text = f"{col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}"
            for r in range(max(r0, first_data), r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        out[(r, c)] = (r0, c0, text)
        return out

    # --- cells --------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Per-column plans decided once, so the row loop does the least per cell."""
        self.plan = []
        for col in self.columns:
            t = col.target
            if t.store is Store.KEY:
                slot = "year" if t.name == "year" else t.name
            elif t.store in (Store.IP, Store.TAG):
                slot = "item"
            elif t.yearly:
                slot = "years"
            else:
                slot = "firm"
            if t.kind == Kind.MONEY and col.scale == 1:
                fast = FAST_MONEY
            else:
                fast = {"credit_code": FAST_CODE, "name": FAST_NAME, "year": FAST_YEAR}.get(t.name, 0)
            self.plan.append((col.index, col, t.name, slot, fast, t.signed, t.kind in _NUMERIC_KINDS))
        # (target, year from the header or None) -> column: where a cross-field error is reported.
        self.col_of = {(c.target.name, c.year): c.index for c in self.layout.columns}
        required = [self.layout.column(n) for n, spec in self.profile.columns.items() if spec.required]
        self.required = [c for c in required if c is not None]
        names = {c.target.name for c in self.layout.columns}
        self.rules = [(pair, reason) for pair, reason in ROW_RULES if pair[0] in names and pair[1] in names]
        self.tags = self.profile.kind == "tag"
        self.key_cols = {n: c.index for n in ("credit_code", "name", "year") if (c := self.layout.column(n))}

    def _cell_problem(self, row: ParsedRow, index: int, reason: str) -> None:
        row.errors.append(CellProblem(index, self.label[index], reason))

    def _special(self, row: ParsedRow, index: int, col_index: int, numeric: bool, value: object):
        """A merged or formula cell: (handled, value)."""
        if self._merged:
            cover = self._merged.get((index, col_index))
            top = self._merged_tops.get((index, col_index))
            if cover or top:
                if numeric:
                    self._cell_problem(
                        row, col_index, f"数值单元格不能合并（合并区域 {cover[2] if cover else top}）"
                    )
                    return True, None
                if cover:
                    value = self._merge_values.get((cover[0], cover[1]))
        if self.sheet.formulas and (mark := self.sheet.formulas.get((index, col_index))) is not None:
            self._cell_problem(row, col_index, mark.reason())
            return True, None
        return False, value

    def parse(self, index: int, cells: list) -> ParsedRow | None:
        """One data row (`index` 0-based) -> ParsedRow, or None for a row to skip.

        The common spellings (a whole number of yuan, a canonical credit code, a plain name, a year as a
        number) are decided inline; everything else goes through `parse_cell`, the one definition."""
        row = ParsedRow(index + 1)
        special = bool(self._merged or self.sheet.formulas)
        n = len(cells)
        given_year, this_year = self.given_year, self.today.year
        cap = self.cell_cap
        filled = False
        for col_index, col, name, slot, fast, signed, numeric in self.plan:
            value = cells[col_index] if col_index < n else None
            if special:
                handled, value = self._special(row, index, col_index, numeric, value)
                if handled:
                    filled = True
                    continue
            if value is None or value == "":
                continue
            filled = True
            t = type(value)
            parsed = None
            if fast == FAST_MONEY:
                if (t is float and value.is_integer()) or t is int:
                    if (value >= 0 or signed) and -MONEY_LIMIT < value < MONEY_LIMIT:
                        parsed = int(value)
            elif fast == FAST_CODE:
                parsed = fast_credit_code(value)
            elif fast == FAST_NAME:
                if (
                    t is str
                    and len(value) <= cap
                    and "  " not in value
                    and "\n" not in value
                    and "\t" not in value
                ):
                    parsed = value.strip() or None
            elif fast == FAST_YEAR:
                if (t is float or t is int) and value == int(value) and 1949 <= value <= this_year:
                    parsed = int(value)
            if parsed is None:
                if t is str:
                    if not value.strip():
                        continue
                    if len(value) > cap:
                        self._cell_problem(row, col_index, f"内容过长（{len(value):,} 字，上限 {cap:,}）")
                        continue
                try:
                    parsed = self.values.parse_cell(col, value, row.city)
                except CellError as exc:
                    self._cell_problem(row, col_index, str(exc))
                    continue
            if slot == "years":
                year = col.year or row.year or given_year
                bucket = row.years.get(year)
                if bucket is None:
                    bucket = row.years[year] = {}
                bucket[name] = parsed
            elif slot == "firm":
                row.firm[name] = parsed
            elif slot == "item":
                row.item[name] = parsed
            else:
                setattr(row, slot, parsed)
        if not filled:
            if any(not is_blank(c) for c in cells):
                self.skipped.append(row.line)
            return None
        if not row.credit_code and (row.name in SUMMARY_WORDS or _is_summary(cells)):
            self.summary_rows.append(row.line)
            return None
        self._row_checks(row)
        return row

    def _row_checks(self, row: ParsedRow) -> None:
        if None in row.years:  # figures without a year: neither the header, the row nor --year gives one
            del row.years[None]
            if not self._col_error(row, "year"):
                col = self.layout.column("year")
                where = (col.index, self.label[col.index]) if col else (None, "")
                row.errors.append(CellProblem(*where, "年度为空：无法确定这些数值属于哪一年"))
        if self.tags:
            if self.profile.fixed_tag and "tag" not in row.item:
                row.item["tag"] = self.profile.fixed_tag
            if row.year is not None:
                row.item["year"] = row.year
        if (
            not row.credit_code
            and not row.name
            and not (self._col_error(row, "credit_code") or self._col_error(row, "name"))
        ):
            row.errors.append(CellProblem(None, "", "统一社会信用代码和企业名称都为空，无法确定是哪家企业"))
        for col in self.required:
            if not self._has(row, col.target.name) and not any(e.col == col.index for e in row.errors):
                row.errors.append(CellProblem(col.index, self.label[col.index], "必填项为空"))
        for year, values in row.years.items():
            for (small, big), reason in self.rules:
                s, b = values.get(small), values.get(big)
                if s is not None and b is not None and s > b:
                    index = self.col_of.get((small, year), self.col_of.get((small, None)))
                    self._cell_problem(row, index, f"{reason}（{year}年：{s:,} > {b:,}）")
        ip = row.item
        if ip.get("ip_expires_on") and ip.get("ip_granted_on") and ip["ip_expires_on"] <= ip["ip_granted_on"]:
            self._cell_problem(row, self.layout.column("ip_expires_on").index, "到期日期应晚于授权日期")

    def _col_error(self, row: ParsedRow, name: str) -> bool:
        index = self.key_cols.get(name)
        if index is None:
            col = self.layout.column(name)
            index = col.index if col else None
        return index is not None and bool(row.errors) and any(e.col == index for e in row.errors)

    @staticmethod
    def _has(row: ParsedRow, name: str) -> bool:
        if name in ("credit_code", "name", "county", "city"):
            return bool(getattr(row, name))
        if name == "year":
            return row.year is not None
        return name in row.firm or name in row.item or any(name in v for v in row.years.values())

    def rows(self, rows: Iterable[tuple[int, list]]) -> Iterator[tuple[ParsedRow, list]]:
        """(parsed row, its cells) for every (0-based sheet row, cells) of `rows`, in the sheet's order."""
        starts: dict[int, list[int]] = {}
        for r0, c0 in self._merged_tops:
            starts.setdefault(r0, []).append(c0)
        for index, cells in rows:
            for c0 in starts.get(index, ()):
                if c0 < len(cells):
                    self._merge_values[(index, c0)] = cells[c0]
            parsed = self.parse(index, cells)
            if parsed is not None:
                yield parsed, cells


def _is_summary(cells: list) -> bool:
    """A 合计/总计 row: its first filled text cell says so (a row naming no firm, checked only then)."""
    for cell in cells:
        if isinstance(cell, str) and cell.strip():
            return len(cell.strip()) <= 6 and normalize_header(cell).strip("：:") in SUMMARY_WORDS
    return False


def raw_text(cells: list, cap: int) -> list[str]:
    """A row's cells as short texts for the error workbook."""
    out = []
    for c in cells:
        if is_blank(c):
            out.append("")
        elif isinstance(c, float) and c.is_integer():
            out.append(str(int(c)))
        elif isinstance(c, date):
            out.append(c.isoformat())
        else:
            out.append(str(c)[:cap])
    return out
