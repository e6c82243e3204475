"""Schedules (定时任务): firings and periods at month/quarter/year boundaries, exactly once per period with
several workers, the worker starting and running a scheduled bulletin job, and the province officer's page."""

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.urls import reverse

from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied
from gaoqi.jobs import scheduler
from gaoqi.jobs.models import Job, JobStatus, Schedule, ScheduleRun
from gaoqi.jobs.schedules import Freq, Spec, last_firing, next_firing, period_of

SH = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
ROOT = Path(__file__).resolve().parents[2]


def sh(*args):
    return datetime(*args, tzinfo=SH)


# --- Firings and periods (pure) ---------------------------------------------------------------------------------


def test_monthly_firing_and_period_at_the_month_boundary():
    spec = Spec(Freq.MONTHLY, 1, time(3, 0))
    just_before = sh(2026, 12, 1, 2, 59, 59)
    assert last_firing(spec, just_before) == sh(2026, 11, 1, 3, 0)
    assert period_of(spec, last_firing(spec, just_before)) == "2026-10"
    assert next_firing(spec, just_before) == sh(2026, 12, 1, 3, 0)
    on_time = sh(2026, 12, 1, 3, 0)
    assert last_firing(spec, on_time) == on_time and period_of(spec, on_time) == "2026-11"
    assert next_firing(spec, on_time) == sh(2027, 1, 1, 3, 0)
    # the year boundary: January's firing covers December of the year before
    assert period_of(spec, last_firing(spec, sh(2027, 1, 1, 3, 0))) == "2026-12"
    # 19:00 UTC on 30 November is 03:00 on 1 December in Shanghai: the schedule's clock is the platform's
    utc = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
    assert period_of(spec, last_firing(spec, utc)) == "2026-11"
    assert period_of(spec, last_firing(spec, datetime(2026, 11, 30, 18, 59, tzinfo=UTC))) == "2026-10"


def test_quarterly_firing_and_period_at_the_quarter_boundary():
    spec = Spec(Freq.QUARTERLY, 5, time(6, 0))
    before = sh(2026, 10, 5, 5, 59)
    assert last_firing(spec, before) == sh(2026, 7, 5, 6, 0)
    assert period_of(spec, last_firing(spec, before)) == "2026-Q2"
    assert next_firing(spec, before) == sh(2026, 10, 5, 6, 0)
    assert period_of(spec, last_firing(spec, sh(2026, 10, 5, 6, 0))) == "2026-Q3"
    # mid-quarter (November, December) the latest firing is still October's
    assert last_firing(spec, sh(2026, 12, 31, 23, 59)) == sh(2026, 10, 5, 6, 0)
    assert next_firing(spec, sh(2026, 12, 31, 23, 59)) == sh(2027, 1, 5, 6, 0)
    assert period_of(spec, sh(2027, 1, 5, 6, 0)) == "2026-Q4"
    assert period_of(spec, sh(2027, 4, 5, 6, 0)) == "2027-Q1"
    # a firing in January, before the day: the latest one was October of the year before
    assert last_firing(spec, sh(2027, 1, 4, 12, 0)) == sh(2026, 10, 5, 6, 0)


def test_daily_firing_and_period_at_the_year_boundary():
    spec = Spec(Freq.DAILY, 1, time(2, 0))
    assert last_firing(spec, sh(2027, 1, 1, 1, 59)) == sh(2026, 12, 31, 2, 0)
    assert period_of(spec, sh(2026, 12, 31, 2, 0)) == "2026-12-31"
    assert next_firing(spec, sh(2026, 12, 31, 2, 0)) == sh(2027, 1, 1, 2, 0)


def test_a_spec_is_checked():
    for bad in (
        {"frequency": "weekly"},
        {"frequency": Freq.MONTHLY, "day": 29},
        {"frequency": "daily", "day": 0},
    ):
        with pytest.raises(ValueError):
            Spec(**bad)
    with pytest.raises(ValueError):
        last_firing(Spec(Freq.DAILY), datetime(2026, 1, 1))  # naive


# --- Enqueueing: once per period ----------------------------------------------------------------------------------


def _scan(world, **fields):
    """The standing daily alert scan (migration), enabled by the province officer."""
    s = Schedule.objects.get(code="alert-scan-daily")
    for k, v in fields.items():
        setattr(s, k, v)
    s.save()
    return scheduler.set_enabled(actor=world["province"], schedule=s, enabled=True, now=sh(2026, 12, 1, 1, 0))


def test_the_standing_schedules_are_there_and_disabled(db):
    codes = set(Schedule.objects.values_list("code", flat=True))
    assert {
        "alert-scan-daily",
        "kpi-snapshot-daily",
        "kpi-snapshot-monthly",
        "bulletins-monthly",
        "bulletins-quarterly",
    } <= codes
    assert not Schedule.objects.filter(enabled=True).exists()


