"""The year-end forecast (gaoqi.monitoring.forecast): each term on hand-built certificates, the backtest on the
synthetic history (the interval covers most cities), and the page's scope."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from gaoqi.monitoring import forecast as fc

AS_OF = date(2026, 6, 30)
YE = date(2026, 12, 31)


def frame(rows):
    """(firm, region, issued, expires[, ended]) tuples → the certificate frame the forecast reads."""
    rows = [(*r, None) if len(r) == 4 else r for r in rows]
    return pl.DataFrame(
        rows,
        schema={
            "firm": pl.Int64,
            "region": pl.String,
            "issued": pl.Date,
            "expires": pl.Date,
            "ended": pl.Date,
        },
        orient="row",
    )


def three_years(issued: date) -> date:
    return issued.replace(year=issued.year + 3) - timedelta(days=1)


def test_staying_expiring_and_the_renewal_rate():
    rows = [
        (1, "A", date(2025, 1, 10), three_years(date(2025, 1, 10))),  # valid through the year end
        (2, "A", date(2023, 11, 1), three_years(date(2023, 11, 1))),  # expires 2026-10-31: expiring
        (3, "A", date(2023, 6, 30), date(2026, 6, 30)),  # ends on the day itself: valid today, expiring
        (4, "A", date(2023, 6, 29), date(2026, 6, 29)),  # ended yesterday: not valid
    ]
    # History: ten certificates ended in 2024 in region A; seven renewed within the window.
    for k in range(10):
        end = date(2024, 3, 1) + timedelta(days=10 * k)
        rows.append((100 + k, "A", end - timedelta(days=3 * 365), end))
        if k < 7:
            rows.append((100 + k, "A", end + timedelta(days=30), three_years(end + timedelta(days=30))))
    out = fc.forecast_regions(frame(rows), AS_OF, regions=["A"])["A"]
    assert (out.valid_now, out.staying, out.expiring) == (10, 8, 2)
    # 7 of 10 renewed; the region's rate is the province's here (one region): (7 + 20 * 0.7) / 30 = 0.7
    assert out.renewal_rate == pytest.approx(0.7)
    assert out.renewals == pytest.approx(1.4)
    assert out.expected == round(8 + 1.4 + out.new)
    assert out.low >= out.staying and out.low <= out.expected <= out.high


def test_a_small_regions_rate_is_pulled_towards_the_province():
    rows = []
    for k in range(40):  # region B: 40 endings, all renewed
        end = date(2024, 2, 1) + timedelta(days=5 * k)
        rows += [(k, "B", end - timedelta(days=1000), end), (k, "B", end, three_years(end))]
    for k in range(2):  # region C: 2 endings, none renewed
        end = date(2024, 5, 1)
        rows.append((500 + k, "C", end - timedelta(days=1000), end))
    out = fc.forecast_regions(frame(rows), AS_OF, regions=["B", "C"])
    province = 40 / 42
    assert out["C"].renewal_rate == pytest.approx(20 * province / 22)
    assert out["B"].renewal_rate == pytest.approx((40 + 20 * province) / 60)


def test_new_certifications_from_last_years_window_the_growth_and_the_pipeline_cap():
    rows = []
    firm = iter(range(1000, 9000))
    # Firms certified for the first time: 10 in (2024-06-30, 2025-06-30], 15 in the last 12 months, of which
    # 6 in last year's window (2025-07-01 .. 2025-12-31).
    for k in range(10):
        d = date(2024, 9, 1) + timedelta(days=k)
        rows.append((next(firm), "A", d, three_years(d)))
    for k in range(15):
        d = date(2025, 7, 1) + timedelta(days=k) if k < 6 else date(2026, 2, 1) + timedelta(days=k)
        rows.append((next(firm), "A", d, three_years(d)))
    # A renewal inside the window is no new certification.
    rows += [(1, "A", date(2022, 8, 1), date(2025, 7, 31)), (1, "A", date(2025, 8, 1), date(2028, 7, 31))]
    certs = frame(rows)
    free = fc.forecast_regions(certs, AS_OF, regions=["A"])["A"]
    assert free.new_last_year == 6 and free.growth == pytest.approx(1.5)  # 15 / 10, at the upper bound
    assert free.new == pytest.approx(9.0) and free.pipeline is None and not free.capped
    capped = fc.forecast_regions(certs, AS_OF, pipeline={"A": 4}, regions=["A"])["A"]
    assert capped.new == 4 and capped.capped and capped.pipeline == 4
    assert capped.expected < free.expected and capped.high < free.high
    wide = fc.forecast_regions(certs, AS_OF, pipeline={"A": 100}, regions=["A"])["A"]
    assert wide.new == pytest.approx(9.0) and not wide.capped


def test_growth_is_bounded_below_too():
    rows = [(k, "A", date(2024, 9, 1), date(2027, 8, 31)) for k in range(10)]
    rows += [(100, "A", date(2025, 9, 1), date(2028, 8, 31))]  # 1 against 10: 0.1, bounded to 0.8
    assert fc.forecast_regions(frame(rows), AS_OF)["A"].growth == fc.GROWTH_BOUNDS[0]


def test_an_end_is_known_only_from_its_day():
    """A certificate ended (revoked) after the forecast day was still valid on that day; one ended before it
    is not valid any more, and not "expiring" either."""
    rows = [
        (1, "A", date(2025, 1, 1), date(2027, 12, 31), date(2026, 8, 1)),
        (2, "A", date(2025, 1, 1), date(2027, 12, 31), date(2026, 3, 1)),
    ]
    out = fc.forecast_regions(frame(rows), AS_OF, regions=["A"])["A"]
    assert (out.valid_now, out.staying, out.expiring) == (1, 1, 0)
    later = fc.forecast_regions(frame(rows), date(2026, 9, 1), regions=["A"])["A"]
    assert later.valid_now == 0


def test_certificates_issued_after_the_day_are_not_seen():
    rows = [(1, "A", date(2026, 7, 1), date(2029, 6, 30))]
    assert fc.forecast_regions(frame(rows), AS_OF, regions=["A"])["A"].valid_now == 0


# --- new certifications from the application pipeline and past pass rates ------------------------------------


def decisions(rows):
    """(app, firm, region, phase, day) tuples → the decision frame the forecast reads."""
    return pl.DataFrame(rows, schema=fc.DECISION_SCHEMA, orient="row")


def history(region, n_certified, n_rejected, year, app0=1000, firm0=1000):
    """Decided HTE applications of `year`: submitted in March, certified in November or rejected after review."""
    rows = []
    for k in range(n_certified + n_rejected):
        app, firm = app0 + k, firm0 + k
        rows += [
            (app, firm, region, "submitted", date(year, 3, 1)),
            (app, firm, region, "recommended", date(year, 4, 1)),
            (app, firm, region, "accepted", date(year, 5, 1)),
            (app, firm, region, "reviewed", date(year, 9, 1)),
        ]
        if k < n_certified:
            rows += [
                (app, firm, region, "approved", date(year, 10, 1)),
                (app, firm, region, "in_notice", date(year, 10, 10)),
                (app, firm, region, "certified", date(year, 11, 1)),
            ]
        else:
            rows.append((app, firm, region, "rejected", date(year, 10, 1)))
    return rows


def test_pass_rates_per_stage_shrink_to_the_province_and_the_province_to_the_prior():
    rows = history("A", 60, 40, 2024) + history("B", 3, 1, 2024, app0=5000, firm0=5000)
    rates = fc.stage_rates(decisions(rows), AS_OF, "hte")
    assert rates.counts["A"]["submitted"] == (60, 100) and rates.counts["A"]["approved"] == (60, 60)
    province = (63 + fc.PRIOR_WEIGHT * 0.70) / (104 + fc.PRIOR_WEIGHT)
    assert rates.province_rate("submitted") == pytest.approx(province)
    assert rates.rate("A", "submitted") == pytest.approx((60 + fc.SHRINK_APPLICATIONS * province) / 120)
    assert rates.rate("B", "submitted") == pytest.approx((3 + fc.SHRINK_APPLICATIONS * province) / 24)
    assert rates.rate("C", "submitted") == pytest.approx(province)  # no history: the province's rate
    assert rates.rate("A", "returned") == rates.rate("A", "submitted")  # sent back: counted where it left
    # past the review every application was certified: the rate there is above the rate at submission
    assert rates.rate("A", "approved") > rates.rate("A", "reviewed") > rates.rate("A", "submitted")
    # nothing decided at all: the stated prior
    empty = fc.stage_rates(decisions([]), AS_OF, "hte")
    assert empty.rate("A", "reviewed") == pytest.approx(fc.STAGE_PRIORS["hte"]["reviewed"])


def test_only_what_was_decided_by_the_day_and_within_the_history_years_counts():
    rows = history("A", 10, 10, 2025)  # decided in October/November 2025, before AS_OF (2026-06-30): counted
    # decided the day after AS_OF, and decided more than HISTORY_YEARS before it: not counted
    late = [(9000, 9000, "A", "submitted", date(2026, 3, 1)), (9000, 9000, "A", "rejected", date(2026, 7, 1))]
    old = history("A", 0, 30, 2021, app0=7000, firm0=7000)
    rates = fc.stage_rates(decisions(rows + late + old), AS_OF, "hte")
    assert rates.counts["A"]["submitted"] == (10, 20)


def test_new_certifications_from_applications_in_review_and_those_to_come():
    past = history("A", 80, 20, 2025)  # 80% pass; all decided by the end of 2025
    # on 2025-06-30 (a year before the day) the 100 were in review and all were decided by the year end;
    # 10 more were submitted after 2025-06-30 and decided in 2025 (certified)
    later = []
    for k in range(10):
        app = 3000 + k
        later += [
            (app, app, "A", "submitted", date(2025, 8, 1)),
            (app, app, "A", "certified", date(2025, 12, 1)),
        ]
    # now: 5 applications at submission, 5 approved, in review on AS_OF
    now = []
    for k in range(10):
        app = 4000 + k
        now.append((app, app, "A", "submitted", date(2026, 5, 1)))
        if k >= 5:
            now.append((app, app, "A", "approved", date(2026, 6, 1)))
    pipe = fc.Pipeline(hte=decisions(past + later + now), pool=decisions([]))
    rows = [(1, "A", date(2025, 1, 10), three_years(date(2025, 1, 10)))]
    out = fc.forecast_regions(frame(rows), AS_OF, regions=["A"], applications=pipe)["A"]
    rates = fc.stage_rates(pipe.hte, AS_OF, "hte")
    assert out.method == "applications" and out.in_review == 10
    expected_review = 5 * rates.rate("A", "submitted") + 5 * rates.rate("A", "approved")
    assert out.from_review == pytest.approx(expected_review)  # timing 1: all of last year's were decided
    # submissions: 20 in the last 12 months against 100 in the 12 before → growth at its floor
    assert out.later == pytest.approx(10 * fc.GROWTH_BOUNDS[0])
    assert out.from_later == pytest.approx(out.later * rates.rate("A", "submitted"))
    assert out.new == pytest.approx(out.from_review + out.from_later)
    assert out.expected == round(1 + out.new) and out.low <= out.expected <= out.high
    # the untapped pipeline caps the applications still to come
    capped = fc.Pipeline(hte=pipe.hte, pool=decisions([]), reserve={"A": 3})
    out = fc.forecast_regions(frame(rows), AS_OF, regions=["A"], applications=capped)["A"]
    assert out.later == 3 and out.capped and out.pipeline == 3


def test_without_application_history_the_certificate_trend_is_used():
    rows = [(1, "A", date(2025, 1, 10), three_years(date(2025, 1, 10)))]
    pipe = fc.Pipeline(hte=decisions([]), pool=decisions([]))
    out = fc.forecast_regions(frame(rows), AS_OF, regions=["A"], applications=pipe)["A"]
    assert out.method == "certificates" and out.pass_rate is None


# --- on the synthetic history ------------------------------------------------------------------------------


@pytest.fixture
def synthetic(db):
    from gaoqi.demo.generator import generate
    from gaoqi.demo.loader import load

    load(generate(6000, 2019, date(2026, 11, 20)), facts=False, ip_items="none", progress=False)


def test_backtest_on_the_synthetic_history(synthetic):
    """Forecast the end of 2025 from 2025-06-30: the interval covers the actual count for most cities and
    the error stays small (the figures `bench/forecast.py` prints at full size)."""
    result = fc.backtest(today=date(2026, 11, 20))
    assert {r.method for r in result.rows} == {"certificates"}  # no application history yet
    assert (result.as_of, result.year_end) == (date(2025, 6, 30), date(2025, 12, 31))
    assert len(result.rows) == 13
    assert result.coverage >= 0.75
    assert result.mape < 10
    total = sum(r.actual for r in result.rows)
    assert abs(result.total_error) < 0.05 * total
    for r in result.rows:
        assert r.low <= r.expected <= r.high and r.actual > 0


def test_the_synthetic_application_history_agrees_with_the_certificates(synthetic):
    """demo.monitoring's past applications: one certified application per first certification of the past
    years, on its issue day; rejections at each city's own rate; made once; the backtest then uses them."""
    from django.db.models import Count

    from gaoqi.demo.monitoring import ensure_demo_application_history
    from gaoqi.workflow.models import Application, Decision

    made = ensure_demo_application_history(as_of=date(2026, 11, 20))
    assert made["hte"] > 500 and made["tech_sme"] > 0 and "pool" not in made
    assert ensure_demo_application_history(as_of=date(2026, 11, 20)) == {}
    certs = fc.known(fc.certificate_frame(), date(2026, 11, 20))
    newly = fc._newly_certified(certs, date(2021, 12, 31), date(2025, 12, 31))
    issued = {(f, d) for f, d in newly.select("firm", "issued").iter_rows()}
    certified = {
        (d.application.enterprise_id, d.at.astimezone(fc_tz()).date())
        for d in Decision.objects.filter(application__programme="hte", to_phase="certified").select_related(
            "application"
        )
    }
    assert certified == issued
    from gaoqi.programmes.hte.models import HteRecord

    # each certified one has its record, without an issue date (no after-certification duties)
    records = HteRecord.objects.filter(application__declared__history=True)
    assert records.count() == len(issued) and not records.exclude(issued_on=None).exists()
    assert not Application.objects.filter(year__gte=2026).exists()
    assert Application.objects.filter(programme="hte", phase="in_notice").count() == 0  # all decided
    phases = dict(Application.objects.filter(programme="hte").values_list("phase").annotate(n=Count("id")))
    assert phases["rejected"] > 0 and phases["withdrawn"] > 0
    rates = fc.stage_rates(fc.decision_frame("hte"), date(2026, 11, 20), "hte")
    assert 0.55 < rates.province_rate("submitted") < 0.9
    result = fc.backtest(today=date(2026, 11, 20))
    assert {r.method for r in result.rows} == {"applications"}
    assert result.coverage >= 0.75 and result.mape < 10


