"""Band tables and exact ratio arithmetic.

Every threshold is held as a `Fraction` (30% -> 3/10) and every comparison of a ratio a/b with it is done
in integers (a * den >= b * num), so a firm exactly on a band edge always lands on the documented side;
no float division is ever used for a decision. Floats never enter: YAML numbers are read via `str`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from functools import lru_cache

PERCENT = "percent"
COUNT = "count"

RATIO_PLACES = Decimal("0.0001")


def ratio_ge(a: int, b: int, threshold: Fraction) -> bool:
    """a / b >= threshold, exactly; b must be > 0."""
    return a * threshold.denominator >= b * threshold.numerator


def ratio_gt(a: int, b: int, threshold: Fraction) -> bool:
    """a / b > threshold, exactly; b must be > 0."""
    return a * threshold.denominator > b * threshold.numerator


def shown_ratio(a: int, b: int) -> Decimal | None:
    """a / b for display, rounded DOWN to 4 places (0.049999 shows 0.0499, never 0.0500).

    Rounding down keeps what is shown consistent with "at least" decisions on thresholds with up to four
    decimal places: a shown value reaches such a threshold exactly when the true value does.
    """
    if b <= 0:
        return None
    return (Decimal(a) / Decimal(b)).quantize(RATIO_PLACES, rounding=ROUND_FLOOR)


def shown_fraction(value: Fraction) -> Decimal:
    """A Fraction for display, rounded down to 4 places (see `shown_ratio`)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        RATIO_PLACES, rounding=ROUND_FLOOR
    )


def min_add_for_ratio(a: int, b: int, threshold: Fraction, coupled: bool) -> int:
    """Smallest integer x >= 0 with (a + x) / (b + x if coupled else b) >= threshold.

    `coupled` models additions that enlarge the denominator too (a new tech person is also a new employee;
    new R&D spending is also a cost). Returns -1 when no x reaches it (coupled and threshold >= 1 while
    a < b, which cannot happen for our sub-100% thresholds but is guarded anyway).
    """
    n, d = threshold.numerator, threshold.denominator
    if b <= 0:
        # No denominator yet: only a coupled addition creates one, and then (a + 1) / 1 >= 1.
        return 1 if coupled and n <= d else -1
    if a * d >= b * n:
        return 0
    if not coupled:
        return math.ceil(Fraction(b * n - a * d, d))
    if n >= d:
        return -1
    # (a + x) d >= (b + x) n  <=>  x (d - n) >= b n - a d
    return math.ceil(Fraction(b * n - a * d, d - n))


def min_add_for_band(a: int, b: int, lower: Fraction, strict: bool, coupled: bool) -> int:
    """Like `min_add_for_ratio`, for a band edge that may be strict (ratio > lower)."""
    x = min_add_for_ratio(a, b, lower, coupled)
    if x >= 0 and strict:
        bb = b + x if coupled else b
        if bb > 0 and (a + x) * lower.denominator == bb * lower.numerator:
            x += 1
    return x


@lru_cache(maxsize=1024)
def pct_text(value: Fraction) -> str:
    """3/10 -> '30%', 1/40 -> '2.5%'."""
    dec = Decimal(value.numerator * 100) / Decimal(value.denominator)
    text = format(dec.normalize(), "f")
    return f"{text}%"


def num_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return format((Decimal(value.numerator) / Decimal(value.denominator)).normalize(), "f")


@dataclass(frozen=True, slots=True)
class Band:
    """One row of a band table: value >= lower (or > lower when strict) earns points_min..points_max.

    `lower is None` is the final "otherwise" row.
    """

    lower: Fraction | None
    strict: bool
    points_min: int
    points_max: int
    label: str
    label_en: str = ""

    def to_data(self, kind: str) -> dict:
        pts = self.points_min if self.points_min == self.points_max else [self.points_min, self.points_max]
        if self.lower is None:
            return {"otherwise": pts, "label": self.label, "label_en": self.label_en}
        raw = self.lower * 100 if kind == PERCENT else self.lower
        key = "above" if self.strict else "at_least"
        return {key: num_text(raw), "points": pts, "label": self.label, "label_en": self.label_en}