def test_due_schedule_starts_one_job_per_period(world):
    s = _scan(world)
    assert s.next_run_at == sh(2026, 12, 1, 2, 0) and s.run_as == world["province"]
    assert scheduler.enqueue_due(now=sh(2026, 12, 1, 1, 59)) == []
    runs = scheduler.enqueue_due(now=sh(2026, 12, 1, 2, 0, 30))
    assert [(r.period, r.manual) for r in runs] == [("2026-12-01", False)]
    job = runs[0].job
    assert (job.kind, job.kwargs, job.status) == ("alerts.scan", {"today": "2026-12-01"}, JobStatus.QUEUED)
    assert job.created_by is None and job.region_id == "320000"  # started by the system, seen by the province
    # a second tick (this worker or another) the same day starts nothing
    assert scheduler.enqueue_due(now=sh(2026, 12, 1, 2, 5)) == []
    s.refresh_from_db()
    assert (s.last_period, s.last_job_id, s.next_run_at) == ("2026-12-01", job.pk, sh(2026, 12, 2, 2, 0))
    # a worker down for three days starts the latest missed period only
    runs = scheduler.enqueue_due(now=sh(2026, 12, 4, 9, 0))
    assert [r.period for r in runs] == ["2026-12-04"]
    assert Job.objects.filter(kind="alerts.scan").count() == 2
    assert AuditEvent.objects.filter(target_type="jobs.schedule", target_id=str(s.pk)).count() == 3


def test_a_worker_with_a_stale_row_cannot_start_the_period_twice(world):
    """Without a row lock (SQLite, or a worker that read the row before another moved it on) the unique
    (schedule, period) key is what stops the second start."""
    s = _scan(world)
    now = sh(2026, 12, 1, 2, 0)
    assert len(scheduler.enqueue_due(now=now)) == 1
    Schedule.objects.filter(pk=s.pk).update(next_run_at=sh(2026, 12, 1, 2, 0))  # what the stale worker saw
    assert scheduler.enqueue_due(now=now) == []
    assert ScheduleRun.objects.filter(schedule=s).count() == 1
    assert Job.objects.filter(kind="alerts.scan").count() == 1
    s.refresh_from_db()
    assert s.next_run_at == sh(2026, 12, 2, 2, 0)  # moved on all the same


def test_disabled_and_manual_runs(world):
    s = _scan(world)
    scheduler.set_enabled(actor=world["province"], schedule=s, enabled=False)
    s.refresh_from_db()
    assert s.next_run_at is None
    assert scheduler.enqueue_due(now=sh(2026, 12, 1, 2, 0)) == []
    # "run now" is not bound by the period key: twice is twice
    for _i in range(2):
        job = scheduler.run_now(actor=world["province"], schedule=s, now=sh(2026, 12, 1, 9, 0))
        assert job.created_by == world["province"] and job.kwargs == {"today": "2026-12-01"}
    assert ScheduleRun.objects.filter(schedule=s, manual=True, period="2026-12-01").count() == 2


@pytest.mark.parametrize("who", ["suzhou", "kunshan", "ks_user", "expert"])
def test_only_province_officers_manage_schedules(world, who):
    s = Schedule.objects.get(code="alert-scan-daily")
    with pytest.raises((NotFound, PermissionDenied)):
        scheduler.set_enabled(actor=world[who], schedule=s, enabled=True)
    with pytest.raises((NotFound, PermissionDenied)):
        scheduler.run_now(actor=world[who], schedule=s)
    assert not Schedule.objects.get(pk=s.pk).enabled


