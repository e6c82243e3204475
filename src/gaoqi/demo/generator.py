"""The one generator of synthetic Jiangsu enterprises (numpy, vectorised; no database, no Django models).

`generate(n, seed, as_of)` returns a `Dataset` of column arrays: the DB loader (`loader.py`) and the
template writer (`template.py`) both read it, so files and the demo database agree by construction.
Same n, seed and as_of → identical data. Calibration and its rationale: `calibration.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from gaoqi.demo import calibration as cal
from gaoqi.demo.codes import company_names, credit_codes

YEARLY_INT = (
    "employees",
    "tech_staff",
    "revenue",
    "total_income",
    "hitech_revenue",
    "total_cost",
    "total_assets",
    "rnd_expense",
    "rnd_expense_domestic",
    "rnd_expense_deductible",
    "net_assets",
    "ip_class1",
    "ip_class2",
    "achievement_conversions",
    "standards_led",
)
FIRM_FLAGS = (
    "ip_self_developed",
    "major_incident",
    "bad_credit",
    "restricted_industry",
    "national_award_top3",
    "provincial_rnd_institution",
    "led_standard_5y",
)
NAT = np.datetime64("NaT", "D")
DAY = np.timedelta64(1, "D")


@dataclass
class Dataset:
    n: int
    seed: int
    as_of: date
    years: tuple[int, int, int]  # y1, y2, y3 (y3 the most recent accounting year)
    firm: dict[str, np.ndarray] = field(default_factory=dict)  # (n,) arrays
    yearly: dict[str, np.ndarray] = field(default_factory=dict)  # (n, 3) int64 arrays; valid where `active`
    active: np.ndarray | None = None  # (n, 3) bool: the firm existed in that accounting year
    sci_revenue: np.ndarray | None = None  # (n, 3) int64, -1 where the 科技 source reports no revenue

    @property
    def as_of64(self) -> np.datetime64:
        return np.datetime64(self.as_of, "D")


def _dates(year: np.ndarray, month: int, day: int) -> np.ndarray:
    months = (np.asarray(year) - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)
    return months.astype("datetime64[D]") + (day - 1)


def _regions(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = cal.divisions()
    names = {r["code"]: r["name"] for r in rows}
    counties = [r for r in rows if r["level"] == "county"]
    codes, weights = [], []
    for city, share in cal.CITY_SHARES.items():
        members = [r["code"] for r in counties if r["parent_code"] == city]
        # Fixed (seed-independent) spread within the city: some districts are busier than others.
        base = np.random.default_rng(int(city)).gamma(4.0, 1.0, len(members))
        base *= np.array([cal.COUNTY_BOOST.get(c, 1.0) for c in members])
        codes += members
        weights += list(share * base / base.sum())
    codes_arr = np.array(codes)
    idx = rng.choice(len(codes), n, p=np.array(weights) / np.sum(weights))
    county = codes_arr[idx]
    city = np.char.add(county.astype("U4"), "00")
    # Place in the firm name: the city's short name, or for county-level cities (昆山, 江阴…) often theirs.
    city_place = np.array([cal.short_name(names[c[:4] + "00"]) for c in codes])
    local_place = np.array([cal.short_name(names[c]) if names[c].endswith("市") else "" for c in codes])
    places = np.unique(np.concatenate([city_place, local_place]))
    use_local = (local_place[idx] != "") & (rng.random(n) < 0.5)
    place = np.where(
        use_local, np.searchsorted(places, local_place)[idx], np.searchsorted(places, city_place)[idx]
    )
    return county, city, (places, place)


def _tech_fields(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    subs = cal.tech_subfields()
    tops = list(cal.FIELD_SHARES)
    probs = np.array([cal.FIELD_SHARES[t] * (1 - cal.NO_FIELD_SHARE) for t in tops] + [cal.NO_FIELD_SHARE])
    top_idx = rng.choice(len(tops) + 1, n, p=probs / probs.sum())
    top = np.array([*tops, ""])[top_idx]
    pick = rng.random(n)
    sub = np.full(n, "", dtype="U4")
    for t in tops:
        mask = top == t
        choices = np.array(subs[t])
        sub[mask] = choices[(pick[mask] * len(choices)).astype(np.int64)]
    return top, sub


def _founded(n: int, as_of: np.datetime64, rng: np.random.Generator) -> np.ndarray:
    young = rng.random(n) < cal.RATES["young"]
    age_years = np.clip(rng.lognormal(np.log(8.0), 0.6, n), 1.0, 40.0)
    age_days = np.where(young, rng.integers(0, 365, n), (age_years * 365.25).astype(np.int64))
    founded = as_of - age_days * DAY
    # Some firms were founded on 29 February of a leap year at least a year back.
    feb29 = ~young & (rng.random(n) < cal.RATES["feb29"])
    last = as_of.astype("datetime64[Y]").astype(int) + 1970 - 1
    leap_years = np.array([y for y in range(1992, last + 1) if y % 4 == 0 and (y % 100 or y % 400 == 0)])
    leap_years = leap_years[_dates(leap_years, 2, 29) <= as_of - 365 * DAY]
    founded[feb29] = _dates(leap_years[rng.integers(0, len(leap_years), feb29.sum())], 2, 29)
    return founded


def generate(n: int, seed: int, as_of: date | None = None) -> Dataset:
    if n < 1:
        raise ValueError("n must be positive")
    as_of = as_of or date.today()
    y3 = as_of.year - 1
    ds = Dataset(n=n, seed=seed, as_of=as_of, years=(y3 - 2, y3 - 1, y3))
    rng = np.random.default_rng([seed, n])
    as64 = ds.as_of64
    county, city, place = _regions(n, rng)
    top, sub = _tech_fields(n, rng)
    founded = _founded(n, as64, rng)
    years = np.array(ds.years)
    year_start, year_end = _dates(years, 1, 1), _dates(years, 12, 31)
    active = founded[:, None] <= year_end[None, :]
    # Fraction of the founding year the firm was active (1 for later years).
    frac = np.clip(
        ((year_end[None, :] - np.maximum(founded[:, None], year_start[None, :])) / DAY + 1) / 365.0, 0.0, 1.0
    )
    frac = np.where(active, frac, 0.0)

    z = rng.standard_normal(n)  # firm size
    region_tilt = np.where(np.isin(city, cal.SOUTH), 0.2, np.where(np.isin(city, cal.NORTH), -0.2, 0.0))
    revenue3 = np.exp(np.log(1.5e7) + 1.5 * z)
    revenue3[rng.random(n) < cal.RATES["zero_revenue"]] = 0.0
    growth = np.clip(rng.normal(0.10, 0.22, (n, 2)), -0.6, 2.0)
    rev = np.empty((n, 3))
    rev[:, 2] = revenue3
    rev[:, 1] = rev[:, 2] / (1 + growth[:, 1])
    rev[:, 0] = rev[:, 1] / (1 + growth[:, 0])
    rev *= frac

    rpe = rng.lognormal(np.log(5e5), 0.5, n)
    employees3 = np.where(revenue3 > 0, np.clip(np.round(revenue3 / rpe), 3, 20000), rng.integers(3, 30, n))
    scale = np.where(
        rev[:, [2]] > 0,
        np.sqrt(np.divide(rev, rev[:, [2]], out=np.ones_like(rev), where=rev[:, [2]] > 0)),
        1.0,
    )
    employees = np.maximum(np.round(employees3[:, None] * scale), 1)
    edge_staff = rng.random(n) < 0.15
    staff_share = np.where(edge_staff, rng.uniform(0.08, 0.12, n), rng.beta(2.0, 6.0, n))
    tech_staff = np.floor(employees * staff_share[:, None])

    # R&D intensity: a cloud around ~3.5% plus a cluster right at the band edges (3/4/5/6%).
    hte_edge = np.where(revenue3 <= 5e7, 0.05, np.where(revenue3 <= 2e8, 0.04, 0.03))
    edge = np.where(rng.random(n) < 0.3, 0.06, hte_edge)
    clustered = rng.random(n) < cal.RATES["rnd_edge_cluster"]
    base_ratio = np.where(
        clustered, edge * (1 + rng.normal(0, 0.03, n)), rng.lognormal(np.log(0.035), 0.7, n)
    )
    base_ratio = np.clip(base_ratio, 0.0, 0.4)
    base_ratio[rng.random(n) < cal.RATES["no_rnd"]] = 0.0
    ratio = base_ratio[:, None] * np.exp(rng.normal(0, np.where(clustered, 0.01, 0.12)[:, None], (n, 3)))
    rnd = np.floor(rev * ratio)
    domestic_share = np.where(rng.random(n) < 0.75, 1.0, rng.uniform(0.7, 1.0, n))
    rnd_domestic = np.floor(rnd * domestic_share[:, None])

    total_income = np.floor(rev * (1 + rng.uniform(0, 0.06, n))[:, None])
    hitech_share = np.select(
        [(u := rng.random(n)) < 0.3, u < 0.8],
        [rng.uniform(0.55, 0.68, n), rng.beta(5, 2, n)],
        rng.beta(1.5, 4, n),
    )
    hitech = np.floor(total_income * hitech_share[:, None])
    total_cost = np.maximum(np.floor(rev * rng.uniform(0.78, 1.02, n)[:, None]), rnd)
    assets3 = np.maximum(revenue3 * rng.lognormal(0, 0.5, n), 1e6 * rng.uniform(0.5, 3, n))
    assets = np.floor(assets3[:, None] * np.where(active, np.maximum(scale, 0.3), 0))
    equity = np.clip(rng.normal(0.42, 0.22, n), -0.6, 0.95)
    net_assets = np.floor(assets * np.clip(equity[:, None] + rng.normal(0, 0.04, (n, 3)), -0.7, 0.97))

    # Intellectual property: counts grow over the three years (items granted by the end of each year).
    lam1 = np.exp(-0.2 + 0.55 * z + 8 * base_ratio)
    ip1_3 = np.where(rng.random(n) < 0.45, 0, rng.poisson(np.minimum(lam1, 200)))
    ip2_3 = rng.poisson(rng.gamma(1.2, np.exp(1.6 + 0.4 * z) / 1.2))
    ip1_3, ip2_3 = np.minimum(ip1_3, 300), np.minimum(ip2_3, 800)
    ip1 = np.stack([rng.binomial(ip1_3, 0.64), rng.binomial(ip1_3, 0.8), ip1_3], axis=1)
    ip2 = np.stack([rng.binomial(ip2_3, 0.64), rng.binomial(ip2_3, 0.8), ip2_3], axis=1)
    ip1[:, 0] = np.minimum(ip1[:, 0], ip1[:, 1])
    ip2[:, 0] = np.minimum(ip2[:, 0], ip2[:, 1])
    conversions = rng.poisson(np.clip(0.5 + 0.15 * ip1_3 + 0.05 * ip2_3, 0, 8)[:, None], (n, 3))
    standards = rng.poisson(np.clip(0.06 * np.exp(0.5 * z), 0, 3)[:, None], (n, 3))

    ds.active = active
    as_int = {
        "employees": employees,
        "tech_staff": tech_staff,
        "revenue": np.floor(rev),
        "total_income": total_income,
        "hitech_revenue": hitech,
        "total_cost": total_cost,
        "total_assets": assets,
        "rnd_expense": rnd,
        "rnd_expense_domestic": rnd_domestic,
        # The tax bureau's super-deduction base: most of the R&D spending (its own stream: the draws above
        # stay what they were).
        "rnd_expense_deductible": np.floor(
            rnd * np.random.default_rng([seed, n, 0xDED]).uniform(0.7, 1.0, (n, 1))
        ),
        "net_assets": net_assets,
        "ip_class1": ip1,
        "ip_class2": ip2,
        "achievement_conversions": conversions,
        "standards_led": standards,
    }
    ds.yearly = {k: np.where(active, v, 0).astype(np.int64) for k, v in as_int.items()}
    self_rev = rng.random(n) < cal.RATES["science_tech_reports_revenue"]
    noisy = np.round(rev * rng.uniform(0.97, 1.03, n)[:, None] / 1e4) * 1e4  # self-reported, in 万元
    ds.sci_revenue = np.where(self_rev[:, None] & active, noisy, -1).astype(np.int64)

    industrial = rng.random(n) < np.vectorize(cal.INDUSTRIAL_PROB.get)(top)
    zone_draw = rng.random(n)  # decided after the certificates: HTEs are likelier to sit in a zone
    ds.firm = {
        "county": county,
        "city": city,
        "founded_on": founded,
        "tech_field": sub,
        "tech_top": top,
        "above_scale": industrial & (ds.yearly["revenue"][:, 2] >= 20_000_000),
        "talent_founded": rng.random(n) < cal.RATES["talent_founded"],
        "ip_self_developed": ((ip1_3 + ip2_3) > 0) & (rng.random(n) < 0.92),
        "major_incident": rng.random(n) < cal.RATES["major_incident"],
        "bad_credit": rng.random(n) < cal.RATES["bad_credit"],
        "restricted_industry": rng.random(n) < cal.RATES["restricted_industry"],
        "national_award_top3": rng.random(n) < cal.RATES["national_award_top3"] * np.exp(0.8 * z.clip(-2, 3)),
        "led_standard_5y": (standards.sum(axis=1) > 0) & (rng.random(n) < 0.4),
    }
    quality = (
        1.2 * np.log(base_ratio + 0.005)
        + 0.4 * np.log1p(ip1_3)
        + 0.15 * np.log1p(ip2_3)
        + 1.5 * staff_share
        + 0.2 * z
        + region_tilt
        + rng.normal(0, 0.6, n)
    )
    _certificates(ds, quality, staff_share, rng)
    ds.firm["provincial_rnd_institution"] = rng.random(n) < 0.02 + 0.12 * ds.firm["hte_valid"]
    ds.firm["credit_code"] = credit_codes(county, rng)
    ds.firm["name"] = company_names(*place, top, rng)
    ds.firm["hitech_zone"] = _zones(county, ds.firm["hte_valid"], zone_draw, rng.random(n))
    ds.firm["in_hitech_zone"] = ds.firm["hitech_zone"] != ""
    return ds


def _zones(county: np.ndarray, hte: np.ndarray, draw: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """Each firm's high-tech zone code ("" for none): a zone of its own county, at the calibrated rates.

    The HTEs' rate is set from the data so that ZONE_HTE_SHARE of all HTEs land in a zone (as far as the HTEs
    in counties with a zone allow); other firms join at ZONE_OTHER_RATIO times that rate.
    """
    by_county: dict[str, list[str]] = {}
    for row in cal.hitech_zones():
        by_county.setdefault(row["county_code"], []).append(row["code"])
    zoned = np.isin(county, list(by_county))
    reachable = (zoned & hte).sum() / max(hte.sum(), 1)
    rate = min(1.0, cal.ZONE_HTE_SHARE / reachable) if reachable else 0.0
    joins = zoned & (draw < np.where(hte, rate, rate * cal.ZONE_OTHER_RATIO))
    out = np.full(len(county), "", dtype="U20")
    for code, zones in by_county.items():
        mask = joins & (county == code)
        out[mask] = np.array(zones)[(pick[mask] * len(zones)).astype(np.int64)]
    return out


def _top_k(score: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the k highest scores among the eligible (fewer if fewer are eligible)."""
    idx = np.flatnonzero(eligible)
    chosen = idx[np.argsort(-score[idx], kind="stable")[:k]]
    mask = np.zeros(len(score), dtype=bool)
    mask[chosen] = True
    return mask


