"""`gaoqi audit [verify|head]`: check the audit log's hash chain.

gaoqi audit verify [--expect SEQ:HASH]   exit 0 when the chain is intact, 1 naming the first broken event;
                                         --expect: a head exported earlier must still be in the chain
gaoqi audit head                         the chain head (SEQ:HASH), to keep outside the database (cron, bulletin)
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from gaoqi.audit import guard
from gaoqi.audit.services import chain_head, chain_verify


def _expect(value: str | None) -> tuple[int, str] | None:
    if not value:
        return None
    seq, sep, digest = value.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise CommandError("--expect 的格式为 序号:哈希（gaoqi audit head 的输出）")
    return int(seq), digest.lower()


class Command(BaseCommand):
    help = "审计日志：校验哈希链（verify）、输出链头（head）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{verify,head}")
        verify = sub.add_parser("verify", help="校验审计日志的哈希链")
        verify.add_argument("--expect", help="此前导出的链头（序号:哈希），须仍在链中")
        head = sub.add_parser("head", help="输出链头")
        head.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        action = opts.get("action") or "verify"
        if action == "head":
            seq, digest = chain_head()
            if opts.get("json"):
                self.stdout.write(json.dumps({"seq": seq, "hash": digest}))
            else:
                self.stdout.write(f"{seq}:{digest}")
            return
        verdict = chain_verify(expect=_expect(opts.get("expect")))
        if not verdict.ok:
            raise CommandError(verdict.describe(), returncode=1)
        missing = guard.expected_triggers() - guard.installed()
        if missing:
            raise CommandError(
                f"{verdict.describe()}; but the guard triggers are missing: {', '.join(sorted(missing))}",
                returncode=2,
            )
        self.stdout.write(verdict.describe())
