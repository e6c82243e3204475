"""A certificate can end before its expiry (a tech-SME registration revoked or lapsed): the first day it is no
longer valid, the reason and a note; a reason goes with an end and only with one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0008_enterprise_name_pinyin"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="ended_on",
            field=models.DateField(blank=True, null=True, verbose_name="终止日期"),
        ),
        migrations.AddField(
            model_name="certificate",
            name="end_reason",
            field=models.CharField(
                blank=True,
                choices=[("revoked", "撤销"), ("lapsed", "逾期失效")],
                db_default="",
                default="",
                max_length=12,
                verbose_name="终止原因",
            ),
        ),
        migrations.AddField(
            model_name="certificate",
            name="end_note",
            field=models.TextField(blank=True, db_default="", default="", verbose_name="终止说明"),
        ),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.CheckConstraint(
                condition=models.Q(("ended_on__isnull", True), ("end_reason", ""))
                | models.Q(
                    ("ended_on__gte", models.F("issued_on")),
                    ("ended_on__isnull", False),
                    models.Q(("end_reason", ""), _negated=True),
                ),
                name="certificate_end_with_reason",
            ),
        ),
    ]
