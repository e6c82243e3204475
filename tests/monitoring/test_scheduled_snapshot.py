"""The standing daily KPI snapshot (jobs migration 0003): the worker takes the running month's snapshot every
day, as of that day, so that the pages reading "today's snapshot" find one; once per day."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from gaoqi.jobs import scheduler
from gaoqi.jobs.models import Job, JobStatus, Schedule, ScheduleRun
from gaoqi.jobs.schedules import SCHEDULED_TASKS, Freq
from gaoqi.monitoring.models import KpiSnapshot

SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


def _worker():
    call_command("jobs", "worker", "--batch", "--interval", "0", stdout=io.StringIO())


def test_the_snapshot_task_runs_daily_for_the_firing_days_month_and_monthly_for_the_month_before():
    task = SCHEDULED_TASKS["monitoring.snapshot"]
    assert set(task.frequencies) == {Freq.DAILY, Freq.MONTHLY}
    assert task.build({}, "2026-12-01", 7) == {"user_id": 7, "month": "2026-12"}  # daily: its own day's month
    assert task.build({}, "2026-11", 7) == {"user_id": 7, "month": "2026-11"}  # monthly: the month before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_takes_the_snapshot_every_day(kpi_world, time_machine):
    from gaoqi.rnd import selectors as rnd
    from gaoqi.targets import selectors as targets

    s = Schedule.objects.get(code="kpi-snapshot-daily")
    assert (s.task, s.frequency, s.enabled) == ("monitoring.snapshot", Freq.DAILY, False)
    scheduler.set_enabled(actor=kpi_world["province"], schedule=s, enabled=True)  # 2026-11-20 10:00
    s.refresh_from_db()
    assert s.next_run_at == sh(2026, 11, 21, 1, 0)
    suzhou = kpi_world["suzhou"]
    for day in (21, 22):
        time_machine.move_to(sh(2026, 11, day, 1, 1), tick=False)
        today = date(2026, 11, day)
        assert not rnd.coverage(actor=suzhou, as_of=today).stored  # before the run: counted live
        _worker()
        run = ScheduleRun.objects.get(schedule=s, period=today.isoformat())
        run.job.refresh_from_db()
        assert not run.manual and run.job.status == JobStatus.SUCCEEDED, run.job.error
        # one snapshot of the running month, now as of the day: the older day's rows were replaced
        assert set(KpiSnapshot.objects.values_list("month", "as_of").distinct()) == {
            (date(2026, 11, 1), today)
        }
        # the pages that want the snapshot of the day find it
        assert rnd.coverage(actor=suzhou, as_of=today).stored
        assert targets.progress(actor=suzhou, year=2026, as_of=today).stored
        _worker()  # a second tick the same day starts nothing
        assert ScheduleRun.objects.filter(schedule=s, period=today.isoformat()).count() == 1
    # the first of the month: the new month as of its first day; November keeps its last daily snapshot
    time_machine.move_to(sh(2026, 12, 1, 1, 1), tick=False)
    _worker()
    assert set(KpiSnapshot.objects.values_list("month", "as_of").distinct()) == {
        (date(2026, 11, 1), date(2026, 11, 22)),
        (date(2026, 12, 1), date(2026, 12, 1)),
    }
    assert Job.objects.filter(kind="monitoring.snapshot").count() == 3
    assert list(
        ScheduleRun.objects.filter(schedule=s).order_by("period").values_list("period", flat=True)
    ) == [
        "2026-11-21",
        "2026-11-22",
        "2026-12-01",
    ]
