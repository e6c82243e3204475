"""`gaoqi import-statistics FILE [--user NAME] [--synthetic]`: statistics-bureau totals per region and year
(全部企业研发经费支出, 规模以上工业总产值, 高新技术产业产值). Writes nothing when any row is wrong; exit status 2
with one line per error (file, row, column, reason)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from gaoqi.errors import ApplicationError
from gaoqi.monitoring.management.commands._actor import officer
from gaoqi.monitoring.statistics import statistics_import


class Command(BaseCommand):
    help = "导入统计局地区统计数据（研发经费支出、规上工业总产值、高新技术产业产值）"

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="数据文件（.xlsx / .xls / .csv）：地区、年度、指标、数值、单位、来源"
        )
        parser.add_argument("--user", help="以哪个管理员账号导入（默认：第一个省级管理员）")
        parser.add_argument("--synthetic", action="store_true", help="标记为合成数据")

    def handle(self, *args, **opts):
        actor = officer(opts["user"])
        path = Path(opts["file"])
        try:
            result = statistics_import(
                actor=actor, path=path, file_name=path.name, synthetic=opts["synthetic"]
            )
        except ApplicationError as exc:
            self.stderr.write(exc.message)
            for e in exc.extra.get("errors", []):
                self.stderr.write(e.get("message") or e.get("reason", ""))
            sys.exit(2)
        self.stdout.write(
            f"{result.file}：{result.rows} 行，新增 {result.created}，更新 {result.updated}，无变化 {result.unchanged}"
        )
