"""Reading the evaluation template into a Polars DataFrame, for bulk evaluation.

Same semantics as the row reader (`read.read_template`) by construction: each column is parsed
with vectorised expressions that accept only canonical spellings ("1234", "1,234", "1234.0", "是",
"2019-03-05", a valid credit code ...). Any row holding a cell the shortcut does not accept, or
failing a cross-field check (`core.facts.CROSS_RULES`), is re-read by `read.parse_row`, the single
source of truth, which yields either its values or its `RowError`s. Repeated credit codes are found by
`read.duplicate_rows` over every row's code, as in the row reader. Tests compare both readers on
generated files.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import time
from itertools import zip_longest
from pathlib import Path

import polars as pl

from gaoqi.policy.bulk.plan import DTYPES
from gaoqi.policy.core.facts import COUNT_LIMIT, CROSS_RULES, FIELD_SPECS, MONEY_LIMIT, FieldSpec, Kind
from gaoqi.policy.template.cells import FALSE_WORDS, GROUPED_RE, TRUE_WORDS, WAN, is_blank
from gaoqi.policy.template.read import (
    Column,
    Layout,
    RowError,
    code_of,
    data_rows,
    duplicate_error,
    duplicate_rows,
    find_layout,
    parse_row,
    read_raw,
    within_limits,
)

ROW = "_row"
SCHEMA: dict[str, pl.DataType] = {ROW: pl.Int64, **{s.name: DTYPES[s.kind] for s in FIELD_SPECS}}

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PY_ONLY_SPACE = "[\x1c-\x1f]"  # whitespace to Python's str.strip but not to Polars: leave to the row reader
# The shortcut accepts numbers of at most this many integer digits, all below the limits of `core.facts`
# (10**N <= LIMIT); longer ones go to the row reader, which checks the limits exactly.
_MONEY_DIGITS = len(str(MONEY_LIMIT)) - 1
_WAN_DIGITS = len(str(MONEY_LIMIT // WAN)) - 1
_COUNT_DIGITS = len(str(COUNT_LIMIT)) - 1


@dataclass(slots=True)
class TableResult:
    df: pl.DataFrame  # valid rows only, SCHEMA columns, ordered by `_row`
    errors: list[RowError]
    unknown_headers: list[str]
    n_rows: int  # non-blank data rows read (valid + invalid)
    headers: dict[str, str] = field(default_factory=dict)  # field name -> header as written
    rows: list[int] = field(default_factory=list)  # every non-blank data row number, in order
    raw_names: dict[int, tuple[str | None, str | None]] = field(
        default_factory=dict
    )  # failed rows: code, name


def _uscc_valid(code: pl.Expr) -> pl.Expr:
    digits = [
        code.str.slice(i, 1).replace_strict(
            list(_USCC_ALPHABET), list(range(31)), default=None, return_dtype=pl.Int32
        )
        for i in range(18)
    ]
    total = pl.sum_horizontal([d * w for d, w in zip(digits, _USCC_WEIGHTS, strict=False)])
    return ((31 - total % 31) % 31) == digits[17]


def _fast(s: pl.Expr, spec: FieldSpec, scale: int) -> pl.Expr:
    """Expression: the parsed value, or null where the shortcut does not accept the cell."""
    kind = spec.kind
    if kind in (Kind.MONEY, Kind.COUNT):
        t = s.str.replace_all(",", "", literal=True).str.replace_all("，", "", literal=True)
        sign = "-?" if spec.signed else ""
        if kind is Kind.COUNT:
            pattern = rf"^[0-9]{{1,{_COUNT_DIGITS}}}(\.0*)?$"
        elif scale == WAN:
            pattern = rf"^{sign}[0-9]{{1,{_WAN_DIGITS}}}(\.[0-9]{{0,4}})?$"
        else:
            pattern = rf"^{sign}[0-9]{{1,{_MONEY_DIGITS}}}(\.0*)?$"
        whole = t.str.extract(r"^(-?[0-9]+)", 1).cast(pl.Int64, strict=False)
        if scale == WAN:
            frac = t.str.extract(r"\.([0-9]*)$", 1).fill_null("").str.pad_end(4, "0").cast(pl.Int64)
            negative = t.str.starts_with("-")
            value = whole.abs() * WAN + frac
            value = pl.when(negative).then(-value).otherwise(value)
        else:
            value = whole
        commas = s.str.contains("[,，]") & ~s.str.contains(GROUPED_RE)  # misplaced: the row reader says so
        return pl.when(t.str.contains(pattern) & ~commas).then(value)
    if kind is Kind.BOOL:
        low = s.str.to_lowercase()
        return (
            pl.when(low.is_in(sorted(TRUE_WORDS))).then(True).when(low.is_in(sorted(FALSE_WORDS))).then(False)
        )
    if kind is Kind.DATE:
        d = s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        ok = s.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}( 00:00:00)?$") & d.dt.year().is_between(1900, 2100)
        return pl.when(ok).then(d)
    if spec.name == "credit_code":
        up = s.str.to_uppercase()
        ok = up.str.contains(r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$")
        return pl.when(ok).then(pl.when(_uscc_valid(up)).then(up))
    if spec.name == "region_code":
        return pl.when(s.str.contains(r"^[0-9]{6}$")).then(s)
    if spec.name == "tech_field":
        return pl.when(~s.str.contains(r"^\d+\.0+$")).then(s)
    return s


def _column_series(col: Column, values: tuple, types: set) -> tuple[pl.Series, pl.Series | None]:
    """The column as stripped strings (null when blank), and for text columns a mask of cells that
    were not strings in the file (numbers, dates), which only the row reader interprets. `types`: the
    set of the values' types."""
    raw = pl.Series(col.spec.name, values, dtype=pl.String, strict=False)
    non_str = None
    if col.spec.kind is Kind.TEXT:
        if types - {str, type(None)}:
            non_str = pl.Series([type(v) is not str and v is not None for v in values])
    return raw, non_str


