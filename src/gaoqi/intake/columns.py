"""The plain rows of a spreadsheet's figures a column at a time (Polars), never as per-row Python objects.

A plain row is one whose every mapped cell `RowReader.parse` would decide inline with no message: a
canonical credit code (as written: no spaces, upper case, its check digit right), a plain name or none, a
year as a whole number, whole numbers of yuan (numbers, or text of digits with or without thousands
separators where they belong), nothing in any other mapped column; with a year for its
figures, at least one figure, its required columns filled and the engine's cross-field rules kept, and no
other row for the same firm and year. Such a row becomes a line of a frame (`PlainRows`); every other row
is parsed by the `RowReader`, which says what is wrong with the file, sheet, row and column as before.

The checks here are stricter than the reader's, never looser: a cell they do not recognise sends its row to
the reader (a code with spaces around it, a name starting with a space, an amount written as text), which
then gives the same result the reader always gave. `PlainRows.parsed` turns lines back into the
`ParsedRow`s the reader would have made, for the paths that need them (a test compares the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

import polars as pl

from gaoqi.intake.rows import FAST_CODE, FAST_MONEY, FAST_NAME, FAST_YEAR, ParsedRow, RowReader
from gaoqi.policy.core.facts import MONEY_LIMIT

_NONE, _FLOAT, _INT, _STR, _OTHER = range(5)
_TYPE_CODE = {type(None): _NONE, float: _FLOAT, int: _INT, str: _STR}
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CODE_RE = r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$"
_AMOUNT_RE = r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)$"  # what cells.parse_money reads as whole yuan as is
_EDGE_SPACE = r"^[\s\x1c-\x1f]|[\s\x1c-\x1f]$"  # what Python's strip() removes (\s lacks \x1c-\x1f)
KEYS = ("line", "credit_code", "name", "year", "bucket")


@dataclass
class PlainRows:
    """The plain rows: `frame` has line, credit_code, name ("" when none), year (the year column's, or
    null), bucket (the year the figures belong to) and one Int64 column per figure, in the reader's order."""

    frame: pl.DataFrame
    figures: list[str]

    @property
    def height(self) -> int:
        return self.frame.height

    def parsed(self, lines: set[int] | None = None) -> list[ParsedRow]:
        """The rows (those on `lines`, else all) as the reader parses them, in line order."""
        frame = self.frame if lines is None else self.frame.filter(pl.col("line").is_in(sorted(lines)))
        out = []
        for line, code, name, year, bucket, *values in frame.iter_rows():
            figures = {f: v for f, v in zip(self.figures, values, strict=True) if v is not None}
            out.append(ParsedRow(line, code, name, year=year, years={bucket: figures}))
        return out


def eligible(reader: RowReader) -> bool:
    """Whether a sheet's rows may be split here: a figures profile, no merged or formula cells in the data,
    figure columns, each without a year of its own and of its own target; a credit code column."""
    if reader.profile.kind != "facts" or reader._merged or reader.sheet.formulas:
        return False
    if reader.layout.column("credit_code") is None:
        return False
    figures = [name for _, col, name, slot, fast, *_ in reader.plan if slot == "years"]
    if any(col.year is not None for _, col, _, slot, *_ in reader.plan if slot == "years"):
        return False
    return bool(figures) and len(set(figures)) == len(figures) and not set(figures) & set(KEYS)


def _check_digit_ok(code: pl.Expr) -> pl.Expr:
    """GB 32100's check digit, as `values.fast_credit_code` computes it, for codes matching `_CODE_RE`."""
    value = {c: i for i, c in enumerate(_USCC_ALPHABET)}
    total = pl.sum_horizontal(
        code.str.slice(i, 1).replace_strict(value, default=0, return_dtype=pl.Int64) * w
        for i, w in enumerate(_USCC_WEIGHTS)
    )
    expected = ((31 - total % 31) % 31).replace_strict(
        dict(enumerate(_USCC_ALPHABET)), return_dtype=pl.String
    )
    return expected == code.str.slice(17, 1)


