"""Daily job of the HTE certification: annual-report reminders before 31 May, re-certification reminders 6 and
3 months before a certificate expires, expired certificates' applications closed (system transition)."""

from datetime import date

from django.core.management.base import BaseCommand

from gaoqi.programmes.hte.after import (
    expire_certificates,
    send_recertification_reminders,
    send_report_reminders,
)


class Command(BaseCommand):
    help = "Send the HTE annual-report and re-certification reminders due today."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None, help="ISO date (default: today)"
        )

    def handle(self, *args, today=None, **options):
        reports = send_report_reminders(today=today)
        recert = send_recertification_reminders(today=today)
        expired = expire_certificates(today=today)
        self.stdout.write(
            f"annual-report reminders: {reports}; re-certification reminders: {recert}; "
            f"certificates expired: {len(expired.done)}"
        )
