"""Jobs a dead worker left behind: found when a worker starts (and every RECOVER_SECONDS while it runs).

A worker's id names its machine, process id and the process's start time (`host:pid:start`). For a worker on
this machine, "dead" is a fact: its process is gone (a reused pid has another start time). For a worker on
another machine, the job's heartbeat older than STALE_SECONDS says so. A job found orphaned runs again
from the start if it was started `restartable` (and has not been tried MAX_ATTEMPTS times), otherwise it is
marked failed with a message saying so. The task library's own row is closed as failed either way.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gaoqi.jobs import services
from gaoqi.jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)

STALE_SECONDS = 120
RECOVER_SECONDS = 15


def _host() -> str:
    return socket.gethostname()[:30]


def process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux /proc), or "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: count fields after its closing ")".
    return stat.rsplit(")", 1)[1].split()[19]


def worker_identity(pid: int | None = None) -> str:
    """This process's worker id: `host:pid:start` (at most 64 characters, as the task library requires)."""
    pid = os.getpid() if pid is None else pid
    return f"{_host()}:{pid}:{process_start(pid)}"[:64]


def process_alive(worker_id: str) -> bool | None:
    """True/False for a worker of this machine; None when the id names another machine or is not ours."""
    host, sep, rest = worker_id.partition(":")
    pid_text, _sep, start = rest.partition(":")
    if not sep or host != _host() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    now_start = process_start(pid)
    return not (start and now_start and start != now_start)


def _dead(worker_id: str, heartbeat_at, cutoff) -> bool:
    alive = process_alive(worker_id)
    if alive is not None:
        return not alive
    return heartbeat_at is None or heartbeat_at < cutoff


@dataclass(frozen=True)
class Recovered:
    job_id: int
    outcome: str  # "requeued" or "failed"


def _close_task_row(task_id: str, note: str) -> None:
    if not (task_id and apps.is_installed("django_tasks_db")):
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED",
        finished_at=timezone.now(),
        exception_class_path="gaoqi.jobs.recovery.WorkerLost",
        traceback=note,
    )


def _orphan_running(cutoff) -> list[Job]:
    running = Job.objects.filter(status=JobStatus.RUNNING).select_related("created_by")
    return [job for job in running if _dead(job.worker_id, job.heartbeat_at, cutoff)]


def _orphan_queued(cutoff) -> list[tuple[Job, object]]:
    """Queued jobs whose task the library claimed or closed but our runner never began."""
    if not apps.is_installed("django_tasks_db"):
        return []
    from django_tasks_db.models import DBTaskResult

    queued = {j.task_id: j for j in Job.objects.filter(status=JobStatus.QUEUED).exclude(task_id="")}
    if not queued:
        return []
    found = []
    for row in DBTaskResult.objects.filter(id__in=list(queued)).exclude(status="READY"):
        job = queued.get(str(row.id))
        if job is None:
            continue
        if row.status == "FAILED":
            found.append((job, row))
        elif row.status == "RUNNING":
            worker = row.worker_ids[-1] if row.worker_ids else ""
            if _dead(worker, row.started_at, cutoff):
                found.append((job, row))
    return found


def recover_orphans(*, stale_after: float = STALE_SECONDS) -> list[Recovered]:
    """Requeue or fail every job whose worker died; safe to run from several workers at once.

    The reasons are stored, so they are written in the platform's language, whatever language the calling
    thread happens to have active (a worker has none; a test may have left English active)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _recover_orphans(stale_after=stale_after)


def _recover_orphans(*, stale_after: float) -> list[Recovered]:
    cutoff = timezone.now() - timedelta(seconds=stale_after)
    lost = _("后台进程在任务运行中停止（被终止或重启），任务未完成；请重新发起。")
    outcomes = []
    for job in _orphan_running(cutoff):
        note = f"worker {job.worker_id} stopped while running job {job.pk}"
        if job.restartable and job.attempts < services.MAX_ATTEMPTS:
            reason = _("后台进程中断，任务已重新排队（第 %(n)s 次执行）") % {"n": job.attempts + 1}
            if services.job_requeue(job=job, worker_id=job.worker_id, reason=reason):
                outcomes.append(Recovered(job.pk, "requeued"))
        elif services.job_give_up(
            job=job, from_status=JobStatus.RUNNING, worker_id=job.worker_id, reason=lost, detail=note
        ):
            outcomes.append(Recovered(job.pk, "failed"))
        _close_task_row(job.task_id, note)
    for job, row in _orphan_queued(cutoff):
        detail = row.traceback or f"task {row.id} claimed by a worker that stopped before the job began"
        reason = lost if row.status == "RUNNING" else _("后台任务未能开始执行，请联系系统管理员。")
        if services.job_give_up(
            job=job, from_status=JobStatus.QUEUED, worker_id=job.worker_id, reason=reason, detail=detail
        ):
            outcomes.append(Recovered(job.pk, "failed"))
        _close_task_row(job.task_id, detail)
    for item in outcomes:
        logger.warning("job %s left behind by a stopped worker: %s", item.job_id, item.outcome)
    return outcomes
