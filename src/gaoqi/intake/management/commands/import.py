"""`gaoqi import FILE --profile P [--year Y] [--commit] [--user NAME] [--errors OUT.xlsx]`.

Reads and checks every row, prints the preview (new firms, changed facts old -> new, unchanged rows,
conflicts with other departments, rows outside the officer's region, errors with file, sheet, row,
column and reason). Without --commit nothing is kept: the staged batch is rolled back with the rest.
With --commit the new and changed rows are written in one transaction, as the officer `--user`
(default: the first province officer). Exit status: 0 done, 2 the file cannot be read, 1 other errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from gaoqi.accounts.models import OFFICER_ROLES, Role, User
from gaoqi.errors import ApplicationError
from gaoqi.intake import selectors, services
from gaoqi.intake.error_book import write_error_workbook
from gaoqi.intake.models import StagedRow
from gaoqi.intake.presenters import display_rows, row_messages
from gaoqi.intake.profiles import load_profiles

SHOW = 10  # rows listed per section


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "导入部门数据文件：预览（默认，不写入企业库）或确认导入（--commit）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="数据文件（.xlsx / .xls / .csv）")
        parser.add_argument("--profile", required=True, help=f"导入模板：{'、'.join(load_profiles())}")
        parser.add_argument("--year", type=int, help="年度（文件中没有年度列、表头也未注明时必填）")
        parser.add_argument("--commit", action="store_true", help="确认导入：写入企业库（否则只预览）")
        parser.add_argument("--user", help="以哪个管理员账号导入（默认：第一个省级管理员）")
        parser.add_argument("--reason", default="", help="导入说明（记入审计日志）")
        parser.add_argument("--synthetic", action="store_true", help="标记为合成数据")
        parser.add_argument("--errors", metavar="OUT.xlsx", help="把有错误的行写成错误清单工作簿")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def _actor(self, username: str | None) -> User:
        qs = User.objects.filter(is_active=True, role__in=sorted(OFFICER_ROLES))
        actor = (
            qs.filter(username=username).first()
            if username
            else qs.filter(role=Role.PROVINCE_OFFICER).order_by("pk").first()
        )
        if actor is None:
            raise CommandError(
                f"没有名为 {username} 的管理员账号" if username else "没有省级管理员账号，请用 --user 指定"
            )
        return actor

    def handle(self, *args, **opts):
        actor = self._actor(opts["user"])
        path = Path(opts["file"])
        bar = tqdm(total=0, unit="行", file=sys.stderr, disable=opts["no_progress"], leave=False)

        def progress(done: int, total: int, message: str) -> None:
            bar.set_description(message)
            if total and bar.total != total:
                bar.reset(total=total)
            bar.n = done
            bar.refresh()

        try:
            with transaction.atomic():
                batch = services.batch_stage(
                    actor=actor,
                    path=path,
                    profile=opts["profile"],
                    file_name=path.name,
                    year=opts["year"],
                    synthetic=opts["synthetic"],
                    progress=progress,
                )
                self._print_preview(batch)
                if opts["errors"]:
                    Path(opts["errors"]).write_bytes(write_error_workbook(batch))
                    self.stdout.write(f"错误清单已写入 {opts['errors']}")
                if not opts["commit"]:
                    raise _Rollback
                batch = services.batch_commit(
                    actor=actor, batch=batch, reason=opts["reason"], progress=progress
                )
        except _Rollback:
            bar.close()
            self.stdout.write("预览完毕，未写入企业库（加 --commit 确认导入）。")
            return
        except services.ImportFileError as exc:
            bar.close()
            self.stderr.write(exc.message)
            sys.exit(2)
        except ApplicationError as exc:
            bar.close()
            details = "；".join(e.get("reason", "") for e in exc.extra.get("errors", [])[:5])
            raise CommandError(exc.message + (f"：{details}" if details else "")) from exc
        bar.close()
        written = batch.summary.get("written") or {}
        if written:
            self.stdout.write(
                f"已导入（批次 #{batch.pk}）：" + "，".join(f"{k} {v:,}" for k, v in written.items())
            )
        else:
            self.stdout.write(f"没有需要写入的变化（批次 #{batch.pk}）。")

    def _print_preview(self, batch) -> None:
        out = self.stdout.write
        summary = batch.summary
        out(
            f"文件：{batch.file_name}（工作表：{batch.sheet or 'CSV'}），{summary['rows']:,} 行，模板 {batch.profile} v{batch.profile_version}"
        )
        for note in batch.notes:
            out(f"  注意：{note}")
        out(
            "列对应："
            + "；".join(
                f"{m['letter']}“{m['header']}”→{m['label']}{'（' + m['unit'] + '）' if m['unit'] else ''}"
                for m in batch.mapping
            )
        )
        for _code, label, n in selectors.view_counts(batch):
            out(f"  {label}：{n:,}")
        sections = (
            ("new_firm", "新企业"),
            ("changed", "有变化（原值 → 新值）"),
            ("conflict", "与其他部门不一致"),
            ("out_of_scope", "不在管辖范围（不写入）"),
            ("unmatched", "没有信用代码、需确认的企业（不写入）"),
            ("unknown_firm", "企业未登记（不写入）"),
            ("error", "错误（不写入）"),
        )
        for code, title in sections:
            rows = StagedRow.objects.filter(batch=batch).filter(selectors.ROW_VIEWS[code][1]).order_by("line")
            first = list(rows[:SHOW])
            if not first:
                continue
            out(f"\n{title}：")
            for d in display_rows(first):
                r = d["row"]
                head = f"  第 {r.line} 行 {r.credit_code or '（无信用代码）'} {r.name}"
                if code == "error" or code == "unknown_firm":
                    for message in row_messages(batch, r):
                        out(f"  {message}")
                elif code == "conflict":
                    for c in d["conflicts"]:
                        winner = "本文件" if c["wins"] else c["department"]
                        out(
                            f"{head}：{c['year'] or ''} {c['label']} 本文件 {c['new']}，{c['department']} {c['other']}（以{winner}为准）"
                        )
                elif code == "unmatched":
                    names = "、".join(f"{c['name']}（{c['score']}）" for c in r.candidates)
                    out(f"{head}：候选 {names}")
                else:
                    changes = "；".join(
                        f"{c['year'] or ''}{c['label']} {c['old']} → {c['new']}" for c in d["changes"][:8]
                    )
                    out(f"{head}：{changes}")
            total = rows.count() if len(first) == SHOW else len(first)
            if total > SHOW:
                out(f"  …… 共 {total:,} 行")
