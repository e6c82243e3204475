"""The facts revision once per firm and date (`EvaluatedFacts`) instead of once per snapshot: an import that
changes figures but not verdicts then writes one narrow row per firm, not four wide snapshots. The existing
snapshots' revisions move over (the four of a firm and date share one: a re-evaluation writes them together);
the firm's `evaluated_at` is the earliest of its snapshots' (when that revision was evaluated), so the later of
a snapshot's own time and its firm's is the snapshot's time before."""

import django.db.models.deletion
from django.db import migrations, models

MOVE = (
    "INSERT INTO ledger_evaluatedfacts (enterprise_id, as_of, facts_revision, evaluated_at) "
    "SELECT enterprise_id, as_of, MAX(facts_revision), MIN(evaluated_at) FROM ledger_evaluationsnapshot "
    "GROUP BY enterprise_id, as_of"
)


def room_for_updates(apps, schema_editor):
    """PostgreSQL: half of each page left free, so that a new revision of a firm (two unindexed columns) is a
    heap-only update (no index entry written) on the row's own page."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE ledger_evaluatedfacts SET (fillfactor = 50)")


BACK = (
    "UPDATE ledger_evaluationsnapshot SET facts_revision = COALESCE((SELECT f.facts_revision "
    "FROM ledger_evaluatedfacts f WHERE f.enterprise_id = ledger_evaluationsnapshot.enterprise_id "
    "AND f.as_of = ledger_evaluationsnapshot.as_of), '')"
)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0008_ledgerentry_name"),
        ("registry", "0010_enterprise_name_grams"),
    ]

    operations = [
        migrations.CreateModel(
            name="EvaluatedFacts",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("as_of", models.DateField(verbose_name="评价基准日")),
                ("facts_revision", models.CharField(max_length=32, verbose_name="数据版本")),
                ("evaluated_at", models.DateTimeField(verbose_name="评价时间")),
                (
                    "enterprise",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registry.enterprise",
                        verbose_name="企业",
                    ),
                ),
            ],
            options={
                "verbose_name": "评价数据版本",
                "constraints": [
                    models.UniqueConstraint(fields=("enterprise", "as_of"), name="evaluated_facts_unique")
                ],
            },
        ),
        migrations.RunPython(room_for_updates, migrations.RunPython.noop),
        migrations.RunSQL(MOVE, BACK),
        # A default in the state only, so that going back re-adds the column to existing rows (filled above).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="evaluationsnapshot",
                    name="facts_revision",
                    field=models.CharField(default="", max_length=32, verbose_name="数据版本"),
                ),
            ]
        ),
        migrations.RemoveField(
            model_name="evaluationsnapshot",
            name="facts_revision",
        ),
    ]
