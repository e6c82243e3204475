"""High-tech zones on the enterprise list (filter, label), the firm page and the home KPI."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from gaoqi.registry.services import certificate_record, enterprise_update
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/enterprises/"


def names(client, **params) -> set[str]:
    html = client.get(URL, params).content.decode()
    return set(re.findall(r'<td><a href="/enterprises/[0-9A-Z]{18}/">([^<]+)</a></td>', html))


@pytest.fixture
def zoned(world):
    enterprise_update(actor=world["province"], enterprise=world["ks"], hitech_zone_id="kunshan")
    return world


def test_zone_filter_and_label(as_user, zoned):
    client = as_user(zoned["suzhou"])
    page = client.get(URL).content.decode()
    assert (
        'name="hitech_zone"' in page and ">昆山高新区</option>" in page and ">苏州工业园区</option>" in page
    )
    assert ">南京高新区</option>" not in page  # zones of the officer's city only
    assert names(client, hitech_zone="kunshan") == {zoned["ks"].name}
    assert names(client, hitech_zone="any") == {zoned["ks"].name}
    assert names(client, hitech_zone="none") == {zoned["wz"].name}
    assert names(client, hitech_zone="nanjing") == {
        zoned["ks"].name,
        zoned["wz"].name,
    }  # not offered: ignored
    assert '<div class="muted small">昆山高新区</div>' in page


def test_no_zone_filter_for_enterprise_users(as_user, zoned):
    assert 'name="hitech_zone"' not in as_user(zoned["ks_user"]).get(URL).content.decode()


def test_firm_page_names_the_zone(as_user, zoned):
    html = as_user(zoned["kunshan"]).get(f"/enterprises/{zoned['ks'].credit_code}/").content.decode()
    assert "是 · 昆山高新区（国家级）" in html


def test_home_shows_the_zone_kpi(as_user, zoned):
    today = timezone.localdate()
    for key in ("ks", "wz"):
        certificate_record(
            actor=zoned["province"],
            enterprise=zoned[key],
            kind="hte",
            number=f"GR{key}",
            issued_on=today - timedelta(days=100),
            expires_on=today + timedelta(days=900),
        )
    factories.enterprise("320506", actor=zoned["province"])
    html = as_user(zoned["suzhou"]).get("/").content.decode()
    kpi = html.split('data-testid="kpi-zone"')[1].split("</a>")[0]
    assert '<span class="kpi-value">50</span>' in kpi and "区内高企 1 家" in kpi
