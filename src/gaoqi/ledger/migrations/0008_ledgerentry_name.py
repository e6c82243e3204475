"""The firm's name on its ledger entry (ledger.names), filled from the register (and the pinyin key with it,
as `names.follow_renames` keeps both), so that no re-evaluation is needed; on PostgreSQL a GIN index on its
grams (`gaoqi_name_grams`, registry migration 0010), then ANALYZE: the name search reads the index's
statistics to tell common grams from rare ones."""

from django.db import migrations, models

FILL = {
    "postgresql": (
        "UPDATE ledger_ledgerentry AS l SET name = e.name, name_pinyin = e.name_pinyin "
        "FROM registry_enterprise AS e WHERE e.id = l.enterprise_id"
    ),
    # the correlated form: UPDATE … FROM needs SQLite 3.33
    "sqlite": (
        "UPDATE ledger_ledgerentry SET (name, name_pinyin) = (SELECT e.name, e.name_pinyin "
        "FROM registry_enterprise AS e WHERE e.id = ledger_ledgerentry.enterprise_id)"
    ),
}


def fill_names(apps, schema_editor):
    sql = FILL.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from gaoqi.ledger.names import PG_INDEX
    from gaoqi.registry.name_search import pg_create_gram_index

    with schema_editor.connection.cursor() as cursor:
        # CREATE INDEX refuses a table with pending (deferred) foreign-key checks
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        pg_create_gram_index(cursor, "ledger_ledgerentry", PG_INDEX)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys: INITIALLY DEFERRED
        cursor.execute("ANALYZE ledger_ledgerentry")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from gaoqi.ledger.names import PG_INDEX

        schema_editor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0007_tally_by_zone"),
        ("registry", "0010_enterprise_name_grams"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="name",
            field=models.CharField(default="", max_length=120, verbose_name="企业名称"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_names, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
