"""`gaoqi restore FILE [--replace]`: replace the database's content with a backup, then verify the audit chain."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gaoqi.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = "从备份恢复整个数据库，并校验审计日志的哈希链"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--replace", action="store_true", help="目标数据库已有数据时，确认替换全部内容")

    def handle(self, *args, **opts):
        try:
            done = restore(opts["file"], replace=opts["replace"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored from {done.path} ({done.format})")
        if not done.audit.ok:
            raise CommandError(f"restored, but {done.audit.describe()}", returncode=1)
        self.stdout.write(done.audit.describe())
