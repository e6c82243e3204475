"""The index of the names' characters and character pairs for name-fragment search (registry.name_search):
a GIN expression index on PostgreSQL, a trigger-kept table on SQLite. No model state changes."""

from django.db import migrations


def install(apps, schema_editor):
    from gaoqi.registry import name_search

    name_search.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from gaoqi.registry import name_search

    name_search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("registry", "0009_certificate_ended_on")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
