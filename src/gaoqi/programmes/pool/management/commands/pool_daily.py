"""Daily job of the cultivation pool: admitted firms whose pool period has ended leave the pool."""

from datetime import date

from django.core.management.base import BaseCommand

from gaoqi.programmes.pool.services import expire_ended


class Command(BaseCommand):
    help = "Exit the cultivation-pool firms whose pool period has ended (system transition, audited)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None, help="ISO date (default: today)"
        )

    def handle(self, *args, today=None, **options):
        result = expire_ended(today=today)
        self.stdout.write(f"pool periods ended: {len(result.done)}")
        for r in result.refused:
            self.stderr.write(f"application {r['id']}: {r['message']}")
