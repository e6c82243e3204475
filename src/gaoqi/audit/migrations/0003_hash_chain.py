"""The audit log becomes tamper-evident: DELETE and TRUNCATE refused like UPDATE, a hash chain over every event
(existing events are chained in id order), the enterprise's credit code and name kept on the event, and the
enterprise link without a database constraint (deleting a firm must not make anything rewrite its events)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from gaoqi.audit import guard


def drop_guard(apps, schema_editor):
    guard.uninstall(schema_editor)


def install_guard(apps, schema_editor):
    guard.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only"),
        ("registry", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_guard, install_guard),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"verbose_name": "审计链头"},
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="时间"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="actor_name",
            field=models.CharField(blank=True, default="", max_length=150, verbose_name="操作人"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="enterprise",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="registry.enterprise",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="enterprise_code",
            field=models.CharField(blank=True, db_index=True, default="", max_length=18, verbose_name="统一社会信用代码"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="enterprise_name",
            field=models.CharField(blank=True, default="", max_length=120, verbose_name="企业名称"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
    ]
