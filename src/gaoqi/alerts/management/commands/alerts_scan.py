"""`gaoqi alerts-scan [--today YYYY-MM-DD]`: evaluate the alert rules over the stored data and bring the
alerts in line (open new ones, update live ones, resolve those whose condition is gone). Idempotent: run it
daily from the scheduler, after the night's re-evaluation."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from gaoqi.alerts.services import scan


class Command(BaseCommand):
    help = "扫描动态监测预警规则（证书到期、硬性条件、入库登记更新、目标进度）"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="按该日期扫描 YYYY-MM-DD（默认：今天，北京时间）")

    def handle(self, *args, **opts):
        try:
            today = date.fromisoformat(opts["today"]) if opts["today"] else None
        except ValueError as exc:
            raise CommandError(f"日期应写作 YYYY-MM-DD：{opts['today']}") from exc
        r = scan(today=today)
        self.stdout.write(
            f"预警扫描（{r.today}）：新增 {r.opened}，更新 {r.updated}，未变 {r.unchanged}，自动解除 {r.resolved}"
        )
        for code in r.skipped:
            self.stdout.write(f"未启用的规则：{code}（尚无数据来源，见 gaoqi/alerts/rules.py）")
