"""The Spark backend of the rule operations (`core.ops.Ops`): the same formulas over a Spark DataFrame.

Each method mirrors `polars_ops.PolarsOps`, null for null (the Polars backend is the reference: the tests
compare the two row by row). Integers are `long`; where Polars switches to Int128 (growth rates, unusual
denominators) Spark uses `decimal(38,0)`, exact. Optional: `pip install 'gaoqi[spark]'` (PySpark and a Java
17 runtime); nothing else in the engine imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from functools import reduce
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F

from gaoqi.policy.bulk.polars_ops import SAFE_DENOMINATOR
from gaoqi.policy.core.bands import Bands
from gaoqi.policy.core.ops import Ops

WIDE = "decimal(38,0)"


def _floor_div(x: Column, y: Column) -> Column:
    """x // y exactly, as Python floors it. Spark's decimal division rounds its quotient HALF_UP to 6 places, so
    floor(x / y) of 49,999,999 / 10,000,000 gave 5: subtract the remainder first (pmod has the sign of y, like
    Python's %), and the division left is exact."""
    return ((x - F.pmod(x, y)) / y).cast("bigint")


def _wide_needed(*fractions: Fraction) -> bool:
    big = max((max(f.denominator, abs(f.numerator)) for f in fractions), default=1)
    return big > SAFE_DENOMINATOR


def _type_of(values: Sequence[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return "boolean"
    if kinds <= {int}:
        return "bigint"
    return "string"


def col_expr(value: Any) -> Column:
    """A Python constant as a typed literal; columns pass through."""
    if isinstance(value, Column):
        return value
    if value is None:
        return F.lit(None)
    if isinstance(value, bool):
        return F.lit(value)
    if isinstance(value, int):
        return F.lit(value).cast("bigint")
    if isinstance(value, date):  # py4j's date conversion fails before year 1000 (date.min fills nulls)
        return F.lit(value.isoformat()).cast("date")
    return F.lit(value)


def _cond(x: Any) -> Column:
    return F.coalesce(x, F.lit(False)) if isinstance(x, Column) else F.lit(bool(x))


def _typed_null(kind: str) -> Column:
    return F.lit(None).cast(kind)


class SparkOps(Ops):
    name = "spark"

    def lit(self, value):
        return col_expr(value)

    def where(self, cond, then, otherwise):
        if not isinstance(cond, Column):
            return then if cond else otherwise
        kind = None
        for branch in (then, otherwise):
            if branch is not None and not isinstance(branch, Column):
                kind = _type_of([branch])
        then_c = _typed_null(kind) if then is None and kind else col_expr(then)
        other_c = _typed_null(kind) if otherwise is None and kind else col_expr(otherwise)
        return F.when(cond, then_c).otherwise(other_c)

    def not_(self, x):
        return ~_cond(x)

    def all_(self, *xs):
        return reduce(lambda a, b: a & b, [_cond(x) for x in xs])

    def any_(self, *xs):
        return reduce(lambda a, b: a | b, [_cond(x) for x in xs])

    def max_(self, *xs):
        return F.greatest(*[col_expr(x) for x in xs]) if len(xs) > 1 else col_expr(xs[0])

    def min_(self, *xs):
        return F.least(*[col_expr(x) for x in xs]) if len(xs) > 1 else col_expr(xs[0])

    def sum_(self, xs):
        # Polars' sum_horizontal skips nulls (all null: 0)
        return reduce(lambda a, b: a + b, [F.coalesce(col_expr(x), F.lit(0).cast("bigint")) for x in xs])

    def floordiv(self, a, b):
        return _floor_div(col_expr(a).cast(WIDE), F.lit(b).cast(WIDE))

    def wide(self, x):
        return col_expr(x).cast(WIDE)

    def clip(self, x, low, high):
        x = col_expr(x)
        return F.when(x.isNull(), x).otherwise(F.least(F.greatest(x, F.lit(low)), F.lit(high)).cast("bigint"))

    def year_of(self, d):
        return F.year(col_expr(d)).cast("bigint")

    def fill_null(self, x, value):
        return F.coalesce(col_expr(x), col_expr(value))

    def is_null(self, x):
        return col_expr(x).isNull()

    def is_in(self, x, values):
        return F.coalesce(col_expr(x).isin(list(values)), F.lit(False))

    def prefix_in(self, text, length, prefixes):
        return F.coalesce(F.upper(F.substring(col_expr(text), 1, length)).isin(list(prefixes)), F.lit(False))

    def ratio_at_least(self, a, b, t, strict=False):
        kind = WIDE if _wide_needed(t) else "bigint"
        left = col_expr(a).cast(kind) * F.lit(t.denominator).cast(kind)
        right = col_expr(b).cast(kind) * F.lit(t.numerator).cast(kind)
        return (col_expr(b) > 0) & (left > right if strict else left >= right)

    def band(self, bands: Bands, a, b=None, shift=0):
        last = len(bands.rows) - 1
        a = col_expr(a)
        if b is None:
            guard = a.isNotNull()
        elif shift:
            b = col_expr(b).cast(WIDE)
            sign = F.when(b < 0, F.lit(-1)).otherwise(F.lit(1)).cast(WIDE)
            a, b = a.cast(WIDE) * sign, b * sign
            guard = b != 0
        else:
            b = col_expr(b)
            guard = b > 0
        rows = []
        for i, row in enumerate(bands.rows):
            if row.lower is None:
                break
            rows.append((i, row))
        found = None
        for i, row in reversed(rows):  # nested from the last: the first row that holds wins
            k = row.lower + shift
            kind = WIDE if shift or _wide_needed(k) else "bigint"
            left = a.cast(kind) * F.lit(k.denominator).cast(kind)
            right = (
                F.lit(k.numerator).cast(kind) if b is None else b.cast(kind) * F.lit(k.numerator).cast(kind)
            )
            cond = left > right if row.strict else left >= right
            found = F.when(cond, F.lit(i)).otherwise(F.lit(last) if found is None else found)
        found = F.lit(last) if found is None else found
        return F.when(guard, found).otherwise(F.lit(last)).cast("int")

    def pick(self, index, values):
        kind = _type_of(values)
        items = [_typed_null(kind) if v is None else F.lit(v).cast(kind) for v in values]
        return F.element_at(F.array(*items), (col_expr(index) + 1).cast("int"))

    def shown_ratio(self, a, b):
        a, b = col_expr(a), col_expr(b)
        k = _floor_div(a.cast(WIDE) * F.lit(10_000).cast(WIDE), b.cast(WIDE))
        return F.when(b > 0, k.cast("double") / F.lit(10_000.0))

    def exceeds(self, a, b):
        return F.coalesce(col_expr(a) > col_expr(b), F.lit(False))

    def outside(self, x, low, high):
        x = col_expr(x)
        parts = []
        if low is not None:
            parts.append(x < F.lit(low))
        if high is not None:
            parts.append(x > F.lit(high))
        cond = reduce(lambda p, q: p | q, parts) if parts else F.lit(False)
        return F.coalesce(cond, F.lit(False))


SPARK = SparkOps()
