"""The ledger's tech-field filter off an index; the ledger summary's materialised counts (ledger.tally)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_list_summary_indexes"),
        ("regions", "0002_load_divisions"),
        ("registry", "0009_certificate_ended_on"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("city", models.CharField(max_length=6)),
                ("county", models.CharField(max_length=6)),
                ("grade", models.CharField(max_length=1)),
                ("tech_field", models.CharField(blank=True, max_length=4)),
                ("list", models.CharField(max_length=16)),
                ("n", models.PositiveIntegerField()),
                ("as_of", models.DateField(null=True)),
                ("source_updated_at", models.DateTimeField(null=True)),
                ("built_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "台账汇总",
            },
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                fields=["tech_field", "city", "county", "grade"], name="ledger_field_region_grade"
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["updated_at"], name="ledger_updated_at"),
        ),
        migrations.AddConstraint(
            model_name="ledgertally",
            constraint=models.UniqueConstraint(
                fields=("list", "county", "grade", "tech_field"), name="ledger_tally_once"
            ),
        ),
    ]
