"""The progress callback: every call is cheap, the row is written at most every FLUSH_SECONDS."""

import pytest

from gaoqi.jobs import runner, services
from gaoqi.jobs.models import Job, JobStatus


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def running_job(world):
    job = services.create_job(
        actor=world["suzhou"],
        kind="demo.count_to",
        func_path="gaoqi.jobs.demo_tasks.count_to",
        kwargs={"n": 1},
    )
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    return job


def row(job):
    return Job.objects.values_list("done", "total", "message").get(pk=job.pk)


def test_writes_are_throttled(running_job):
    clock = Clock()
    progress = runner.Progress(running_job.pk, total=None, threaded=False, clock=clock)
    progress(1, 1000, "开始")
    assert row(running_job) == (1, 1000, "开始") and progress.writes == 1
    for done in range(2, 500):
        clock.now += 0.001
        progress(done)
    assert progress.writes == 1 and row(running_job) == (1, 1000, "开始")
    clock.now += runner.FLUSH_SECONDS
    progress(500, message="一半")
    assert progress.writes == 2 and row(running_job) == (500, 1000, "一半")


def test_total_and_message_keep_their_last_value_and_numbers_are_clamped(running_job):
    clock = Clock()
    progress = runner.Progress(running_job.pk, total=10, threaded=False, clock=clock)
    progress(3, message="第三步")
    clock.now += 1
    progress(-5)
    assert progress.snapshot() == (0, 10, "第三步")
    assert row(running_job) == (0, 10, "第三步")


def test_a_forced_flush_writes_at_once_and_a_quiet_job_still_beats(running_job):
    clock = Clock()
    progress = runner.Progress(running_job.pk, threaded=False, clock=clock)
    progress(1)
    progress(2)
    assert progress.flush(force=True) and row(running_job)[0] == 2
    assert not progress.flush()
    before = Job.objects.get(pk=running_job.pk).heartbeat_at
    clock.now += runner.HEARTBEAT_SECONDS
    assert progress.flush()
    assert Job.objects.get(pk=running_job.pk).heartbeat_at != before


def test_a_finished_job_is_never_written_back_to(running_job):
    clock = Clock()
    progress = runner.Progress(running_job.pk, threaded=False, clock=clock)
    Job.objects.filter(pk=running_job.pk).update(status=JobStatus.SUCCEEDED, done=9)
    progress(3)
    assert row(running_job)[0] == 9


def test_the_listener_hears_every_call(running_job):
    heard = []
    progress = runner.Progress(
        running_job.pk, threaded=False, clock=Clock(), listener=lambda *a: heard.append(a)
    )
    for i in range(5):
        progress(i, 4, f"m{i}")
    assert heard == [(i, 4, f"m{i}") for i in range(5)]
