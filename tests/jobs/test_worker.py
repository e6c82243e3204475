"""The real worker: django-tasks-db's loop runs a job (in-process), and a killed worker's job survives it."""

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from gaoqi.jobs import services, worker
from gaoqi.jobs.models import JobStatus

ROOT = Path(__file__).resolve().parents[2]


# serialized_rollback: the flush after a transactional test must not take the regions fixture with it
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_command_runs_a_job_and_progress_is_written_while_it_runs(world, test_funcs):
    job = services.start_job(
        actor=world["suzhou"], kind="export", func_path="tests.jobs.funcs.watch_own_progress"
    )
    out = io.StringIO()
    # A known handler first: a suite started in the background inherits SIGINT ignored (SIG_IGN).
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        call_command("jobs", "worker", "--batch", "--interval", "0", stdout=out)
        handler_after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, inherited)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.traceback
    # Read back by the function itself mid-run: the runner's thread had written it to the database.
    assert job.result == {"seen_done": 1, "seen_message": "第一步"}
    assert (job.done, job.total, job.message) == (3, 3, "完成")
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert "后台任务进程" in out.getvalue() and "已启动" in out.getvalue()
    assert handler_after is signal.default_int_handler  # the test process's handler is back


SETUP = """
import django
from django.core.management import call_command

django.setup()
call_command("migrate", verbosity=0)
from gaoqi.jobs.services import start_job

count = "gaoqi.jobs.demo_tasks.count_to"
start_job(actor=None, kind="demo.count_to", func_path=count, kwargs={"n": 20, "step": 0.1}, restartable=True)
start_job(actor=None, kind="demo.count_to", func_path=count, kwargs={"n": 3})
"""


def _jobs(db_path):
    with sqlite3.connect(db_path) as conn:
        return {
            pk: (status, done, attempts)
            for pk, status, done, attempts in conn.execute("SELECT id, status, done, attempts FROM jobs_job")
        }


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_job_survives_a_killed_worker(tmp_path):
    """kill -9 the worker mid-job; the next worker puts the restartable job back and runs everything."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GAOQI_TASKS_BACKEND")}
    env["GAOQI_VAR_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "gaoqi.settings"
    db_path = tmp_path / "gaoqi.sqlite3"
    subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, timeout=180)

    first = worker.spawn("--interval", "0.2", env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: _jobs(db_path)[1][0] == "running" and _jobs(db_path)[1][1] >= 3)
    finally:
        first.kill()
        first.wait()
    assert _jobs(db_path)[1][0] == "running"  # as the killed worker left it

    second = worker.spawn("--interval", "0.2", env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: all(s == "succeeded" for s, _d, _a in _jobs(db_path).values()))
    finally:
        assert worker.stop(second) == 0  # idle: one SIGTERM stops it at once
    jobs = _jobs(db_path)
    assert jobs[1] == ("succeeded", 20, 2) and jobs[2] == ("succeeded", 3, 1)