def fc_tz():
    from django.utils import timezone

    return timezone.get_default_timezone()


# --- the page ----------------------------------------------------------------------------------------------


@pytest.fixture
def page_world(world):
    from django.utils import timezone

    from gaoqi.regions.models import Region
    from gaoqi.registry.models import CertificateKind
    from gaoqi.registry.services import certificate_record
    from gaoqi.targets import services as target_services

    today = timezone.localdate()
    p = world["province"]
    for firm, issued in (
        (world["ks"], today - timedelta(days=400)),
        (world["nj"], today - timedelta(days=100)),
    ):
        certificate_record(
            actor=p,
            enterprise=firm,
            kind=CertificateKind.HTE,
            number=f"GR{firm.pk:08d}",
            issued_on=issued,
            expires_on=three_years(issued),
        )
    target_services.target_set(
        actor=p, region=Region.objects.get(code="320500"), year=today.year, indicator="valid_hte", value=7
    )
    return world


def test_the_province_sees_every_city_beside_its_target(client, page_world):
    client.force_login(page_world["province"])
    response = client.get("/monitoring/forecast/")
    assert response.status_code == 200
    page = response.context["f"]
    assert len(page.rows) == 13
    suzhou = next(r for r in page.rows if r.code == "320500")
    assert suzhou.valid_now == 1 and suzhou.target == 7 and suzhou.gap == suzhou.expected - 7
    assert page.total.valid_now == 2
    html = response.content.decode()
    assert "预测方法" in html and "回测" in html and 'data-region="320100"' in html


