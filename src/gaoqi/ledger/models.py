"""Stored evaluation results (snapshots): what lists, the ledger and monitoring read instead of evaluating on
every page view. Derived data: the engine version, the parameter hash and the facts revision say exactly what
produced a snapshot. The facts revision is the firm's for the date (`EvaluatedFacts`, one row per firm and
date, shared by its four snapshots): an import that changes a figure but no verdict rewrites that one narrow
row, not four wide snapshots.

A snapshot (and a facts revision) holds from its date until a later one of the same firm (and policy)
supersedes it: the result as of a date is the firm's latest snapshot of that date or before. A re-evaluation
on a new date writes the results that changed only (beside the earlier rows, which stay: history); on the same
date it replaces them in place. The ledger entry is the current row, dated by the run that last changed it;
`LedgerRun` says when a whole region was last evaluated."""

from __future__ import annotations

import json

from django.db import models
from django.utils.translation import gettext_lazy as _


class EvaluationSnapshot(models.Model):
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("企业")
    )
    policy = models.CharField(_("政策"), max_length=24)
    as_of = models.DateField(_("评价基准日"))
    outcome = models.CharField(_("结论"), max_length=16, null=True, blank=True)  # noqa: DJ001 - null = not evaluated / none
    eligible = models.BooleanField(_("符合"), null=True, blank=True)
    score = models.IntegerField(_("得分"), null=True, blank=True)
    score_min = models.IntegerField(null=True, blank=True)
    score_max = models.IntegerField(null=True, blank=True)
    grade = models.CharField(_("等级"), max_length=8, null=True, blank=True)  # noqa: DJ001 - null = not evaluated / none
    direct_pass_reason = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001 - null = not evaluated / none
    errors = models.CharField(_("缺失或错误的数据项"), max_length=1000, null=True, blank=True)  # noqa: DJ001 - null = not evaluated / none
    criteria_json = models.TextField(
        default="[]"
    )  # compact per-criterion results, as the bulk path gives them
    engine_version = models.CharField(max_length=16)
    param_hash = models.CharField(max_length=64)
    # When this result was written (inserted or changed). The facts it was evaluated on are the firm's
    # `EvaluatedFacts` of the date (`facts`): the later of the two times is when the snapshot was last
    # confirmed by an evaluation with new facts or a new result.
    evaluated_at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("评价快照")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "policy", "as_of"], name="snapshot_unique"),
        ]
        indexes = [
            models.Index(fields=["policy", "as_of", "grade"], name="snapshot_policy_grade"),
            models.Index(fields=["policy", "as_of", "outcome"], name="snapshot_policy_outcome"),
        ]

    @property
    def facts(self) -> EvaluatedFacts | None:
        """The firm's facts revision of this snapshot's date: the facts that produced this result."""
        return EvaluatedFacts.objects.filter(enterprise_id=self.enterprise_id, as_of=self.as_of).first()

    @property
    def facts_revision(self) -> str | None:
        facts = self.facts
        return facts.facts_revision if facts else None

    def criteria(self, criterion_ids) -> dict[str, dict]:
        """{criterion id: {passed, points_min, points_max}} given the policy's criteria in order ({} when the
        firm could not be evaluated)."""
        if self.errors:
            return {}
        return {
            cid: {"passed": None if p is None else bool(p), "points_min": lo, "points_max": hi}
            for cid, (p, lo, hi) in zip(criterion_ids, json.loads(self.criteria_json), strict=True)
        }


