"""Each KPI's numerator and denominator on the hand-built world (conftest), exact."""

from decimal import Decimal

import pytest

from gaoqi.errors import NotFound
from gaoqi.monitoring import selectors
from tests.monitoring.conftest import TODAY


def _values(overview):
    return {v.kpi.code: v for v in overview.own.values}


def test_province_kpis_exact(kpi_world):
    o = selectors.kpi_overview(actor=kpi_world["province"], as_of=TODAY)
    v = _values(o)
    assert v["valid_hte"].numerator == 4 and v["valid_hte"].goal == 30000 and v["valid_hte"].gap == 29996
    assert (v["rnd_coverage"].numerator, v["rnd_coverage"].denominator) == (2, 3)
    assert v["rnd_coverage"].value == Decimal("66.7") and v["rnd_coverage"].gap == Decimal("33.3")
    # A's tax figure (5,000,000) wins over its self-reported one; F's 2024 figure is another year.
    assert (v["rnd_share"].numerator, v["rnd_share"].denominator) == (9_000_000, 15_000_000)
    assert v["rnd_share"].value == Decimal("60.0") and v["rnd_share"].met and v["rnd_share"].year == 2025
    assert v["invention_patents"].numerator == 4
    assert (v["zone_share"].numerator, v["zone_share"].denominator) == (3, 4)
    assert v["zone_share"].value == Decimal("75.0") and v["zone_share"].met
    assert (v["hitech_output_share"].numerator, v["hitech_output_share"].denominator) == (
        45_000_000_000,
        100_000_000_000,
    )
    assert v["hitech_output_share"].value == Decimal("45.0") and v["hitech_output_share"].met
    assert v["hitech_output_share"].denominator_updated_at is not None
    children = {r.region.code: {x.kpi.code: x for x in r.values} for r in o.children}
    assert len(children) == 13
    sz, nj = children["320500"], children["320100"]
    assert sz["valid_hte"].numerator == 3 and nj["valid_hte"].numerator == 1
    assert (sz["rnd_coverage"].numerator, sz["rnd_coverage"].denominator) == (1, 2)
    assert (sz["rnd_share"].numerator, sz["rnd_share"].denominator) == (8_000_000, 10_000_000)
    assert nj["rnd_share"].denominator is None and nj["rnd_share"].value is None and nj["rnd_share"].note
    assert (sz["zone_share"].numerator, sz["zone_share"].denominator) == (2, 3)
    assert sz["invention_patents"].numerator == 3 and sz["invention_patents"].goal is None
    zones = {z.zone.code: z.counts for z in o.zones}
    assert zones["kunshan"].hte == 1 and zones["kunshan"].patents == 2 and zones["nanjing"].hte == 1
    assert "sip" not in zones  # E has the flag alone: in a zone, which one not recorded


def test_strict_goal_needs_more_than_fifty_percent(kpi_world):
    from gaoqi.monitoring.kpis import KPI_BY_CODE, KpiValue

    v = KpiValue(KPI_BY_CODE["zone_share"], Decimal(1), Decimal(2), goal=Decimal(50))
    assert v.value == Decimal("50.0") and not v.met and v.gap == Decimal("0.1")


def test_as_of_before_certification(kpi_world):
    """On 2026-03-09 the four certificates were not issued yet: only C (valid until 2025-05-31) is out too."""
    from datetime import date

    o = selectors.kpi_overview(actor=kpi_world["province"], as_of=date(2026, 3, 9))
    assert _values(o)["valid_hte"].numerator == 0
    o = selectors.kpi_overview(actor=kpi_world["province"], as_of=date(2025, 5, 31))
    assert _values(o)["valid_hte"].numerator == 1  # C, on its last valid day


@pytest.mark.parametrize(
    ("kpi", "names"),
    [
        ("valid_hte", ["昆山丙"]),
        ("rnd_coverage", ["昆山乙"]),
        ("rnd_share", ["吴中戊"]),
        ("invention_patents", ["昆山乙"]),
        ("zone_share", ["昆山乙"]),
    ],
)
def test_missing_firms(kpi_world, kpi, names):
    page = selectors.missing_firms(actor=kpi_world["suzhou"], kpi=kpi, as_of=TODAY, region_code="320500")
    assert [f.name for f in page.object_list] == names


def test_missing_firms_province_includes_nanjing(kpi_world):
    page = selectors.missing_firms(actor=kpi_world["province"], kpi="rnd_share", as_of=TODAY)
    assert [f.name for f in page.object_list] == ["吴中戊"]
    with pytest.raises(NotFound):
        selectors.missing_firms(actor=kpi_world["province"], kpi="hitech_output_share", as_of=TODAY)


def test_scope_crossing(kpi_world):
    suzhou, kunshan = kpi_world["suzhou"], kpi_world["kunshan"]
    for actor, code in ((suzhou, "320100"), (suzhou, "320000"), (suzhou, "320115"), (kunshan, "320500")):
        with pytest.raises(NotFound):
            selectors.kpi_overview(actor=actor, as_of=TODAY, region_code=code)
        with pytest.raises(NotFound):
            selectors.missing_firms(actor=actor, kpi="zone_share", as_of=TODAY, region_code=code)
    for role in ("ks_user", "expert", "agency"):
        with pytest.raises(NotFound):
            selectors.kpi_overview(actor=kpi_world[role], as_of=TODAY, region_code="320500")
    o = selectors.kpi_overview(actor=suzhou, as_of=TODAY, region_code="320583")
    assert _values(o)["valid_hte"].numerator == 2 and o.children == []
