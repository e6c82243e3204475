"""The worker starts the scheduled monthly bulletins (jobs.schedules) and runs them; once per period."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from gaoqi.jobs import scheduler
from gaoqi.jobs.models import JobStatus, Schedule, ScheduleRun

SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_starts_and_runs_the_monthly_bulletins(kpi_world, time_machine, settings, tmp_path):
    from gaoqi.monitoring.models import Bulletin

    settings.VAR_DIR = tmp_path
    s = Schedule.objects.get(code="bulletins-monthly")
    s.params = {"levels": ["province", "city"], "formats": ["xlsx"]}
    s.save()
    scheduler.set_enabled(actor=kpi_world["province"], schedule=s, enabled=True)  # 2026-11-20
    s.refresh_from_db()
    assert s.next_run_at == sh(2026, 12, 2, 6, 0)
    time_machine.move_to(sh(2026, 12, 2, 6, 1), tick=False)
    call_command("jobs", "worker", "--batch", "--interval", "0", stdout=io.StringIO())
    run = ScheduleRun.objects.get(schedule=s)
    assert run.period == "2026-11" and not run.manual
    run.job.refresh_from_db()
    assert run.job.status == JobStatus.SUCCEEDED, run.job.error
    made = Bulletin.objects.filter(period="2026-11", format="xlsx")
    assert made.count() == 14  # the province and its 13 cities
    assert set(made.values_list("created_by", flat=True)) == {kpi_world["province"].pk}
    assert sorted(run.job.result["bulletins"]) == sorted(made.values_list("pk", flat=True))
    # the next worker the same month starts nothing more
    call_command("jobs", "worker", "--batch", "--interval", "0", stdout=io.StringIO())
    assert ScheduleRun.objects.filter(schedule=s).count() == 1 and made.count() == 14


def test_a_scheduled_bulletin_without_a_valid_officer_fails_clearly(kpi_world):
    from gaoqi.errors import ValidationFailed
    from gaoqi.monitoring.bulletins import scheduled_bulletins

    with pytest.raises(ValidationFailed, match="执行身份"):
        scheduled_bulletins(user_id=None, period="2026-10", levels=["city"], formats=["xlsx"])
