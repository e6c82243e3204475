import csv
from importlib import resources

from django.db import migrations


def load(apps, schema_editor):
    TechField = apps.get_model("registry", "TechField")
    text = resources.files("gaoqi.registry").joinpath("fixtures", "tech_fields.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        TechField.objects.update_or_create(code=row["code"], defaults={
            "name": row["name"], "name_en": row["name_en"], "parent_id": row["parent_code"] or None})


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
