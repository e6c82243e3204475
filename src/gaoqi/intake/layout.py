"""Finding the header in a department's sheet and mapping its columns to a profile's targets.

The header row is the row among the first `HEADER_SEARCH_ROWS` that names the most of the profile's
columns (title rows above it are skipped). Merged header cells count for every column they span. A year
written in a header ("2023年营业收入", "营业收入（2023年）") or in a band above it ("2023年" merged over
several columns: a two-row header) is the year of that column's values; a unit in a header ("（万元）",
"（千元）", "(%)") overrides the profile's unit for that column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from gaoqi.intake.files import FileProblem, Sheet, col_letter
from gaoqi.intake.profiles import Profile, unit_allowed
from gaoqi.intake.targets import MONEY_SCALES, TARGETS, Store, Target, Unit
from gaoqi.policy.template.cells import is_blank, normalize_header

HEADER_SEARCH_ROWS = 30
_UNIT_RE = re.compile(
    r"(?:\((?:单位:)?(万元|千元|元|人|项|个|件|家|%)\)|[/_](万元|千元|元|人|项|个|件|家|%))$"
)
_YEAR_IN_HEADER = re.compile(r"\(?((?:19|20)\d{2})(?:年度|年)?\)?")
_YEAR_BAND = re.compile(r"^((?:19|20)\d{2})(?:年度|年)?(?:数据|情况)?$")


@dataclass(frozen=True, slots=True)
class MappedColumn:
    index: int  # 0-based
    header: str  # as written (a band above joined with " / ")
    target: Target
    unit: str  # "元", "万元", "千元", "人", "%", ""
    year: int | None = None  # from the header or the band above it

    @property
    def scale(self) -> int:
        return MONEY_SCALES.get(self.unit, 1) if self.target.unit is Unit.MONEY else 1

    @property
    def letter(self) -> str:
        return col_letter(self.index)

    def describe(self) -> dict:
        return {
            "col": self.index,
            "letter": self.letter,
            "header": self.header,
            "target": self.target.name,
            "label": self.target.label_zh,
            "unit": self.unit,
            "year": self.year,
        }


@dataclass(slots=True)
class Layout:
    header_index: int  # 0-based row of the (last) header row
    header_rows: list[list[str]]  # the header block as text, for the error workbook
    columns: list[MappedColumn]
    unknown: list[str] = field(default_factory=list)

    def column(self, target: str) -> MappedColumn | None:
        return next((c for c in self.columns if c.target.name == target), None)


def text_of(value: object) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def resolve(header: object, profile: Profile) -> tuple[str, str | None, int | None] | None:
    """(target name, unit written in the header or None, year written in the header or None)."""
    key = normalize_header(text_of(header))
    if not key:
        return None
    if key in profile.aliases:
        return profile.aliases[key], None, None
    unit = None
    if m := _UNIT_RE.search(key):
        unit, key = m[1] or m[2], key[: m.start()]
        if key in profile.aliases:
            return profile.aliases[key], unit, None
    year = None
    if m := _YEAR_IN_HEADER.search(key):
        year = int(m[1])
        key = (key[: m.start()] + key[m.end() :]).strip("-_/:")
    if key in profile.aliases:
        return profile.aliases[key], unit, year
    return None


def _band_year(value: object) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 1900 <= value <= 2100:
        return int(value)
    m = _YEAR_BAND.match(normalize_header(text_of(value)))
    return int(m[1]) if m else None


def fill_merged(rows: list[list], merged, upto: int) -> list[list]:
    """A copy of `rows[:upto]` where each merged range's value stands in every cell it spans."""
    out = [list(r) for r in rows[:upto]]
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(out):
            continue
        value = out[r0][c0] if c0 < len(out[r0]) else None
        for r in range(r0, min(r1, len(out) - 1) + 1):
            row = out[r]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value
    return out


def _score(row: list, profile: Profile) -> set[str]:
    found = set()
    for cell in row:
        if isinstance(cell, str) and (r := resolve(cell, profile)):
            found.add(r[0])
    return found


