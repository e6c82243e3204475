"""Scope: every role against every object type. Crossing a boundary must fail, and look like "not found"."""

from datetime import date

import pytest

from gaoqi.accounts.scope import (
    can,
    get_enterprise_for_actor,
    regions_for_filter,
    scope_enterprises,
    scope_related,
)
from gaoqi.errors import NotFound
from gaoqi.registry.models import AnnualReport, Certificate, IntellectualProperty
from gaoqi.registry.services import annual_report_record, certificate_record
from tests import factories

# Which of the world's firms each actor may see.
VISIBLE = {
    "province": {"ks", "wz", "nj"},
    "suzhou": {"ks", "wz"},
    "nanjing": {"nj"},
    "kunshan": {"ks"},
    "ks_user": {"ks"},
    "expert": set(),
    "agency": {"wz"},
}
FIRMS = ("ks", "wz", "nj")


def _names(world, qs):
    by_pk = {world[f].pk: f for f in FIRMS}
    return {by_pk[pk] for pk in qs.values_list("pk", flat=True)}


@pytest.fixture
def world_with_facts(world):
    src = factories.source()
    for firm in FIRMS:
        e = world[firm]
        annual_report_record(
            actor=world["province"],
            enterprise=e,
            year=2024,
            source=src,
            values={"employees": 50, "tech_staff": 10, "revenue": 1_000_000},
        )
        certificate_record(
            actor=world["province"],
            enterprise=e,
            kind="hte",
            number=f"GR2023{e.pk:06d}",
            issued_on=date(2023, 11, 6),
            expires_on=date(2026, 11, 5),
        )
        IntellectualProperty.objects.create(
            enterprise=e,
            ip_class=1,
            kind="invention_patent",
            number=f"ZL2020{e.pk:08d}",
            granted_on=date(2021, 1, 1),
        )
    return world


@pytest.mark.parametrize("actor", sorted(VISIBLE))
def test_enterprise_queryset_is_scoped(world, actor):
    assert _names(world, scope_enterprises(world[actor])) == VISIBLE[actor]


@pytest.mark.parametrize("actor", sorted(VISIBLE))
@pytest.mark.parametrize("model", [AnnualReport, Certificate, IntellectualProperty])
def test_related_objects_are_scoped(world_with_facts, actor, model):
    w = world_with_facts
    rows = scope_related(w[actor], model.objects.all())
    by_pk = {w[f].pk: f for f in FIRMS}
    assert {by_pk[pk] for pk in rows.values_list("enterprise_id", flat=True)} == VISIBLE[actor]


@pytest.mark.parametrize("actor", sorted(VISIBLE))
@pytest.mark.parametrize("firm", FIRMS)
def test_single_object_access_answers_not_found_alike(world, actor, firm):
    target = world[firm]
    if firm in VISIBLE[actor]:
        assert get_enterprise_for_actor(world[actor], credit_code=target.credit_code) == target
        assert can(world[actor], "view", target)
    else:
        with pytest.raises(NotFound) as forbidden:
            get_enterprise_for_actor(world[actor], credit_code=target.credit_code)
        with pytest.raises(NotFound) as missing:
            get_enterprise_for_actor(world[actor], credit_code="91320583MA00000000")
        assert forbidden.value.message == missing.value.message
        assert not can(world[actor], "view", target)


@pytest.mark.parametrize(
    "actor,allowed",
    [
        ("province", True),
        ("suzhou", True),
        ("kunshan", True),
        ("ks_user", False),
        ("agency", False),
        ("expert", False),
        ("nanjing", False),
    ],
)
def test_audit_and_edit_are_for_officers_in_scope(world, actor, allowed):
    for action in ("view_audit", "edit"):
        decision = can(world[actor], action, world["ks"])
        assert bool(decision) is allowed
        if not allowed:
            assert decision.reason


def test_enterprise_may_record_its_own_facts_only(world):
    assert can(world["ks_user"], "record_facts", world["ks"])
    assert not can(world["ks_user"], "record_facts", world["wz"])
    assert not can(world["agency"], "record_facts", world["wz"])


def test_anonymous_and_inactive_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not scope_enterprises(AnonymousUser()).exists()
    suzhou = world["suzhou"]
    suzhou.is_active = False
    assert not scope_enterprises(suzhou).exists()


def test_region_filter_choices_stay_inside_scope(world):
    assert {r.code for r in regions_for_filter(world["kunshan"])} == {"320583"}
    suzhou_codes = {r.code for r in regions_for_filter(world["suzhou"])}
    assert "320583" in suzhou_codes and "320500" in suzhou_codes
    assert not any(code.startswith("3201") for code in suzhou_codes)
    assert not regions_for_filter(world["ks_user"]).exists()
    assert regions_for_filter(world["province"]).count() == 109


def test_user_role_binding_is_enforced_by_the_database(world):
    from django.db import IntegrityError, transaction

    from gaoqi.accounts.models import Role, User

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="bad-officer", password="x", role=Role.CITY_OFFICER)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="bad-firm", password="x", role=Role.ENTERPRISE, region_id="320500")
