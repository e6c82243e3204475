"""Row-level items derived from a `Dataset`: IP items (consistent with the yearly IP counts) and certificates.

Deterministic: the random draws use their own generator seeded from the data set's key (seed and size, and
the part's index for a part of a large set). Numbers follow the firm's (and item's) position in the whole set,
so the parts of a large set never repeat one.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from gaoqi.demo.generator import DAY, Dataset, _dates

CLASS1_KINDS = (
    ("invention_patent", 0.93),
    ("ic_layout", 0.03),
    ("plant_variety", 0.01),
    ("crop_variety", 0.01),
    ("new_drug", 0.01),
    ("tcm_protected", 0.01),
)
CLASS2_KINDS = (("utility_model", 0.62), ("software_copyright", 0.28), ("design", 0.10))
LIFE_YEARS = {
    "invention_patent": 20,
    "utility_model": 10,
    "design": 15,
    "software_copyright": 50,
    "ic_layout": 10,
    "plant_variety": 20,
    "crop_variety": 15,
    "new_drug": 20,
    "tcm_protected": 30,
}
TITLE_WORDS = ("一种", "基于", "高效", "智能", "新型", "用于", "低功耗", "多层")
TITLE_OBJECTS = (
    "检测装置",
    "控制方法",
    "复合材料",
    "数据处理系统",
    "传感器",
    "制备方法",
    "散热结构",
    "驱动电路",
    "管理软件",
    "加工设备",
)


KINDS = tuple(k for k, _p in CLASS1_KINDS + CLASS2_KINDS)  # an item's kind: its index here
PATENT_DIGIT = {"invention_patent": "1", "utility_model": "2", "design": "3"}


def _number(kind: str, year: int, serial: int) -> str:
    """One item's number (the per-item form of `_numbers`; the tests hold the two equal)."""
    if kind == "invention_patent":
        return f"ZL{year}1{serial:07d}.{serial % 10}"
    if kind == "utility_model":
        return f"ZL{year}2{serial:07d}.{serial % 10}"
    if kind == "design":
        return f"ZL{year}3{serial:07d}.{serial % 10}"
    if kind == "software_copyright":
        return f"{year}SR{serial:07d}"
    return f"{kind[:3].upper()}{year}{serial:08d}"


def _numbers(kind: np.ndarray, year: np.ndarray, serial: np.ndarray) -> pl.Series:
    """`_number` of every item (kind: indexes into KINDS), vectorised: Polars string columns instead of a
    Python string per item. A number is prefix + year + middle + serial (7 or 8 digits, at least) + suffix."""

    def per_kind(values) -> pl.Expr:
        return pl.lit(pl.Series(values, dtype=pl.String)).gather(pl.col("kind"))

    patent = [k in PATENT_DIGIT for k in KINDS]
    other = [k not in PATENT_DIGIT and k != "software_copyright" for k in KINDS]
    digits = pl.col("serial").cast(pl.String)
    number = pl.concat_str(
        [
            per_kind(
                [
                    "ZL" if p else k[:3].upper() if o else ""
                    for k, p, o in zip(KINDS, patent, other, strict=True)
                ]
            ),
            pl.col("year").cast(pl.String),
            per_kind([PATENT_DIGIT.get(k, "SR" if k == "software_copyright" else "") for k in KINDS]),
            pl.when(pl.lit(pl.Series(other)).gather(pl.col("kind")))
            .then(digits.str.zfill(8))
            .otherwise(digits.str.zfill(7)),
            pl.when(pl.lit(pl.Series(patent)).gather(pl.col("kind")))
            .then(pl.concat_str([pl.lit("."), (pl.col("serial") % 10).cast(pl.String)]))
            .otherwise(pl.lit("")),
        ]
    )
    frame = pl.DataFrame(
        {"kind": kind, "year": year, "serial": serial},
        schema={"kind": pl.Int64, "year": pl.Int64, "serial": pl.Int64},
    )
    return frame.select(number.alias("number")).to_series()


