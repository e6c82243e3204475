"""Starting jobs, running them through the database queue in-process, and what success and failure record."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.jobs import runner, services
from gaoqi.jobs.models import Job, JobStatus
from gaoqi.jobs.testing import run_queued_jobs
from tests.jobs import funcs

COUNT = "gaoqi.jobs.demo_tasks.count_to"


def start(actor, n=5, **kwargs):
    return services.start_job(
        actor=actor, kind="demo.count_to", func_path=COUNT, kwargs={"n": n, **kwargs}, total=n
    )


def events(job):
    return list(AuditEvent.objects.filter(target_type="jobs.job", target_id=str(job.pk)).order_by("id"))


# --- refusals first -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, needle",
    [
        ({"kind": "no.such.kind"}, "unknown job kind"),
        ({"func_path": "os.system"}, "job functions live under"),
        ({"func_path": "gaoqi.jobs.demo_tasks.nope"}, "cannot import"),
        ({"func_path": "gaoqi.jobs.kinds.JOB_KINDS"}, "not callable"),
        ({"kwargs": {"when": object()}}, "plain JSON"),
        ({"kwargs": {"x": float("nan")}}, "plain JSON"),
        ({"kwargs": {"progress": 1}}, "passed by the job runner"),
        ({"total": -1}, "zero or more"),
    ],
)
def test_start_job_refuses_what_could_not_run(world, spec, needle):
    args = {"actor": world["suzhou"], "kind": "demo.count_to", "func_path": COUNT, "kwargs": {"n": 1}}
    with pytest.raises(ValueError, match=needle):
        services.start_job(**{**args, **spec})
    assert not Job.objects.exists()
    assert not DBTaskResult.objects.exists()


# --- the database queue -----------------------------------------------------------------------------


def test_start_job_queues_a_task_row_in_the_same_transaction(world):
    job = start(world["suzhou"])
    assert job.status == JobStatus.QUEUED
    assert job.region_id == "320500" and job.created_by == world["suzhou"]
    task = DBTaskResult.objects.get()
    assert str(task.id) == job.task_id
    assert task.status == "READY" and task.task_path == "gaoqi.jobs.tasks.run_job"
    assert task.args_kwargs == {"args": [], "kwargs": {"job_id": job.pk}}
    [created] = events(job)
    assert created.action == AuditAction.CREATE and created.actor == world["suzhou"]
    assert created.new == {"kind": "demo.count_to", "status": "queued", "total": 5}


def test_a_rolled_back_caller_leaves_neither_job_nor_task(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        start(world["suzhou"])
        raise RuntimeError("the caller's own work failed")
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()


def test_queued_job_runs_through_the_worker_loop(world):
    job = start(world["suzhou"], n=7)
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (job.done, job.total, job.message) == (7, 7, "已计数 7 / 7")
    assert job.result == {"counted": 7, "summary": "已计数到 7"}
    assert job.attempts == 1 and job.started_at and job.finished_at >= job.started_at
    assert job.worker_id.split(":")[1].isdigit()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    finished = events(job)[-1]
    assert finished.action == AuditAction.UPDATE and finished.actor == world["suzhou"]
    assert finished.old == {"status": "running"}
    assert finished.new == {"status": "succeeded", "done": 7, "total": 7}


def test_failure_is_recorded_with_a_clear_message_and_the_traceback(world):
    job = start(world["suzhou"], n=5, fail_at=3)
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert (
        job.error == "任务执行出错（RuntimeError: 按要求在第 3 步失败）。详细错误已记录，请联系系统管理员。"
    )
    assert "Traceback" in job.traceback and "count_to" in job.traceback
    assert (job.done, job.total) == (2, 5)
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED" and task.exception_class_path == "builtins.RuntimeError"
    failed = events(job)[-1]
    assert failed.new["status"] == "failed" and failed.new["error"].startswith("任务执行出错")


def test_running_a_task_twice_runs_the_job_once(world, test_funcs):
    funcs.CALLS.clear()
    job = services.start_job(
        actor=world["suzhou"], kind="export", func_path="tests.jobs.funcs.no_progress", kwargs={"x": 4}
    )
    run_queued_jobs()
    DBTaskResult.objects.filter(id=job.task_id).update(status="READY")  # as if delivered again
    run_queued_jobs()
    assert funcs.CALLS == [{"x": 4}]
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result == 8 and job.attempts == 1
    assert runner.execute(job.pk) is None


def test_an_unknown_job_id_is_a_no_op(db):
    assert runner.execute(10**9) is None


# --- the immediate backend (tests, GAOQI_TASKS_BACKEND=immediate) -------------------------------------


def test_immediate_backend_has_run_the_job_when_start_job_returns(world, immediate):
    job = start(world["province"], n=3)
    assert job.status == JobStatus.SUCCEEDED and job.done == 3
    assert job.task_id and not DBTaskResult.objects.exists()
    assert job.region_id == "320000"


def test_application_errors_show_their_own_message(world, immediate, test_funcs):
    job = services.start_job(
        actor=world["suzhou"],
        kind="export",
        func_path="tests.jobs.funcs.refuse",
        kwargs={"reason": "没有数据"},
    )
    assert job.status == JobStatus.FAILED and job.error == "没有数据"


def test_validation_errors_are_kept_for_the_job_page(world, immediate, test_funcs):
    job = services.start_job(
        actor=world["suzhou"], kind="intake.commit", func_path="tests.jobs.funcs.invalid_rows"
    )
    assert job.error == "导入文件有 1 行错误"
    assert job.result == {"errors": [{"row": 7, "field": "name", "reason": "企业名称不能为空"}]}
    assert (job.done, job.total, job.message) == (2, 2, "校验完成")


def test_a_database_error_in_the_job_leaves_the_callers_transaction_usable(world, immediate, test_funcs):
    with transaction.atomic():
        job = services.start_job(
            actor=world["suzhou"], kind="export", func_path="tests.jobs.funcs.break_the_database"
        )
        assert Job.objects.count() == 1  # the caller can still query
    assert job.status == JobStatus.FAILED and "IntegrityError" in job.error


def test_results_that_are_not_json_are_kept_as_text(world, immediate, test_funcs):
    job = services.start_job(
        actor=world["suzhou"], kind="export", func_path="tests.jobs.funcs.returns_object"
    )
    assert job.status == JobStatus.SUCCEEDED and job.result["summary"].startswith("<object object")


def test_a_result_url_becomes_the_jobs_link(world, immediate, test_funcs):
    job = services.start_job(actor=world["suzhou"], kind="export", func_path="tests.jobs.funcs.export_ready")
    assert job.result_url == "/media/exports/x.xlsx" and job.percent == 100


def test_region_defaults_to_the_officers_own_and_is_none_for_others(world, immediate):
    assert start(world["kunshan"]).region_id == "320583"
    assert start(world["ks_user"]).region_id is None
    assert start(None).created_by is None
    assert (
        services.start_job(
            actor=world["province"], kind="demo.count_to", func_path=COUNT, kwargs={"n": 1}, region=None
        ).region_id
        is None
    )
