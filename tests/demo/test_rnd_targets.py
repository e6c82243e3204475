"""The demo's R&D institutions, tags, evaluations and targets: calibrated, deterministic, idempotent, synthetic."""

import time
from datetime import date

import pytest

from gaoqi.demo.generator import generate
from gaoqi.demo.loader import delete_synthetic, load
from gaoqi.demo.rnd import ensure_demo_rnd
from gaoqi.demo.targets import ensure_demo_targets
from gaoqi.rnd.models import InstitutionPerformance, RndActionTag, RndInstitution
from gaoqi.rnd.selectors import coverage
from gaoqi.targets.models import Target
from tests import factories

AS_OF = date(2025, 6, 30)
N = 3000


@pytest.fixture
def demo(db):
    load(generate(N, 7, AS_OF), progress=False)
    started = time.perf_counter()
    rnd = ensure_demo_rnd(as_of=AS_OF)
    targets = ensure_demo_targets(as_of=AS_OF)
    return rnd, targets, time.perf_counter() - started


def _snapshot():
    insts = list(
        RndInstitution.objects.order_by("enterprise__credit_code", "kind", "name").values_list(
            "enterprise__credit_code", "name", "kind", "level", "recognized_on", "status"
        )
    )
    targets = list(
        Target.objects.order_by("year", "region_id", "indicator").values_list(
            "year", "region_id", "indicator", "value"
        )
    )
    return insts, targets


def test_institutions_on_a_calibrated_share_of_above_scale_htes(demo):
    rnd, targets, seconds = demo
    assert rnd["institutions"] > 0 and rnd["evaluations"] > 0 and rnd["tags"] > 0
    assert RndInstitution.objects.filter(synthetic=False).count() == 0
    cov = coverage(actor=factories.province_admin(), as_of=AS_OF)
    rate = cov.total.covered / cov.total.total
    assert cov.total.total > 50
    assert 0.72 < rate < 0.95  # calibrated ~78-88% by region, never a round 100%
    rates = [r.rate for r in cov.rows if r.total >= 20]
    assert len(set(rates)) > 3  # cities differ
    assert seconds < 20


def test_evaluations_graded_by_the_engine(demo):
    perfs = InstitutionPerformance.objects.all()
    assert perfs.exists()
    assert set(perfs.values_list("year", flat=True)) == {AS_OF.year - 1}
    assert set(perfs.values_list("institution__level", flat=True)) == {"provincial"}
    assert len(set(perfs.values_list("grade", flat=True))) >= 2
    assert all(p.param_hash and p.synthetic for p in perfs)


def test_targets_per_city_and_county_two_years_not_round(demo):
    _rnd, n, _s = demo
    assert n == Target.objects.count()
    assert set(Target.objects.values_list("year", flat=True)) == {AS_OF.year, AS_OF.year + 1}
    cities = Target.objects.filter(region__level="city", year=AS_OF.year, indicator="valid_hte")
    assert cities.count() == 13
    values = list(cities.values_list("value", flat=True))
    assert sum(v % 100 == 0 for v in values) <= 2  # not round quotas
    assert Target.objects.filter(region__level="county", year=AS_OF.year, indicator="new_hte").count() > 90
    suzhou = Target.objects.get(region_id="320500", year=AS_OF.year, indicator="new_hte").value
    counties = sum(
        Target.objects.filter(
            region__city_code="320500", region__level="county", year=AS_OF.year, indicator="new_hte"
        ).values_list("value", flat=True)
    )
    assert suzhou <= counties <= suzhou * 1.07


def test_deterministic_and_idempotent(demo):
    first = _snapshot()
    assert ensure_demo_rnd(as_of=AS_OF) == {} and ensure_demo_targets(as_of=AS_OF) == 0
    delete_synthetic()
    assert not RndInstitution.objects.exists() and not RndActionTag.objects.exists()
    Target.objects.all().delete()
    load(generate(N, 7, AS_OF), replace=True, progress=False)
    ensure_demo_rnd(as_of=AS_OF)
    ensure_demo_targets(as_of=AS_OF)
    assert _snapshot() == first
