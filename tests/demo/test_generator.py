"""The synthetic generator: determinism, valid codes, calibration, and the registry's validation rules."""

from datetime import date

import numpy as np
import pytest
from stdnum.cn import uscc

from gaoqi.demo import calibration as cal
from gaoqi.demo.generator import FIRM_FLAGS, generate
from gaoqi.registry.models import REPORT_CROSS_RULES
from gaoqi.registry.validation import report_errors

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def small():
    return generate(200, 7, AS_OF)


@pytest.fixture(scope="module")
def pool():
    return generate(2000, 2019, AS_OF)


def test_same_seed_same_data(small):
    again = generate(200, 7, AS_OF)
    assert (again.firm["credit_code"] == small.firm["credit_code"]).all()
    assert (again.firm["name"] == small.firm["name"]).all()
    for key, values in small.yearly.items():
        assert (again.yearly[key] == values).all(), key


def test_different_seed_different_data(small):
    other = generate(200, 8, AS_OF)
    assert (other.firm["credit_code"] != small.firm["credit_code"]).mean() > 0.9
    assert (other.yearly["revenue"] != small.yearly["revenue"]).any()


def test_years_are_the_three_before_as_of(small):
    assert small.years == (2022, 2023, 2024)


def test_credit_codes_valid_unique_and_carry_the_county(pool):
    codes, counties = pool.firm["credit_code"].tolist(), pool.firm["county"].tolist()
    assert len(set(codes)) == len(codes)
    for code, county in zip(codes, counties, strict=True):
        assert code[-1] == uscc.calc_check_digit(code[:17])
        assert uscc.is_valid(code)
        assert code[2:8] == county


def test_counties_and_fields_come_from_the_fixtures(pool):
    counties = {r["code"]: r["parent_code"] for r in cal.divisions() if r["level"] == "county"}
    assert set(pool.firm["county"].tolist()) <= set(counties)
    assert all(counties[c] == city for c, city in zip(pool.firm["county"], pool.firm["city"], strict=True))
    subfields = {s for subs in cal.tech_subfields().values() for s in subs}
    fields = set(pool.firm["tech_field"].tolist())
    assert "" in fields and fields - {""} <= subfields


def test_city_calibration(pool):
    cities, counts = np.unique(pool.firm["city"], return_counts=True)
    share = dict(zip(cities.tolist(), (counts / pool.n).tolist(), strict=True))
    assert max(share, key=share.get) == "320500"  # Suzhou the largest
    assert 0.25 <= share["320500"] <= 0.35 and 0.15 <= share["320100"] <= 0.25
    south = sum(share.get(c, 0) for c in cal.SOUTH)
    central = sum(share.get(c, 0) for c in cal.CENTRAL)
    north = sum(share.get(c, 0) for c in cal.NORTH)
    assert south > central and south > north and central > 0 and north > 0
    hte = pool.firm["hte_valid"]
    hte_cities, hte_counts = np.unique(pool.firm["city"][hte], return_counts=True)
    assert hte_cities[np.argmax(hte_counts)] == "320500"


def test_certificate_shares_within_documented_range(pool):
    as_of = pool.as_of64
    hte_valid = (pool.firm["hte_issued"] <= as_of) & (pool.firm["hte_expires"] >= as_of)
    sme_valid = (pool.firm["sme_issued"] <= as_of) & (pool.firm["sme_expires"] >= as_of)
    lo, hi = cal.HTE_SHARE_RANGE
    assert lo <= hte_valid.mean() <= hi
    lo, hi = cal.TECH_SME_SHARE_RANGE
    assert lo <= sme_valid.mean() <= hi
    assert (hte_valid == pool.firm["hte_valid"]).all()
    # HTE certificates last three years, tech-SME registrations one.
    issued, expires = pool.firm["hte_issued"][hte_valid], pool.firm["hte_expires"][hte_valid]
    assert ((expires - issued).astype(int) >= 3 * 365 - 1).all() and (
        (expires - issued).astype(int) <= 3 * 366
    ).all()
    expired = ~np.isnat(pool.firm["old_hte_expires"])
    assert expired.any() and (pool.firm["old_hte_expires"][expired] < as_of).all()


def test_rnd_ratios_cluster_at_band_edges(pool):
    y = pool.yearly
    revenue = y["revenue"].sum(axis=1)
    ratio = y["rnd_expense"].sum(axis=1)[revenue > 0] / revenue[revenue > 0]
    near = {edge: (np.abs(ratio - edge) < 0.002).mean() for edge in (0.03, 0.04, 0.05, 0.06)}
    away = (np.abs(ratio - 0.045) < 0.002).mean()  # the same width between two edges
    assert near[0.05] > 2 * away and near[0.06] > away
    assert (ratio == 0).mean() > 0.03  # firms without R&D
    assert 0.02 < np.median(ratio) < 0.06


def test_realistic_spread(pool):
    y, f = pool.yearly, pool.firm
    active3 = pool.active[:, 2]
    assert (y["net_assets"][active3, 2] < 0).any()  # some insolvent firms
    assert (~active3).any()  # firms founded less than a year ago
    founded = f["founded_on"].astype("datetime64[D]").astype(object)
    assert any(d.month == 2 and d.day == 29 for d in founded)
    assert 1e6 < np.median(y["revenue"][active3, 2]) < 1e8
    assert (y["revenue"][:, 2] >= 2e7).any() and f["above_scale"].any()
    assert not (f["above_scale"] & (y["revenue"][:, 2] < 20_000_000)).any()
    assert (y["ip_class1"][:, 0] <= y["ip_class1"][:, 2]).all()
    for flag in FIRM_FLAGS:
        assert f[flag].dtype == bool


def test_every_report_passes_registry_validation(small):
    for firm in range(small.n):
        for i, year in enumerate(small.years):
            if not small.active[firm, i]:
                continue
            values = {k: int(v[firm, i]) for k, v in small.yearly.items()}
            values.update({k: bool(small.firm[k][firm]) for k in FIRM_FLAGS})
            assert report_errors(values, year=year, today=AS_OF) == []


def test_every_firm_year_satisfies_the_engine_cross_field_rules(pool):
    """The database constraints (and the engine's checks) hold for every report the generator makes, including
    R&D within total cost and high-tech income within total income."""
    assert ("rnd_expense", "total_cost") in REPORT_CROSS_RULES
    y = pool.yearly
    for small, big in REPORT_CROSS_RULES:
        assert (y[small] <= y[big]).all(), (small, big)