@dataclass(frozen=True, slots=True)
class Bands:
    """A descending band table (kind PERCENT: thresholds are ratios; COUNT: plain numbers)."""

    kind: str
    rows: tuple[Band, ...]

    def index_for_ratio(self, a: int, b: int) -> int:
        """Index of the band a/b falls in; b <= 0 means "no ratio" and gives the last row."""
        if b <= 0:
            return len(self.rows) - 1
        for i, row in enumerate(self.rows):
            if row.lower is None:
                return i
            if ratio_gt(a, b, row.lower) if row.strict else ratio_ge(a, b, row.lower):
                return i
        return len(self.rows) - 1

    def index_for(self, value: Fraction | int | None) -> int:
        if value is None:
            return len(self.rows) - 1
        for i, row in enumerate(self.rows):
            if row.lower is None:
                return i
            if (value > row.lower) if row.strict else (value >= row.lower):
                return i
        return len(self.rows) - 1

    def to_data(self) -> list[dict]:
        return [row.to_data(self.kind) for row in self.rows]

    @property
    def labels(self) -> tuple[tuple[str, str], ...]:
        """(zh, en) of every row, for criteria that report a band."""
        return tuple((r.label, r.label_en) for r in self.rows)


def parse_number(raw: object) -> Fraction:
    """YAML number or numeric string -> exact Fraction (via its text, never via float arithmetic)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"expected a number, got {raw!r}")
    try:
        value = Fraction(str(raw).strip().rstrip("%"))
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"expected a number, got {raw!r}") from None
    return value


def _parse_points(raw: object) -> tuple[int, int]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw, raw
    if (
        isinstance(raw, list | tuple)
        and len(raw) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in raw)
        and 0 <= raw[0] <= raw[1]
    ):
        return raw[0], raw[1]
    raise ValueError(f"points must be an integer or [min, max], got {raw!r}")


def parse_bands(raw: object, kind: str) -> Bands:
    """Validate a YAML band list: descending thresholds, ending with exactly one `otherwise` row."""
    if not isinstance(raw, list | tuple) or not raw:
        raise ValueError("a band table must be a non-empty list")
    rows: list[Band] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"band {i + 1}: expected a mapping")
        keys = set(item)
        label, label_en = item.get("label"), item.get("label_en")
        if any(x is not None and not isinstance(x, str) for x in (label, label_en)):
            raise ValueError(f"band {i + 1}: label must be text")
        keys -= {"label_en"}
        if "otherwise" in keys:
            if keys - {"otherwise", "label"}:
                raise ValueError(f"band {i + 1}: unexpected keys {sorted(keys - {'otherwise', 'label'})}")
            if i != len(raw) - 1:
                raise ValueError("the `otherwise` band must be the last one")
            lo, hi = _parse_points(item["otherwise"])
            if rows and (lo > rows[-1].points_min or hi > rows[-1].points_max):
                raise ValueError("the `otherwise` band must not give more points than the bands above it")
            rows.append(Band(None, False, lo, hi, label or "其他", label_en or "other"))
            continue
        bound_keys = keys & {"at_least", "above"}
        if len(bound_keys) != 1 or keys - {"at_least", "above", "points", "label"} or "points" not in keys:
            raise ValueError(f"band {i + 1}: needs exactly one of at_least/above, and points")
        key = bound_keys.pop()
        number = parse_number(item[key])
        lower = number / 100 if kind == PERCENT else number
        if rows and rows[-1].lower is not None and not lower < rows[-1].lower:
            raise ValueError(f"band {i + 1}: thresholds must strictly decrease")
        lo, hi = _parse_points(item["points"])
        if rows and (lo > rows[-1].points_min or hi > rows[-1].points_max):
            raise ValueError(f"band {i + 1}: points must not increase as thresholds decrease")
        sign = ">" if key == "above" else "≥"
        shown = pct_text(lower) if kind == PERCENT else num_text(lower)
        words = "above" if key == "above" else "at least"
        rows.append(
            Band(lower, key == "above", lo, hi, label or f"{sign}{shown}", label_en or f"{words} {shown}")
        )
    if rows[-1].lower is not None:
        raise ValueError("a band table must end with an `otherwise` row")
    return Bands(kind, tuple(rows))