def _typed(col: Column, values: tuple, types: set) -> tuple[pl.Series, pl.Series] | None:
    """Shortcut for a column Excel stored as one type (all numbers, all dates, all booleans, blanks as
    None): (values, cells to leave to the row reader), or None to take the string path. `types`: the
    set of the values' types."""
    types = types - {type(None)}
    if str in types or (bool in types and col.spec.kind is not Kind.BOOL):
        return None  # strings need the string rules; a boolean where a number belongs is an error
    try:
        s = pl.Series(col.spec.name, values, strict=False)
    except Exception:  # values Polars cannot type (huge ints, objects): the string path decides
        return None
    return _typed_series(col, s)


def _typed_series(col: Column, s: pl.Series) -> tuple[pl.Series, pl.Series] | None:
    """`_typed` on a Series of one non-string type. Each rule matches `cells` exactly: e.g. a float
    is integral yuan iff Decimal(repr(x)) is, for |x| < 2^53."""
    kind, name = col.spec.kind, col.spec.name
    dt = s.dtype
    if dt == pl.Boolean and kind is not Kind.BOOL:
        return None
    if dt in (pl.Float64, pl.Int64) and not (kind is Kind.MONEY and col.scale != 1):
        x = s.cast(pl.Float64)
        integral = x.is_finite() & (x == x.floor())
        if kind in (Kind.MONEY, Kind.COUNT):
            limit = MONEY_LIMIT if kind is Kind.MONEY else COUNT_LIMIT
            ok = integral & (x.abs() < limit)
            if not (kind is Kind.MONEY and col.spec.signed):
                ok = ok & (x >= 0)
            value = pl.select(pl.when(ok).then(x).cast(pl.Int64)).to_series()
        elif kind is Kind.BOOL:
            ok = (x == 1) | (x == 0)
            value = pl.select(pl.when(ok).then(x == 1)).to_series()
        elif kind is Kind.TEXT and name in ("name", "region_code", "tech_field"):
            ok = integral & (x.abs() < 10**15)
            if name == "region_code":
                ok = ok & (x >= 100_000) & (x <= 999_999)
            value = pl.select(pl.when(ok).then(x).cast(pl.Int64).cast(pl.String)).to_series()
        else:
            return None
    elif dt == pl.Date and kind is Kind.DATE:
        value, ok = s, s.is_not_null()
    elif isinstance(dt, pl.Datetime) and kind is Kind.DATE:
        ok = s.dt.time() == time(0)
        value = pl.select(pl.when(ok).then(s.dt.date())).to_series()
    elif dt == pl.Boolean and kind is Kind.BOOL:
        value, ok = s, s.is_not_null()
    else:
        return None
    return value.alias(name), (s.is_not_null() & ~ok.fill_null(False))


