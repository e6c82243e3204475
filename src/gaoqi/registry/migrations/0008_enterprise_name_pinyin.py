"""The enterprise list in pinyin order: a sort key per firm (filled here from the names), indexes in that order."""

from django.db import migrations, models


def fill_name_pinyin(apps, schema_editor):
    from gaoqi.ledger.pinyin import sort_key

    Enterprise = apps.get_model("registry", "Enterprise")
    batch = []
    for firm in Enterprise.objects.only("id", "name").order_by("id").iterator(chunk_size=2000):
        firm.name_pinyin = sort_key(firm.name)
        batch.append(firm)
        if len(batch) >= 2000:
            Enterprise.objects.bulk_update(batch, ["name_pinyin"])
            batch = []
    if batch:
        Enterprise.objects.bulk_update(batch, ["name_pinyin"])


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0002_load_divisions"),
        ("registry", "0007_report_rnd_expense_deductible"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="enterprise", name="enterprise_city_name"),
        migrations.RemoveIndex(model_name="enterprise", name="enterprise_county_name"),
        migrations.RemoveIndex(model_name="enterprise", name="enterprise_field_name"),
        migrations.RemoveIndex(model_name="enterprise", name="enterprise_zone_name"),
        migrations.AddField(
            model_name="enterprise",
            name="name_pinyin",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.RunPython(fill_name_pinyin, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="enterprise",
            index=models.Index(fields=["name_pinyin", "id"], name="enterprise_pinyin"),
        ),
        migrations.AddIndex(
            model_name="enterprise",
            index=models.Index(fields=["city", "name_pinyin", "id"], name="enterprise_city_name"),
        ),
        migrations.AddIndex(
            model_name="enterprise",
            index=models.Index(fields=["county", "name_pinyin", "id"], name="enterprise_county_name"),
        ),
        migrations.AddIndex(
            model_name="enterprise",
            index=models.Index(fields=["tech_field", "name_pinyin", "id"], name="enterprise_field_name"),
        ),
        migrations.AddIndex(
            model_name="enterprise",
            index=models.Index(fields=["hitech_zone", "name_pinyin", "id"], name="enterprise_zone_name"),
        ),
    ]
