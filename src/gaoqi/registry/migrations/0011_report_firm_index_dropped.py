"""The annual reports' own index on `enterprise_id` dropped: the unique (enterprise, year, source) index leads
with the firm and serves every lookup by firm. Done by dropping the index alone (SQLite would otherwise
rebuild the whole table for an AlterField)."""

import django.db.models.deletion
from django.db import migrations, models


def _firm_indexes(schema_editor, model):
    return schema_editor._constraint_names(model, ["enterprise_id"], index=True, unique=False)


def drop_index(apps, schema_editor):
    model = apps.get_model("registry", "AnnualReport")
    for name in _firm_indexes(schema_editor, model):
        schema_editor.execute(schema_editor._delete_index_sql(model, name))


def restore_index(apps, schema_editor):
    model = apps.get_model("registry", "AnnualReport")
    if not _firm_indexes(schema_editor, model):
        field = model._meta.get_field("enterprise")
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0010_enterprise_name_grams"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="annualreport",
                    name="enterprise",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="annual_reports",
                        to="registry.enterprise",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_index, restore_index)],
        ),
    ]