def test_a_city_officer_sees_its_counties_and_nothing_else(client, page_world):
    client.force_login(page_world["suzhou"])
    response = client.get("/monitoring/forecast/")
    assert response.status_code == 200
    codes = {r.code for r in response.context["f"].rows}
    assert "320583" in codes and all(c.startswith("3205") for c in codes)
    assert response.context["f"].total.valid_now == 1  # Kunshan's; Nanjing's firm is not counted
    assert client.get("/monitoring/forecast/?region=320100").status_code == 404
    assert client.get("/monitoring/forecast/?region=320000").status_code == 404


def test_a_county_officer_sees_its_own_county_only(client, page_world):
    client.force_login(page_world["kunshan"])
    response = client.get("/monitoring/forecast/")
    assert response.status_code == 200
    assert [r.code for r in response.context["f"].rows] == ["320583"]
    assert client.get("/monitoring/forecast/?region=320506").status_code == 404


@pytest.mark.parametrize("who", ["ks_user", "expert", "agency"])
def test_not_an_officer_gets_not_found(client, page_world, who):
    client.force_login(page_world[who])
    assert client.get("/monitoring/forecast/").status_code == 404


def test_the_pipeline_counts_ledger_reserve_firms(page_world):
    """Firms without a certificate meeting every hard condition (高企后备) count, by city or by county; HTEs
    and firms failing a condition do not."""
    from django.utils import timezone

    from gaoqi.ledger.models import LedgerEntry
    from tests import factories

    p = page_world["province"]

    def entry(firm, *, hte: bool, failed: int | None):
        return LedgerEntry.objects.create(
            enterprise=firm,
            as_of=timezone.localdate(),
            grade="B",
            city_id=firm.city_id,
            county_id=firm.county_id,
            name_pinyin=firm.name,
            has_hte_certificate=hte,
            hte_hard_failed=failed,
            updated_at=timezone.now(),
        )

    entry(page_world["wz"], hte=False, failed=0)
    entry(factories.enterprise("320583", actor=p), hte=False, failed=0)
    entry(page_world["ks"], hte=True, failed=0)
    entry(page_world["nj"], hte=False, failed=2)
    entry(factories.enterprise("320115", actor=p), hte=False, failed=None)  # not evaluated
    assert fc.pipeline_counts() == {"320500": 2}
    assert fc.pipeline_counts(key="county_id") == {"320506": 1, "320583": 1}


def test_api_forecast_in_scope(client, page_world):
    client.force_login(page_world["province"])
    data = client.get("/api/monitoring/forecast").json()
    assert len(data["rows"]) == 13 and data["total"]["valid_now"] == 2
    suzhou = next(r for r in data["rows"] if r["region_code"] == "320500")
    assert suzhou["target"] == 7 and suzhou["low"] <= suzhou["expected"] <= suzhou["high"]
    assert "staying" in data["method"] and len(data["backtest"]["rows"]) == 13
    client.force_login(page_world["suzhou"])
    assert {r["region_code"][:4] for r in client.get("/api/monitoring/forecast").json()["rows"]} == {"3205"}
    assert client.get("/api/monitoring/forecast?region=320100").status_code == 404
    client.force_login(page_world["ks_user"])
    assert client.get("/api/monitoring/forecast").status_code == 404