def split(reader: RowReader, rows: list[list], first_index: int) -> tuple[PlainRows, list[int]]:
    """(the plain rows among `rows`, the data rows starting at 0-based sheet row `first_index`; the
    positions in `rows` of the others, for the reader)."""
    columns = list(zip_longest(*rows)) if rows else []
    this_year, cap = reader.today.year, reader.cell_cap
    first = first_index + 1
    data: dict[str, pl.Series] = {"line": pl.Series(range(first, first + len(rows)), dtype=pl.Int64)}
    ok: list[pl.Expr] = []
    figures: list[str] = []
    present: dict[str, pl.Expr] = {}
    for col_index, _, name, slot, fast, signed, _ in reader.plan:
        column = columns[col_index] if col_index < len(columns) else (None,) * len(rows)
        types = list(map(type, column))
        kind, raw, text = f"k{col_index}", f"r{col_index}", f"t{col_index}"
        data[kind] = pl.Series(list(map(_TYPE_CODE.get, types)), dtype=pl.Int8).fill_null(_OTHER)
        k, r = pl.col(kind), pl.col(raw)
        numeric = fast in (FAST_MONEY, FAST_YEAR)
        if not numeric or str in set(types):
            data[text] = pl.Series(column, dtype=pl.String, strict=False)
            blank = (k == _NONE) | ((k == _STR) & (pl.col(text) == ""))
        else:
            blank = k == _NONE
        if numeric:
            data[raw] = pl.Series(column, dtype=pl.Float64, strict=False)
            number = ((k == _FLOAT) & r.is_finite() & (r == r.floor())) | (k == _INT)
            if fast == FAST_MONEY:
                fine = number & (r > -MONEY_LIMIT) & (r < MONEY_LIMIT) & ((r >= 0) | pl.lit(signed))
            else:
                fine = number & (r >= 1949) & (r <= this_year)
            fine = fine.fill_null(False)
            value = pl.when(fine).then(r.cast(pl.Int64, strict=False))
            if fast == FAST_MONEY and text in data:  # whole yuan written as text: "1,234,567", "1234"
                t = pl.col(text)
                amount = t.str.replace_all(",", "", literal=True).cast(pl.Int64, strict=False)
                written = (k == _STR) & (t.str.len_chars() <= 17) & t.str.contains(_AMOUNT_RE)
                written = (written & (amount < MONEY_LIMIT)).fill_null(False)
                value = value.when(written).then(amount)
                fine = fine | written
        else:
            t = pl.col(text)
            if fast == FAST_CODE:
                fine = (k == _STR) & t.str.contains(_CODE_RE) & _check_digit_ok(t)
            elif fast == FAST_NAME:
                fine = (
                    (k == _STR)
                    & (t.str.len_chars() <= cap)
                    & ~t.str.contains("  ", literal=True)
                    & ~t.str.contains("\n", literal=True)
                    & ~t.str.contains("\t", literal=True)
                    & ~t.str.contains(_EDGE_SPACE)
                )
            else:
                fine = pl.lit(False)
            fine = fine.fill_null(False)
            value = pl.when(fine & ~blank).then(t)
        ok.append(fine | blank)
        if slot == "years":
            figures.append(name)
        present[name] = value
    frame = pl.DataFrame(data).lazy()
    year = present.get("year", pl.lit(None, dtype=pl.Int64))
    bucket = year if reader.given_year is None else year.fill_null(reader.given_year)
    row_ok = pl.all_horizontal(ok) & present["credit_code"].is_not_null()
    row_ok &= bucket.is_not_null() & pl.any_horizontal(present[f].is_not_null() for f in figures)
    for col in reader.required:
        row_ok &= (
            (present[col.target.name].fill_null("") != "")
            if col.target.name == "name"
            else (present[col.target.name].is_not_null())
        )
    for small, big in (pair for pair, _ in reader.rules):
        row_ok &= ~(present[small] > present[big]).fill_null(False)
    split_frame = frame.select(
        pl.col("line"),
        present["credit_code"].alias("credit_code"),
        present.get("name", pl.lit(None, dtype=pl.String)).fill_null("").alias("name"),
        year.cast(pl.Int64).alias("year"),
        bucket.cast(pl.Int64).alias("bucket"),
        *(present[f].cast(pl.Int64).alias(f) for f in figures),
        row_ok.alias("ok"),
    ).collect()
    plain = split_frame.filter("ok").drop("ok")
    # Two plain rows for one firm and year: the reader decides which is a duplicate or an error.
    repeated = plain.filter(pl.struct("credit_code", "bucket").is_duplicated())["line"]
    others = split_frame.filter(~pl.col("ok") | pl.col("line").is_in(repeated.implode()))["line"]
    plain = plain.filter(~pl.col("line").is_in(repeated.implode()))
    return PlainRows(plain, figures), [line - first for line in others.to_list()]
