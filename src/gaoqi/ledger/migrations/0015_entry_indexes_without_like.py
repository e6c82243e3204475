"""The ledger entry's tech-field and zone keys without Django's default indexes: four indexes (each column's
and its unused `LIKE` pattern index) that every changed entry wrote again. The field's rows are read off
`ledger_field_region_grade` (it leads with the field), a zone's off `ledger_zone`. The indexes are dropped by
name rather than by altering the fields, which on SQLite would copy the table and lose the indexes made in SQL
(migration 0011)."""

import django.db.models.deletion
from django.db import migrations, models

DROPPED = [
    "ledger_ledgerentry_tech_field_id_7c69fd2e",
    "ledger_ledgerentry_tech_field_id_7c69fd2e_like",
    "ledger_ledgerentry_hitech_zone_id_f17b2b97",
    "ledger_ledgerentry_hitech_zone_id_f17b2b97_like",
]


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0014_ledger_run"),
        ("registry", "0011_report_firm_index_dropped"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="hitech_zone",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="registry.hitechzone",
                    ),
                ),
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="tech_field",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="registry.techfield",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL([f"DROP INDEX IF EXISTS {name}" for name in DROPPED], migrations.RunSQL.noop)
            ],
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["hitech_zone"], name="ledger_zone"),
        ),
    ]
