"""The programme's dated process parameters (params.yaml): the value in force on a day, with its source."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

PARAMS_FILE = Path(__file__).with_name("params.yaml")


@dataclass(frozen=True)
class Param:
    name: str
    value: object
    effective_from: date
    source: str
    illustrative: bool


@functools.cache
def _table() -> dict[str, list[Param]]:
    raw = yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8"))
    table = {}
    for name, entries in raw.items():
        rows = []
        for day, spec in entries.items():
            if not isinstance(day, date) or set(spec) - {"value", "source", "illustrative"}:
                raise ValueError(f"{PARAMS_FILE.name}: {name}: bad entry {day!r}")
            rows.append(
                Param(name, spec["value"], day, spec.get("source", ""), bool(spec.get("illustrative")))
            )
        table[name] = sorted(rows, key=lambda p: p.effective_from)
    return table


def param(name: str, on: date) -> Param:
    rows = [p for p in _table()[name] if p.effective_from <= on]
    if not rows:
        raise LookupError(f"no {name} in force on {on}")
    return rows[-1]


def value(name: str, on: date):
    return param(name, on).value