class EvaluatedFacts(models.Model):
    """The facts revision (a digest of exactly the facts evaluated) a firm's snapshots of a date were evaluated
    on, a digest of those snapshots' results, and when either last changed. One row per firm and date for its four policies'
    snapshots, which a re-evaluation always writes together. Written only by `services.reevaluate`."""

    # The unique key below leads with the firm: no index of its own.
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("企业"),
    )
    as_of = models.DateField(_("评价基准日"))
    facts_revision = models.CharField(_("数据版本"), max_length=32)
    # A digest of the four snapshots' stored results of the date (`ledger.digest`): a re-evaluation whose new
    # digest is this one leaves the snapshots alone without reading them. Null: not known (compared in full).
    # Anything that changes or deletes snapshots besides `services.reevaluate` must delete this row too.
    results_digest = models.BigIntegerField(null=True)
    evaluated_at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("评价数据版本")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "as_of"], name="evaluated_facts_unique"),
        ]


class Grade(models.TextChoices):
    A = "A", _("A 已认定高企")
    B = "B", _("B 高企后备")
    C = "C", _("C 科技型中小企业")
    D = "D", _("D 潜在培育对象")
    E = "E", _("E 其他")


# The lists the plan asks for besides the whole ledger (selectors filter with them; partial indexes below).
LISTS = {
    "sme_due": models.Q(
        tech_sme_eligible=True, tech_sme_registered=False
    ),  # 应评尽评: eligible, not registered
    "hte_reserve": models.Q(has_hte_certificate=False, hte_hard_failed=0),  # 高企后备: hard conditions met
}


