"""The one generator of synthetic Jiangsu enterprises (numpy, vectorised; no database, no Django models).

`generate(n, seed, as_of)` returns a `Dataset` of column arrays: the DB loader (`loader.py`) and the
template writer (`template.py`) both read it, so files and the demo database agree by construction.
Same n, seed and as_of → identical data. Calibration and its rationale: `calibration.py`.

A province-size set (millions of firms) does not fit in memory at once: `generate_parts(n, seed, as_of)` yields
it as parts of at most PART_SIZE firms, each generated (and calibrated) on its own from (seed, n, part index),
so the same n and seed give the same parts. Up to PART_SIZE firms the one part is exactly `generate(n, seed,
as_of)`. Credit codes stay unique across parts (one permutation of the organisation-code space for the whole
set), and the parts' certificate and IP numbers and report rows are numbered from their position in the set.
"""

from __future__ import annotations

from collections.abc import Iterator
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
PART_SIZE = 500_000  # firms per generated part of a large set (a part's arrays take ~1 GB while loaded)
_PART_TAG = 0x9A27  # in the random key of a part, so that no part repeats the draws of a whole set
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
    key: tuple[
        int, ...
    ] = ()  # the random key: (seed, n) for a whole set, (seed, total, tag, index) for a part
    offset: int = 0  # position of the first firm in the whole set (0 unless a part)

    def rng(self, *extra: int) -> np.random.Generator:
        """A random stream of its own, derived from the data set's key."""
        return np.random.default_rng([*self.key, *extra])

    @property
    def as_of64(self) -> np.datetime64:
        return np.datetime64(self.as_of, "D")

    @property
    def filed(self) -> np.ndarray:
        """(n, 3) bool: a report exists for the firm and year (active, but for the few HTEs that have not filed
        the last year's report: `firm["unreported_y3"]`)."""
        out = self.active.copy()
        if "unreported_y3" in self.firm:
            out[:, 2] &= ~self.firm["unreported_y3"]
        return out


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


def parts_of(n: int, part_size: int = PART_SIZE) -> list[tuple[int, int]]:
    """(offset, size) of each part of a set of n firms."""
    return [(start, min(part_size, n - start)) for start in range(0, n, part_size)]


def generate_parts(
    n: int, seed: int, as_of: date | None = None, part_size: int = PART_SIZE
) -> Iterator[Dataset]:
    """The set of n firms as parts of at most `part_size` firms (one part, `generate(n, seed, as_of)`, when n
    fits). Lazy: one part in memory at a time."""
    if n < 1:
        raise ValueError("n must be positive")
    as_of = as_of or date.today()
    bounds = parts_of(n, part_size)
    if len(bounds) == 1:
        yield generate(n, seed, as_of)
        return
    for index, (offset, size) in enumerate(bounds):
        yield generate(size, seed, as_of, _part=(n, index, offset))


def generate(
    n: int, seed: int, as_of: date | None = None, *, _part: tuple[int, int, int] | None = None
) -> Dataset:
    """n firms. `_part` = (total, index, offset): the part of a larger set (`generate_parts`)."""
    if n < 1:
        raise ValueError("n must be positive")
    as_of = as_of or date.today()
    y3 = as_of.year - 1
    key = (seed, n) if _part is None else (seed, _part[0], _PART_TAG, _part[1])
    offset = 0 if _part is None else _part[2]
    ds = Dataset(n=n, seed=seed, as_of=as_of, years=(y3 - 2, y3 - 1, y3), key=key, offset=offset)
    rng = ds.rng()
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
        "rnd_expense_deductible": np.floor(rnd * ds.rng(0xDED).uniform(0.7, 1.0, (n, 1))),
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
    if _part is None:
        ds.firm["credit_code"] = credit_codes(county, rng)
    else:  # one permutation for all the parts of the set, each taking its own slice of it
        ds.firm["credit_code"] = credit_codes(
            county, np.random.default_rng([seed, _part[0], _PART_TAG]), start=offset
        )
    ds.firm["name"] = company_names(*place, top, rng)
    ds.firm["hitech_zone"] = _zones(county, ds.firm["hte_valid"], zone_draw, rng.random(n))
    ds.firm["in_hitech_zone"] = ds.firm["hitech_zone"] != ""
    # A few HTEs have not filed last year's report (their own stream: the draws above stay what they were).
    late = ds.rng(0xA11).random(n) < cal.HTE_UNREPORTED_PROB
    ds.firm["unreported_y3"] = ds.firm["hte_valid"] & ds.active[:, 2] & late
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


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def calibrated_probability(score: np.ndarray, eligible: np.ndarray, share: float) -> np.ndarray:
    """Each firm's probability, logistic in its standardised score, with the intercept solved (bisection) so
    that the probabilities of all firms add up to `share` of them; 0 for the ineligible. A draw against these
    gives a binomial count around the share, not a quota."""
    p = np.zeros(len(score))
    if not eligible.any():
        return p
    s = score[eligible]
    z = (s - s.mean()) / (s.std() or 1.0) * cal.CERT_SLOPE
    want = min(share * len(score), eligible.sum() * 0.999)
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _sigmoid(z + mid).sum() < want else (lo, mid)
    p[eligible] = _sigmoid(z + (lo + hi) / 2)
    return p


