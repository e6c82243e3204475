"""Read replicas: read-only selectors that opt in read from a replica when one is configured.

`GAOQI_REPLICA_URL` (a database URL, like DATABASE_URL) adds the database alias "replica" (settings.py) and
sets `GAOQI_READ_REPLICA = "replica"`. Nothing reads from it unless asked:

    with replica_reads():
        page = selectors.enterprise_list(...)

Inside the block, reads go to the replica, except
- inside a transaction on the primary (`atomic`): a transaction reads what it writes;
- after a write in the same block or request (the router sees every ORM write): the replica may lag, and a
  page must show what its own request just wrote;
so a view that writes first and then lists reads the primary. Writes always go to the primary
(`db_for_write`), also for objects read from the replica. Without a configured replica the block does
nothing. Raw SQL runs on the connection it names: the bulk writers name the primary.

Used by the pages and APIs that only read lists, dashboards and exports (registry list, ledger page and
export, monitoring dashboard, home figures).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"

_opted_in: ContextVar[bool] = ContextVar("gaoqi_replica_opted_in", default=False)
_wrote: ContextVar[bool] = ContextVar("gaoqi_replica_wrote", default=False)
_in_request: ContextVar[bool] = ContextVar("gaoqi_replica_in_request", default=False)


def replica_alias() -> str | None:
    """The configured replica's alias, or None (no replica: everything on the primary)."""
    alias = getattr(settings, "GAOQI_READ_REPLICA", None)
    return alias if alias and alias in settings.DATABASES else None


@contextmanager
def replica_reads():
    """Reads in the block may go to the replica (see the module's rules); nested blocks are fine. Outside a
    request (a command, a job, a test) the writes that count are those made in the block."""
    outermost = not _opted_in.get()
    token = _opted_in.set(True)
    fresh = _wrote.set(False) if outermost and not _in_request.get() else None
    try:
        yield
    finally:
        _opted_in.reset(token)
        if fresh is not None:
            _wrote.reset(fresh)


def reading_alias() -> str:
    """Where a read would go now."""
    alias = replica_alias()
    if alias is None or not _opted_in.get() or _wrote.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


def _request_started(**kwargs) -> None:
    _wrote.set(False)
    _in_request.set(True)


def _request_finished(**kwargs) -> None:
    _in_request.set(False)


request_started.connect(_request_started, dispatch_uid="gaoqi.replica.request_started")
request_finished.connect(_request_finished, dispatch_uid="gaoqi.replica.request_finished")


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads as `reading_alias()` says, writes and migrations on the primary."""

    def db_for_read(self, model, **hints):
        if replica_alias() is None:
            return None  # Django's own choice (the primary), as without a router
        return reading_alias()

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read there may point at one read from the primary.
        dbs = {DEFAULT_DB_ALIAS, replica_alias() or DEFAULT_DB_ALIAS}
        if obj1._state.db in dbs and obj2._state.db in dbs:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None  # `gaoqi migrate` migrates the primary; a streaming replica follows it


def reads_from_replica(view):
    """A view decorator (inside @login_required, so the session and user are read from the primary): a GET
    or HEAD runs in `replica_reads()`; other methods, which write, are left alone."""
    from functools import wraps

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped
