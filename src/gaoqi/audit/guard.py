"""The database-level guard of the audit log: UPDATE, DELETE and TRUNCATE of audit events are refused by
triggers on SQLite and PostgreSQL (see migrations 0002 and 0003).

`audit_unlocked()` is the operator's escape hatch for wiping a whole database (a restore over an existing
database, a test's flush). It is never used by the product's services. On PostgreSQL it sets the session
variable `gaoqi.audit_unlock`; on SQLite the triggers call `gaoqi_audit_unlocked()`, a function this process
registers on each connection (any other SQLite client has no such function, so its deletes fail too).
Whoever can run SQL as the table owner can also drop a trigger: the hash chain is what shows tampering.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection as default_connection

_unlocked = {"on": False}

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT gaoqi_audit_unlocked()
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_event_no_update() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION audit_event_no_delete() RETURNS trigger AS $$
    BEGIN
      IF coalesce(current_setting('gaoqi.audit_unlock', true), '') = 'on' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
      END IF;
      RAISE EXCEPTION 'audit events are append-only';
    END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_no_update()""",
    "DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_auditevent",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_no_delete()""",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_delete()""",
]
TRIGGER_NAMES = ("audit_event_no_update", "audit_event_no_delete", "audit_event_no_truncate")


def _conn(schema_editor_or_connection):
    """A Django connection from a schema editor or a connection."""
    if hasattr(schema_editor_or_connection, "vendor"):
        return schema_editor_or_connection
    return schema_editor_or_connection.connection


def register_sqlite_function(sender=None, connection=None, **kwargs) -> None:
    """connection_created handler: the function the SQLite delete trigger asks."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_function(
            "gaoqi_audit_unlocked", 0, lambda: 1 if _unlocked["on"] else 0, deterministic=False
        )


def install(schema_editor_or_connection) -> None:
    """Create the triggers (idempotent)."""
    conn = _conn(schema_editor_or_connection)
    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(conn.vendor, [])
    if conn.vendor == "sqlite":
        register_sqlite_function(connection=conn)
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(schema_editor_or_connection) -> None:
    conn = _conn(schema_editor_or_connection)
    suffix = " ON audit_auditevent" if conn.vendor == "postgresql" else ""
    with conn.cursor() as cursor:
        for name in TRIGGER_NAMES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{suffix}")


def installed(conn=None) -> set[str]:
    """The guard triggers present in the database."""
    conn = conn or default_connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'"
            )
        elif conn.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()} & set(TRIGGER_NAMES)


def expected_triggers(conn=None) -> set[str]:
    conn = conn or default_connection
    if conn.vendor == "postgresql":
        return set(TRIGGER_NAMES)
    if conn.vendor == "sqlite":
        return {"audit_event_no_update", "audit_event_no_delete"}  # SQLite has no TRUNCATE
    return set()


def set_unlocked(on: bool, conn=None) -> None:
    conn = conn or default_connection
    _unlocked["on"] = on
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT set_config('gaoqi.audit_unlock', %s, false)", ["on" if on else "off"])


@contextmanager
def audit_unlocked(conn=None):
    """Allow deleting audit events in this block (operator jobs only: restore over a database, test flush)."""
    set_unlocked(True, conn)
    try:
        yield
    finally:
        set_unlocked(False, conn)
