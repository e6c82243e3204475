"""`gaoqi jobs`: list, show (and follow), recover, and the demo job run here or by the worker."""

import io

import pytest
from django.core.management import CommandError, call_command

from gaoqi.jobs import display, services
from gaoqi.jobs.models import Job, JobStatus


def run(*args) -> str:
    out = io.StringIO()
    call_command("jobs", *args, stdout=out)
    return out.getvalue()


def test_an_empty_list_says_so(db):
    assert run() == "还没有后台任务。\n"


def test_demo_here_runs_in_this_process_with_progress(db):
    out = run("demo", "4", "--step", "0", "--here")
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED and job.done == 4 and job.created_by is None
    assert f"任务 #{job.pk}  演示：计数（demo.count_to）" in out and "状态：已完成" in out
    assert "0/4  开始计数" in out  # the plain progress lines a non-terminal gets


def test_a_failed_job_fails_the_command_with_its_message(db):
    with pytest.raises(CommandError, match="按要求在第 2 步失败"):
        run("demo", "3", "--step", "0", "--fail-at", "2", "--here")
    job = Job.objects.get()
    with pytest.raises(CommandError):
        run("show", str(job.pk), "--traceback")


def test_demo_queues_for_the_worker_and_the_list_shows_it(db):
    out = run("demo", "3")
    job = Job.objects.get()
    assert job.status == JobStatus.QUEUED and f"gaoqi jobs show {job.pk}" in out
    listing = run("list", "--status", "queued")
    assert "排队中" in listing and "（命令行）" in listing and "0/3 0%" in listing
    assert run("list", "--status", "failed") == "还没有后台任务。\n"


def test_show_follows_until_the_end(world, immediate):
    job = services.start_job(
        actor=world["suzhou"],
        kind="demo.count_to",
        func_path="gaoqi.jobs.demo_tasks.count_to",
        kwargs={"n": 2},
    )
    out = run("show", str(job.pk), "--follow")
    assert "状态：已完成" in out and "结果：{'counted': 2, 'summary': '已计数到 2'}" in out


def test_demo_follow_with_the_immediate_backend(db, immediate):
    out = run("demo", "2", "--step", "0", "--follow")
    assert "状态：已完成" in out


def test_show_an_unknown_job(db):
    with pytest.raises(CommandError, match="没有编号为 5 的任务"):
        run("show", "5")


def test_recover_reports_what_it_did(db):
    assert run("recover") == "处理了 0 个中断的任务\n"


def test_follow_gives_up_after_its_timeout(db):
    job = services.create_job(
        actor=None, kind="demo.count_to", func_path="gaoqi.jobs.demo_tasks.count_to", kwargs={"n": 1}
    )
    seen = display.follow(job, out=io.StringIO(), poll=0.01, timeout=0.05, stream=io.StringIO())
    assert seen.status == JobStatus.QUEUED


def test_the_table_lines_up_chinese_and_latin_columns(db):
    job = services.create_job(
        actor=None, kind="demo.count_to", func_path="gaoqi.jobs.demo_tasks.count_to", kwargs={"n": 1}, total=1
    )
    head, line = display.table([job])
    width = display._width
    assert width(head[: head.index("说明")]) == width(line[: len(line) - len(job.message)])
