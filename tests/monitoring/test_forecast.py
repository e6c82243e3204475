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
    assert (result.as_of, result.year_end) == (date(2025, 6, 30), date(2025, 12, 31))
    assert len(result.rows) == 13
    assert result.coverage >= 0.75
    assert result.mape < 10
    total = sum(r.actual for r in result.rows)
    assert abs(result.total_error) < 0.05 * total
    for r in result.rows:
        assert r.low <= r.expected <= r.high and r.actual > 0


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
