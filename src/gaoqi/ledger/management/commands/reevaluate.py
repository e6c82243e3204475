"""`gaoqi reevaluate [--as-of YYYY-MM-DD]`: evaluate every firm with the bulk engine and store the snapshots."""

from __future__ import annotations

import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = "批量重新评价全部企业（科技型中小企业、高企、培育库、台账分级）并保存评价快照"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="评价基准日（默认今天）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
        parser.add_argument(
            "--slice", type=int, default=None, help="每批企业数（默认 GAOQI_REEVALUATE_SLICE）：内存按一批计"
        )

    def handle(self, *args, **opts):
        from tqdm import tqdm

        from gaoqi.ledger.services import reevaluate
        from gaoqi.policy import PolicyError

        as_of = opts["as_of"] or timezone.localdate()
        bar = tqdm(
            total=0, unit="条", file=sys.stderr, disable=opts["no_progress"] or not sys.stderr.isatty()
        )

        def progress(done: int, total: int, message: str) -> None:
            bar.total = total
            bar.set_description(message)
            bar.update(done - bar.n)

        started = time.perf_counter()
        try:
            result = reevaluate(as_of=as_of, progress=progress, slice_size=opts["slice"])
        except PolicyError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        from gaoqi.ledger import tally

        tally.refresh()  # the ledger summary's materialised counts
        grades = "，".join(f"{g} {n}" for g, n in result.by_grade.items())
        self.stdout.write(
            f"{result.as_of}：{result.firms} 家企业、{result.snapshots} 条评价快照（{time.perf_counter() - started:.1f}s）；"
            f"台账分级 {grades}"
        )
