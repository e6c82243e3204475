"""The one task the task library knows: run a Job. Everything else is a plain service function."""

from __future__ import annotations

from django_tasks import TaskContext, task

from gaoqi.jobs.runner import execute


@task(takes_context=True)
def run_job(context: TaskContext, job_id: int) -> dict:
    """Run job `job_id` (a no-op when it is no longer queued). Returns a small JSON note for the library."""
    result = context.task_result
    worker_id = result.worker_ids[-1] if result.worker_ids else ""
    execute(job_id, task_id=str(result.id), worker_id=worker_id)
    return {"job": job_id}
