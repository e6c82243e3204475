"""The audit log shows tampering: the database refuses UPDATE, DELETE and TRUNCATE, and the hash chain names the
first event where someone who got past that (dropping the triggers) changed the log."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from gaoqi.audit import guard
from gaoqi.audit.chain import GENESIS, event_hash, fields_of
from gaoqi.audit.models import AuditAction, AuditChainHead, AuditEvent
from gaoqi.audit.selectors import audit_trail_for_enterprise
from gaoqi.audit.services import audit_record, chain_head, chain_verify
from gaoqi.registry.models import Enterprise
from gaoqi.registry.services import enterprise_update
from tests import factories


@pytest.fixture
def log(world):
    """World's events plus a few updates: a chain of some length."""
    for i in range(4):
        enterprise_update(actor=world["province"], enterprise=world["wz"], name=f"吴中测试{i}科技有限公司")
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 7
    return events


def _sql(statement: str, params=()):
    """Raw SQL past the guard: what someone with the database's owner rights could do."""
    guard.uninstall(connection)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _verify_cli() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_an_intact_chain_verifies_and_the_head_is_the_last_event(log):
    verdict = chain_verify()
    assert verdict.ok and verdict.events == len(log)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert log[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(log, log[1:], strict=False))
    assert chain_head() == (log[-1].seq, log[-1].hash)
    assert "intact" in _verify_cli()


def test_the_hash_covers_every_field(log):
    event = log[3]
    fields = fields_of(event)
    for name, value in [("reason", "x"), ("actor_id", 999), ("at", event.at.replace(year=2001)), ("new", {})]:
        assert event_hash({**fields, name: value}) != event.hash


def test_head_command_prints_seq_and_hash(log, capsys):
    call_command("audit", "head")
    assert capsys.readouterr().out.strip() == f"{log[-1].seq}:{log[-1].hash}"


def _broken(match: str) -> str:
    with pytest.raises(CommandError, match=match) as err:
        _verify_cli()
    assert err.value.returncode == 1
    return str(err.value)


def test_an_edited_event_is_named(log):
    target = log[3]
    _sql("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["改过的原因", target.pk])
    verdict = chain_verify()
    assert not verdict.ok and verdict.broken_id == target.pk and "edited" in verdict.problem
    _broken(f"id={target.pk} seq={target.seq}")


def test_an_edited_json_value_is_named(log):
    target = next(e for e in log if e.new)
    _sql("UPDATE audit_auditevent SET new = %s WHERE id = %s", ['{"name": "伪造"}', target.pk])
    assert chain_verify().broken_id == target.pk


def test_a_deleted_event_is_named_by_the_one_after_it(log):
    gone, after = log[2], log[3]
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [gone.pk])
    verdict = chain_verify()
    assert not verdict.ok and verdict.broken_id == after.pk and "missing" in verdict.problem
    _broken(f"id={after.pk}")


def test_a_deleted_last_event_is_caught_by_the_stored_head(log):
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [log[-1].pk])
    verdict = chain_verify()
    assert not verdict.ok and "stored head" in verdict.problem
    _broken("stored head")


def test_an_inserted_event_is_named(log):
    """A forged event slid in at position 3 (the later ones shifted to make room, the forgery's own hash right)."""
    at = log[2]
    _sql("UPDATE audit_auditevent SET seq = seq + 100000 WHERE seq >= %s", [at.seq])
    _sql("UPDATE audit_auditevent SET seq = seq - 100000 + 1 WHERE seq >= 100000")
    forged = AuditEvent(
        at=at.at,
        action=AuditAction.UPDATE,
        target_type="registry.enterprise",
        target_id="1",
        reason="伪造的记录",
        seq=at.seq,
        prev_hash=log[1].hash,
    )
    forged.hash = event_hash(fields_of(forged))
    forged.save()
    verdict = chain_verify()
    assert (
        not verdict.ok and verdict.broken_id == at.pk
    )  # the genuine event no longer follows its predecessor


def test_an_inserted_event_with_a_made_up_hash_is_named(log):
    _sql("UPDATE audit_auditevent SET seq = seq + 1 WHERE seq = %s", [log[-1].seq])
    forged = AuditEvent(
        at=log[-1].at,
        action="update",
        target_type="x",
        target_id="1",
        seq=log[-1].seq,
        prev_hash=log[-2].hash,
    )
    forged.hash = "f" * 64
    forged.save()
    assert chain_verify().broken_id == forged.pk


