"""The pool programme's dated process parameters (params.yaml): the value in force on a day, with its source.
The same format and reader as the tech-SME programme's."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import yaml

from gaoqi.programmes.tech_sme.params import Param

PARAMS_FILE = Path(__file__).with_name("params.yaml")


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


def intake_window(year: int, on: date | None = None) -> tuple[date, date]:
    """The application window of `year` (the rule in force on its opening day, or on `on`)."""
    rule = value("intake_window", on or date(year, 1, 1))
    opens = date(year, *(int(x) for x in rule["opens"].split("-")))
    closes = date(year, *(int(x) for x in rule["closes"].split("-")))
    return opens, closes


def score_items(on: date) -> list[dict]:
    return [dict(i) for i in value("expert_score_items", on)]