def _issue_days(rng: np.random.Generator, n: int, span_days: int, growth: float, as_of: np.datetime64):
    """Days before `as_of` (1..span_days) of certificates issued over the past: density growing with the
    province's yearly growth of certifications (more recent, more of them), thinned by month with
    cal.CERT_MONTH_WEIGHTS (a few batches a year, the autumn ones largest)."""
    rate = np.log(growth) / 365.25
    u = rng.random((n, 6))
    # Inverse CDF of a density proportional to exp(-rate * t) on [1, span_days].
    t = 1 - np.log1p(u * np.expm1(-rate * (span_days - 1))) / rate
    t = np.clip(np.round(t).astype(np.int64), 1, span_days)
    month = (as_of - t * DAY).astype("datetime64[M]").astype(np.int64) % 12
    weights = np.asarray(cal.CERT_MONTH_WEIGHTS)
    accept = rng.random((n, 6)) * weights.max() < weights[month]
    first = np.where(accept.any(axis=1), accept.argmax(axis=1), 5)
    return t[np.arange(n), first]


def _certificates(
    ds: Dataset, quality: np.ndarray, staff_share: np.ndarray, rng: np.random.Generator
) -> None:
    """HTE certificates (3 years, with the renewals before them) and tech-SME registrations (1 year).

    Who holds a valid HTE certificate on `ds.as_of` is drawn from calibrated probabilities (cal.HTE_SHARE on
    average); the current certificate's date from a growing, seasonal history; each holder renewed the one
    before with probability cal.RENEWAL_PROB (chains back up to cal.MAX_PREVIOUS certificates). A further
    cal.EXPIRED_HTE_SHARE (on average) held one that lapsed (recertification candidates)."""
    n, as64, f = ds.n, ds.as_of64, ds.firm
    founded = f["founded_on"]
    age_days = (as64 - founded) / DAY
    y = ds.yearly
    can_hte = (age_days >= 366) & (f["tech_top"] != "") & (y["revenue"][:, 2] > 0)
    hte = rng.random(n) < calibrated_probability(quality, can_hte, cal.HTE_SHARE)
    back = _issue_days(rng, n, 3 * 365 - 30, cal.HTE_GROWTH, as64)
    issued = as64 - back * DAY
    issued = np.minimum(np.maximum(issued, founded + 366 * DAY), as64 - DAY)
    f["hte_issued"] = np.where(hte, issued, NAT)
    f["hte_expires"] = np.where(hte, _plus_years(issued, 3), NAT)
    current = f["hte_issued"]
    for k in range(1, cal.MAX_PREVIOUS + 1):
        # A renewal is issued around the previous certificate's expiry: three years (± a few weeks) earlier.
        prev = current - (3 * 365 + rng.integers(-20, 21, n)) * DAY
        has = ~np.isnat(current) & (prev >= founded + 366 * DAY) & (rng.random(n) < cal.RENEWAL_PROB)
        prev = np.where(has, prev, as64)
        # Valid until the day before the next one was issued at the latest (no overlapping certificates).
        f[f"prev{k}_hte_expires"] = np.where(has, np.minimum(_plus_years(prev, 3), current - DAY), NAT)
        prev = np.where(has, prev, NAT)
        f[f"prev{k}_hte_issued"] = prev
        current = prev
    # Lapsed certificates: expired 30 days to LAPSED_YEARS years ago (more of them recently, as there were
    # more HTEs), issued three years before; the firm was at least a year old when certified.
    expired_ago = 29 + _issue_days(
        rng, n, round(cal.LAPSED_YEARS * 365.25) - 30, cal.HTE_GROWTH, as64 - 30 * DAY
    )
    old_issued = as64 - (3 * 365 + expired_ago) * DAY
    can_lapse = ~hte & (old_issued >= founded + 366 * DAY)
    old = can_lapse & (rng.random(n) < min(1.0, cal.EXPIRED_HTE_SHARE * n / max(can_lapse.sum(), 1)))
    f["old_hte_issued"] = np.where(old, old_issued, NAT)
    f["old_hte_expires"] = np.where(old, _plus_years(old_issued, 3), NAT)
    f["hte_valid"] = hte
    at_risk = hte & (rng.random(n) < cal.HTE_AT_RISK_PROB)
    f["hte_at_risk_drawn"] = at_risk
    _consistent_with_certificate(ds, hte & ~at_risk, rng)

    emp3, rev3, assets3 = (ds.yearly[k][:, 2] for k in ("employees", "revenue", "total_assets"))
    sme_ok = (emp3 <= 500) & (rev3 <= 2e8) & (assets3 <= 2e8) & ~f["bad_credit"] & ds.active[:, 2]
    sme_score = quality + rng.normal(0, 0.8, n) + 0.8 * hte
    sme = rng.random(n) < calibrated_probability(sme_score, sme_ok, cal.TECH_SME_SHARE)
    sme_issued = np.maximum(as64 - rng.integers(1, 364, n) * DAY, founded)
    sme_issued = np.minimum(sme_issued, as64)
    f["sme_issued"] = np.where(sme, sme_issued, NAT)
    f["sme_expires"] = np.where(sme, _plus_years(sme_issued, 1), NAT)
    f["hte_valid_until"] = np.where(hte, f["hte_expires"], f["old_hte_expires"])
    f["tech_sme_valid_until"] = f["sme_expires"]


