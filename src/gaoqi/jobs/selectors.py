"""Reads of jobs, always scoped: a user sees the jobs they started; an officer also those of their region."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import regions_for_filter
from gaoqi.errors import NotFound
from gaoqi.jobs.models import Job, JobStatus


def jobs_for_actor(*, actor, status: str | None = None) -> QuerySet[Job]:
    """The jobs `actor` may see, newest first. The region tree comes from accounts.scope."""
    if not (actor and getattr(actor, "is_authenticated", False) and actor.is_active):
        return Job.objects.none()
    condition = Q(created_by=actor)
    if actor.is_officer:
        condition |= Q(region__in=regions_for_filter(actor).values("code"))
    qs = Job.objects.filter(condition).select_related("created_by", "region")
    if status in JobStatus.values:
        qs = qs.filter(status=status)
    return qs


def get_job_for_actor(*, actor, pk: int) -> Job:
    """The job if `actor` may see it; NotFound alike for missing and forbidden jobs."""
    job = jobs_for_actor(actor=actor).filter(pk=pk).first()
    if job is None:
        raise NotFound(_("对象不存在或无权访问"))
    return job


def any_unfinished(jobs) -> bool:
    return any(not job.is_finished for job in jobs)


def schedules_for_actor(*, actor):
    """Every schedule, for those who manage them (accounts.scope.can_manage_schedules); PermissionDenied else."""
    from gaoqi.accounts.scope import can_manage_schedules
    from gaoqi.jobs.models import Schedule

    can_manage_schedules(actor).enforce()
    return Schedule.objects.select_related("run_as", "last_job").order_by("code")


def get_schedule_for_actor(*, actor, pk: int):
    schedule = schedules_for_actor(actor=actor).filter(pk=pk).first()
    if schedule is None:
        raise NotFound(_("对象不存在或无权访问"))
    return schedule


def recent_schedule_runs(*, actor, limit: int = 30):
    from gaoqi.jobs.models import ScheduleRun

    schedules_for_actor(actor=actor)
    return ScheduleRun.objects.select_related("schedule", "job", "created_by").order_by("-created_at", "-id")[
        :limit
    ]