def test_a_task_at_a_frequency_it_cannot_run_is_refused(world):
    s = Schedule.objects.get(code="alert-scan-daily")
    s.frequency = Freq.MONTHLY
    s.save()
    from gaoqi.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        scheduler.set_enabled(actor=world["province"], schedule=s, enabled=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_start_one_job(world):
    """Two threads, each with its own connection, tick at the same moment (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memory"):
        pytest.skip("the in-memory SQLite test database is one connection; the subprocess test covers SQLite")
    _scan(world)
    barrier = threading.Barrier(2)
    found = []

    def tick():
        try:
            barrier.wait()
            found.append(len(scheduler.enqueue_due(now=sh(2026, 12, 1, 2, 0))))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(found) == [0, 1]
    assert ScheduleRun.objects.count() == 1 and Job.objects.filter(kind="alerts.scan").count() == 1


SETUP = """
import datetime
import django
from django.core.management import call_command

django.setup()
call_command("migrate", verbosity=0)
from django.utils import timezone
from gaoqi.accounts.models import Role
from gaoqi.jobs.models import Schedule
from gaoqi.jobs.scheduler import set_enabled
from tests import factories

officer = factories.officer(Role.PROVINCE_OFFICER, "320000")
s = Schedule.objects.get(code="alert-scan-daily")
set_enabled(actor=officer, schedule=s, enabled=True)
Schedule.objects.filter(pk=s.pk).update(next_run_at=timezone.now() - datetime.timedelta(minutes=1))
"""


def test_two_worker_processes_on_sqlite_start_one_job(tmp_path):
    """Two real `gaoqi jobs worker --batch` processes started together on one SQLite file."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GAOQI_TASKS_BACKEND")}
    env.update(GAOQI_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="gaoqi.settings")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, timeout=180)
    command = [sys.executable, "-m", "gaoqi.cli", "jobs", "worker", "--batch", "--interval", "0"]
    workers = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE) for _ in range(2)]
    outs = [w.communicate(timeout=180)[0].decode() for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outs
    with sqlite3.connect(tmp_path / "gaoqi.sqlite3") as conn:
        runs = conn.execute("SELECT period, manual FROM jobs_schedulerun").fetchall()
        jobs = conn.execute("SELECT kind, status FROM jobs_job").fetchall()
    assert len(runs) == 1 and runs[0][1] == 0
    assert jobs == [("alerts.scan", "succeeded")]
    assert sum("启动了 1 个到期的定时任务" in out for out in outs) == 1, outs


# --- The page ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["suzhou", "kunshan", "ks_user", "expert", "agency"])
def test_the_page_exists_for_province_officers_only(client, world, who):
    client.force_login(world[who])
    assert client.get(reverse("jobs:schedules")).status_code == 404
    s = Schedule.objects.get(code="alert-scan-daily")
    for action in ("enable", "run"):
        response = client.post(reverse("jobs:schedule_action", args=[s.pk, action]))
        assert response.status_code == 404
    assert not Schedule.objects.get(pk=s.pk).enabled and not ScheduleRun.objects.exists()


def test_the_province_officer_enables_runs_and_disables(client, world):
    client.force_login(world["province"])
    assert 'data-testid="schedules-link"' in client.get(reverse("jobs:list")).content.decode()
    s = Schedule.objects.get(code="bulletins-monthly")
    page = client.get(reverse("jobs:schedules")).content.decode()
    assert 'data-testid="enable-bulletins-monthly"' in page and "每月 2 日 06:00（上月）" in page
    client.post(reverse("jobs:schedule_action", args=[s.pk, "enable"]))
    s.refresh_from_db()
    assert s.enabled and s.run_as == world["province"] and s.next_run_at is not None
    page = client.get(reverse("jobs:schedules")).content.decode()
    assert 'data-testid="disable-bulletins-monthly"' in page
    response = client.post(reverse("jobs:schedule_action", args=[s.pk, "run"]))
    run = ScheduleRun.objects.get(schedule=s)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[run.job.pk])
    assert run.manual and run.created_by == world["province"]
    client.post(reverse("jobs:schedule_action", args=[s.pk, "disable"]))
    s.refresh_from_db()
    assert not s.enabled and s.next_run_at is None
    reasons = list(
        AuditEvent.objects.filter(target_type="jobs.schedule", target_id=str(s.pk)).values_list(
            "reason", "actor"
        )
    )
    assert [r for r, _a in reasons if "启用" in r or "停用" in r or "立即运行" in r] and all(
        a == world["province"].pk for _r, a in reasons
    )
    assert len(reasons) == 3
    assert client.get(reverse("jobs:schedules")).status_code == 200
    bad = client.post(reverse("jobs:schedules") + f"{s.pk}/delete/")
    assert bad.status_code == 404


def test_the_command_lists_the_schedules_and_starts_the_due_ones(world, time_machine):
    import io

    from django.core.management import call_command

    time_machine.move_to(sh(2026, 12, 1, 1, 0), tick=False)
    _scan(world)
    out = io.StringIO()
    call_command("jobs", "schedules", stdout=out)
    assert "alert-scan-daily" in out.getvalue() and "下次 2026-12-01 02:00" in out.getvalue()
    time_machine.move_to(sh(2026, 12, 1, 2, 1), tick=False)
    out = io.StringIO()
    call_command("jobs", "schedules", "--due", stdout=out)
    assert "已启动 alert-scan-daily（2026-12-01）" in out.getvalue()
    assert "下次 2026-12-02 02:00" in out.getvalue()
    call_command("jobs", "schedules", "--due", stdout=io.StringIO())
    assert ScheduleRun.objects.count() == 1
