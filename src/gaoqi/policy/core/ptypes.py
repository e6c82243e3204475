"""Parameter value types: how a YAML value (or a what-if override) is checked and normalised.

Each type has `parse(raw) -> value` (raises ValueError with a readable reason) and `dump(value) -> data`,
the canonical, JSON-ready form used for the parameter hash. Percent values are written in percent points
in YAML and overrides (`10` = 10%) and held as exact Fractions of one (1/10).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gaoqi.policy.core.bands import COUNT, PERCENT, Bands, num_text, parse_bands, parse_number


def _int(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(f"expected an integer, got {raw!r}")
    return raw


def _count(raw: Any) -> int:
    value = _int(raw)
    if value < 0:
        raise ValueError(f"expected an integer >= 0, got {raw!r}")
    return value


def _percent(raw: Any) -> Fraction:
    value = parse_number(raw)
    if not 0 <= value <= 100:
        raise ValueError(f"expected a percentage between 0 and 100, got {raw!r}")
    return value / 100


def _number(raw: Any) -> Fraction:
    return parse_number(raw)


def _bool(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise ValueError(f"expected true or false, got {raw!r}")
    return raw


def _str(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"expected non-empty text, got {raw!r}")
    return raw


def _codes(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple) or not raw:
        raise ValueError("expected a non-empty list of codes")
    codes = tuple(str(c) for c in raw)
    if any(not c.strip() for c in codes) or len(set(codes)) != len(codes):
        raise ValueError("codes must be non-empty and unique")
    return codes


def _bands(kind: str) -> Callable[[Any], Bands]:
    def parse(raw: Any) -> Bands:
        if isinstance(raw, Bands):
            if raw.kind != kind:
                raise ValueError(f"expected a {kind} band table")
            return raw
        return parse_bands(raw, kind)

    return parse


def _points_range(raw: Any) -> tuple[int, int]:
    if (
        isinstance(raw, list | tuple)
        and len(raw) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in raw)
        and 0 <= raw[0] <= raw[1]
    ):
        return int(raw[0]), int(raw[1])
    raise ValueError(f"expected [min, max] points with 0 <= min <= max, got {raw!r}")


@dataclass(frozen=True, slots=True)
class Tier:
    """Up to `up_to` yuan (inclusive; None = any amount above) the required ratio is `required`."""

    up_to: int | None
    required: Fraction

    def to_dict(self) -> dict:
        return _dump_tiers((self,))[0]


def _money_tiers(raw: Any) -> tuple[Tier, ...]:
    if isinstance(raw, tuple) and raw and all(isinstance(t, Tier) for t in raw):
        return raw
    if not isinstance(raw, list) or not raw:
        raise ValueError("expected a list of {up_to, required} tiers ending with {otherwise}")
    tiers: list[Tier] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"tier {i + 1}: expected a mapping")
        if set(item) == {"otherwise"}:
            if i != len(raw) - 1:
                raise ValueError("the `otherwise` tier must be the last one")
            tiers.append(Tier(None, _percent(item["otherwise"])))
            continue
        if set(item) != {"up_to", "required"}:
            raise ValueError(f"tier {i + 1}: expected keys up_to and required")
        up_to = _count(item["up_to"])
        if tiers and not up_to > (tiers[-1].up_to or 0):
            raise ValueError(f"tier {i + 1}: up_to must increase")
        tiers.append(Tier(up_to, _percent(item["required"])))
    if tiers[-1].up_to is not None:
        raise ValueError("the last tier must be {otherwise: <percent>}")
    return tuple(tiers)


def _dump_tiers(value: tuple[Tier, ...]) -> list:
    return [
        {"otherwise": num_text(t.required * 100)}
        if t.up_to is None
        else {"up_to": t.up_to, "required": num_text(t.required * 100)}
        for t in value
    ]


@dataclass(frozen=True, slots=True)
class PType:
    parse: Callable[[Any], Any]
    dump: Callable[[Any], Any]


def _ident(value: Any) -> Any:
    return value


TYPES: dict[str, PType] = {
    "int": PType(_int, _ident),
    "count": PType(_count, _ident),
    "money": PType(_count, _ident),
    "percent": PType(_percent, lambda v: num_text(v * 100)),
    "number": PType(_number, num_text),
    "bool": PType(_bool, _ident),
    "str": PType(_str, _ident),
    "codes": PType(_codes, list),
    "percent_bands": PType(_bands(PERCENT), lambda v: v.to_data()),
    "count_bands": PType(_bands(COUNT), lambda v: v.to_data()),
    "money_tiers": PType(_money_tiers, _dump_tiers),
    "points_range": PType(_points_range, list),
}
