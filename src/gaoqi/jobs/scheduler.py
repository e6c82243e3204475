"""Writes to schedules: enqueue the due ones (the worker calls `enqueue_due` on its loop), run one now, enable or
disable one. Every change is audited.

Exactly once per period, with any number of workers: each worker, for each schedule whose `next_run_at` has
passed, (1) locks the schedule row (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL: a second worker skips
it; SQLite has one writer anyway), (2) inserts the ScheduleRun (schedule, period) — a unique key, so a worker
that read a stale row loses with an IntegrityError and starts nothing — then (3) starts the job and moves
`next_run_at` on, all in one transaction. A worker that was down for several firings starts only the latest
missed period (the page shows which periods ran; "run now" makes up another).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can_manage_schedules
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import ValidationFailed
from gaoqi.jobs.models import Job, Schedule, ScheduleRun
from gaoqi.jobs.schedules import SCHEDULED_TASKS, last_firing, next_firing, period_of

logger = logging.getLogger(__name__)


def _task(schedule: Schedule):
    task = SCHEDULED_TASKS.get(schedule.task)
    if task is None:
        raise ValidationFailed(_("未知的定时任务内容：%(t)s") % {"t": schedule.task})
    if schedule.frequency not in task.frequencies:
        raise ValidationFailed(
            _("%(t)s 不能按此频率运行") % {"t": task.label},
            [{"field": "frequency", "reason": schedule.frequency}],
        )
    return task


def _start(schedule: Schedule, period: str, *, actor) -> Job:
    from gaoqi.jobs.services import start_job

    task = _task(schedule)
    run_as = actor or schedule.run_as
    return start_job(
        actor=actor,  # None for a scheduled run: the system starts it, on behalf of run_as
        kind=task.kind,
        func_path=task.func_path,
        kwargs=task.build(schedule.params or {}, period, run_as.pk if run_as else None),
        region=run_as.region if run_as is not None else None,
        restartable=task.restartable,
    )


def _enqueue_one(pk: int, now: datetime) -> ScheduleRun | None:
    with transaction.atomic():
        schedule = (
            Schedule.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run_as")
            .filter(pk=pk, enabled=True, next_run_at__lte=now)
            .first()
        )
        if schedule is None:
            return None  # another worker holds it or has just moved it on
        firing = last_firing(schedule.spec, now)
        period = period_of(schedule.spec, firing)
        schedule.next_run_at = next_firing(schedule.spec, now)
        try:
            with transaction.atomic():
                run = ScheduleRun.objects.create(schedule=schedule, period=period, due_at=firing)
        except IntegrityError:
            # This period has been started already (by another worker that read the row before us).
            Schedule.objects.filter(pk=pk).update(next_run_at=schedule.next_run_at)
            logger.info("schedule %s: period %s already started", schedule.code, period)
            return None
        job = _start(schedule, period, actor=None)
        run.job = job
        run.save(update_fields=["job"])
        Schedule.objects.filter(pk=pk).update(
            next_run_at=schedule.next_run_at, last_run_at=now, last_period=period, last_job=job
        )
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            target=schedule,
            new={"period": period, "job": job.pk, "next_run_at": schedule.next_run_at.isoformat()},
            reason=_("定时任务按计划运行：%(n)s（%(p)s）") % {"n": schedule.name, "p": period},
        )
    return run


def enqueue_due(*, now: datetime | None = None) -> list[ScheduleRun]:
    """Start a job for every enabled schedule whose time has come (once per period); the worker's tick."""
    now = now or timezone.now()
    due = list(
        Schedule.objects.filter(enabled=True, next_run_at__lte=now)
        .order_by("next_run_at", "pk")
        .values_list("pk", flat=True)
    )
    runs = []
    for pk in due:
        try:
            run = _enqueue_one(pk, now)
        except ValidationFailed as exc:
            logger.error("schedule %s cannot run: %s", pk, exc.message)
            continue
        if run is not None:
            runs.append(run)
    return runs


def run_now(*, actor, schedule: Schedule, now: datetime | None = None) -> Job:
    """Start the schedule's task at once for its latest period (a manual run, besides the planned ones)."""
    can_manage_schedules(actor).enforce()
    now = now or timezone.now()
    period = period_of(schedule.spec, last_firing(schedule.spec, now))
    with transaction.atomic():
        job = _start(schedule, period, actor=actor)
        ScheduleRun.objects.create(schedule=schedule, period=period, manual=True, job=job, created_by=actor)
        Schedule.objects.filter(pk=schedule.pk).update(last_run_at=now, last_period=period, last_job=job)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=schedule,
            new={"period": period, "job": job.pk, "manual": True},
            reason=_("立即运行定时任务：%(n)s（%(p)s）") % {"n": schedule.name, "p": period},
        )
    return job


def set_enabled(*, actor, schedule: Schedule, enabled: bool, now: datetime | None = None) -> Schedule:
    """Enable (it then runs with the actor's permissions, from its next firing on) or disable a schedule."""
    can_manage_schedules(actor).enforce()
    _task(schedule)
    now = now or timezone.now()
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        old = {"enabled": schedule.enabled, "run_as": schedule.run_as_id}
        schedule.enabled = enabled
        if enabled:
            schedule.run_as = actor
            schedule.next_run_at = next_firing(schedule.spec, now)
        else:
            schedule.next_run_at = None
        schedule.save(update_fields=["enabled", "run_as", "next_run_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=schedule,
            old=old,
            new={"enabled": enabled, "run_as": schedule.run_as_id},
            reason=(_("启用定时任务：%(n)s") if enabled else _("停用定时任务：%(n)s")) % {"n": schedule.name},
        )
    return schedule
