"""What the other apps read from the pool: the rewards' pool membership (an admission reward computed for an
admitted firm) and the targets' pool size of a region on a date."""

from datetime import date, timedelta

import pytest

from gaoqi.programmes.pool import selectors
from gaoqi.programmes.pool.models import PoolRecord
from gaoqi.regions.models import Region
from gaoqi.rewards import services as rewards
from gaoqi.rewards.facts import pool_memberships
from gaoqi.rewards.models import Entitlement
from gaoqi.targets import selectors as targets
from gaoqi.workflow.notices import notice_close
from gaoqi.workflow.services import transition
from tests.pool.conftest import at, fresh, noticed

pytestmark = pytest.mark.django_db


def _admit(w, keys):
    from gaoqi.programmes.pool import services

    notice, apps = noticed(w, keys)
    day = notice.ends_on + timedelta(days=1)
    with at(day):
        notice_close(actor=w["province"], notice=notice)
        services.admit_batch(actor=w["province"], items=[(a.pk, a.version) for a in apps], batch_no=1)
    return day, [fresh(a) for a in apps]


def test_rewards_read_pool_membership_and_compute_an_admission_reward(pool_world):
    w = pool_world
    day, (ks,) = _admit(w, ("ks",))
    assert pool_memberships([w["ks"].pk, w["nj"].pk]) == {w["ks"].pk: (day, None)}
    result = rewards.entitlements_compute(
        actor=w["province"], issuer=Region.objects.get(code="320000"), year=2026
    )
    assert not result.errors
    got = {
        (e.enterprise_id, e.kind): e.amount for e in Entitlement.objects.filter(issuer_id="320000", year=2026)
    }
    assert got == {(w["ks"].pk, "admission"): 100_000_00}  # the province's illustrative 100,000 yuan, in fen
    e = Entitlement.objects.get(kind="admission")
    assert e.inputs["admitted_on"] == day.isoformat() and e.illustrative
    # after the firm leaves the pool the source says when
    with at(day):
        transition(
            actor=w["province"],
            application=fresh(ks),
            action="revoke",
            reason="撤销",
            version=fresh(ks).version,
        )
    assert pool_memberships([w["ks"].pk]) == {w["ks"].pk: (day, day)}


def test_the_pool_size_of_a_region_on_a_date(pool_world):
    w = pool_world
    before = w["today"]
    day, (ks, wz, nj) = _admit(w, ("ks", "wz", "nj"))
    assert selectors.pool_size("320000", before) == 0
    assert selectors.pool_size("320000", day) == 3
    assert selectors.pool_size("320500", day) == 2 and selectors.pool_size("320583", day) == 1
    assert selectors.pool_size_by("320000", "city", day) == {"320500": 2, "320100": 1}
    ends = PoolRecord.objects.get(application=nj).ends_on
    assert (
        selectors.pool_size("320100", ends) == 1
        and selectors.pool_size("320100", ends + timedelta(days=1)) == 0
    )
    with at(day):
        transition(actor=w["province"], application=wz, action="revoke", reason="撤销", version=wz.version)
    assert selectors.pool_size("320500", day) == 1  # left the pool that day
    assert selectors.pool_size("320500", day - timedelta(days=1)) == 0

    # wired into the targets: actual pool size per region, in the officer's scope
    p = targets.progress(actor=w["suzhou"], year=2026, as_of=day)
    by = {r.region.code: r.cells["pool_size"].actual for r in p.rows}
    assert by["320583"] == 1 and by["320506"] == 0 and p.own.cells["pool_size"].actual == 1
    p = targets.progress(actor=w["province"], year=2026, as_of=day)
    assert {r.region.code: r.cells["pool_size"].actual for r in p.rows}["320100"] == 1
    assert p.own.cells["pool_size"].actual == 2
    assert (
        targets.progress(actor=w["province"], year=2026, as_of=date(2026, 1, 1)).own.cells["pool_size"].actual
        == 0
    )
