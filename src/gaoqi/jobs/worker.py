"""The worker process: recover what a dead worker left, start the schedules that are due, then run
django-tasks-db's worker loop (a thread repeats recovery and the schedules every RECOVER_SECONDS).

`gaoqi jobs worker` runs it; `gaoqi demo` runs one alongside() the dev server, stopped when the server stops.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager

from django.db import DatabaseError, connections

from gaoqi.jobs.recovery import RECOVER_SECONDS, STALE_SECONDS, recover_orphans, worker_identity

logger = logging.getLogger(__name__)
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


def enqueue_schedules() -> int:
    """Start the jobs of the due schedules (once per period, whatever the number of workers); how many."""
    from gaoqi.jobs.scheduler import enqueue_due

    try:
        return len(enqueue_due())
    except DatabaseError as exc:  # SQLite busy with a job's long transaction: the next round will do it
        logger.warning("schedules not checked this round: %s", exc)
        return 0


def _recover_forever(stop: threading.Event, stale_after: float) -> None:
    try:
        while not stop.wait(RECOVER_SECONDS):
            try:
                recover_orphans(stale_after=stale_after)
            except DatabaseError as exc:
                logger.warning("job recovery skipped this round: %s", exc)
            enqueue_schedules()
    finally:
        connections.close_all()


def _exit_with_parent(parent: int) -> None:
    """Stop this worker (as SIGTERM would) once the process that spawned it has gone, even if killed."""
    while os.getppid() == parent:
        threading.Event().wait(1.0)
    logger.warning("the process that started this worker (pid %s) has ended: stopping", parent)
    os.kill(os.getpid(), signal.SIGTERM)


def run_worker(
    *,
    batch: bool = False,
    interval: float = 1.0,
    max_tasks: int | None = None,
    queues: str = "default",
    stale_after: float = STALE_SECONDS,
    parent: int | None = None,
    handle_signals: bool = True,
    stdout=None,
) -> str:
    """Run jobs until stopped (or, with `batch`, until none is waiting). Returns this worker's id."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker_id = worker_identity()
    recovered = recover_orphans(stale_after=stale_after)
    scheduled = enqueue_schedules()
    if stdout is not None:
        stdout.write(
            f"后台任务进程 {worker_id} 已启动（队列 {queues}）；处理了 {len(recovered)} 个中断的任务，"
            f"启动了 {scheduled} 个到期的定时任务"
        )
    worker = Worker(
        queue_names=queues.split(","),
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    stop = threading.Event()
    if not batch:
        threading.Thread(target=_recover_forever, args=(stop, stale_after), daemon=True).start()
    if parent:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    if handle_signals:
        # SIGTERM/SIGINT: finish the running job, then stop; a second signal stops the job (marked failed).
        worker.configure_signals()
    try:
        worker.run()
    finally:
        stop.set()
        if handle_signals:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return worker_id


def spawn(*args: str, env: dict | None = None, **popen) -> subprocess.Popen:
    """Start `gaoqi jobs worker` as a child process (same interpreter and directory; this environment
    unless `env` is given). It has its own session, so the terminal's Ctrl-C reaches only the parent, which
    stops it with stop(); it also stops by itself when the parent ends without doing so."""
    command = [sys.executable, "-m", "gaoqi.cli", "jobs", "worker", "--parent", str(os.getpid()), *args]
    return subprocess.Popen(command, env=env, start_new_session=True, **popen)


def stop(process: subprocess.Popen, grace: float = 5.0) -> int | None:
    """Stop a spawned worker: SIGTERM lets a running job finish (for `grace` seconds); a second SIGTERM
    stops the job (recorded as failed); SIGKILL last (the next worker then recovers its job)."""
    for sig in (signal.SIGTERM, signal.SIGTERM):
        if process.poll() is not None:
            break
        process.send_signal(sig)
        try:
            return process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    if process.poll() is None:
        process.kill()
    return process.wait()


def _terminate(signum, frame):
    sys.exit(0)


@contextmanager
def alongside(*args: str, stdout=None):
    """Run a worker while the block runs (e.g. the dev server), stopped when it ends, by Ctrl-C or by `kill`."""
    process = spawn(*args)
    if stdout is not None:
        stdout.write(f"后台任务进程（worker）已启动，pid {process.pid}")
    previous = signal.signal(signal.SIGTERM, _terminate)  # so that `kill` runs the finally below
    try:
        yield process
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop(process)