@dataclass(slots=True)
class _Source:
    """The data rows of a file, whichever way they were read."""

    layout: Layout
    numbers: list[int]  # spreadsheet row number of every non-blank data row, in order
    columns: dict[str, pl.Series]  # the raw column series (see read_table)
    typed: dict[str, Column]  # columns that took the typed shortcut
    non_str_cols: list[str]
    cells_of: Callable[[list[int]], dict[int, Sequence[object]]]  # row numbers -> their cells


def _rows_source(path: str | Path) -> _Source:
    """Rows as Python values (CSV, and the xlsx files `_xlsx_source` declines), transposed to columns."""
    rows = read_raw(path)
    layout = find_layout(rows)
    numbered = list(data_rows(rows, layout))
    n = len(numbered)
    numbers = [num for num, _ in numbered]
    cells = [c for _, c in numbered]
    by_index = list(zip_longest(*cells))  # columns, padded with None for short CSV rows
    raw_cols, non_str_cols, typed = {}, [], {}
    for col in layout.columns:
        values = by_index[col.index] if col.index < len(by_index) else (None,) * n
        types = set(map(type, values))
        shortcut = _typed(col, values, types)
        if shortcut is not None:
            typed[col.spec.name] = col
            raw_cols[f"__v_{col.spec.name}"], raw_cols[f"__bad_{col.spec.name}"] = shortcut
            continue
        raw, non_str = _column_series(col, values, types)
        raw_cols[col.spec.name] = raw
        if non_str is not None:
            raw_cols[f"__nonstr_{col.spec.name}"] = non_str
            non_str_cols.append(f"__nonstr_{col.spec.name}")
    by_number = dict(numbered)
    return _Source(
        layout, numbers, raw_cols, typed, non_str_cols, lambda nums: {k: by_number[k] for k in nums}
    )


# --- xlsx through fastexcel ------------------------------------------------------------------------

