"""Every database carries the division tree from its first migration (tests and demo alike)."""

import csv
from importlib import resources

from django.db import migrations


def load(apps, schema_editor):
    Region = apps.get_model("regions", "Region")
    text = resources.files("gaoqi.regions").joinpath("fixtures", "jiangsu_divisions.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        code, level = row["code"], row["level"]
        Region.objects.update_or_create(code=code, defaults={
            "name": row["name"], "name_en": row["name_en"], "level": level,
            "parent_id": row["parent_code"] or None, "province_code": code[:2] + "0000",
            "city_code": "" if level == "province" else code[:4] + "00",
        })


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
