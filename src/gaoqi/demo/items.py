"""Row-level items derived from a `Dataset`: IP items (consistent with the yearly IP counts) and certificates.

Deterministic: the random draws use their own generator seeded from the data set's key (seed and size, and
the part's index for a part of a large set). Numbers follow the firm's (and item's) position in the whole set,
so the parts of a large set never repeat one.
"""

from __future__ import annotations

import numpy as np

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


def _number(kind: str, year: int, serial: int) -> str:
    if kind == "invention_patent":
        return f"ZL{year}1{serial:07d}.{serial % 10}"
    if kind == "utility_model":
        return f"ZL{year}2{serial:07d}.{serial % 10}"
    if kind == "design":
        return f"ZL{year}3{serial:07d}.{serial % 10}"
    if kind == "software_copyright":
        return f"{year}SR{serial:07d}"
    return f"{kind[:3].upper()}{year}{serial:08d}"


def ip_items(
    ds: Dataset, firm_mask: np.ndarray | None = None, serial_start: int = 0
) -> dict[str, np.ndarray | list]:
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
    kind = np.where(
        cls == 1,
        np.array(kinds1)[rng.choice(len(kinds1), len(idx), p=p1)],
        np.array(kinds2)[rng.choice(len(kinds2), len(idx), p=p2)],
    )
    life = np.vectorize(LIFE_YEARS.get, otypes=[np.int64])(kind) if len(idx) else np.zeros(0, np.int64)
    expires = granted + (life * 365) * DAY
    grant_year = granted.astype("datetime64[Y]").astype(np.int64) + 1970
    serial = np.arange(serial_start, serial_start + len(idx))
    numbers = [
        _number(k, y, s) for k, y, s in zip(kind.tolist(), grant_year.tolist(), serial.tolist(), strict=True)
    ]
    words = np.array(TITLE_WORDS)[rng.integers(0, len(TITLE_WORDS), len(idx))]
    objects = np.array(TITLE_OBJECTS)[rng.integers(0, len(TITLE_OBJECTS), len(idx))]
    self_developed = ds.firm["ip_self_developed"][idx] | (rng.random(len(idx)) < 0.2)
    return {
        "firm": idx,
        "ip_class": cls,
        "kind": kind,
        "number": numbers,
        "title": np.char.add(words, objects),
        "granted_on": granted,
        "expires_on": expires,
        "self_developed": self_developed,
    }


def certificates(ds: Dataset) -> dict[str, np.ndarray | list]:
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
    year = (issued.astype("datetime64[Y]").astype(np.int64) + 1970).tolist()
    county = f["county"][firm].tolist()
    numbers = [
        f"GR{y}32{i:07d}" if k == "hte" else f"{y}{c}A{i:07d}"
        for k, y, c, i in zip(kind.tolist(), year, county, (firm + ds.offset).tolist(), strict=True)
    ]
    return {"firm": firm, "kind": kind, "number": numbers, "issued_on": issued, "expires_on": expires}
