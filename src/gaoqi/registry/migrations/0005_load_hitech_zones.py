"""Every database carries Jiangsu's provincial-or-higher high-tech zones (fixtures/hitech_zones.csv)."""

import csv
from importlib import resources

from django.db import migrations


def load(apps, schema_editor):
    HitechZone = apps.get_model("registry", "HitechZone")
    text = resources.files("gaoqi.registry").joinpath("fixtures", "hitech_zones.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    for row in csv.DictReader(lines):
        county = row["county_code"]
        HitechZone.objects.update_or_create(code=row["code"], defaults={
            "name": row["name"], "short_name": row["short_name"], "name_en": row["name_en"],
            "level": row["level"], "county_id": county, "city_id": county[:4] + "00",
            "to_verify": row["to_verify"] == "1", "note": row["note"],
        })


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_hitech_zones")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
