"""For tests: run the queued jobs in this process through the database worker's own loop (no worker process).

job = start_job(actor=officer, kind="intake.commit", func_path="gaoqi.intake.services.commit_batch", ...)
run_queued_jobs()
job.refresh_from_db(); assert job.status == "succeeded"
"""

from __future__ import annotations

from unittest import mock

from gaoqi.jobs.recovery import worker_identity


def run_queued_jobs(*, max_tasks: int | None = None) -> None:
    """Run every job waiting in the database queue, then return (the `db_worker --batch` loop, in-process)."""
    from django_tasks_db.management.commands import db_worker

    # The loop drops "old" connections between tasks; inside a test's transaction that would close the
    # test's own connection (PostgreSQL; SQLite keeps an in-memory database open), so it is skipped here.
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        _worker(max_tasks).run()


def _worker(max_tasks):
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_identity(),
        excluded_queue_names=[],
    )