_CELL_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF_RE = re.compile(rb'\br="[A-Z]+([0-9]+)"')
_VALUE_RE = re.compile(rb"<(?:\w+:)?(?:v|is)\b")
_HEAD_BYTES = 1 << 20
_NOT_A_NAME = re.compile(r"^\s*$|^[+-]?[0-9.]+([eE][+-]?[0-9]+)?$|^(true|false)$|^[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FX_TYPES = {"string", "float", "boolean", "datetime", "null"}


def _first_value_row(path: Path) -> int | None:
    """The 1-based row of the first cell holding a value in the first sheet (what fastexcel takes as
    its header row: it drops leading empty rows), or None when that is not plain to see."""
    try:
        with zipfile.ZipFile(path) as z:
            book = z.read("xl/workbook.xml")
            first = re.search(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", book)
            rels = z.read("xl/_rels/workbook.xml.rels")
            if first is None:
                return None
            target = None
            for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
                if re.search(rb'\bId="' + re.escape(first[1]) + rb'"', rel[0]):
                    found = re.search(rb'\bTarget="([^"]+)"', rel[0])
                    target = found[1].decode() if found else None
            if target is None:
                return None
            name = target.lstrip("/") if target.startswith("/") else "xl/" + target
            with z.open(name) as sheet:
                head = sheet.read(_HEAD_BYTES)
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    data = head.split(b"<sheetData", 1)
    if len(data) != 2:
        return None
    for cell in _CELL_RE.finditer(data[1]):
        if cell[3] is not None and _VALUE_RE.search(cell[3]):
            ref = _REF_RE.search(cell[1])
            return int(ref[1]) if ref else None
    return None


def _xlsx_source(path: Path) -> _Source | None:
    """The first sheet read by fastexcel straight into Arrow columns, or None (the row reader's path)
    unless the result is plainly what `read_raw` would give: every column of one type (strict
    coercion), the header row found where `find_layout` finds it, headers that are distinct text."""
    import fastexcel

    header_row = _first_value_row(path)
    if header_row is None:
        return None
    logger = logging.getLogger("fastexcel")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "could not determine dtype" for empty columns: they stay null
    try:
        sheet = fastexcel.read_excel(str(path)).load_sheet(
            0, header_row=0, skip_rows=0, schema_sample_rows=None, dtype_coercion="strict"
        )
        infos = sheet.available_columns()
        frame = pl.from_arrow(sheet.to_arrow())
    except Exception:  # mixed types in a column, or anything fastexcel cannot do: the row reader decides
        return None
    finally:
        logger.setLevel(level)
    names = [c.name for c in infos]
    if (
        not isinstance(frame, pl.DataFrame)
        or frame.columns != names
        or any(c.column_name_from != "looked_up" or c.dtype not in _FX_TYPES for c in infos)
        or any(_NOT_A_NAME.match(n) or n != n.strip() for n in names)
        or any(re.match(r"^(.*)_[0-9]+$", n) and re.match(r"^(.*)_[0-9]+$", n)[1] in names for n in names)
    ):
        return None
    frame = frame.with_columns(
        pl.col(c).cast(pl.String) for c, i in zip(frame.columns, infos, strict=True) if i.dtype == "null"
    )
    first_row = list(frame.row(0)) if frame.height else []
    layout = find_layout([names, first_row])
    if any(
        col.spec.kind is not Kind.DATE
        and frame.schema[names[col.index]] not in (pl.String, pl.Float64, pl.Boolean)
        for col in layout.columns
    ):
        return None  # a date where text or a number belongs: leave the reasons to the row reader
    if any(frame.schema[n] == pl.Float64 and not frame[n].drop_nulls().is_finite().all() for n in names):
        return (
            None  # Excel numbers are finite: NaN/inf came from text such as "NaN" that the row reader quotes
        )
    filled = [
        (
            pl.col(n).str.replace_all(_PY_ONLY_SPACE, "").str.strip_chars() != ""
            if frame.schema[n] == pl.String
            else pl.col(n).is_not_null()
        ).fill_null(False)
        for n in names
    ]
    skip = layout.first_data - 1  # 1 when a second header row follows the first
    frame = (
        frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).add(header_row + 1).alias(ROW))
        .slice(skip)
        .filter(pl.any_horizontal([pl.lit(False), *filled]))
    )
    numbers = frame.get_column(ROW).to_list()
    raw_cols, non_str_cols, typed = {}, [], {}
    for col in layout.columns:
        s = frame.get_column(names[col.index]).alias(col.spec.name)
        if s.dtype == pl.String:
            raw_cols[col.spec.name] = s
            continue
        shortcut = _typed_series(col, s)
        if shortcut is not None:
            typed[col.spec.name] = col
            raw_cols[f"__v_{col.spec.name}"], raw_cols[f"__bad_{col.spec.name}"] = shortcut
            continue
        raw_cols[col.spec.name] = s.cast(pl.String)  # flagged below: only the row reader reads these
        raw_cols[f"__nonstr_{col.spec.name}"] = s.is_not_null()
        non_str_cols.append(f"__nonstr_{col.spec.name}")

    def cells_of(nums: list[int]) -> dict[int, Sequence[object]]:
        sub = frame.filter(pl.col(ROW).is_in(nums))
        return {row[-1]: row[:-1] for row in sub.rows()}

    return _Source(layout, numbers, raw_cols, typed, non_str_cols, cells_of)


