from django.db import migrations, models

# The roll-up rows (ledger.tally): sums of the detail rows already there, so a current tally stays current
# (same stamp) and answers the filters without a field from ~1,000 rows for a province instead of ~15,000.
ROLLUPS = """
INSERT INTO ledger_ledgertally
    (city, county, grade, tech_field, in_hitech_zone, hitech_zone, list, n, as_of, source_updated_at, built_at)
SELECT city, county, grade, '*', {in_zone}, {zone}, list, SUM(n), MAX(as_of), MAX(source_updated_at),
    MAX(built_at)
FROM ledger_ledgertally WHERE tech_field <> '*'
GROUP BY list, city, county, grade{group}
"""


def analyze(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # as tally.refresh(): the planner sees the new rows
        schema_editor.execute("ANALYZE ledger_ledgertally")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0009_evaluated_facts_once_per_firm"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ledgertally",
            index=models.Index(fields=["list", "tech_field", "hitech_zone", "city", "county", "grade"], name="ledger_tally_rows"),
        ),
        migrations.RunSQL(
            ROLLUPS.format(in_zone="in_hitech_zone", zone="hitech_zone", group=", in_hitech_zone, hitech_zone"),
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            ROLLUPS.format(in_zone="false", zone="'*'", group=""),
            "DELETE FROM ledger_ledgertally WHERE tech_field = '*'",
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
