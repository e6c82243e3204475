from django.db import migrations

# SQLite only (ledger.selectors.SQLITE_SUMMARY_INDEX): a name search's summary count reads its gram's firms
# from the gram table (SQLite's, registry 0010) and looks each up here instead of in the table. PostgreSQL
# counts through the entries' own gram index (ledger 0008) and needs none.
INDEX = (
    "CREATE INDEX IF NOT EXISTS ledger_firm_summary "
    "ON ledger_ledgerentry (enterprise_id, city_id, county_id, grade, as_of)"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP INDEX IF EXISTS ledger_firm_summary")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0010_tally_rollups"),
    ]

    operations = [migrations.RunPython(create, drop)]
