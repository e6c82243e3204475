"""Backing up and restoring the whole database (`gaoqi backup FILE`, `gaoqi restore FILE`).

Three formats, chosen by the database (or `--format`) on backup and recognised from the file on restore:

- ``sqlite``: SQLite's online backup API, a consistent copy while the platform runs; restored page by page.
- ``pg``: PostgreSQL's ``pg_dump --format=custom``, restored with ``pg_restore --clean --if-exists``
  (the server's own tools: exact, fast, schema and triggers included). Used when ``pg_dump`` is on PATH.
- ``json``: Django's JSON serialisation of every model (``dumpdata --all``, datetimes kept to the microsecond) (portable between SQLite and PostgreSQL, and the fallback when
  ``pg_dump`` is missing), restored by emptying the tables and ``loaddata`` with the original primary keys.

A restore replaces everything in the target database (``replace=True`` needed when it holds data), then
verifies the audit log's hash chain and reports the result; a broken chain is an error.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from gaoqi.audit.guard import audit_unlocked

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
GZIP_MAGIC = b"\x1f\x8b"
# Tables whose content is rebuilt by the server or session-bound: never compared, always dumped.
FORMATS = ("sqlite", "pg", "json")


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Done:
    path: Path
    format: str
    size: int
    audit: object = None  # the chain verdict after a restore


def default_format() -> str:
    if connection.vendor == "sqlite":
        return "sqlite"
    if connection.vendor == "postgresql" and shutil.which("pg_dump") and shutil.which("pg_restore"):
        return "pg"
    return "json"


def detect_format(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "pg"
    if head.startswith(GZIP_MAGIC) or head.lstrip()[:1] in (b"[", b"{"):
        return "json"
    raise BackupError(f"无法识别备份文件“{path.name}”的格式（不是 SQLite、pg_dump 或 JSON 备份）")


def _pg_env() -> tuple[list[str], dict]:
    s = connection.settings_dict
    args = ["--dbname", s["NAME"]]
    if s.get("HOST"):
        args += ["--host", s["HOST"]]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return args, env


def _run(cmd: list[str], env: dict) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(
            f"{Path(cmd[0]).name} 失败（退出码 {proc.returncode}）：{proc.stderr.strip()[:2000]}"
        )


def backup(path: str | Path, *, fmt: str | None = None) -> Done:
    """Write a consistent copy of the database to `path` (replaced if it exists)."""
    path = Path(path)
    fmt = fmt or default_format()
    if fmt not in FORMATS:
        raise BackupError(f"未知的备份格式“{fmt}”（可选：{'、'.join(FORMATS)}）")
    if fmt == "sqlite" and connection.vendor != "sqlite":
        raise BackupError("sqlite 格式只适用于 SQLite 数据库")
    if fmt == "pg" and connection.vendor != "postgresql":
        raise BackupError("pg 格式只适用于 PostgreSQL 数据库")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.unlink(missing_ok=True)
    if fmt == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(tmp)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif fmt == "pg":
        args, env = _pg_env()
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(tmp), *args], env)
    else:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(tmp, "wt", encoding="utf-8") as fh:
            _dump_json(fh)
    os.replace(tmp, path)
    return Done(path, fmt, path.stat().st_size)


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder keeps datetimes to the millisecond; a backup keeps them exactly (the audit chain hashes
    the microseconds)."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat().replace("+00:00", "Z")
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


def _objects():
    """Every stored object of every model, models in dependency order (what `dumpdata --all` writes)."""
    models = serializers.sort_dependencies([(app, None) for app in apps.get_app_configs()], allow_cycles=True)
    for model in models:
        if model._meta.proxy or not model._meta.managed:
            continue
        yield from model._base_manager.order_by(model._meta.pk.attname).iterator(chunk_size=2000)


def _dump_json(stream) -> None:
    serializers.serialize("json", _objects(), stream=stream, cls=_ExactEncoder)


def database_is_empty() -> bool:
    """No enterprise, no account and no audit event: a freshly migrated database."""
    from gaoqi.accounts.models import User
    from gaoqi.audit.models import AuditEvent
    from gaoqi.registry.models import Enterprise

    return not (Enterprise.objects.exists() or User.objects.exists() or AuditEvent.objects.exists())


def restore(path: str | Path, *, replace: bool = False) -> Done:
    """Replace the database's content with the backup at `path`, then verify the audit chain."""
    from gaoqi.audit.services import chain_verify

    path = Path(path)
    if not path.is_file():
        raise BackupError(f"备份文件“{path}”不存在")
    fmt = detect_format(path)
    if not replace and not database_is_empty():
        raise BackupError("目标数据库已有数据；恢复会替换全部内容，确认请加 --replace")
    if fmt == "sqlite":
        if connection.vendor != "sqlite":
            raise BackupError("SQLite 备份只能恢复到 SQLite 数据库；跨数据库请用 --format json 备份")
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    elif fmt == "pg":
        if connection.vendor != "postgresql":
            raise BackupError("pg_dump 备份只能恢复到 PostgreSQL 数据库；跨数据库请用 --format json 备份")
        args, env = _pg_env()
        connection.close()  # pg_restore drops and recreates the tables: hold no lock on them
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                *args,
                str(path),
            ],
            env,
        )
    else:
        _restore_json(path)
    return Done(path, fmt, path.stat().st_size, chain_verify())


def _restore_json(path: Path) -> None:
    """Empty every table (the audit guard opened for this one job) and load the dump with its primary keys."""
    import tempfile

    with open(path, "rb") as fh:
        gz = fh.read(2) == GZIP_MAGIC
    with tempfile.TemporaryDirectory() as tmp:
        # loaddata knows the format by the name: give it one it recognises
        fixture = Path(tmp) / ("backup.json.gz" if gz else "backup.json")
        fixture.symlink_to(path.resolve())
        with transaction.atomic(), audit_unlocked():
            call_command("flush", "--no-input", inhibit_post_migrate=True, verbosity=0)
            call_command("loaddata", str(fixture), verbosity=0)


def table_digest() -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows (sorted): what a round trip must keep."""
    out = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            rows = sorted(repr(tuple(_plain(v) for v in row)) for row in cursor.fetchall())
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            out[table] = (len(rows), digest)
    return out


def _plain(value):
    if isinstance(value, memoryview):
        return bytes(value)
    return value
