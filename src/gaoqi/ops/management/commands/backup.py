"""`gaoqi backup FILE [--format sqlite|pg|json]`: a consistent copy of the whole database (see gaoqi.ops.backup)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gaoqi.audit.services import chain_head
from gaoqi.ops.backup import FORMATS, BackupError, backup


class Command(BaseCommand):
    help = "备份整个数据库（SQLite：在线备份；PostgreSQL：pg_dump；json：可跨数据库的导出）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=FORMATS, default=None, help="默认：按数据库选择")

    def handle(self, *args, **opts):
        seq, digest = chain_head()
        try:
            done = backup(opts["file"], fmt=opts["format"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written: {done.path} ({done.format}, {done.size:,} bytes)")
        self.stdout.write(f"audit chain head at backup: {seq}:{digest}")
