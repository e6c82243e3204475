"""`gaoqi backup` / `gaoqi restore`: a round trip keeps every table's rows exactly, and the audit chain verifies
after the restore (SQLite online backup, pg_dump on PostgreSQL, the portable JSON dump on both)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gaoqi.audit import guard
from gaoqi.audit.models import AuditEvent
from gaoqi.audit.services import chain_head
from gaoqi.ops.backup import BackupError, backup, detect_format, restore, table_digest
from gaoqi.registry.models import Enterprise
from gaoqi.registry.services import enterprise_update
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _data():
    province = factories.province_admin()
    firms = [factories.enterprise("320583", actor=province) for _ in range(3)]
    enterprise_update(actor=province, enterprise=firms[0], above_scale=True, reason="核实")
    factories.agency_user(firms[:2])
    return province, firms


def _change_everything(province):
    """What happens after the backup: must all be gone after the restore."""
    firm = factories.enterprise("320506", actor=province)
    enterprise_update(actor=province, enterprise=firm, name="备份之后改的名字")


@pytest.mark.parametrize("fmt", ["native", "json", "json.gz"])
def test_round_trip_keeps_every_table_and_the_chain(tmp_path, fmt):
    province, firms = _data()
    before, head = table_digest(), chain_head()
    assert before["audit_auditevent"][0] >= 4 and before["registry_enterprise"][0] >= 3
    path = tmp_path / ("backup.json.gz" if fmt == "json.gz" else "backup.bin")
    out = StringIO()
    call_command("backup", str(path), *(["--format", "json"] if fmt != "native" else []), stdout=out)
    assert f"{head[0]}:{head[1]}" in out.getvalue()
    expected = {"native": "sqlite" if connection.vendor == "sqlite" else "pg"}.get(fmt, "json")
    assert detect_format(path) == expected

    _change_everything(province)
    assert table_digest() != before
    with pytest.raises(CommandError, match="--replace"):
        call_command("restore", str(path))
    out = StringIO()
    call_command("restore", str(path), "--replace", stdout=out)
    assert "audit chain intact" in out.getvalue()
    after = table_digest()
    assert after.keys() == before.keys()
    differ = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not differ, differ
    assert chain_head() == head
    assert guard.installed() == guard.expected_triggers()  # the restored database refuses changes again
    # and the platform goes on writing after it (sequences and chain head restored)
    enterprise_update(actor=province, enterprise=Enterprise.objects.get(pk=firms[1].pk), above_scale=True)
    assert AuditEvent.objects.order_by("-seq").first().seq == head[0] + 1


def test_restore_reports_a_broken_chain(tmp_path):
    _data()
    path = tmp_path / "backup.json"
    backup(path, fmt="json")
    text = path.read_text(encoding="utf-8").replace('"reason": "核实"', '"reason": "篡改"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="BROKEN") as err:
        call_command("restore", str(path), "--replace")
    assert err.value.returncode == 1


def test_unknown_files_and_wrong_formats_are_explained(tmp_path):
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"\x00\x01garbage")
    with pytest.raises(BackupError, match="无法识别"):
        restore(junk, replace=True)
    with pytest.raises(BackupError, match="不存在"):
        restore(tmp_path / "missing.bak", replace=True)
    other = "pg" if connection.vendor == "sqlite" else "sqlite"
    with pytest.raises(BackupError, match="只适用于"):
        backup(tmp_path / "x.bak", fmt=other)
