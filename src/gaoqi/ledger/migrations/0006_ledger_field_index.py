"""The ledger's tech-field filter off an index (the summary's counts by region and tier)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_list_summary_indexes"),
        ("registry", "0009_certificate_ended_on"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                fields=["tech_field", "city", "county", "grade"], name="ledger_field_region_grade"
            ),
        ),
    ]
