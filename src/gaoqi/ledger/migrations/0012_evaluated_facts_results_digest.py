"""A digest of a firm's four snapshots' results per date (`ledger.digest`); null on existing rows: their first
re-evaluation compares the snapshots in full, as before, and writes the digest."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0011_sqlite_firm_summary_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='evaluatedfacts',
            name='results_digest',
            field=models.BigIntegerField(null=True),
        ),
    ]