class LedgerEntry(models.Model):
    """The cultivation ledger (培育台账): one row per enterprise, its tier and its evaluations as of the latest
    re-evaluation. Denormalised from the snapshots (and the region, field, name and pinyin name key) so that
    the ledger pages filter, search and sort on one indexed table. Written by `services.reevaluate`; the name
    and its pinyin key also by `names.follow_renames` when a firm is renamed."""

    enterprise = models.OneToOneField(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="ledger_entry", verbose_name=_("企业")
    )
    as_of = models.DateField(_("评价基准日"))
    grade = models.CharField(_("台账分级"), max_length=1, choices=Grade.choices)
    # The composite indexes below lead with city and county: no single-column index of their own.
    city = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False)
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False)
    # No index of their own beyond those below: a foreign key's default index on a text code is two (the
    # column's, and one of its `LIKE` patterns, never used), and every index is written again when an entry
    # changes (no heap-only update: its tier is indexed).
    tech_field = models.ForeignKey(
        "registry.TechField", null=True, blank=True, on_delete=models.PROTECT, db_index=False
    )
    in_hitech_zone = models.BooleanField(default=False)
    hitech_zone = models.ForeignKey(
        "registry.HitechZone", null=True, blank=True, on_delete=models.PROTECT, db_index=False
    )
    # The firm's name, searched by fragment through its own gram index (ledger.names; migration 0008).
    name = models.CharField(_("企业名称"), max_length=120)
    name_pinyin = models.CharField(max_length=200)
    has_hte_certificate = models.BooleanField(default=False)
    tech_sme_registered = models.BooleanField(default=False)
    tech_sme_eligible = models.BooleanField(null=True)  # null: the evaluation lacked data
    hte_outcome = models.CharField(max_length=16, null=True)  # noqa: DJ001 - null = not evaluated
    hte_hard_failed = models.PositiveSmallIntegerField(null=True)
    pool_eligible = models.BooleanField(null=True)
    # A digest of the columns above as the re-evaluation wrote them (`ledger.digest.rows_digests`): a run
    # whose new row has this digest leaves the entry alone without reading it. Written with every written
    # row, never on its own; null (written before migration 0011) or stale (a rename followed by
    # `names.follow_renames`): the entry is compared in full, as before.
    results_digest = models.BigIntegerField(null=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("台账条目")
        # A page is read off an index in the list's order (name_pinyin, enterprise) for each scope and tier
        # filter: no sort of the whole selection.
        indexes = [
            models.Index(fields=["city", "grade", "name_pinyin", "enterprise"], name="ledger_city_grade"),
            models.Index(fields=["county", "grade", "name_pinyin", "enterprise"], name="ledger_county_grade"),
            models.Index(fields=["grade", "name_pinyin", "enterprise"], name="ledger_grade_name"),
            models.Index(fields=["city", "name_pinyin", "enterprise"], name="ledger_city_name"),
            models.Index(fields=["county", "name_pinyin", "enterprise"], name="ledger_county_name"),
            models.Index(fields=["name_pinyin", "enterprise"], name="ledger_name"),
            models.Index(fields=["as_of"], name="ledger_as_of"),
            models.Index(fields=["hitech_zone"], name="ledger_zone"),
            # A tech-field filter: its rows off an index (the summary's counts by region and tier read it
            # alone; the page walks the name order and checks the field).
            models.Index(fields=["tech_field", "city", "county", "grade"], name="ledger_field_region_grade"),
            # The tally's freshness test (ledger.tally): the latest write, off an index.
            models.Index(fields=["updated_at"], name="ledger_updated_at"),
            # The summary's counts (by city or county and tier) off an index, for the whole ledger and for
            # each list (partial indexes: the rows of the list only).
            models.Index(fields=["city", "county", "grade"], name="ledger_region_grade"),
            *(
                index
                for name, condition in LISTS.items()
                for index in (
                    # (city, grade): the province's grouping; city = ? then county: a city's
                    models.Index(
                        fields=["city", "grade", "county"], condition=condition, name=f"ledger_{name}_grade"
                    ),
                    models.Index(
                        fields=["name_pinyin", "enterprise"], condition=condition, name=f"ledger_{name}_name"
                    ),
                )
            ),
        ]


class LedgerTally(models.Model):
    """The ledger's counts by city, county, tier, list, tech field and high-tech zone (ledger.tally): what the summary above the ledger
    page shows for a region, without counting a province's entries per page view. Derived data, rebuilt by
    `tally.refresh()` after a re-evaluation; `source_updated_at` is the latest entry write it has seen.
    Besides the rows of each field and zone, roll-up rows (`tech_field` = ROLLUP: all fields; with
    `hitech_zone` = ROLLUP also all zones) answer the filters without a field in ~1,000 rows for a province
    instead of ~15,000."""

    ROLLUP = "*"  # no field or zone code (digits, letters) sorts or compares equal to it

    city = models.CharField(max_length=6)
    county = models.CharField(max_length=6)
    grade = models.CharField(max_length=1)
    tech_field = models.CharField(max_length=4, blank=True)  # the entries' field code, "" for none
    in_hitech_zone = models.BooleanField(default=False)
    hitech_zone = models.CharField(max_length=20, blank=True)  # the entries' zone code, "" for none
    list = models.CharField(max_length=16)  # "all" or a key of LISTS
    n = models.PositiveIntegerField()
    as_of = models.DateField(null=True)  # the latest evaluation date among the counted entries
    source_updated_at = models.DateTimeField(null=True)
    built_at = models.DateTimeField()

    class Meta:
        verbose_name = _("台账汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["list", "county", "grade", "tech_field", "in_hitech_zone", "hitech_zone"],
                name="ledger_tally_once",
            ),
        ]
        indexes = [
            # The summary's rows off an index: a list's roll-up rows (tech field ROLLUP, and zone ROLLUP or
            # each zone: tally.py), or its rows of a tech field (a code range), then the region.
            models.Index(
                fields=["list", "tech_field", "hitech_zone", "city", "county", "grade"],
                name="ledger_tally_rows",
            ),
        ]


class LedgerRun(models.Model):
    """A re-evaluation of every firm of a region (`region` None: of the whole registry) as of a date: the
    ledger's evaluation date for that region, though its entries keep the date of the run that last changed
    them (a run on a new date writes what changed only). Written by `services.reevaluate`."""

    as_of = models.DateField(_("评价基准日"))
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    firms = models.PositiveIntegerField()
    finished_at = models.DateTimeField()

    class Meta:
        verbose_name = _("台账评价批次")
        indexes = [models.Index(fields=["region", "as_of"], name="ledger_run_region")]
