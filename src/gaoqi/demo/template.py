"""The synthetic data set in the evaluation-template format (shared INPUT-TEMPLATE.md): one row per firm.

Columns are exactly the template's English headers (the optional expert columns are left out).
Cells are blank where the firm did not exist in that accounting year.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gaoqi.demo.generator import Dataset
from gaoqi.policy.core.facts import FIELD_SPECS, Kind

# The template's columns, from the engine's one field schema (the optional expert columns are left out).
TEMPLATE_COLUMNS = tuple(s.name for s in FIELD_SPECS if not s.name.startswith("expert_"))
# Reported per year by the generator, a three-year total in the template ("近三年").
_THREE_YEAR_TOTALS = ("achievement_conversions",)
# Template facts the generator models under another name.
_FIRM_FACTS = {"has_hte_certificate": "hte_valid"}


def to_frame(ds: Dataset) -> pl.DataFrame:
    """One row per firm, a column per template field (FIELD_SPECS): a yearly fact from its stem's year, any
    other figure from the latest accounting year, yes/no facts from the firm. Facts the generator does not
    model (super-deduction base, class II IP already used, research misconduct) are blank: not reported."""
    f, y, active = ds.firm, ds.yearly, ds.filed  # blank where no report was filed
    cols: dict[str, pl.Series] = {
        "credit_code": pl.Series(f["credit_code"]),
        "name": pl.Series(f["name"]),
        "region_code": pl.Series(f["county"]),
        "founded_on": pl.Series(f["founded_on"]).cast(pl.Date),
        "tech_field": pl.Series(f["tech_field"]).replace("", None),
    }

    def masked(values: np.ndarray, mask: np.ndarray) -> pl.Series:
        return pl.Series(values).zip_with(pl.Series(mask), pl.Series([None], dtype=pl.Int64))

    for spec in FIELD_SPECS:
        name = spec.name
        if name in cols or name not in TEMPLATE_COLUMNS:
            continue
        if spec.year is not None and spec.stem in y:
            cols[name] = masked(y[spec.stem][:, spec.year - 1], active[:, spec.year - 1])
        elif name in _THREE_YEAR_TOTALS:
            total = np.where(active, y[name], 0).sum(axis=1)
            cols[name] = masked(total, active.any(axis=1))
        elif spec.year is None and name in y:
            cols[name] = masked(y[name][:, 2], active[:, 2])
        elif spec.kind is Kind.BOOL and _FIRM_FACTS.get(name, name) in f:
            cols[name] = pl.Series(f[_FIRM_FACTS.get(name, name)])
        else:
            cols[name] = pl.Series([None] * ds.n, dtype=pl.Boolean if spec.kind is Kind.BOOL else pl.Int64)
    return pl.DataFrame({c: cols[c].alias(c) for c in TEMPLATE_COLUMNS})


def write(ds: Dataset, path: str | Path, fmt: str | None = None) -> Path:
    """Write the data set as .parquet or .csv (UTF-8, booleans as true/false, blank = not reported)."""
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = to_frame(ds)
    if fmt == "parquet":
        frame.write_parquet(path)
    elif fmt == "csv":
        frame.write_csv(path)
    else:
        raise ValueError(f"unknown format {fmt!r}: use parquet or csv")
    return path
