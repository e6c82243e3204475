import pytest
from django.db import DatabaseError, connection, transaction

from gaoqi.audit.models import AuditEvent
from gaoqi.audit.selectors import audit_trail_for_enterprise
from gaoqi.errors import NotFound


def test_events_cannot_be_edited_through_the_orm(world):
    event = AuditEvent.objects.filter(enterprise=world["ks"]).first()
    event.reason = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(TypeError):
        event.delete()


def test_the_database_refuses_updates(world):
    event = AuditEvent.objects.filter(enterprise=world["ks"]).first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == event.reason


@pytest.mark.parametrize("actor", ["province", "suzhou", "kunshan"])
def test_officers_in_scope_read_the_trail(world, actor):
    trail = list(audit_trail_for_enterprise(actor=world[actor], enterprise=world["ks"]))
    assert trail and all(e.enterprise_id == world["ks"].pk for e in trail)


@pytest.mark.parametrize("actor", ["nanjing", "ks_user", "agency", "expert"])
def test_others_cannot_read_the_trail(world, actor):
    with pytest.raises(NotFound):
        audit_trail_for_enterprise(actor=world[actor], enterprise=world["ks"])
