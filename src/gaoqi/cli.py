"""The `gaoqi` console command.

Policy commands (`evaluate`, `simulate`, `template`) run without Django. Everything else is a Django management
command (`gaoqi demo`, `gaoqi demo-data`, `gaoqi migrate`, ...); hyphenated names map to underscores.
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
    from django.core.management import execute_from_command_line

    if argv and not argv[0].startswith("-"):
        argv[0] = argv[0].replace("-", "_")
    execute_from_command_line(["gaoqi", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
