"""Daily job of the tech-SME programme: remind firms whose registration ends soon, lapse those not renewed."""

from datetime import date

from django.core.management.base import BaseCommand

from gaoqi.programmes.tech_sme.services import lapse_unrenewed, send_reminders


class Command(BaseCommand):
    help = "Send annual-update reminders and lapse tech-SME registrations not renewed by their deadline."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None, help="ISO date (default: today)"
        )

    def handle(self, *args, today=None, **options):
        reminded = send_reminders(today=today)
        lapsed = lapse_unrenewed(today=today)
        self.stdout.write(f"reminders sent: {reminded}; registrations lapsed: {len(lapsed.done)}")
        for r in lapsed.refused:
            self.stderr.write(f"application {r['id']}: {r['message']}")
