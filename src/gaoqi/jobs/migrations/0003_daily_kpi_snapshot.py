"""A standing daily KPI snapshot (disabled, like the others): the running month as of the day, so that the
pages reading "today's snapshot" (home page, target progress, R&D coverage) find one every day. The monthly
snapshot stays: on the 1st it recomputes the month before as of its last day."""

import datetime

from django.db import migrations

CODE = "kpi-snapshot-daily"


def add_daily(apps, schema_editor):
    Schedule = apps.get_model("jobs", "Schedule")
    Schedule.objects.get_or_create(
        code=CODE,
        defaults={
            "name": "每日指标快照",
            "task": "monitoring.snapshot",
            "frequency": "daily",
            "day": 1,
            "at": datetime.time(1, 0),  # before the alert scan (02:00) and the monthly snapshot (03:00)
            "params": {},
        },
    )


def remove_daily(apps, schema_editor):
    apps.get_model("jobs", "Schedule").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0002_schedules")]

    operations = [migrations.RunPython(add_daily, remove_daily)]
