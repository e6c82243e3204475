"""Running one job: claim it, call its function with a progress callback, record the outcome.

Progress reaches the job row from a small thread with its own database connection, at most every
FLUSH_SECONDS, so a function that works inside one long transaction still shows its progress (on
PostgreSQL; SQLite has one writer, so there progress shows between the function's transactions). The same
thread writes a heartbeat every HEARTBEAT_SECONDS, which recovery reads for workers on other machines.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.utils import timezone, translation

from gaoqi.jobs import services
from gaoqi.jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
HEARTBEAT_SECONDS = 5.0

Listener = Callable[[int, "int | None", str], None]


class Progress:
    """The callback a job function receives: `progress(done, total=None, message=None)`.

    Cheap to call on every row: it only records the numbers; they are written at most every FLUSH_SECONDS
    (by a thread, or inline when the job runs inside a caller's transaction, as the immediate backend does).
    `total` and `message` keep their last value when not given.
    """

    def __init__(
        self,
        job_id: int,
        *,
        total: int | None = None,
        listener: Listener | None = None,
        threaded: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.job_id = job_id
        self.done, self.total, self.message = 0, total, ""
        self.listener = listener
        self.threaded = threaded
        self.clock = clock
        self.writes = 0
        self._lock = threading.Lock()
        self._dirty = False
        self._last_write = -math.inf
        self._last_beat = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        with self._lock:
            self.done = max(0, int(done))
            if total is not None:
                self.total = max(0, int(total))
            if message is not None:
                self.message = str(message)[:200]
            self._dirty = True
            snapshot = (self.done, self.total, self.message)
        if self.listener is not None:
            self.listener(*snapshot)
        if not self.threaded:
            self.flush()

    def snapshot(self) -> tuple[int, int | None, str]:
        with self._lock:
            return self.done, self.total, self.message

    def flush(self, *, force: bool = False) -> bool:
        """Write the numbers if they changed and FLUSH_SECONDS have passed (or a heartbeat is due)."""
        now = self.clock()
        with self._lock:
            changed = self._dirty and (force or now - self._last_write >= FLUSH_SECONDS)
            beat = now - self._last_beat >= HEARTBEAT_SECONDS
            if not (changed or beat):
                return False
            fields = {"heartbeat_at": timezone.now()}
            if changed:
                fields.update(done=self.done, total=self.total, message=self.message)
                self._dirty = False
        try:
            Job.objects.filter(pk=self.job_id, status=JobStatus.RUNNING).update(**fields)
        except DatabaseError:
            with self._lock:
                self._dirty = self._dirty or changed
            raise
        with self._lock:
            self._last_beat = now
            if changed:
                self._last_write = now
        self.writes += 1
        return True

    def start(self) -> None:
        if self.threaded and self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name=f"job-{self.job_id}-progress", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        try:
            while not self._stop.wait(FLUSH_SECONDS):
                try:
                    self.flush()
                except DatabaseError as exc:
                    # SQLite: the job's own transaction holds the write lock; try again next time.
                    logger.debug("job %s: progress not written yet (%s)", self.job_id, exc)
        finally:
            connections.close_all()  # this thread's connections only


def execute(job_id: int, *, task_id: str = "", worker_id: str = "", listener: Listener | None = None):
    """Run a job (see `_execute`) in the platform's language: what it stores (messages, errors, audit reasons)
    must not depend on a language some earlier code left active in this thread."""
    with translation.override(settings.LANGUAGE_CODE):
        return _execute(job_id, task_id=task_id, worker_id=worker_id, listener=listener)


def _execute(job_id: int, *, task_id: str = "", worker_id: str = "", listener: Listener | None = None):
    """Run job `job_id` if it is still queued; a job already claimed, finished or missing is left alone.

    That check makes running the same task twice (a worker restart, a duplicate delivery) harmless. The
    function's exception is recorded on the job and raised again, so the task library records it too.
    """
    now = timezone.now()
    claim = {
        "status": JobStatus.RUNNING,
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "attempts": F("attempts") + 1,
        "worker_id": worker_id[:64],
    }
    if task_id:
        claim["task_id"] = task_id[:64]
    if not Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(**claim):
        logger.warning("job %s is not queued (missing, running or finished): not run again", job_id)
        return None
    job = Job.objects.select_related("created_by").get(pk=job_id)
    # Inside a caller's transaction (the immediate backend) a thread could not see the row: write inline,
    # and keep the function in a savepoint so its failure leaves the caller's transaction usable.
    nested = transaction.get_connection().in_atomic_block
    progress = Progress(job.pk, total=job.total, listener=listener, threaded=not nested)
    try:
        func = services.resolve_function(job.func_path)
        kwargs = dict(job.kwargs)
        if services.takes_progress(func):
            kwargs["progress"] = progress
        progress.start()
        with transaction.atomic() if nested else nullcontext():
            value = func(**kwargs)
    except BaseException as exc:
        progress.stop()
        services.job_fail(job=job, worker_id=worker_id[:64], exc=exc, **_numbers(progress))
        raise
    progress.stop()
    services.job_succeed(job=job, worker_id=worker_id[:64], value=value, **_numbers(progress))
    return value


def _numbers(progress: Progress) -> dict:
    done, total, message = progress.snapshot()
    return {"done": done, "total": total, "message": message}
