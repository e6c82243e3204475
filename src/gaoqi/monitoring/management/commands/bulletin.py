"""`gaoqi bulletin --region CODE --period YYYY-MM|YYYY-Qn --format pdf|xlsx --out FILE [--user NAME]`.

Generates the region's bulletin (进展通报) as the officer `--user` (default: the first province officer), archives
it like the web does (a Bulletin row and the file under VAR_DIR/bulletins) and copies it to FILE. Exit status 2
when the arguments are wrong (a bad period, a region outside the officer's area).
"""

from __future__ import annotations

import shutil
import sys

from django.core.management.base import BaseCommand

from gaoqi.errors import ApplicationError
from gaoqi.monitoring.bulletins import bulletin_file, bulletin_generate
from gaoqi.monitoring.management.commands._actor import officer


class Command(BaseCommand):
    help = "生成进展通报（PDF 或 Excel）：gaoqi bulletin --region 320500 --period 2026-11 --format pdf --out 通报.pdf"

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="行政区划代码，如 320000、320500、320583")
        parser.add_argument("--period", required=True, help="月报 YYYY-MM，季报 YYYY-Qn")
        parser.add_argument("--format", required=True, choices=["pdf", "xlsx"], help="pdf 或 xlsx")
        parser.add_argument("--out", required=True, help="输出文件")
        parser.add_argument("--user", help="以哪个管理员账号生成（默认：第一个省级管理员）")

    def handle(self, *args, **opts):
        actor = officer(opts["user"])
        try:
            bulletin = bulletin_generate(
                actor=actor, region_code=opts["region"], period=opts["period"], fmt=opts["format"]
            )
        except ApplicationError as exc:
            self.stderr.write(exc.message)
            sys.exit(2)
        shutil.copyfile(bulletin_file(bulletin), opts["out"])
        self.stdout.write(
            f"已生成 {bulletin.region.name} {bulletin.period} 进展通报（{bulletin.get_format_display()}，"
            f"{bulletin.size:,} 字节，归档 #{bulletin.pk}）：{opts['out']}"
        )