def ip_items(
    ds: Dataset, firm_mask: np.ndarray | None = None, serial_start: int = 0
) -> dict[str, np.ndarray | pl.Series]:
    """One row per IP item of the firms in `firm_mask` (all by default), as column arrays.

    Firm i has ip_class1[i, 2] class I and ip_class2[i, 2] class II items; items counted in year k were
    granted by the end of year k (the first ip_classX[i, 0] items by y1, the next ones in y2, then y3).
    Serial numbers start at `serial_start` (the items of the set's earlier parts).
    """
    rng = ds.rng(1)
    mask = np.ones(ds.n, dtype=bool) if firm_mask is None else firm_mask
    firm_idx, ip_class, within, bounds = [], [], [], []
    for cls, key in ((1, "ip_class1"), (2, "ip_class2")):
        counts = np.where(mask, ds.yearly[key][:, 2], 0)
        idx = np.repeat(np.arange(ds.n), counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        j = np.arange(len(idx)) - starts
        firm_idx.append(idx)
        ip_class.append(np.full(len(idx), cls))
        within.append(j)
        bounds.append(np.stack([ds.yearly[key][idx, 0], ds.yearly[key][idx, 1]], axis=1))
    idx, cls, j = np.concatenate(firm_idx), np.concatenate(ip_class), np.concatenate(within)
    bnd = np.concatenate(bounds)
    bucket = np.where(j < bnd[:, 0], 0, np.where(j < bnd[:, 1], 1, 2))  # the year it was granted by
    years = np.array(ds.years)
    founded = ds.firm["founded_on"][idx]
    year_end = _dates(years[bucket], 12, 31)
    lower = np.where(bucket == 0, _dates(years[0] - 8, 1, 1), _dates(years[bucket], 1, 1))
    lower = np.maximum(lower, founded)
    span = ((year_end - lower) / DAY).astype(np.int64)
    granted = lower + (rng.random(len(idx)) * (span + 1)).astype(np.int64) * DAY
    kinds1, p1 = zip(*CLASS1_KINDS, strict=True)
    kinds2, p2 = zip(*CLASS2_KINDS, strict=True)
    # The kind as its index in KINDS (the same draws as ever, as strings only at the end)
    code = np.where(
        cls == 1,
        rng.choice(len(kinds1), len(idx), p=p1),
        len(kinds1) + rng.choice(len(kinds2), len(idx), p=p2),
    ).astype(np.int64)
    life = np.array([LIFE_YEARS[k] for k in KINDS], dtype=np.int64)[code]
    expires = granted + (life * 365) * DAY
    grant_year = granted.astype("datetime64[Y]").astype(np.int64) + 1970
    serial = np.arange(serial_start, serial_start + len(idx), dtype=np.int64)
    words = rng.integers(0, len(TITLE_WORDS), len(idx))
    objects = rng.integers(0, len(TITLE_OBJECTS), len(idx))
    titles = pl.Series([w + o for w in TITLE_WORDS for o in TITLE_OBJECTS], dtype=pl.String)
    self_developed = ds.firm["ip_self_developed"][idx] | (rng.random(len(idx)) < 0.2)
    return {  # kind, number and title: Polars string columns
        "firm": idx,
        "ip_class": cls,
        "kind": pl.Series(KINDS, dtype=pl.String).gather(code),
        "number": _numbers(code, grant_year, serial),
        "title": titles.gather(words * len(TITLE_OBJECTS) + objects),
        "granted_on": granted,
        "expires_on": expires,
        "self_developed": self_developed,
    }


def certificates(ds: Dataset) -> dict[str, np.ndarray | pl.Series]:
    """Certificate rows: valid HTE (3 years) and the ones it renewed, expired HTE (recertification
    candidates), tech SME (1 year)."""
    f = ds.firm
    parts = []
    previous = sorted(k[: -len("_issued")] for k in f if k.startswith("prev") and k.endswith("_hte_issued"))
    for kind, issued_key, expires_key in (
        ("hte", "hte_issued", "hte_expires"),
        *(("hte", f"{p}_issued", f"{p}_expires") for p in previous),
        ("hte", "old_hte_issued", "old_hte_expires"),
        ("tech_sme", "sme_issued", "sme_expires"),
    ):
        idx = np.flatnonzero(~np.isnat(f[issued_key]))
        parts.append((kind, idx, f[issued_key][idx], f[expires_key][idx]))
    firm = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([np.full(len(p[1]), p[0]) for p in parts])
    issued = np.concatenate([p[2] for p in parts])
    expires = np.concatenate([p[3] for p in parts])
    year = pl.Series(issued.astype("datetime64[Y]").astype(np.int64) + 1970).cast(pl.String)
    county = pl.Series(f["county"][firm], dtype=pl.String)
    serial = pl.Series((firm + ds.offset).astype(np.int64)).cast(pl.String).str.zfill(7)
    # GR{year}32{serial:07d} (HTE), {year}{county}A{serial:07d} (tech SME): a Polars string column
    numbers = pl.select(
        pl.when(pl.Series(kind) == "hte")
        .then(pl.concat_str([pl.lit("GR"), year, pl.lit("32"), serial]))
        .otherwise(pl.concat_str([year, county, pl.lit("A"), serial]))
    ).to_series()
    return {"firm": firm, "kind": kind, "number": numbers, "issued_on": issued, "expires_on": expires}
