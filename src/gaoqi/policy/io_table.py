"""Reading the evaluation template into a Polars DataFrame, for bulk evaluation.

Same semantics as the row reader (`io_read.read_template`) by construction: each column is parsed
with vectorised expressions that accept only canonical spellings ("1234", "1,234", "1234.0", "是",
"2019-03-05", a valid credit code ...). Any row holding a cell the shortcut does not accept, or
failing a cross-field check, is re-read by `io_read.parse_row`, the single source of truth, which
yields either its values or its `RowError`s. Tests compare both readers on generated files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from itertools import zip_longest
from pathlib import Path

import polars as pl

from gaoqi.policy.facts import FIELD_SPECS, FieldSpec, Kind
from gaoqi.policy.io_cells import COUNT_LIMIT, FALSE_WORDS, MONEY_LIMIT, TRUE_WORDS, WAN, is_blank
from gaoqi.policy.io_read import Column, RowError, data_rows, find_layout, parse_row, read_raw

ROW = "_row"
DTYPES = {
    Kind.TEXT: pl.String,
    Kind.DATE: pl.Date,
    Kind.MONEY: pl.Int64,
    Kind.COUNT: pl.Int64,
    Kind.BOOL: pl.Boolean,
}
SCHEMA: dict[str, pl.DataType] = {ROW: pl.Int64, **{s.name: DTYPES[s.kind] for s in FIELD_SPECS}}

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PY_ONLY_SPACE = "[\x1c-\x1f]"  # whitespace to Python's str.strip but not to Polars: leave to the row reader


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
            pattern = r"^[0-9]{1,9}(\.0*)?$"
        elif scale == WAN:
            pattern = rf"^{sign}[0-9]{{1,9}}(\.[0-9]{{0,4}})?$"
        else:
            pattern = rf"^{sign}[0-9]{{1,13}}(\.0*)?$"
        whole = t.str.extract(r"^(-?[0-9]+)", 1).cast(pl.Int64, strict=False)
        if scale == WAN:
            frac = t.str.extract(r"\.([0-9]*)$", 1).fill_null("").str.pad_end(4, "0").cast(pl.Int64)
            negative = t.str.starts_with("-")
            value = whole.abs() * WAN + frac
            value = pl.when(negative).then(-value).otherwise(value)
        else:
            value = whole
        return pl.when(t.str.contains(pattern)).then(value)
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
    None): (values, cells to leave to the row reader), or None to take the string path. Each rule
    matches io_cells exactly: e.g. a float is integral yuan iff Decimal(repr(x)) is, for |x| < 2^53."""
    kind, name = col.spec.kind, col.spec.name
    types = types - {type(None)}
    if str in types or (bool in types and kind is not Kind.BOOL):
        return None  # strings need the string rules; a boolean where a number belongs is an error
    try:
        s = pl.Series(name, values, strict=False)
    except Exception:  # values Polars cannot type (huge ints, objects): the string path decides
        return None
    dt = s.dtype
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


def read_table(path: str | Path) -> TableResult:
    """Read a template file into a typed DataFrame of its valid rows plus the errors of the others."""
    rows = read_raw(path)
    layout = find_layout(rows)
    file = Path(path).name
    headers = {col.spec.name: col.header for col in layout.columns}
    numbered = list(data_rows(rows, layout))
    n = len(numbered)
    if n == 0:
        return TableResult(pl.DataFrame(schema=SCHEMA), [], layout.unknown_headers, 0, headers)
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
    frame = pl.DataFrame(raw_cols).with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))
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
    cross = pl.lit(False)
    if {"tech_staff", "employees"} <= present:
        cross = cross | (pl.col("tech_staff") > pl.col("employees")).fill_null(False)
    for y in (1, 2, 3):
        if {f"rnd_expense_y{y}", f"rnd_expense_domestic_y{y}"} <= present:
            cross = cross | (pl.col(f"rnd_expense_domestic_y{y}") > pl.col(f"rnd_expense_y{y}")).fill_null(
                False
            )
    out = out.with_columns((pl.col("__bad") | cross | pl.col("credit_code").is_null()).alias("__bad"))
    # EnterpriseFacts.name defaults to "" (not None): keep the table equal to the row reader's facts
    good = out.filter(~pl.col("__bad")).select(list(SCHEMA)).with_columns(pl.col("name").fill_null(""))
    slow_rows = out.filter(pl.col("__bad")).get_column(ROW).to_list()
    errors: list[RowError] = []
    raw_names: dict[int, tuple] = {}
    recovered = []
    if slow_rows:
        position = {num: i for i, num in enumerate(numbers)}
        for num in slow_rows:
            record = parse_row(cells[position[num]], layout.columns, file, num)
            if record.facts is None:
                errors.extend(record.errors)
                raw_names[num] = tuple(
                    _raw_text(cells[position[num]], layout.columns, f) for f in ("credit_code", "name")
                )
            else:
                recovered.append({ROW: num, **record.facts.as_dict()})
    if recovered:
        good = pl.concat([good, pl.DataFrame(recovered, schema=SCHEMA)]).sort(ROW)
    return TableResult(good.cast(SCHEMA), errors, layout.unknown_headers, n, headers, numbers, raw_names)


def _raw_text(cells, columns: list[Column], name: str) -> str | None:
    """A cell of a failed row as text, to name the firm in error reports."""
    for col in columns:
        if col.spec.name == name and col.index < len(cells) and not is_blank(cells[col.index]):
            return str(cells[col.index]).strip()
    return None
