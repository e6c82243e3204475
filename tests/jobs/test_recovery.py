"""Jobs a dead worker left behind are failed, or run again when restartable; live workers' jobs are left alone."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gaoqi.audit.models import AuditEvent
from gaoqi.jobs import recovery, services
from gaoqi.jobs.models import Job, JobStatus
from gaoqi.jobs.testing import run_queued_jobs


@pytest.fixture(scope="module")
def dead_worker():
    """The id a worker had on this machine, whose process has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = recovery.worker_identity(child.pid)
    child.wait()
    return identity


def left_running(actor, worker_id, *, restartable=False, attempts=1, heartbeat_age=0):
    """A started job, as the worker that claimed it would have left it when killed."""
    job = services.start_job(
        actor=actor,
        kind="demo.count_to",
        func_path="gaoqi.jobs.demo_tasks.count_to",
        kwargs={"n": 4},
        total=4,
        restartable=restartable,
    )
    beat = timezone.now() - timedelta(seconds=heartbeat_age)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, worker_id=worker_id, attempts=attempts, done=2, heartbeat_at=beat
    )
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING", worker_ids=[worker_id])
    job.refresh_from_db()
    return job


def test_worker_identity_names_machine_process_and_start():
    host, pid, start = recovery.worker_identity().split(":")
    assert pid == str(os.getpid()) and host and len(recovery.worker_identity()) <= 64
    if os.path.exists("/proc/self/stat"):
        assert start.isdigit()


def test_process_alive(dead_worker):
    assert recovery.process_alive(recovery.worker_identity()) is True
    assert recovery.process_alive(dead_worker) is False
    assert recovery.process_alive("elsewhere:1:1") is None
    assert recovery.process_alive("not-ours") is None
    if os.path.exists("/proc/self/stat"):
        host, pid, _start = recovery.worker_identity().split(":")
        assert recovery.process_alive(f"{host}:{pid}:1") is False  # the pid now belongs to another process


def test_a_dead_workers_job_is_failed_with_a_message(world, dead_worker):
    job = left_running(world["suzhou"], dead_worker)
    assert recovery.recover_orphans() == [recovery.Recovered(job.pk, "failed")]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "后台进程在任务运行中停止" in job.error
    assert job.done == 2 and job.finished_at
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "FAILED" and task.exception_class_path == "gaoqi.jobs.recovery.WorkerLost"
    event = AuditEvent.objects.filter(target_type="jobs.job", target_id=str(job.pk)).first()
    assert event.actor is None and event.old == {"status": "running"} and event.new["status"] == "failed"
    assert recovery.recover_orphans() == []  # once only


def test_a_restartable_job_runs_again_from_the_start(world, dead_worker):
    job = left_running(world["suzhou"], dead_worker, restartable=True)
    old_task = job.task_id
    assert recovery.recover_orphans() == [recovery.Recovered(job.pk, "requeued")]
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.done == 0 and job.task_id != old_task
    assert "重新排队" in job.message
    assert DBTaskResult.objects.get(id=old_task).status == "FAILED"
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.done == 4 and job.attempts == 2


def test_a_restartable_job_is_given_up_after_max_attempts(world, dead_worker):
    job = left_running(world["suzhou"], dead_worker, restartable=True, attempts=services.MAX_ATTEMPTS)
    assert recovery.recover_orphans() == [recovery.Recovered(job.pk, "failed")]


def test_a_live_workers_job_is_left_alone_however_old_its_heartbeat(world):
    # SQLite: a job inside one long transaction cannot write its heartbeat; the process is what counts here.
    job = left_running(world["suzhou"], recovery.worker_identity(), heartbeat_age=3600)
    assert recovery.recover_orphans() == []
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING


def test_another_machines_worker_is_judged_by_its_heartbeat(world):
    fresh = left_running(world["suzhou"], "other-host:42:7", heartbeat_age=10)
    stale = left_running(world["suzhou"], "other-host:43:7", heartbeat_age=recovery.STALE_SECONDS + 5)
    assert recovery.recover_orphans() == [recovery.Recovered(stale.pk, "failed")]
    fresh.refresh_from_db()
    assert fresh.status == JobStatus.RUNNING
    assert recovery.recover_orphans(stale_after=5) == [recovery.Recovered(fresh.pk, "failed")]


def test_a_queued_job_whose_task_never_began_it_is_failed(world, dead_worker):
    claimed = services.start_job(
        actor=world["suzhou"],
        kind="demo.count_to",
        func_path="gaoqi.jobs.demo_tasks.count_to",
        kwargs={"n": 1},
    )
    broken = services.start_job(
        actor=world["suzhou"],
        kind="demo.count_to",
        func_path="gaoqi.jobs.demo_tasks.count_to",
        kwargs={"n": 1},
    )
    waiting = services.start_job(
        actor=world["suzhou"],
        kind="demo.count_to",
        func_path="gaoqi.jobs.demo_tasks.count_to",
        kwargs={"n": 1},
    )
    DBTaskResult.objects.filter(id=claimed.task_id).update(status="RUNNING", worker_ids=[dead_worker])
    DBTaskResult.objects.filter(id=broken.task_id).update(status="FAILED", traceback="ImportError: gone")
    outcomes = recovery.recover_orphans()
    assert sorted(outcomes, key=lambda r: r.job_id) == [
        recovery.Recovered(claimed.pk, "failed"),
        recovery.Recovered(broken.pk, "failed"),
    ]
    broken.refresh_from_db()
    assert (
        broken.traceback == "ImportError: gone" and broken.error == "后台任务未能开始执行，请联系系统管理员。"
    )
    waiting.refresh_from_db()
    assert waiting.status == JobStatus.QUEUED