def _merged_headers(head: list[list], sheet: Sheet, profile: Profile, file: str, header_index: int) -> None:
    """A header cell merged across several columns would make one header stand for each of them: an error
    (a year band above the header may span columns; the header row's own cells may not)."""
    for (r0, c0), (r1, c1) in sheet.merged:
        if not (r0 <= header_index <= r1) or c1 <= c0 or r0 >= len(head):
            continue
        value = head[r0][c0] if c0 < len(head[r0]) else None
        if not isinstance(value, str) or resolve(value, profile) is None:
            continue  # a merged title or remark, not a data column
        written = text_of(value)
        raise FileProblem(
            file,
            f"表头“{written}”合并了 {col_letter(c0)}–{col_letter(c1)} 列，每个数据列须有自己的表头（请取消合并）",
            sheet=sheet.name,
            row=r0 + 1,
            column=f"{written}（{col_letter(c0)}列）",
        )


def find_layout(
    head: list[list], sheet: Sheet, profile: Profile, file: str, given_year: int | None
) -> Layout:
    """The layout of `sheet` from its first rows (`head`); FileProblem when no usable header is found."""
    filled = fill_merged(head, sheet.merged, min(len(head), HEADER_SEARCH_ROWS))
    best, best_found = None, set()
    for i, row in enumerate(filled):
        found = _score(row, profile)
        if ("credit_code" in found or "name" in found) and len(found) >= 2 and len(found) > len(best_found):
            best, best_found = i, found
    if best is None:
        wanted = "、".join(f"“{profile.label(t)}”" for t in list(profile.columns)[:6])
        raise FileProblem(
            file,
            f"前 {HEADER_SEARCH_ROWS} 行中没有找到“{profile.title}”的表头（应包含 {wanted} 等列）",
            sheet=sheet.name,
        )
    header = filled[best]
    _merged_headers(head, sheet, profile, file, best)
    band = filled[best - 1] if best > 0 else []
    band_years = [_band_year(c) for c in band]
    if not sheet.merged and any(band_years):  # a CSV loses the merge: a year stands for the cells after it
        last = None
        for i, cell in enumerate(band):
            if band_years[i] is not None:
                last = band_years[i]
            elif is_blank(cell):
                band_years[i] = last
            else:
                last = None
    columns: list[MappedColumn] = []
    unknown: list[str] = []
    seen: dict[tuple[str, int | None], MappedColumn] = {}
    for index, cell in enumerate(header):
        resolved = resolve(cell, profile)
        written = text_of(cell)
        if resolved is None:
            if written:
                unknown.append(written)
            continue
        name, unit, year = resolved
        target = TARGETS[name]
        band_year = band_years[index] if index < len(band_years) else None
        year = year or band_year
        if (
            band_year is not None
            and band_year == year
            and not _YEAR_IN_HEADER.search(normalize_header(written))
        ):
            written = f"{text_of(band[index])} / {written}"
        spec = profile.columns[name]
        unit = spec.unit if unit is None else unit
        if not unit_allowed(target, unit):
            raise FileProblem(
                file,
                f"“{target.label_zh}”不能使用单位“{unit}”",
                sheet=sheet.name,
                row=best + 1,
                column=f"{written}（{col_letter(index)}列）",
            )
        if not target.yearly:
            year = None
        key = (name, year)
        if key in seen:
            first = seen[key]
            raise FileProblem(
                file,
                f"“{first.header}”（{first.letter}列）和“{written}”（{col_letter(index)}列）都对应"
                f"{target.label_zh}{f'（{year}年）' if year else ''}，无法确定用哪一列",
                sheet=sheet.name,
                row=best + 1,
            )
        column = MappedColumn(index, written, target, unit, year)
        seen[key] = column
        columns.append(column)
    names = {c.target.name for c in columns}
    for name, spec in profile.columns.items():
        if spec.required and name not in names:
            raise FileProblem(
                file,
                f"缺少必填列“{spec.headers[0]}”（也可写作：{'、'.join(spec.headers[1:]) or '—'}）",
                sheet=sheet.name,
                row=best + 1,
            )
    yearly = [c for c in columns if c.target.yearly and c.year is None]
    if yearly and "year" not in names and given_year is None:
        raise FileProblem(
            file,
            f"缺少年度：没有“年度”列，表头“{yearly[0].header}”等也未注明年度；请在导入时指定年度",
            sheet=sheet.name,
            row=best + 1,
        )
    if profile.kind == "facts" and not any(c.target.store not in (Store.KEY,) for c in columns):
        raise FileProblem(file, "表头中没有任何可导入的指标列", sheet=sheet.name, row=best + 1)
    first = best - 1 if any(y is not None for y in band_years) else best
    header_rows = [[text_of(c) for c in head[i]] for i in range(first, best + 1)]
    return Layout(best, header_rows, columns, unknown)
