"""`gaoqi demo [--enterprises N --seed S --host H --port P --no-serve --no-worker]`: the local demo.

Migrates, generates the synthetic data set when the database has no enterprises (default 20,000),
creates the demo accounts (idempotent), prints who can log in with what, and runs the dev server with the
background-jobs worker beside it (stopped when the server stops).
A second run reuses the database and starts in seconds.
"""

from __future__ import annotations

import time
import unicodedata
from contextlib import nullcontext

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from gaoqi.demo.management.commands.demo_data import add_generation_arguments, check_n


def _pad(text: str, width: int) -> str:
    """Left-justify to a display width (CJK characters take two columns)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - used)


class Command(BaseCommand):
    help = "启动本地演示：迁移数据库、生成合成数据、创建演示账号并运行开发服务器"

    def add_arguments(self, parser):
        add_generation_arguments(parser)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="只准备数据和账号，不启动服务器")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程（worker）")
        parser.add_argument(
            "--allow-real-data",
            action="store_true",
            help="数据库中有非合成数据时仍添加演示账号（其密码是公开的，慎用）",
        )

    def handle(self, *args, **opts):
        from gaoqi.demo.accounts import ensure_demo_accounts, refuse_real_data
        from gaoqi.demo.generator import generate
        from gaoqi.demo.loader import DemoDataError, load
        from gaoqi.registry.models import Enterprise

        check_n(opts["enterprises"])
        call_command("migrate", verbosity=0, interactive=False)
        try:  # before generating or re-evaluating anything: a database with real data is not the demo's
            refuse_real_data(allow_real_data=opts["allow_real_data"])
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        if not Enterprise.objects.exists():
            started = time.perf_counter()
            self.stdout.write(
                f"数据库中没有企业：生成 {opts['enterprises']} 家合成企业（seed={opts['seed']}）…"
            )
            try:
                result = load(
                    generate(opts["enterprises"], opts["seed"], opts["as_of"] or timezone.localdate())
                )
            except DemoDataError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"已载入 {result.enterprises} 家企业、{result.reports} 条年度数据"
                f"（{time.perf_counter() - started:.1f}s）"
            )
        from gaoqi.ledger.models import LedgerEntry
        from gaoqi.ledger.services import reevaluate

        if not LedgerEntry.objects.exists():
            started = time.perf_counter()
            result = reevaluate(as_of=opts["as_of"] or timezone.localdate())
            self.stdout.write(
                f"已批量评价 {result.firms} 家企业并生成培育台账（{time.perf_counter() - started:.1f}s）"
            )
        from gaoqi.demo.rnd import ensure_demo_rnd
        from gaoqi.demo.targets import ensure_demo_targets

        started = time.perf_counter()
        rnd = ensure_demo_rnd(as_of=opts["as_of"] or timezone.localdate())
        n_targets = ensure_demo_targets(as_of=opts["as_of"] or timezone.localdate())
        if rnd or n_targets:
            self.stdout.write(
                f"已生成 {rnd.get('institutions', 0)} 个研发机构、{rnd.get('evaluations', 0)} 条绩效评价、"
                f"{n_targets} 项目标任务（合成数据，{time.perf_counter() - started:.1f}s）"
            )
        try:
            accounts = ensure_demo_accounts(allow_real_data=opts["allow_real_data"])
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        from gaoqi.demo.programmes import ensure_demo_applications

        if n_apps := ensure_demo_applications():
            self.stdout.write(f"已生成 {n_apps} 份科技型中小企业评价申报（合成数据，各环节示例）")
        from gaoqi.demo.programmes import ensure_demo_pool

        if n_pool := ensure_demo_pool():
            self.stdout.write(f"已生成 {n_pool} 份高新技术企业培育库入库申请（合成数据，各环节示例）")
        from gaoqi.demo.hte import ensure_demo_hte

        started = time.perf_counter()
        if hte := ensure_demo_hte(seed=opts["seed"]):
            self.stdout.write(
                f"已生成 {hte['experts']} 名评审专家、{hte['applications']} 份高新技术企业认定申请"
                f"（合成数据，各环节示例，{time.perf_counter() - started:.1f}s）"
            )
        from gaoqi.demo.monitoring import ensure_demo_monitoring

        started = time.perf_counter()
        mon = ensure_demo_monitoring(as_of=opts["as_of"] or timezone.localdate())
        self.stdout.write(
            f"已生成 {mon['statistics']} 项统计局口径汇总、{mon['months']} 个月度指标快照，预警扫描新增 "
            f"{mon['alerts']} 条（合成数据，{time.perf_counter() - started:.1f}s）"
        )
        if h := mon.get("history"):
            self.stdout.write(
                f"已生成往年已办结申报：高企认定 {h.get('hte', 0)} 份、科技型中小企业 {h.get('tech_sme', 0)} 份"
                f"（合成数据，供预测的通过率使用）"
            )
        self.stdout.write(f"数据库：{connection.settings_dict['NAME']}")
        base = f"http://{opts['host']}:{opts['port']}"
        self.stdout.write(
            self.style.SUCCESS(f"\n高企培育平台 · 本地演示（合成数据，仅供演示）  {base}/login/")
        )
        self.stdout.write(_pad("角色", 42) + _pad("用户名", 12) + _pad("密码", 18) + "入口")
        for account, user in accounts:
            label = account.label + (f"：{user.enterprise.name}" if user.enterprise_id else "")
            self.stdout.write(
                _pad(label, 42) + _pad(user.username, 12) + _pad(account.password, 18) + base + account.path
            )
        self.stdout.write("")
        if not opts["no_serve"]:
            from gaoqi.jobs.worker import alongside

            with nullcontext() if opts["no_worker"] else alongside(stdout=self.stdout):
                call_command("runserver", f"{opts['host']}:{opts['port']}", use_reloader=False)
