"""Assigning firms to service agencies: officers, within their scope, with agencies they work with; audited."""

import pytest

from gaoqi.accounts.models import AgencyAssignment, ServiceAgency
from gaoqi.accounts.scope import agencies_for_actor, can, scope_enterprises
from gaoqi.accounts.selectors import agency_list, assignments_for
from gaoqi.accounts.services import agency_assign, agency_assign_many, agency_unassign
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def agencies(world):
    return {
        "suzhou": world["agency"].agency,  # Suzhou city, already coaching wz
        "kunshan": ServiceAgency.objects.create(name="昆山机构", region_id="320583"),
        "wuzhong": ServiceAgency.objects.create(name="吴中机构", region_id="320506"),
        "nanjing": ServiceAgency.objects.create(name="南京机构", region_id="320100"),
        "province": ServiceAgency.objects.create(name="省级机构", region_id="320000"),
    }


@pytest.mark.parametrize(
    "actor,usable,manageable",
    [
        (
            "province",
            {"suzhou", "kunshan", "wuzhong", "nanjing", "province"},
            {"suzhou", "kunshan", "wuzhong", "nanjing", "province"},
        ),
        ("suzhou", {"suzhou", "kunshan", "wuzhong", "province"}, {"suzhou", "kunshan", "wuzhong"}),
        ("kunshan", {"suzhou", "kunshan", "province"}, {"kunshan"}),
        ("nanjing", {"nanjing", "province"}, {"nanjing"}),
        ("agency", {"suzhou"}, set()),
        ("ks_user", set(), set()),
    ],
)
def test_which_agencies_an_actor_works_with(world, agencies, actor, usable, manageable):
    names = {a.pk: k for k, a in agencies.items()}
    assert {names[a.pk] for a in agencies_for_actor(world[actor])} == usable
    assert {names[a.pk] for a in agencies_for_actor(world[actor], manage=True)} == manageable


def test_assign_gives_the_agency_sight_of_the_firm_and_unassign_takes_it(world, agencies):
    kunshan, agency_user = world["kunshan"], world["agency"]
    ks = world["ks"]
    assert not can(agency_user, "view", ks)
    agency_assign(actor=kunshan, agency=agencies["suzhou"], enterprise=ks, reason="重点培育")
    assert can(agency_user, "view", ks) and ks in scope_enterprises(agency_user)
    agency_assign(actor=kunshan, agency=agencies["suzhou"], enterprise=ks)  # idempotent: no second event
    assert agency_unassign(actor=kunshan, agency=agencies["suzhou"], enterprise=ks, reason="转交县级机构")
    assert not can(agency_user, "view", ks)
    assert not agency_unassign(actor=kunshan, agency=agencies["suzhou"], enterprise=ks)
    events = AuditEvent.objects.filter(target_type="accounts.agencyassignment").order_by("id")
    assert [(e.action, e.actor, e.enterprise, e.reason) for e in events] == [
        ("create", kunshan, ks, "重点培育"),
        ("delete", kunshan, ks, "转交县级机构"),
    ]
    assert events[1].old["agency"] == agencies["suzhou"].name


@pytest.mark.parametrize(
    "actor,agency,firm",
    [
        ("kunshan", "kunshan", "wz"),  # firm in another county
        ("suzhou", "suzhou", "nj"),  # firm in another city
        ("kunshan", "wuzhong", "ks"),  # an agency of another county
        ("suzhou", "nanjing", "ks"),  # an agency of another city
        ("agency", "suzhou", "wz"),  # agencies do not assign themselves
        ("ks_user", "kunshan", "ks"),
    ],
)
def test_assigning_across_a_boundary_is_not_found(world, agencies, actor, agency, firm):
    before = AgencyAssignment.objects.count()
    with pytest.raises(NotFound):
        agency_assign(actor=world[actor], agency=agencies[agency], enterprise=world[firm])
    assert AgencyAssignment.objects.count() == before
    if (agency, firm) == ("suzhou", "wz"):
        with pytest.raises(NotFound):
            agency_unassign(actor=world[actor], agency=agencies[agency], enterprise=world[firm])
        assert AgencyAssignment.objects.filter(agency=agencies["suzhou"], enterprise=world["wz"]).exists()


def test_batch_assign_is_all_or_none(world, agencies):
    suzhou = world["suzhou"]
    n = agency_assign_many(actor=suzhou, agency=agencies["kunshan"], enterprises=[world["ks"], world["wz"]])
    assert n == 2
    with pytest.raises(NotFound):
        agency_assign_many(actor=suzhou, agency=agencies["wuzhong"], enterprises=[world["wz"], world["nj"]])
    assert not AgencyAssignment.objects.filter(agency=agencies["wuzhong"]).exists()


def test_lists_show_only_firms_in_the_officers_scope(world, agencies):
    province = world["province"]
    for key in ("ks", "wz", "nj"):
        agency_assign(actor=province, agency=agencies["province"], enterprise=world[key])
    counts = {a.name: a.firms for a in agency_list(actor=world["kunshan"])}
    assert counts["省级机构"] == 1 and "南京机构" not in counts
    firms = assignments_for(actor=world["suzhou"], agency=agencies["province"]).object_list
    assert {a.enterprise for a in firms} == {world["ks"], world["wz"]}
