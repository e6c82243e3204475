"""The synthetic generator: determinism, valid codes, calibration, and the registry's validation rules."""

from datetime import date

import numpy as np
import polars as pl
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


def test_counts_come_from_probabilities_not_quotas():
    """Different seeds give different HTE and tech-SME counts (binomial around the calibrated shares), never
    the quota round(share * n) every time; the mean over seeds sits close to the share."""
    hte, sme = [], []
    for seed in range(6):
        ds = generate(3000, seed, AS_OF)
        hte.append(int(ds.firm["hte_valid"].sum()))
        sme.append(int((~np.isnat(ds.firm["sme_issued"])).sum()))
    assert len(set(hte)) > 3 and len(set(sme)) > 3
    # Binomial spread: sd = sqrt(n p (1 - p)) ~ 25 for 3000 firms at 30%: the mean of six within ~4 sd / sqrt 6.
    assert abs(np.mean(hte) - cal.HTE_SHARE * 3000) < 60
    assert abs(np.mean(sme) - cal.TECH_SME_SHARE * 3000) < 60


def test_city_counts_are_not_allotted():
    """A county's HTE count is not a fixed number: it moves with the seed like the firms' quality does."""
    counts = {generate(3000, seed, AS_OF).firm["county"].tolist().count("320583") for seed in range(4)}
    assert len(counts) > 1


def test_certified_htes_meet_the_hard_conditions_in_the_engine(pool):
    """Run the HTE policy (bulk engine) over the generated firms: a certified HTE almost always meets every
    hard condition; only about cal.HTE_AT_RISK_PROB of them (drawn at random) may fail one, and the firms
    without a certificate fail far more often."""
    from gaoqi.demo.template import to_frame
    from gaoqi.policy import RULES, load_policy
    from gaoqi.policy.bulk.plan import evaluate_table

    table = evaluate_table(to_frame(pool), load_policy("hte", AS_OF), AS_OF)
    hard = [f"{c}__passed" for c in RULES["hte"].groups["hard"]]
    failed = (
        table.select(pl.any_horizontal([pl.col(c).not_().fill_null(False) for c in hard]))
        .to_series()
        .to_numpy()
    )
    # The HTEs that have not filed last year's report cannot be evaluated (missing data); the others can.
    hte = pool.firm["hte_valid"] & ~pool.firm["unreported_y3"]
    assert table.filter(pl.Series(hte))["errors"].null_count() == hte.sum()
    assert table.filter(pl.Series(pool.firm["unreported_y3"]))["errors"].null_count() == 0
    drawn = pool.firm["hte_at_risk_drawn"]
    lo, hi = cal.HTE_AT_RISK_RANGE
    assert lo <= failed[hte].mean() <= hi
    assert not failed[hte & ~drawn].any()  # every failure is a firm drawn "at risk"
    assert failed[~pool.firm["hte_valid"]].mean() > 0.5


def test_a_few_htes_have_not_filed_last_years_report(pool):
    unreported = pool.firm["unreported_y3"]
    assert unreported.any() and not (unreported & ~pool.firm["hte_valid"]).any()
    assert unreported.mean() < 3 * cal.HTE_UNREPORTED_PROB
    assert not pool.filed[unreported, 2].any() and pool.filed[unreported, 1].all()


def test_certification_history_spans_years_and_grows(pool):
    """Several years of certificates (the current ones and the renewals before them), issued in every month,
    more of them in recent years: the valid count at each year end grows."""
    from gaoqi.demo.items import certificates

    c = certificates(pool)
    hte = c["kind"] == "hte"
    issued, expires = c["issued_on"][hte], c["expires_on"][hte]
    years = issued.astype("datetime64[Y]").astype(int) + 1970
    assert years.min() <= AS_OF.year - 6
    months = issued.astype("datetime64[M]").astype(int) % 12
    assert len(set(months.tolist())) == 12
    valid = [
        ((issued <= d) & (expires >= d)).sum()
        for d in np.array(["2022-12-31", "2023-12-31", "2024-12-31"], "datetime64[D]")
    ]
    assert valid[0] < valid[1] < valid[2]
    assert 1.05 < valid[2] / valid[1] < 1.4  # Jiangsu 2022 → 2023: 44,000 → 51,000 (+16%)
    # A firm's certificates never overlap: a renewal starts after the one before it ends.
    firm = c["firm"][hte]
    order = np.lexsort((issued, firm))
    same = firm[order][1:] == firm[order][:-1]
    assert (issued[order][1:][same] > expires[order][:-1][same]).all()


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
