"""High-tech zones: the fixture, a firm's zone (in its city, at most one), the flag kept in step, the filter."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from gaoqi.audit.models import AuditEvent
from gaoqi.errors import ValidationFailed
from gaoqi.registry.models import Enterprise, HitechZone, ZoneLevel
from gaoqi.registry.selectors import EnterpriseFilter, enterprise_list, hitech_zone_list
from gaoqi.registry.services import enterprise_create, enterprise_update
from tests import factories

pytestmark = pytest.mark.django_db


def test_fixture_holds_jiangsus_national_zones_with_their_county():
    national = HitechZone.objects.filter(level=ZoneLevel.NATIONAL)
    assert national.count() == 18
    assert {"nanjing", "suzhou", "wuxi", "changzhou", "kunshan", "jiangyin", "sip"} <= set(
        national.values_list("code", flat=True)
    )
    suzhou = HitechZone.objects.get(code="suzhou")
    assert (suzhou.name, suzhou.short_name, suzhou.county_id, suzhou.city_id) == (
        "苏州高新技术产业开发区",
        "苏州高新区",
        "320505",
        "320500",
    )
    # Every zone lies in a county of the division fixture, its city derived from the code.
    for zone in HitechZone.objects.select_related("county"):
        assert zone.county.level == "county" and zone.county.city_code == zone.city_id
    # The provincial list is illustrative: every provincial row is flagged to be verified.
    provincial = HitechZone.objects.filter(level=ZoneLevel.PROVINCIAL)
    assert provincial.exists() and not provincial.filter(to_verify=False).exists()


def test_zone_list_is_national_first_and_filters():
    zones = list(hitech_zone_list())
    levels = [z.level for z in zones]
    assert levels == sorted(levels)
    assert {z.code for z in hitech_zone_list(city="320500")} >= {"suzhou", "sip", "kunshan", "changshu"}
    assert all(z.level == "provincial" for z in hitech_zone_list(level="provincial"))


def test_create_with_a_zone_sets_the_flag_and_audits(world):
    firm = factories.enterprise("320583", hitech_zone="kunshan", actor=world["kunshan"])
    assert (firm.hitech_zone_id, firm.in_hitech_zone) == ("kunshan", True)
    event = AuditEvent.objects.filter(target_type="registry.enterprise", target_id=str(firm.pk)).get()
    assert event.new["hitech_zone"] == "kunshan" and event.new["in_hitech_zone"] is True


@pytest.mark.parametrize(
    "county,zone",
    [
        ("320583", "nanjing"),  # a Nanjing zone for a Kunshan firm: another city
        ("320583", "no-such-zone"),
    ],
)
def test_zone_must_exist_and_lie_in_the_firms_city(world, county, zone):
    before = Enterprise.objects.count()
    with pytest.raises(ValidationFailed) as err:
        factories.enterprise(county, hitech_zone=zone, actor=world["province"])
    assert [e["field"] for e in err.value.errors] == ["hitech_zone"]
    assert Enterprise.objects.count() == before


def test_a_zone_elsewhere_in_the_same_city_is_accepted(world):
    # Zones have parks across their city's districts: a Wuzhong firm may belong to 苏州高新区.
    firm = enterprise_update(actor=world["suzhou"], enterprise=world["wz"], hitech_zone_id="suzhou")
    assert firm.hitech_zone_id == "suzhou" and firm.in_hitech_zone


def test_update_keeps_flag_and_zone_in_step(world):
    ks, officer = world["ks"], world["kunshan"]
    enterprise_update(actor=officer, enterprise=ks, hitech_zone_id="kunshan", reason="园区名录")
    ks.refresh_from_db()
    assert (ks.hitech_zone_id, ks.in_hitech_zone) == ("kunshan", True)
    # Clearing the flag clears the zone; the audit keeps both old values.
    enterprise_update(actor=officer, enterprise=ks, in_hitech_zone=False, reason="迁出园区")
    ks.refresh_from_db()
    assert (ks.hitech_zone_id, ks.in_hitech_zone) == (None, False)
    event = AuditEvent.objects.filter(target_id=str(ks.pk), reason="迁出园区").get()
    assert event.old == {"in_hitech_zone": True, "hitech_zone_id": "kunshan"}
    assert event.new == {"in_hitech_zone": False, "hitech_zone_id": None}
    # The flag alone (a department file's 是/否) is allowed: in a zone, which one not recorded.
    enterprise_update(actor=officer, enterprise=ks, in_hitech_zone=True)
    ks.refresh_from_db()
    assert (ks.hitech_zone_id, ks.in_hitech_zone) == (None, True)
    # Clearing the zone without a flag says "in no zone".
    enterprise_update(actor=officer, enterprise=ks, hitech_zone_id="kunshan")
    enterprise_update(actor=officer, enterprise=ks, hitech_zone_id=None)
    ks.refresh_from_db()
    assert (ks.hitech_zone_id, ks.in_hitech_zone) == (None, False)


def test_contradictory_update_is_refused(world):
    with pytest.raises(ValidationFailed) as err:
        enterprise_update(
            actor=world["kunshan"], enterprise=world["ks"], hitech_zone_id="kunshan", in_hitech_zone=False
        )
    assert err.value.errors[0]["field"] == "hitech_zone"


def test_database_refuses_a_zone_without_the_flag(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.filter(pk=world["ks"].pk).update(hitech_zone_id="kunshan", in_hitech_zone=False)


def test_list_filter_by_zone(world):
    province = world["province"]
    in_ks = factories.enterprise("320583", name="昆山园区企业", hitech_zone="kunshan", actor=province)
    flag_only = enterprise_create(
        actor=province,
        credit_code=factories.credit_code("320506"),
        name="吴中园区企业",
        region_code="320506",
        founded_on=date(2018, 1, 1),
        in_hitech_zone=True,
    )

    def names(zone):
        page = enterprise_list(actor=province, filters=EnterpriseFilter(hitech_zone=zone), per_page=100)
        return {e.name for e in page.object_list}

    assert names("kunshan") == {in_ks.name}
    assert names("any") == {in_ks.name, flag_only.name}
    assert names("none") == {world[k].name for k in ("ks", "wz", "nj")}
    assert names("sip") == set()
    # Scope still holds under a zone filter: a Nanjing officer asking for a Kunshan zone is told it is not
    # one of theirs (never silently given an empty or an unfiltered list).
    with pytest.raises(ValidationFailed) as err:
        enterprise_list(actor=world["nanjing"], filters=EnterpriseFilter(hitech_zone="kunshan"))
    assert err.value.errors[0]["field"] == "hitech_zone"
