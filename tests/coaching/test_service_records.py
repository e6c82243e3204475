"""Service records: who may log and read them, validation, audit, and the follow-up that the next record closes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gaoqi.accounts.scope import scope_service_records
from gaoqi.audit.models import AuditEvent
from gaoqi.coaching.models import ServiceRecord
from gaoqi.coaching.selectors import follow_ups, overdue_count, service_records_for
from gaoqi.coaching.services import service_record_create
from gaoqi.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def log(actor, firm, days_ago=10, follow_up_in=None, kind="visit", content="走访辅导", **kwargs):
    return service_record_create(
        actor=actor,
        enterprise=firm,
        kind=kind,
        served_on=TODAY() - timedelta(days=days_ago),
        content=content,
        follow_up_on=None if follow_up_in is None else TODAY() + timedelta(days=follow_up_in),
        **kwargs,
    )


@pytest.mark.parametrize(
    "actor,firm,allowed",
    [
        ("province", "nj", True),
        ("suzhou", "ks", True),
        ("kunshan", "ks", True),
        ("agency", "wz", True),  # assigned to the agency
        ("agency", "ks", False),  # not assigned
        ("kunshan", "wz", False),  # another county
        ("nanjing", "ks", False),  # another city
        ("ks_user", "ks", False),  # enterprises do not log their own coaching
        ("expert", "ks", False),
    ],
)
def test_who_may_log(world, actor, firm, allowed):
    if allowed:
        record = log(world[actor], world[firm])
        assert record.author == world[actor]
        assert (record.agency_id is not None) == (actor == "agency")
    else:
        with pytest.raises(NotFound):
            log(world[actor], world[firm])
        assert not ServiceRecord.objects.exists()


def test_a_record_is_audited_on_the_firm(world):
    record = log(world["agency"], world["wz"], follow_up_in=14, next_step="准备专项审计")
    event = AuditEvent.objects.get(target_type="coaching.servicerecord", target_id=str(record.pk))
    assert event.actor == world["agency"] and event.enterprise == world["wz"] and event.action == "create"
    assert event.new["content"] == "走访辅导" and event.new["next_step"] == "准备专项审计"


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"kind": "party"}, "kind"),
        ({"content": "   "}, "content"),
        ({"content": "长" * 2001}, "content"),
        ({"days_ago": -1}, "served_on"),  # in the future
        ({"days_ago": 10, "follow_up_in": -11}, "follow_up_on"),  # before the service date
    ],
)
def test_bad_records_name_the_field_and_store_nothing(world, kwargs, field):
    with pytest.raises(ValidationFailed) as err:
        log(world["kunshan"], world["ks"], **kwargs)
    assert field in {e["field"] for e in err.value.errors}
    assert (
        not ServiceRecord.objects.exists()
        and not AuditEvent.objects.filter(target_type="coaching.servicerecord").exists()
    )


def test_validation_does_not_leak_a_firm_outside_scope(world):
    # Out of scope answers "not found" before any validation message about the record.
    with pytest.raises(NotFound):
        log(world["nanjing"], world["ks"], kind="party")


@pytest.mark.parametrize(
    "actor,visible",
    [
        ("province", {"ks", "wz", "nj"}),
        ("suzhou", {"ks", "wz"}),
        ("kunshan", {"ks"}),
        ("nanjing", {"nj"}),
        ("agency", {"wz"}),
        ("ks_user", set()),
        ("expert", set()),
    ],
)
def test_reading_is_scoped(world, actor, visible):
    by_firm = {}
    for key in ("ks", "wz", "nj"):
        by_firm[log(world["province"], world[key]).pk] = key
    rows = scope_service_records(world[actor]).values_list("pk", flat=True)
    assert {by_firm[pk] for pk in rows} == visible
    if "ks" not in visible:
        with pytest.raises(NotFound):
            service_records_for(actor=world[actor], enterprise=world["ks"])


def test_follow_up_is_closed_by_the_next_record(world):
    ks, officer = world["ks"], world["kunshan"]
    first = log(officer, ks, days_ago=30, follow_up_in=-5)
    assert [r.follow_up for r in service_records_for(actor=officer, enterprise=ks)] == ["overdue"]
    assert list(follow_ups(actor=officer).object_list) == [first]
    assert overdue_count(actor=officer) == 1
    second = log(officer, ks, days_ago=3, follow_up_in=20, kind="training")
    rows = service_records_for(actor=officer, enterprise=ks)
    assert [(r.record, r.follow_up) for r in rows] == [(second, "due"), (first, "done")]
    assert overdue_count(actor=officer) == 0 and not follow_ups(actor=officer).object_list
    assert list(follow_ups(actor=officer, when="upcoming").object_list) == [second]
    # A record without a follow-up date closes the open one and asks for nothing.
    log(officer, ks, days_ago=1, kind="remote")
    assert not follow_ups(actor=officer, when="upcoming").object_list


def test_same_day_records_order_by_entry(world):
    ks, officer = world["ks"], world["kunshan"]
    log(officer, ks, days_ago=5, follow_up_in=-1)
    later_same_day = log(officer, ks, days_ago=5)
    assert overdue_count(actor=officer) == 0
    assert service_records_for(actor=officer, enterprise=ks)[0].record == later_same_day


def test_follow_up_list_is_scoped(world):
    for key in ("ks", "wz", "nj"):
        log(world["province"], world[key], days_ago=40, follow_up_in=-10)
    assert overdue_count(actor=world["province"]) == 3
    assert overdue_count(actor=world["suzhou"]) == 2
    assert {r.enterprise for r in follow_ups(actor=world["agency"]).object_list} == {world["wz"]}
    assert overdue_count(actor=world["ks_user"]) == 0 and overdue_count(actor=world["expert"]) == 0