def _consistent_with_certificate(ds: Dataset, m: np.ndarray, rng: np.random.Generator) -> None:
    """Make the figures of the firms in `m` (certified HTEs not drawn "at risk") meet the HTE hard conditions
    of their certification (32号 第十一条): at least one IP item, tech staff >= 10%, R&D over the operating years
    at or above the tier of last year's revenue (5/4/3%), domestic R&D >= 60%, high-tech income >= 60% of
    last year's total income, no major incident. Firms already meeting a condition keep their figures; the
    others are moved just past the line (a few right at the edge, as in the data of real firms)."""
    y, f, act = ds.yearly, ds.firm, ds.active
    n = ds.n
    # IP: a firm with none holds one class II item (granted in the last year).
    none = m & (y["ip_class1"][:, 2] + y["ip_class2"][:, 2] == 0)
    y["ip_class2"][none, 2] = 1
    f["ip_self_developed"] = f["ip_self_developed"] | none
    # Tech staff: at least 10% of employees in every year.
    share = np.where(rng.random(n) < 0.15, 0.10, rng.uniform(0.10, 0.30, n))
    emp = y["employees"]
    need = np.ceil(emp * share[:, None]).astype(np.int64)
    low = m[:, None] & act & (y["tech_staff"] * 10 < emp)
    y["tech_staff"] = np.where(low, np.minimum(need, emp), y["tech_staff"])
    # R&D: the tier of last year's revenue, over the operating years; per year at least the tier's rate.
    rev3 = y["revenue"][:, 2]
    required = np.where(rev3 <= 50_000_000, 0.05, np.where(rev3 <= 200_000_000, 0.04, 0.03))
    edge = rng.random(n) < cal.RATES["rnd_edge_cluster"]
    lift = np.where(edge, 1.001 + np.abs(rng.normal(0, 0.03, n)), rng.uniform(1.05, 1.9, n))
    floor = np.ceil(y["revenue"] * (required * lift)[:, None]).astype(np.int64)
    rnd_sum, rev_sum = y["rnd_expense"].sum(axis=1), y["revenue"].sum(axis=1)
    short = m & (rnd_sum < np.ceil(rev_sum * required))
    rnd = np.where(short[:, None] & act, np.maximum(y["rnd_expense"], floor), y["rnd_expense"])
    changed = short[:, None] & (rnd != y["rnd_expense"])
    domestic = np.where(rng.random(n) < 0.75, 1.0, rng.uniform(0.7, 1.0, n))[:, None]
    y["rnd_expense_domestic"] = np.where(changed, np.floor(rnd * domestic), y["rnd_expense_domestic"]).astype(
        np.int64
    )
    deduct = rng.uniform(0.7, 1.0, n)[:, None]
    y["rnd_expense_deductible"] = np.where(
        changed, np.floor(rnd * deduct), y["rnd_expense_deductible"]
    ).astype(np.int64)
    y["rnd_expense"] = rnd
    y["total_cost"] = np.maximum(y["total_cost"], rnd)
    # Domestic R&D at least 60% (those with R&D abroad above 40%: brought to 70–100%).
    abroad = m[:, None] & (y["rnd_expense_domestic"] * 10 < y["rnd_expense"] * 6)
    y["rnd_expense_domestic"] = np.where(
        abroad, np.ceil(y["rnd_expense"] * domestic.clip(0.7)), y["rnd_expense_domestic"]
    ).astype(np.int64)
    # High-tech income: at least 60% of total income (last year; earlier years the same share).
    hs = rng.uniform(0.61, 0.95, n)[:, None]
    low = m[:, None] & (y["hitech_revenue"][:, [2]] * 10 < y["total_income"][:, [2]] * 6)
    y["hitech_revenue"] = np.where(low & act, np.floor(y["total_income"] * hs), y["hitech_revenue"]).astype(
        np.int64
    )
    f["major_incident"] = f["major_incident"] & ~m


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
