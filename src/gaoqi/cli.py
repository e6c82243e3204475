"""The `gaoqi` console command.

Policy commands (`evaluate`, `simulate`, `template`) run without Django. Everything else is a Django management
command (`gaoqi demo`, `gaoqi demo-data`, `gaoqi migrate`, `gaoqi serve` — the production server, see
docs/DEPLOY.md — ...); hyphenated names map to underscores.
Operations: `gaoqi backup FILE`, `gaoqi restore FILE [--replace]` (gaoqi.ops, docs/backup.md) and
`gaoqi audit verify|head` (gaoqi.audit, docs/audit.md).
Monitoring (gaoqi.monitoring, docs/monitoring.md): `gaoqi kpi-snapshot [--month YYYY-MM] [--months N]`,
`gaoqi import-statistics FILE` and `gaoqi bulletin --region CODE --period YYYY-MM|YYYY-Qn --format pdf|xlsx --out FILE`.
Alerts (gaoqi.alerts, docs/simulation-and-alerts.md): `gaoqi alerts-scan [--today YYYY-MM-DD]`.
"""

from __future__ import annotations

import os
import sys

POLICY_COMMANDS = {"evaluate", "simulate", "template"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in POLICY_COMMANDS:
        from gaoqi.policy.cli import main as policy_main

        return policy_main(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoqi.settings")
    if argv and argv[0] == "demo":
        # The local demo runs Django's development server with DEBUG (and the published demo key) unless
        # GAOQI_DEBUG says otherwise. `gaoqi serve` is the production server.
        os.environ.setdefault("GAOQI_DEBUG", "1")
    from django.core.management import execute_from_command_line

    if argv and not argv[0].startswith("-"):
        argv[0] = argv[0].replace("-", "_")
    execute_from_command_line(["gaoqi", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
