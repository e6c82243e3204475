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
# Facts the generator does not model (super-deduction base, class II IP already used, research misconduct):
# blank, i.e. not reported.
_NOT_MODELLED = ("rnd_expense_deductible_y3", "ip_class2_used", "research_misconduct")
_BY_YEAR = ("revenue", "net_assets", "rnd_expense", "rnd_expense_domestic")
_LATEST = (
    "employees",
    "tech_staff",
    "total_income",
    "hitech_revenue",
    "total_cost",
    "total_assets",
    "ip_class1",
    "ip_class2",
    "standards_led",
)
_FLAGS = (
    "ip_self_developed",
    "major_incident",
    "bad_credit",
    "restricted_industry",
    "national_award_top3",
    "provincial_rnd_institution",
    "led_standard_5y",
)


def to_frame(ds: Dataset) -> pl.DataFrame:
    f, y, active = ds.firm, ds.yearly, ds.active
    cols: dict[str, pl.Series] = {
        "credit_code": pl.Series(f["credit_code"]),
        "name": pl.Series(f["name"]),
        "region_code": pl.Series(f["county"]),
        "founded_on": pl.Series(f["founded_on"]).cast(pl.Date),
        "tech_field": pl.Series(f["tech_field"]).replace("", None),
    }

    def masked(values: np.ndarray, mask: np.ndarray) -> pl.Series:
        return pl.Series(values).zip_with(pl.Series(mask), pl.Series([None], dtype=pl.Int64))

    for stem in _LATEST:
        cols[stem] = masked(y[stem][:, 2], active[:, 2])
    for stem in _BY_YEAR:
        for i in range(3):
            cols[f"{stem}_y{i + 1}"] = masked(y[stem][:, i], active[:, i])
    conversions = np.where(active, y["achievement_conversions"], 0).sum(axis=1)
    cols["achievement_conversions"] = masked(conversions, active.any(axis=1))
    for flag in _FLAGS:
        cols[flag] = pl.Series(f[flag])
    cols["has_hte_certificate"] = pl.Series(f["hte_valid"])
    kinds = {s.name: s.kind for s in FIELD_SPECS}
    for name in _NOT_MODELLED:
        cols[name] = pl.Series(
            [None] * len(f["credit_code"]), dtype=pl.Boolean if kinds[name] is Kind.BOOL else pl.Int64
        )
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