def test_reordered_events_are_named(log):
    a, b = log[2], log[4]
    _sql("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [a.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    verdict = chain_verify()
    assert not verdict.ok and verdict.broken_id == b.pk  # now at a's place, its prev_hash does not fit


def test_a_rebuilt_chain_is_caught_by_an_exported_head(log):
    """Someone edits an event and recomputes every hash and the head: only a head kept outside shows it."""
    exported = chain_head()
    _sql("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["改过的原因", log[1].pk])
    prev = GENESIS
    for event in AuditEvent.objects.order_by("seq"):
        event.prev_hash = prev
        event.hash = prev = event_hash(fields_of(event))
        _sql(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [event.prev_hash, prev, event.pk],
        )
    AuditChainHead.objects.filter(pk=1).update(hash=prev)
    assert chain_verify().ok  # internally consistent again
    verdict = chain_verify(expect=exported)
    assert not verdict.ok and "exported head" in verdict.problem
    with pytest.raises(CommandError, match="exported head"):
        call_command("audit", "verify", "--expect", f"{exported[0]}:{exported[1]}")


def test_verify_says_when_the_guard_triggers_are_gone(log):
    guard.uninstall(connection)
    with pytest.raises(CommandError, match="triggers are missing") as err:
        _verify_cli()
    assert err.value.returncode == 2


def test_bad_expect_argument_is_explained(log):
    with pytest.raises(CommandError, match="序号:哈希"):
        call_command("audit", "verify", "--expect", "nonsense")


def test_the_guard_triggers_are_installed_after_migrate(db):
    assert guard.installed() == guard.expected_triggers() and guard.installed()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'x'",
        "DELETE FROM audit_auditevent",
        "DELETE FROM audit_auditevent WHERE id > 0",
    ],
)
def test_the_database_refuses_changes(log, statement):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.count() == len(log)


def test_the_database_refuses_truncate(log):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE FROM without WHERE is refused above)")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.count() == len(log)


def test_the_operator_escape_hatch_is_closed_by_default(log):
    with guard.audit_unlocked(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [log[0].pk])
        transaction.set_rollback(True)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [log[0].pk])
    assert AuditEvent.objects.count() == len(log)


def test_deleting_a_firm_with_events_keeps_its_events_with_code_and_name(world):
    firm = factories.enterprise("320583", name="将被删除的科技有限公司", actor=world["province"])
    enterprise_update(actor=world["province"], enterprise=firm, above_scale=True, reason="核实")
    events = list(AuditEvent.objects.filter(enterprise=firm).order_by("seq"))
    assert len(events) == 2
    firm_pk, code = firm.pk, firm.credit_code
    firm.delete()  # no UPDATE of the events behind the trigger's back: it would be refused
    assert not Enterprise.objects.filter(pk=firm_pk).exists()
    kept = list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("seq"))
    assert [(e.enterprise_id, e.enterprise_code, e.enterprise_name) for e in kept] == [
        (firm_pk, code, "将被删除的科技有限公司")
    ] * 2
    assert chain_verify().ok


def test_a_firm_that_reuses_a_deleted_firms_id_does_not_show_its_events(world):
    firm = factories.enterprise("320583", actor=world["province"])
    pk = firm.pk
    firm.delete()
    again = Enterprise.objects.create(
        pk=pk,
        credit_code=factories.credit_code("320583"),
        name="新企业",
        county_id="320583",
        city_id="320500",
        founded_on=date(2020, 1, 1),
    )
    assert AuditEvent.objects.filter(enterprise_id=pk).exists()
    assert list(audit_trail_for_enterprise(actor=world["province"], enterprise=again)) == []


def test_an_event_on_an_empty_database_starts_the_chain(db):
    AuditChainHead.objects.all().delete()
    user = factories.province_admin()
    event = audit_record(actor=user, action=AuditAction.UPDATE, target=user, reason="r")
    assert (event.seq, event.prev_hash) == (1, GENESIS)
    assert chain_head() == (1, event.hash)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_append_one_after_the_other():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself (one writer at a time, IMMEDIATE transactions)")
    user = factories.province_admin()
    errors = []

    def write(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    audit_record(actor=user, action=AuditAction.UPDATE, target=user, reason=f"{n}-{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    verdict = chain_verify()
    assert verdict.ok and verdict.events == AuditEvent.objects.count() >= 40


def test_deleting_an_account_with_events_keeps_them_with_its_username(world):
    """A demo account bound to a synthetic firm is deleted with the firm; its logins and actions stay."""
    from gaoqi.accounts.models import User

    user = world["ks_user"]
    audit_record(actor=user, action=AuditAction.LOGIN, target=user, reason="登录成功")
    events = list(AuditEvent.objects.filter(actor=user))
    username = user.username
    User.objects.filter(pk=user.pk).delete()
    kept = AuditEvent.objects.filter(pk__in=[e.pk for e in events])
    assert kept.count() == len(events) >= 1
    assert {e.actor_name for e in kept} == {username}
    assert list(AuditEvent.objects.filter(pk=events[0].pk).select_related("actor"))[0].actor is None
    assert chain_verify().ok


def test_bulk_events_naming_a_firm_by_id_keep_its_code_and_show_in_its_trail(world):
    from gaoqi.audit.services import PendingEvent, audit_record_many

    ks = world["ks"]
    events = audit_record_many(
        [
            PendingEvent(
                actor=world["province"],
                action=AuditAction.UPDATE,
                target_type="registry.enterprise",
                target_id=str(ks.pk),
                enterprise_id=ks.pk,
                new={"name": "x"},
                reason="导入批次 #1 第 2 行",
            )
        ]
    )
    assert (events[0].enterprise_code, events[0].enterprise_name) == (ks.credit_code, ks.name)
    trail = list(audit_trail_for_enterprise(actor=world["province"], enterprise=ks))
    assert events[0].pk in {e.pk for e in trail}
    assert chain_verify().ok