def _certificates(
    ds: Dataset, quality: np.ndarray, staff_share: np.ndarray, rng: np.random.Generator
) -> None:
    """HTE certificates (3 years) and tech-SME registrations (1 year), as of `ds.as_of`."""
    n, as64, f = ds.n, ds.as_of64, ds.firm
    founded = f["founded_on"]
    age_days = (as64 - founded) / DAY
    hte = _top_k(quality, age_days >= 366, round(cal.HTE_SHARE * n))
    issued = as64 - rng.integers(1, 3 * 365 - 30, n) * DAY
    issued = np.minimum(np.maximum(issued, founded + 366 * DAY), as64 - DAY)
    f["hte_issued"] = np.where(hte, issued, NAT)
    f["hte_expires"] = np.where(hte, _plus_years(issued, 3), NAT)
    expired = _top_k(rng.random(n), ~hte & (age_days >= 5 * 365), round(cal.EXPIRED_HTE_SHARE * n))
    old_issued = as64 - (3 * 365 + rng.integers(30, 700, n)) * DAY
    f["old_hte_issued"] = np.where(expired, old_issued, NAT)
    f["old_hte_expires"] = np.where(expired, _plus_years(old_issued, 3), NAT)
    f["hte_valid"] = hte

    emp3, rev3, assets3 = (ds.yearly[k][:, 2] for k in ("employees", "revenue", "total_assets"))
    sme_ok = (emp3 <= 500) & (rev3 <= 2e8) & (assets3 <= 2e8) & ~f["bad_credit"] & ds.active[:, 2]
    sme = _top_k(quality + rng.normal(0, 0.8, n) + 0.8 * hte, sme_ok, round(cal.TECH_SME_SHARE * n))
    sme_issued = np.maximum(as64 - rng.integers(1, 364, n) * DAY, founded)
    sme_issued = np.minimum(sme_issued, as64)
    f["sme_issued"] = np.where(sme, sme_issued, NAT)
    f["sme_expires"] = np.where(sme, _plus_years(sme_issued, 1), NAT)
    f["hte_valid_until"] = np.where(hte, f["hte_expires"], f["old_hte_expires"])
    f["tech_sme_valid_until"] = f["sme_expires"]


def _plus_years(day: np.ndarray, years: int) -> np.ndarray:
    """The day before the same date `years` later (29 Feb → 28 Feb): the last day of validity."""
    months = day.astype("datetime64[M]")
    dom = (day - months.astype("datetime64[D]")) / DAY
    target_month = months + np.timedelta64(12 * years, "M")
    month_len = (
        (target_month + np.timedelta64(1, "M")).astype("datetime64[D]") - target_month.astype("datetime64[D]")
    ) / DAY
    same = target_month.astype("datetime64[D]") + np.minimum(dom, month_len - 1).astype(np.int64) * DAY
    return same - DAY
