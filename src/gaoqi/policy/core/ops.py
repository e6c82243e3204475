"""The operations a rule formula may use, and their scalar (per-firm, exact) implementation.

A formula is written once against `Ops` (OpenFisca's model: one formula for one firm or millions). Python's
arithmetic and comparison operators (`+ - * >= <= ==`) already work on ints and on column expressions; what
does not (`and`, `or`, `not`, `if`, `min`, `max`, `//`, `x in y`, null tests, exact ratio tests, band tables)
is a method here. The scalar backend works on Python ints, dates, bools and exact `Fraction`s; the Polars backend
(`gaoqi.policy.bulk.polars_ops`) on expressions; a third backend (Spark) implements the same methods.

Null ("not reported") rules, identical in every backend:
- `not_`, `all_`, `any_` see a null as False; `where` takes the `otherwise` branch for a null condition;
- comparisons of a null give null (False in a condition): formulas run only on rows that passed validation,
  where every required field is present, and optional fields are read with `fill_null`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from gaoqi.policy.core.bands import Bands, shown_ratio


class Ops:
    """The interface (documentation of the contract; each backend implements every method)."""

    name = "abstract"

    def lit(self, value: Any) -> Any: ...
    def where(self, cond: Any, then: Any, otherwise: Any) -> Any: ...
    def not_(self, x: Any) -> Any: ...
    def all_(self, *xs: Any) -> Any: ...
    def any_(self, *xs: Any) -> Any: ...
    def max_(self, *xs: Any) -> Any: ...
    def min_(self, *xs: Any) -> Any: ...
    def sum_(self, xs: Sequence[Any]) -> Any: ...
    def floordiv(self, a: Any, b: int) -> Any: ...
    def wide(self, x: Any) -> Any: ...
    def clip(self, x: Any, low: int, high: int) -> Any: ...
    def year_of(self, d: Any) -> Any: ...
    def fill_null(self, x: Any, value: Any) -> Any: ...
    def is_null(self, x: Any) -> Any: ...
    def is_in(self, x: Any, values: Sequence[Any]) -> Any: ...
    def prefix_in(self, text: Any, length: int, prefixes: Sequence[str]) -> Any: ...
    def ratio_at_least(self, a: Any, b: Any, t: Fraction, strict: bool = False) -> Any: ...
    def band(self, bands: Bands, a: Any, b: Any = None, shift: int = 0) -> Any: ...
    def pick(self, index: Any, values: Sequence[Any]) -> Any: ...
    def shown_ratio(self, a: Any, b: Any) -> Any: ...
    def exceeds(self, a: Any, b: Any) -> Any: ...
    def outside(self, x: Any, low: int | None, high: int | None) -> Any: ...


def _falsy_null(x: Any) -> bool:
    return bool(x) if x is not None else False


class ScalarOps(Ops):
    """One firm: Python values, exact integer/Fraction arithmetic."""

    name = "scalar"

    def lit(self, value):
        return value

    def where(self, cond, then, otherwise):
        return then if _falsy_null(cond) else otherwise

    def not_(self, x):
        return not _falsy_null(x)

    def all_(self, *xs):
        for x in xs:
            if x is None or not x:
                return False
        return True

    def any_(self, *xs):
        for x in xs:
            if x is not None and x:
                return True
        return False

    def max_(self, *xs):
        return max(xs)

    def min_(self, *xs):
        return min(xs)

    def sum_(self, xs):
        return sum(xs)

    def floordiv(self, a, b):
        """a // b rounded toward minus infinity (Python's `//`; Spark columns have no `//`)."""
        return a // b

    def wide(self, x):
        """Products of amounts need more than 64 bits in a fixed-width backend; Python ints have no limit."""
        return x

    def clip(self, x, low, high):
        return max(low, min(high, x))

    def year_of(self, d):
        return d.year

    def fill_null(self, x, value):
        return value if x is None else x

    def is_null(self, x):
        return x is None

    def is_in(self, x, values):
        return x is not None and x in values

    def prefix_in(self, text, length, prefixes):
        return text is not None and len(text) >= length and text[:length].upper() in prefixes

    def ratio_at_least(self, a, b, t, strict=False):
        """a / b >= t (> t when strict), exactly; False when b <= 0 (no ratio)."""
        if b <= 0:
            return False
        left, right = a * t.denominator, b * t.numerator
        return left > right if strict else left >= right

    def band(self, bands, a, b=None, shift=0):
        """Index of the band row of a (or of a / b, b != 0; b <= 0 without `shift` gives the last row).

        `shift` compares a / b - shift with the bands (growth rates: (v2/v1 + v3/v2) / 2 - 1 held as a
        numerator and a denominator); with a shift the denominator may be negative (the sign is normalised).
        """
        if b is None:
            return bands.index_for(a)
        if shift == 0:
            return bands.index_for_ratio(a, b)
        if b == 0:
            return len(bands.rows) - 1
        return bands.index_for(Fraction(a, b) - shift)

    def pick(self, index, values):
        return values[index]

    def shown_ratio(self, a, b) -> Decimal | None:
        return shown_ratio(a, b)

    def exceeds(self, a, b):
        return a is not None and b is not None and a > b

    def outside(self, x, low, high):
        if x is None:
            return False
        return (low is not None and x < low) or (high is not None and x > high)


SCALAR = ScalarOps()
