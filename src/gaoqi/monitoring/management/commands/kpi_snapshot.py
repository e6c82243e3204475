"""`gaoqi kpi-snapshot [--month YYYY-MM] [--months N]`: store the six KPIs of the province, its cities and
counties at each month's end (the running month: as of today), replacing that month's earlier snapshot.

Run it monthly (and daily for the running month) from the scheduler; dashboards read what it stores.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gaoqi.monitoring.services import parse_month, snapshot_month


def _months_back(month, n: int):
    out = []
    y, m = month.year, month.month
    for _ in range(n):
        out.append(month.replace(year=y, month=m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return list(reversed(out))


class Command(BaseCommand):
    help = "计算并保存六项指标的月度快照（省、设区市、县（市、区））"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份 YYYY-MM（默认：本月，截至今天）")
        parser.add_argument("--months", type=int, default=1, help="从该月往前共计算几个月（默认 1）")
        parser.add_argument("--province", default="320000", help="省级行政区划代码（默认 320000）")

    def handle(self, *args, **opts):
        try:
            month = parse_month(opts["month"]) if opts["month"] else timezone.localdate().replace(day=1)
        except ValueError as exc:
            raise CommandError(f"月份应写作 YYYY-MM：{opts['month']}") from exc
        if month > timezone.localdate():
            raise CommandError("不能计算未来月份的快照")
        if not 1 <= opts["months"] <= 120:
            raise CommandError("--months 应在 1 至 120 之间")
        for m in _months_back(month, opts["months"]):
            started = time.perf_counter()
            result = snapshot_month(month=m, province_code=opts["province"])
            self.stdout.write(
                f"{result['month'][:7]}：统计日 {result['as_of']}，写入 {result['rows']} 行，"
                f"用时 {time.perf_counter() - started:.2f} 秒"
            )
