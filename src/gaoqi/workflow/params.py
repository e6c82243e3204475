"""A programme's dated process parameters: one YAML file per programme (`programmes/<name>/params.yaml`), each
name a list of dated entries (`value`, `source`, `illustrative`); the value in force on a day is the latest entry
effective on or before it. One reader for every programme; each keeps only its YAML and its own helpers."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

ENTRY_KEYS = frozenset({"value", "source", "illustrative"})


@dataclass(frozen=True)
class Param:
    name: str
    value: object
    effective_from: date
    source: str
    illustrative: bool


class DatedParams:
    """The parameters of one YAML file, read once (on first use) and checked entry by entry."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @functools.cached_property
    def table(self) -> dict[str, list[Param]]:
        raw = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        table = {}
        for name, entries in raw.items():
            rows = []
            for day, spec in entries.items():
                if not isinstance(day, date) or set(spec) - ENTRY_KEYS:
                    raise ValueError(f"{self.path.name}: {name}: bad entry {day!r}")
                rows.append(
                    Param(name, spec["value"], day, spec.get("source", ""), bool(spec.get("illustrative")))
                )
            table[name] = sorted(rows, key=lambda p: p.effective_from)
        return table

    def param(self, name: str, on: date) -> Param:
        rows = [p for p in self.table[name] if p.effective_from <= on]
        if not rows:
            raise LookupError(f"no {name} in force on {on}")
        return rows[-1]

    def value(self, name: str, on: date):
        return self.param(name, on).value
