"""The demo's high-tech zones (calibrated to the plan's KPI) and its service records."""

from datetime import date

import numpy as np
import pytest
from django.utils import timezone

from gaoqi.accounts.models import User
from gaoqi.audit.models import AuditEvent
from gaoqi.audit.services import chain_verify
from gaoqi.coaching.models import ServiceRecord
from gaoqi.coaching.selectors import follow_ups, overdue_count
from gaoqi.demo import calibration as cal
from gaoqi.demo.accounts import ensure_demo_accounts
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import delete_synthetic, load
from gaoqi.registry.models import Enterprise

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def pool():
    return generate(2000, 2019, AS_OF)


def test_about_half_of_the_htes_are_in_a_zone(pool):
    f = pool.firm
    in_zone = f["hitech_zone"] != ""
    lo, hi = cal.ZONE_HTE_SHARE_RANGE
    assert lo <= in_zone[f["hte_valid"]].mean() <= hi
    # HTEs are likelier to sit in a zone than the other firms; the flag is the zone's shadow.
    assert in_zone[f["hte_valid"]].mean() > in_zone[~f["hte_valid"]].mean()
    assert (f["in_hitech_zone"] == in_zone).all()


def test_firms_join_only_zones_of_their_county(pool):
    county_of = {z["code"]: z["county_code"] for z in cal.hitech_zones()}
    f = pool.firm
    joined = np.flatnonzero(f["hitech_zone"] != "")
    assert all(county_of[f["hitech_zone"][i]] == f["county"][i] for i in joined)
    assert len(set(f["hitech_zone"][joined].tolist())) > 20  # most zones have firms


def test_same_seed_same_zones(pool):
    again = generate(2000, 2019, AS_OF)
    assert (again.firm["hitech_zone"] == pool.firm["hitech_zone"]).all()


@pytest.mark.django_db
def test_loader_stores_the_zones_and_demo_records_follow(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ds = generate(300, 3, AS_OF)
    load(ds, progress=False)
    stored = dict(Enterprise.objects.values_list("credit_code", "hitech_zone_id"))
    for code, zone in zip(ds.firm["credit_code"].tolist(), ds.firm["hitech_zone"].tolist(), strict=True):
        assert stored[code] == (zone or None)
    assert not Enterprise.objects.filter(hitech_zone__isnull=False, in_hitech_zone=False).exists()

    ensure_demo_accounts()
    agency, suzhou = User.objects.get(username="agency"), User.objects.get(username="suzhou")
    records = ServiceRecord.objects.all()
    assert (
        records.count() > 0
        and records.filter(author=suzhou).exists()
        and records.filter(agency__isnull=False)
    )
    today = timezone.localdate()
    assert overdue_count(actor=agency) > 0 and overdue_count(actor=suzhou) == overdue_count(actor=agency)
    assert follow_ups(actor=agency, when="upcoming", today=today).object_list
    n_records = records.count()
    ensure_demo_accounts()  # idempotent
    assert ServiceRecord.objects.count() == n_records
    about = list(AuditEvent.objects.filter(enterprise__isnull=False).order_by("seq"))
    assert len(about) == n_records  # one event per record
    delete_synthetic()  # the records go with their synthetic firms; the audit events about those firms stay
    assert not ServiceRecord.objects.exists()
    kept = list(AuditEvent.objects.filter(pk__in=[e.pk for e in about]).order_by("seq"))
    assert [(e.enterprise_id, e.enterprise_code, e.enterprise_name) for e in kept] == [
        (e.enterprise_id, e.enterprise_code, e.enterprise_name) for e in about
    ]
    assert all(e.enterprise_code and e.enterprise_name for e in kept)
    deletion = AuditEvent.objects.get(action="delete", target_type="registry.datasource")
    assert deletion.old["audit_events_about_synthetic_firms_kept"] == n_records
    assert chain_verify().ok
