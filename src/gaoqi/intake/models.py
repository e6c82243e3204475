"""Staged imports of departments' files, and the facts the registry has no column for.

An `ImportBatch` is one uploaded file read with one profile: its rows are parsed, validated and compared
with the registry into `StagedRow`s (the preview). Nothing reaches the registry before the batch is
committed; committing creates the batch's `DataSource` (the provenance of every value it writes), and a
revert removes what it wrote and restores what it replaced (`FieldChange` is the undo log).
"""

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


class JSONText(models.TextField):
    """A JSON value kept as text: the same Python values as a JSONField, without its database side. The
    database never looks inside a staged row's JSON, and a JSONField cost on every write of a 100,000-row
    batch: SQLite checks `json_valid` on each column of each row, PostgreSQL parses each into jsonb
    (docs/intake.md, Figures). `bulk.insert` writes the text as it is (`bulk.dumps`)."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        return None if value is None else _dumps(value)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


class BatchStatus(models.TextChoices):
    STAGED = "staged", _("待确认")
    COMMITTED = "committed", _("已导入")
    DISCARDED = "discarded", _("已放弃")
    REVERTED = "reverted", _("已撤销")


class ImportBatch(models.Model):
    profile = models.CharField(_("导入模板"), max_length=40)
    profile_version = models.PositiveIntegerField(_("模板版本"))
    profile_digest = models.CharField(max_length=64)  # SHA-256 of the profile's YAML as used
    department = models.CharField(_("来源部门"), max_length=24)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(_("文件哈希"), max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField(_("文件大小"))
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)  # --year, when given
    synthetic = models.BooleanField(_("合成数据"), default=False)
    status = models.CharField(
        _("状态"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.STAGED
    )
    # The uploader's region: which officers see the batch (that region and the levels above it).
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverted_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=500, blank=True)  # the last decision's why
    source = models.OneToOneField(
        "registry.DataSource", null=True, blank=True, on_delete=models.PROTECT, related_name="intake_batch"
    )
    # A committed batch of the same file (same hash, same profile) found when this one was staged.
    same_file_as = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    header = models.JSONField(default=list)  # the header rows as written (for the error workbook)
    mapping = models.JSONField(default=list)  # [{col, header, target, label, unit, year}]
    summary = models.JSONField(default=dict)  # counts per row status, notes; what commit wrote
    notes = models.JSONField(default=list)  # file-level warnings (unknown headers, ignored sheets...)
    # Where the registry stood when the preview read it (`recheck.registry_mark`): what commit re-checks.
    registry_mark = models.JSONField(default=dict, editable=False)

    class Meta:
        verbose_name = _("导入批次")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region", "-created_at"], name="intake_batch_region")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"


class RowStatus(models.TextChoices):
    NEW_FIRM = "new_firm", _("新企业")
    CHANGED = "changed", _("有变化")
    UNCHANGED = "unchanged", _("无变化")
    OUT_OF_SCOPE = "out_of_scope", _("不在管辖范围")
    UNMATCHED = "unmatched", _("待确认企业")
    UNKNOWN_FIRM = "unknown_firm", _("企业未登记")
    DUPLICATE = "duplicate", _("重复行")
    ERROR = "error", _("有错误")


# The statuses whose rows commit writes.
WRITTEN_STATUSES = (RowStatus.NEW_FIRM, RowStatus.CHANGED)


class StagedRow(models.Model):
    """One data row of the file: what it says (`values`), what it would change, or why it cannot."""

    # No foreign-key constraint in the database on `batch` and `enterprise` (Django still cascades and nulls on
    # delete): the one transaction that creates a batch writes its rows, with firm ids it has just read, and
    # checking each of 100,000 rows twice at commit (a row lock on every firm) was a third of the time
    # PostgreSQL spent writing a staged batch (docs/intake.md, Figures).
    # No index of its own either: the (batch, status, line) index below starts with it.
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="rows", db_constraint=False, db_index=False
    )
    line = models.PositiveIntegerField(_("行号"))  # 1-based spreadsheet row
    status = models.CharField(_("结果"), max_length=12, choices=RowStatus.choices)
    has_conflict = models.BooleanField(_("与其他部门不一致"), default=False)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    name = models.CharField(_("企业名称"), max_length=200, blank=True)
    county_code = models.CharField(max_length=6, blank=True)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    # Set when an officer picked the enterprise among the fuzzy-name candidates (indexed where set: the rows
    # of a batch are written with none).
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    values = JSONText(default=dict)  # {"firm": {...}, "years": {"2023": {...}}, "item": {...}}
    changes = JSONText(default=list)  # [{year, field, old, new}]
    conflicts = JSONText(default=list)  # [{year, field, new, other, department, wins}]
    errors = JSONText(default=list)  # [{col, column, reason}]
    candidates = JSONText(default=list)  # [{id, name, credit_code, county, score}]
    raw = JSONText(default=list)  # the row's cells as text (error rows only: the error workbook)

    class Meta:
        verbose_name = _("暂存行")
        ordering = ["batch_id", "line"]
        indexes = [
            models.Index(fields=["batch", "status", "line"], name="intake_row_status"),
            models.Index(
                fields=["confirmed_by"],
                condition=models.Q(confirmed_by__isnull=False),
                name="intake_row_confirmed",
            ),
        ]


class Tag(models.TextChoices):
    """Lists other departments keep of firms (the registry has no column for them)."""

    SPECIALIZED_SME = "specialized_sme", _("专精特新中小企业")
    LITTLE_GIANT = "little_giant", _("专精特新“小巨人”企业")
    INNOVATIVE_SME = "innovative_sme", _("创新型中小企业")
    GAZELLE = "gazelle", _("瞪羚企业")
    POTENTIAL_UNICORN = "potential_unicorn", _("潜在独角兽企业")
    UNICORN = "unicorn", _("独角兽企业")


class EnterpriseTag(models.Model):
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.CASCADE, related_name="+")
    tag = models.CharField(_("称号"), max_length=24, choices=Tag.choices)
    year = models.PositiveSmallIntegerField(_("认定年度"), null=True, blank=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="tags")
    source_row = models.PositiveIntegerField(_("来源行号"))

    class Meta:
        verbose_name = _("企业称号")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "tag", "year", "batch"], name="intake_tag_once_per_batch"
            ),
        ]


class ExtraFact(models.Model):
    """A department's figure the registry has no column for (income tax, output value, the super-deduction
    base...). Integer yuan or count; a percentage in hundredths of a percent. `year` null: not yearly."""

    # Looked up by the unique constraint below (firm, year, field, batch): no index of its own.
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    field = models.CharField(_("指标"), max_length=40)
    value = models.BigIntegerField(_("数值"))
    # No foreign-key constraint in the database (Django still protects the batch on delete): a commit writes
    # the facts of the batch it holds locked, and checking 100,000 rows against it at the end of the
    # transaction was server time for nothing (docs/intake.md, Figures).
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="extra_facts", db_constraint=False
    )
    source_row = models.PositiveIntegerField(_("来源行号"))

    class Meta:
        verbose_name = _("其他指标")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "field", "batch"],
                name="intake_extra_once_per_batch",
            ),
        ]


class FieldChange(models.Model):
    """The undo log and provenance of a value a commit set outside the batch's own reports: an enterprise's
    registration field, an IP item's field, a firm or IP item the batch created (`field` = "" , old null)."""

    class Target(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        IP = "ip", _("知识产权")

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="field_changes")
    target = models.CharField(max_length=12, choices=Target.choices)
    target_id = models.BigIntegerField()
    field = models.CharField(max_length=40, blank=True)
    old = models.JSONField(null=True)
    new = models.JSONField(null=True)
    source_row = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["target", "target_id", "field"], name="intake_change_target")]
