"""Writes to jobs: start one, record its outcome, put back or give up one a dead worker left behind.

Every change of status is audited. The job row and the task library's row are written in the same
transaction, so a job is never queued without a task to run it (nor the reverse).
"""

from __future__ import annotations

import inspect
import json
import logging
import traceback as tb

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import ApplicationError, ValidationFailed
from gaoqi.jobs.kinds import JOB_KINDS, kind_label
from gaoqi.jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)

# Job functions are the platform's own service functions, never arbitrary code named by a request.
ALLOWED_PREFIXES = ("gaoqi.",)
MAX_ATTEMPTS = 3
_DEFAULT = object()


def resolve_function(func_path: str):
    """The module-level callable at `func_path`; ValueError if it is not an allowed, importable function."""
    if not func_path.startswith(ALLOWED_PREFIXES):
        raise ValueError(f"job functions live under {ALLOWED_PREFIXES}: {func_path!r}")
    try:
        func = import_string(func_path)
    except ImportError as exc:
        raise ValueError(f"cannot import job function {func_path!r}: {exc}") from exc
    if not callable(func):
        raise ValueError(f"{func_path!r} is not callable")
    return func


def takes_progress(func) -> bool:
    params = inspect.signature(func).parameters.values()
    return any(p.name == "progress" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def create_job(
    *,
    actor,
    kind: str,
    func_path: str,
    kwargs: dict | None = None,
    total: int | None = None,
    region=_DEFAULT,
    restartable: bool = False,
) -> Job:
    """A queued job with nothing yet to run it (start_job enqueues; `gaoqi jobs demo --here` runs it inline)."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}: add it to gaoqi.jobs.kinds.JOB_KINDS")
    resolve_function(func_path)
    kwargs = dict(kwargs or {})
    if "progress" in kwargs:
        raise ValueError("`progress` is passed by the job runner, not by the caller")
    try:
        # The task library stores arguments as JSON: what does not survive the trip must fail here.
        json.dumps(kwargs, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"job kwargs must be plain JSON: {exc}") from exc
    if total is not None and total < 0:
        raise ValueError("total must be zero or more")
    if region is _DEFAULT:
        region = actor.region if actor is not None and getattr(actor, "is_officer", False) else None
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            func_path=func_path,
            kwargs=kwargs,
            total=total,
            created_by=actor if getattr(actor, "pk", None) else None,
            region=region,
            restartable=restartable,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=job,
            new={"kind": kind, "status": JobStatus.QUEUED, "total": total},
            reason=_("发起后台任务：%(kind)s") % {"kind": kind_label(kind)},
        )
    return job


def start_job(
    *,
    actor,
    kind: str,
    func_path: str,
    kwargs: dict | None = None,
    total: int | None = None,
    region=_DEFAULT,
    restartable: bool = False,
) -> Job:
    """Queue `func_path(**kwargs, progress=...)` for the worker and return its Job.

    `kind` is a code from kinds.JOB_KINDS; `kwargs` must be plain JSON; `total` is the expected amount of
    work if known (the function may set it through progress). `region` defaults to an officer's own region
    (officers of that region and above see the job); `restartable=True` lets a job a dead worker left
    behind run again from the start instead of being marked failed. With the immediate backend (tests,
    GAOQI_TASKS_BACKEND=immediate) the job has run by the time this returns.
    """
    from gaoqi.jobs.tasks import run_job

    with transaction.atomic():
        job = create_job(
            actor=actor,
            kind=kind,
            func_path=func_path,
            kwargs=kwargs,
            total=total,
            region=region,
            restartable=restartable,
        )
        result = run_job.enqueue(job_id=job.pk)
        Job.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id))
    job.refresh_from_db()
    return job


def failure_message(exc: BaseException) -> str:
    """What the user is told: the service's own message for a known error, else the error's class and text."""
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        return _("后台进程被停止，任务未完成；请重新发起。")
    text = str(exc).strip()
    return _("任务执行出错（%(error)s）。详细错误已记录，请联系系统管理员。") % {
        "error": f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    }


def _json_result(value):
    try:
        json.dumps(value, cls=DjangoJSONEncoder)
    except (TypeError, ValueError):
        return {"summary": str(value)[:500]}
    return value


def job_succeed(*, job: Job, worker_id: str, value, done: int, total: int | None, message: str) -> bool:
    """Record success; False (nothing written) when the job is no longer this worker's to finish."""
    result = _json_result(value)
    url = result.get("url", "") if isinstance(result, dict) else ""
    total = total if total is not None else (done or None)
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, worker_id=worker_id).update(
            status=JobStatus.SUCCEEDED,
            finished_at=timezone.now(),
            done=max(done, total or 0),
            total=total,
            message=message[:200],
            result=result,
            result_url=str(url)[:300],
        )
        if updated:
            audit_record(
                actor=job.created_by,
                action=AuditAction.UPDATE,
                target=job,
                old={"status": JobStatus.RUNNING},
                new={"status": JobStatus.SUCCEEDED, "done": max(done, total or 0), "total": total},
                reason=_("后台任务完成：%(kind)s") % {"kind": job.kind_label},
            )
    if not updated:
        logger.warning(
            "job %s finished but is no longer running on %s: outcome not recorded", job.pk, worker_id
        )
    return bool(updated)


def job_fail(
    *, job: Job, worker_id: str, exc: BaseException, done: int, total: int | None, message: str
) -> bool:
    """Record failure with a clear message and the traceback; False when no longer this worker's job."""
    error = failure_message(exc)
    extra = {"errors": exc.errors} if isinstance(exc, ValidationFailed) else None
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, worker_id=worker_id).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            done=done,
            total=total,
            message=message[:200],
            error=error[:500],
            traceback="".join(tb.format_exception(exc)),
            result=_json_result(extra),
        )
        if updated:
            audit_record(
                actor=job.created_by,
                action=AuditAction.UPDATE,
                target=job,
                old={"status": JobStatus.RUNNING},
                new={"status": JobStatus.FAILED, "error": error[:200]},
                reason=_("后台任务失败：%(kind)s") % {"kind": job.kind_label},
            )
    return bool(updated)


def job_give_up(*, job: Job, from_status: str, worker_id: str, reason: str, detail: str = "") -> bool:
    """A job a dead worker left behind (or whose task failed before it began) is marked failed."""
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=from_status, worker_id=worker_id).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), error=reason[:500], traceback=detail
        )
        if updated:
            audit_record(
                actor=None,
                action=AuditAction.UPDATE,
                target=job,
                old={"status": from_status},
                new={"status": JobStatus.FAILED, "error": reason[:200]},
                reason=reason,
            )
    return bool(updated)


def job_requeue(*, job: Job, worker_id: str, reason: str) -> bool:
    """Run a restartable job again from the start, with a new task for the worker."""
    from gaoqi.jobs.tasks import run_job

    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, worker_id=worker_id).update(
            status=JobStatus.QUEUED, done=0, message=reason[:200], started_at=None, heartbeat_at=None
        )
        if not updated:
            return False
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            target=job,
            old={"status": JobStatus.RUNNING},
            new={"status": JobStatus.QUEUED, "attempts": job.attempts},
            reason=reason,
        )
        result = run_job.enqueue(job_id=job.pk)
        Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(task_id=str(result.id))
    return True
