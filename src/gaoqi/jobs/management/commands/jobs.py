"""`gaoqi jobs [list|show|worker|recover|demo]`: background jobs from the terminal.

gaoqi jobs                          the latest jobs (also `gaoqi jobs list --status running`)
gaoqi jobs show 12 [--follow]       one job; --follow shows its progress until it ends
gaoqi jobs worker [--batch]         run the worker (recovers jobs a stopped worker left behind first)
gaoqi jobs recover                  only that recovery
gaoqi jobs schedules [--due]        the schedules (定时任务) with last and next run; --due: start the due ones now
gaoqi jobs demo 200 --step 0.05 [--follow | --here]   a demo job (--here: run it in this process)
"""

from __future__ import annotations

import argparse
import logging

from django.core.management.base import BaseCommand, CommandError

from gaoqi.jobs import display
from gaoqi.jobs.models import Job, JobStatus

DEMO_FUNC = "gaoqi.jobs.demo_tasks.count_to"


class Command(BaseCommand):
    help = "后台任务：列表、详情与进度、运行后台进程（worker）、演示任务"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{list,show,worker,recover,schedules,demo}")
        ls = sub.add_parser("list", help="最近的任务")
        ls.add_argument("--status", choices=JobStatus.values)
        ls.add_argument("--limit", type=int, default=20)

        show = sub.add_parser("show", help="一个任务的详情")
        show.add_argument("job_id", type=int)
        show.add_argument("--follow", action="store_true", help="显示进度直到任务结束")
        show.add_argument("--traceback", action="store_true", help="显示错误的完整堆栈")

        worker = sub.add_parser("worker", help="运行后台任务进程")
        worker.add_argument("--batch", action="store_true", help="处理完排队的任务后退出")
        worker.add_argument("--interval", type=float, default=1.0, help="空闲时查询新任务的间隔（秒）")
        worker.add_argument("--max-tasks", type=int, default=None, help="执行这么多个任务后退出")
        worker.add_argument(
            "--stale-after", type=float, default=None, help="其他机器上的任务多久无心跳视为中断（秒）"
        )
        worker.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)  # set by spawn()

        recover = sub.add_parser("recover", help="处理已停止的后台进程留下的任务")
        recover.add_argument("--stale-after", type=float, default=None)

        schedules = sub.add_parser("schedules", help="定时任务：计划、上次与下次运行")
        schedules.add_argument(
            "--due", action="store_true", help="立即启动已到期的定时任务（与后台进程相同）"
        )

        demo = sub.add_parser("demo", help="发起一个演示任务（计数）")
        demo.add_argument("n", type=int, nargs="?", default=100)
        demo.add_argument("--step", type=float, default=0.05, help="每步耗时（秒）")
        demo.add_argument("--fail-at", type=int, default=None, help="在第几步失败（演示错误报告）")
        demo.add_argument("--restartable", action="store_true", help="后台进程中断后重新执行")
        how = demo.add_mutually_exclusive_group()
        how.add_argument("--follow", action="store_true", help="交给后台进程，显示进度直到结束")
        how.add_argument("--here", action="store_true", help="在本进程中执行并显示进度（无需后台进程）")

    def handle(self, *args, **opts):
        action = opts.get("action") or "list"
        return getattr(self, f"do_{action}")(opts)

    def do_list(self, opts):
        qs = Job.objects.select_related("created_by")
        if opts.get("status"):
            qs = qs.filter(status=opts["status"])
        jobs = list(qs[: opts.get("limit") or 20])
        if not jobs:
            self.stdout.write("还没有后台任务。")
            return
        for line in display.table(jobs):
            self.stdout.write(line)

    def _job(self, pk: int) -> Job:
        job = Job.objects.select_related("created_by").filter(pk=pk).first()
        if job is None:
            raise CommandError(f"没有编号为 {pk} 的任务")
        return job

    def _outcome(self, job: Job, with_traceback: bool = False) -> None:
        for line in display.details(job, with_traceback=with_traceback):
            self.stdout.write(line)
        if job.status == JobStatus.FAILED:
            raise CommandError(job.error or "任务失败")

    def do_show(self, opts):
        job = self._job(opts["job_id"])
        if opts["follow"] and not job.is_finished:
            job = display.follow(job, out=self.stdout)
        self._outcome(job, opts["traceback"])

    def do_worker(self, opts):
        from gaoqi.jobs.recovery import STALE_SECONDS
        from gaoqi.jobs.worker import run_worker

        self._log_to_stdout(opts["verbosity"])
        run_worker(
            batch=opts["batch"],
            interval=opts["interval"],
            max_tasks=opts["max_tasks"],
            stale_after=opts["stale_after"] or STALE_SECONDS,
            parent=opts["parent"],
            stdout=self.stdout,
        )

    def do_recover(self, opts):
        from gaoqi.jobs.recovery import STALE_SECONDS, recover_orphans

        outcomes = recover_orphans(stale_after=opts["stale_after"] or STALE_SECONDS)
        for item in outcomes:
            self.stdout.write(
                f"任务 #{item.job_id}：{'已重新排队' if item.outcome == 'requeued' else '已标记失败'}"
            )
        self.stdout.write(f"处理了 {len(outcomes)} 个中断的任务")

    def do_schedules(self, opts):
        from django.utils import timezone

        from gaoqi.jobs.models import Schedule
        from gaoqi.jobs.scheduler import enqueue_due

        if opts.get("due"):
            for run in enqueue_due():
                self.stdout.write(f"已启动 {run.schedule.code}（{run.period}）：任务 #{run.job_id}")

        def when(value):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"

        for s in Schedule.objects.select_related("run_as").order_by("code"):
            state = "启用" if s.enabled else "停用"
            last = f"{when(s.last_run_at)} {s.last_period}".strip() if s.last_run_at else "—"
            self.stdout.write(
                f"{s.code:<22} {state}  {s.describe}  上次 {last}  下次 {when(s.next_run_at)}"
                f"  执行身份 {s.run_as.username if s.run_as else '—'}"
            )

    def do_demo(self, opts):
        from gaoqi.jobs import services

        if opts["n"] < 0:
            raise CommandError("n 不能为负数")
        spec = {
            "actor": None,
            "kind": "demo.count_to",
            "func_path": DEMO_FUNC,
            "kwargs": {"n": opts["n"], "step": opts["step"], "fail_at": opts["fail_at"]},
            "total": opts["n"],
            "restartable": opts["restartable"],
        }
        if opts["here"]:
            job = self._run_here(services.create_job(**spec))
            return self._outcome(job, with_traceback=opts["verbosity"] > 1)
        job = services.start_job(**spec)
        self.stdout.write(
            f"已发起任务 #{job.pk}（{job.kind_label}），由后台进程执行；查看：gaoqi jobs show {job.pk}"
        )
        if opts["follow"]:
            self._outcome(display.follow(job, out=self.stdout))

    def _run_here(self, job: Job) -> Job:
        from gaoqi.jobs.recovery import worker_identity
        from gaoqi.jobs.runner import execute

        shown = display.Display(job, out=self.stdout)
        try:
            execute(job.pk, worker_id=worker_identity(), listener=shown.update)
        except Exception:  # recorded on the job, reported below
            pass
        finally:
            shown.close()
        job.refresh_from_db()
        return job

    def _log_to_stdout(self, verbosity: int) -> None:
        level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        handler = logging.StreamHandler(self.stdout)
        for name in ("django_tasks", "django_tasks_db", "gaoqi.jobs"):
            log = logging.getLogger(name)
            log.setLevel(level)
            if not log.handlers:
                log.addHandler(handler)
                log.propagate = False
