"""The chain fields become required and unique, and the guard triggers (UPDATE, DELETE, TRUNCATE) are
installed again (on SQLite, altering a table rebuilds it and drops its triggers: install them last)."""

from django.db import migrations, models

from gaoqi.audit import guard


def drop_guard(apps, schema_editor):
    guard.uninstall(schema_editor)


def install_guard(apps, schema_editor):
    guard.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_existing_events")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True, verbose_name="序号"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, unique=True),
        ),
        migrations.RunPython(install_guard, drop_guard),
    ]