def read_table(path: str | Path) -> TableResult:
    """Read a template file into a typed DataFrame of its valid rows plus the errors of the others.
    TemplateError for a file beyond the limits (template.limits), before it is unpacked."""
    if Path(path).is_file():
        within_limits(Path(path))
    source = _xlsx_source(Path(path)) if Path(path).suffix.lower() == ".xlsx" else None
    if source is None:
        source = _rows_source(path)
    layout, numbers, typed, non_str_cols = source.layout, source.numbers, source.typed, source.non_str_cols
    file = Path(path).name
    headers = {col.spec.name: col.header for col in layout.columns}
    n = len(numbers)
    if n == 0:
        return TableResult(pl.DataFrame(schema=SCHEMA), [], layout.unknown_headers, 0, headers)
    frame = pl.DataFrame(source.columns).with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))
    names = [col.spec.name for col in layout.columns if col.spec.name not in typed]
    # Stage by stage, so that no expression is evaluated twice: strip, parse, then compare.
    py_space = pl.any_horizontal([pl.lit(False), *[pl.col(n).str.contains(_PY_ONLY_SPACE) for n in names]])
    py_space = py_space.fill_null(False)
    stripped = [pl.col(n).str.strip_chars() for n in names]
    frame = frame.with_columns(py_space.alias("__py_space")).with_columns(
        pl.when(s != "").then(s).alias(n) for s, n in zip(stripped, names, strict=True)
    )
    frame = frame.with_columns(
        _fast(pl.col(c.spec.name), c.spec, c.scale).alias(f"__v_{c.spec.name}")
        for c in layout.columns
        if c.spec.name not in typed
    )
    bad = [pl.col(n).is_not_null() & pl.col(f"__v_{n}").is_null() for n in names]
    bad += [pl.col(f"__bad_{n}") for n in typed]
    bad += [pl.col("__py_space"), *[pl.col(n) for n in non_str_cols]]
    present = {c.spec.name for c in layout.columns}
    out = frame.select(
        pl.col(ROW),
        *[pl.col(f"__v_{c.spec.name}").alias(c.spec.name) for c in layout.columns],
        *[pl.lit(None, dtype=DTYPES[s.kind]).alias(s.name) for s in FIELD_SPECS if s.name not in present],
        pl.any_horizontal(bad).alias("__bad"),
    )
    cross = [
        (pl.col(rule.small) > pl.col(rule.big)).fill_null(False)
        for rule in CROSS_RULES
        if {rule.small, rule.big} <= present
    ]  # rows breaking a rule are re-read by parse_row, which words the error
    out = out.with_columns(
        pl.any_horizontal([pl.col("__bad"), *cross, pl.col("credit_code").is_null()]).alias("__bad")
    )
    # EnterpriseFacts.name defaults to "" (not None): keep the table equal to the row reader's facts
    good = out.filter(~pl.col("__bad")).select(list(SCHEMA)).with_columns(pl.col("name").fill_null(""))
    slow_rows = out.filter(pl.col("__bad")).get_column(ROW).to_list()
    errors: dict[int, list[RowError]] = {}
    raw_names: dict[int, tuple] = {}
    recovered = []
    codes: dict[int, str | None] = dict(
        zip(good.get_column(ROW).to_list(), good.get_column("credit_code").to_list(), strict=True)
    )
    code_col = next(c for c in layout.columns if c.spec.name == "credit_code")
    if slow_rows:
        cells = source.cells_of(slow_rows)
        for num in slow_rows:
            record = parse_row(cells[num], layout.columns, file, num)
            if record.facts is None:
                errors[num] = list(record.errors)
                raw_names[num] = tuple(
                    _raw_text(cells[num], layout.columns, f) for f in ("credit_code", "name")
                )
                codes[num] = code_of(cells[num], code_col)
            else:
                recovered.append({ROW: num, **record.facts.as_dict()})
                codes[num] = record.facts.credit_code
    if recovered:
        good = pl.concat([good, pl.DataFrame(recovered, schema=SCHEMA)]).sort(ROW)
    # the same rule as read_template: a later row repeating a credit code is an error, the first is read
    dups = duplicate_rows(sorted(codes.items())) if good.height + len(errors) > 1 else {}
    if dups:
        moved = good.filter(pl.col(ROW).is_in(list(dups)))
        for num, code, name in moved.select(ROW, "credit_code", "name").iter_rows():
            errors[num] = []
            raw_names[num] = (code, name or None)
        good = good.filter(~pl.col(ROW).is_in(list(dups)))
        for num, first in dups.items():
            errors[num].append(duplicate_error(file, num, code_col.header, first))
    flat = [e for num in sorted(errors) for e in errors[num]]
    return TableResult(good.cast(SCHEMA), flat, layout.unknown_headers, n, headers, numbers, raw_names)


def _raw_text(cells, columns: list[Column], name: str) -> str | None:
    """A cell of a failed row as text, to name the firm in error reports."""
    for col in columns:
        if col.spec.name == name and col.index < len(cells) and not is_blank(cells[col.index]):
            return str(cells[col.index]).strip()
    return None
