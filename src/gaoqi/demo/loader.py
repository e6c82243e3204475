"""Loading a synthetic `Dataset` into the database, fast: explicit ids, batched inserts, one transaction.

Per-row services are bypassed for speed, but the values pass the same rules: every credit code through
`credit_code_errors`, yearly figures through `report_errors` (all of them up to REPORT_CHECK_ALL reports,
a deterministic sample beyond, plus vectorised checks of the database constraints on every row).

Two synthetic data sources per load — 税务 (financial figures) and 科技 (staff, IP, flags and, for some
firms, a self-reported revenue that the tax figure outranks in the merge) — and one "import" audit event
per source with the counts. The sources' note records the enterprise id range, which is how `--replace`
finds the synthetic firms again.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import numpy as np
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.audit.services import audit_record
from gaoqi.demo import items
from gaoqi.demo.generator import Dataset
from gaoqi.regions.models import Level, Region
from gaoqi.registry.models import (
    FACT_FIELDS,
    FLAG_FIELDS,
    REPORT_CROSS_RULES,
    AnnualReport,
    Certificate,
    DataSource,
    Department,
    Enterprise,
    HitechZone,
    IntellectualProperty,
    TechField,
    pinyin_key,
)
from gaoqi.registry.validation import credit_code_errors, report_errors

TAX_FIELDS = (
    "revenue",
    "total_income",
    "total_cost",
    "total_assets",
    "rnd_expense",
    "rnd_expense_domestic",
    "rnd_expense_deductible",
    "net_assets",
)
SCI_FIELDS = (
    "employees",
    "tech_staff",
    "hitech_revenue",
    "ip_class1",
    "ip_class2",
    "achievement_conversions",
    "standards_led",
)
REPORT_CHECK_ALL = 150_000
BATCH = 5_000
NOTE_RE = re.compile(r"enterprise_ids=(\d+)-(\d+)")


class DemoDataError(Exception):
    """The load cannot go ahead (non-empty database without --replace, invalid generated data...)."""


@dataclass
class LoadResult:
    enterprises: int = 0
    reports: int = 0
    certificates: int = 0
    ip_items: int = 0
    sources: tuple = ()


def _dates(values: np.ndarray) -> list:
    text = values.astype(str)
    return [None if t == "NaT" else t for t in text.tolist()]


class _Writer:
    def __init__(self, total: int, progress: bool):
        self.bar = tqdm(total=total, unit="row", file=sys.stderr, disable=not progress, desc="载入合成数据")
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())

    def insert(self, model, columns: list[str], rows) -> int:
        table = connection.ops.quote_name(model._meta.db_table)
        names = [model._meta.get_field(c).column for c in columns]
        quoted = ", ".join(connection.ops.quote_name(c) for c in names)
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                        if count % BATCH == 0:
                            self.bar.update(BATCH)
                self.bar.update(count % BATCH)
                return count
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(names))})"
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    self.bar.update(len(batch))
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
                self.bar.update(len(batch))
        return count


def _check(ds: Dataset) -> None:
    today = timezone.localdate()
    if ds.as_of > today:
        raise DemoDataError(f"as-of date {ds.as_of} is in the future")
    f = ds.firm
    bad = [e for code in f["credit_code"].tolist() if (e := credit_code_errors(code))]
    if bad:
        raise DemoDataError(f"invalid credit codes: {bad[:3]}")
    counties = set(Region.objects.filter(level=Level.COUNTY).values_list("code", flat=True))
    if missing := set(np.unique(f["county"]).tolist()) - counties:
        raise DemoDataError(f"unknown county codes {sorted(missing)[:5]}: migrate first")
    zones = set(HitechZone.objects.values_list("code", flat=True)) | {""}
    if missing := set(np.unique(f["hitech_zone"]).tolist()) - zones:
        raise DemoDataError(f"unknown high-tech zones {sorted(missing)[:5]}: migrate first")
    fields = set(TechField.objects.values_list("code", flat=True)) | {""}
    if missing := set(np.unique(f["tech_field"]).tolist()) - fields:
        raise DemoDataError(f"unknown tech fields {sorted(missing)[:5]}")
    y, act = ds.yearly, ds.active
    # The database constraints, on every row (vectorised).
    assert all((y[k][act] >= 0).all() for k in y if k != "net_assets"), "negative figure"
    for small, big in REPORT_CROSS_RULES:  # the engine's cross-field rules, as the database checks them
        assert (y[small] <= y[big]).all(), f"{small} above {big}"
    assert (f["founded_on"] <= np.datetime64(today)).all(), "founded in the future"


def _report_rows(ds: Dataset, source: DataSource, fields: tuple[str, ...], ids: np.ndarray, now):
    """Rows for AnnualReport: (enterprise_id, year, source_id, source_row, *FACT_FIELDS, recorded_at)."""
    sci = source.department == Department.SCIENCE_TECH
    f, y = ds.firm, ds.yearly
    flags = {k: f[k] for k in FLAG_FIELDS}
    filed = ds.filed  # a firm that has not filed a year's report has no row for it
    for i, year in enumerate(ds.years):
        idx = np.flatnonzero(filed[:, i])
        cols = {k: (y[k][idx, i].tolist() if k in fields else None) for k in FACT_FIELDS}
        if sci:
            for k in FLAG_FIELDS:
                cols[k] = flags[k][idx].tolist()
            if i < 2:  # a major incident is a fact of the year before the as-of date
                cols["major_incident"] = [False] * len(idx)
            revenue = ds.sci_revenue[idx, i]
            cols["revenue"] = [None if v < 0 else v for v in revenue.tolist()]
        n = len(idx)
        columns = [
            ids[idx].tolist(),
            [year] * n,
            [source.pk] * n,
            (idx * 3 + i + 2).tolist(),
            *[cols[k] if cols[k] is not None else [None] * n for k in FACT_FIELDS],
            [now] * n,
        ]
        yield from zip(*columns, strict=True)


def _validate_reports(ds: Dataset, today) -> None:
    """report_errors() on each report (all of them, or an evenly spread sample for big sets)."""
    n_rows = int(ds.active.sum())
    step = max(1, n_rows * 2 // REPORT_CHECK_ALL)
    firms, years = np.nonzero(ds.active)
    for firm, i in zip(firms[::step].tolist(), years[::step].tolist(), strict=True):
        for fields in (TAX_FIELDS, SCI_FIELDS):
            values = {k: int(ds.yearly[k][firm, i]) for k in fields}
            values.update({k: bool(ds.firm[k][firm]) for k in FLAG_FIELDS} if fields is SCI_FIELDS else {})
            if errors := report_errors(values, year=ds.years[i], today=today):
                raise DemoDataError(f"generated report fails validation: {errors}")


def load(
    ds: Dataset, *, replace: bool = False, ip_items: str = "all", facts: bool = True, progress: bool = True
) -> LoadResult:
    """Load `ds`. Refuses a database holding enterprises unless `replace` (then synthetic data goes first).

    `facts=False` (benchmarks of list pages only) loads firms and certificates without yearly reports
    and IP items."""
    if Enterprise.objects.exists():
        if not replace:
            raise DemoDataError("数据库中已有企业数据；如需替换以前生成的合成数据，请加 --replace")
        delete_synthetic()
        if (
            Enterprise.objects.exists()
            and Enterprise.objects.filter(credit_code__in=ds.firm["credit_code"].tolist()).exists()
        ):
            raise DemoDataError("生成的信用代码与库中已有企业重复，请换一个 --seed")
    _check(ds)
    today = timezone.localdate()
    _validate_reports(ds, today)
    ip = items.ip_items(ds) if ip_items == "all" and facts else None
    certs = items.certificates(ds)
    n_ip = 0 if ip is None else len(ip["firm"])
    total = ds.n + 2 * int(ds.filed.sum()) * facts + len(certs["firm"]) + n_ip
    writer = _Writer(total, progress)
    now = writer.now
    result = LoadResult()
    with transaction.atomic():
        base = (Enterprise.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        ids = np.arange(base, base + ds.n, dtype=np.int64)
        note = f"合成数据 seed={ds.seed} n={ds.n} as_of={ds.as_of} enterprise_ids={base}-{base + ds.n - 1}"
        sources = [
            DataSource.objects.create(
                department=dept,
                file_name=f"synthetic-{dept}-{ds.seed}-{ds.n}.csv",
                imported_at=timezone.now(),
                synthetic=True,
                note=note,
            )
            for dept in (Department.TAX, Department.SCIENCE_TECH)
        ]
        tax, sci = sources
        f = ds.firm
        tech = [t or None for t in f["tech_field"].tolist()]
        enterprise_rows = zip(
            ids.tolist(),
            f["credit_code"].tolist(),
            f["name"].tolist(),
            [pinyin_key(n) for n in f["name"].tolist()],
            f["county"].tolist(),
            f["city"].tolist(),
            _dates(f["founded_on"]),
            tech,
            f["above_scale"].tolist(),
            f["in_hitech_zone"].tolist(),
            [z or None for z in f["hitech_zone"].tolist()],
            f["talent_founded"].tolist(),
            _dates(f["hte_valid_until"]),
            _dates(f["tech_sme_valid_until"]),
            [now] * ds.n,
            [now] * ds.n,
            strict=True,
        )
        result.enterprises = writer.insert(
            Enterprise,
            [
                "id",
                "credit_code",
                "name",
                "name_pinyin",
                "county",
                "city",
                "founded_on",
                "tech_field",
                "above_scale",
                "in_hitech_zone",
                "hitech_zone",
                "talent_founded",
                "hte_valid_until",
                "tech_sme_valid_until",
                "created_at",
                "updated_at",
            ],
            enterprise_rows,
        )
        report_columns = ["enterprise", "year", "source", "source_row", *FACT_FIELDS, "recorded_at"]
        counts = {}
        for source, fields in ((tax, TAX_FIELDS), (sci, SCI_FIELDS)):
            if not facts:
                counts[source.pk] = 0
                continue
            counts[source.pk] = writer.insert(
                AnnualReport, report_columns, _report_rows(ds, source, fields, ids, now)
            )
        result.reports = sum(counts.values())
        result.certificates = writer.insert(
            Certificate,
            ["enterprise", "kind", "number", "issued_on", "expires_on", "source"],
            zip(
                ids[certs["firm"]].tolist(),
                certs["kind"].tolist(),
                certs["number"],
                _dates(certs["issued_on"]),
                _dates(certs["expires_on"]),
                [sci.pk] * len(certs["firm"]),
                strict=True,
            ),
        )
        if ip is not None:
            result.ip_items = writer.insert(
                IntellectualProperty,
                [
                    "enterprise",
                    "ip_class",
                    "kind",
                    "number",
                    "title",
                    "granted_on",
                    "expires_on",
                    "self_developed",
                    "used_in_hte_application",
                    "source",
                ],
                zip(
                    ids[ip["firm"]].tolist(),
                    ip["ip_class"].tolist(),
                    ip["kind"].tolist(),
                    ip["number"],
                    ip["title"].tolist(),
                    _dates(ip["granted_on"]),
                    _dates(ip["expires_on"]),
                    ip["self_developed"].tolist(),
                    [False] * n_ip,
                    [sci.pk] * n_ip,
                    strict=True,
                ),
            )
        _reset_sequences()
        for source, extra in (
            (tax, {}),
            (sci, {"certificates": result.certificates, "ip_items": result.ip_items}),
        ):
            audit_record(
                actor=None,
                action=AuditAction.IMPORT,
                target=source,
                new={
                    "enterprises": result.enterprises,
                    "reports": counts[source.pk],
                    "synthetic": True,
                    "seed": ds.seed,
                    "as_of": ds.as_of.isoformat(),
                    **extra,
                },
                reason=f"合成演示数据导入：{source}",
            )
    writer.bar.close()
    if not connection.in_atomic_block:
        _analyze()
    result.sources = tuple(sources)
    return result


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite AUTOINCREMENT-free tables continue from max(id)
    sql = connection.ops.sequence_reset_sql(
        no_style(), [Enterprise, AnnualReport, Certificate, IntellectualProperty]
    )
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (outside any transaction).

    SQLite without statistics sorts a province officer's whole scope for the first list page (0.6 s at
    300,000 firms) instead of walking the name index (0.1 ms). On PostgreSQL, VACUUM also sets the
    visibility map so that counts can be index-only scans instead of heap scans.
    """
    tables = [
        connection.ops.quote_name(m._meta.db_table)
        for m in (Enterprise, AnnualReport, Certificate, IntellectualProperty)
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")
            # Also the small tables loaded by migrations (regions, tech fields): without statistics the
            # planner takes "province_code = X" for 1 region instead of all 109 and nests loops badly.
            cursor.execute("ANALYZE")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")


def synthetic_enterprise_ids() -> list[tuple[int, int]]:
    ranges = []
    for note in DataSource.objects.filter(synthetic=True).values_list("note", flat=True):
        if m := NOTE_RE.search(note):
            ranges.append((int(m.group(1)), int(m.group(2))))
    return sorted(set(ranges))


def delete_synthetic() -> int:
    """Delete the synthetic firms (with their reports, certificates, IP items, agency assignments, service
    records), the synthetic sources, and the demo accounts bound to those firms. Non-synthetic data stays.
    Returns the number of firms deleted.

    The audit log keeps every event, those about the synthetic firms included (they keep the firm's credit code
    and name; the database refuses to change or delete them), and one event records the deletion."""
    from gaoqi.accounts.models import User
    from gaoqi.demo.accounts import DEMO_USERNAMES

    ranges = synthetic_enterprise_ids()
    deleted = 0
    with transaction.atomic():
        for lo, hi in ranges:
            bound = User.objects.filter(enterprise__gte=lo, enterprise__lte=hi)
            if bound.exclude(username__in=DEMO_USERNAMES).exists():
                raise DemoDataError("有非演示用户绑定到合成企业，无法替换；请先处理这些用户")
            bound.delete()
        AnnualReport.objects.filter(source__synthetic=True).delete()
        Certificate.objects.filter(source__synthetic=True).delete()
        IntellectualProperty.objects.filter(source__synthetic=True).delete()
        sources = list(DataSource.objects.filter(synthetic=True).order_by("id"))
        about = sum(
            AuditEvent.objects.filter(enterprise__gte=lo, enterprise__lte=hi).count() for lo, hi in ranges
        )
        for lo, hi in ranges:
            deleted += Enterprise.objects.filter(id__range=(lo, hi)).delete()[1].get("registry.Enterprise", 0)
        DataSource.objects.filter(synthetic=True).delete()
        if sources and (deleted or about):
            audit_record(
                actor=None,
                action=AuditAction.DELETE,
                target=sources[0],  # the import that brought the firms in (its event stays)
                old={
                    "synthetic_firms": deleted,
                    "sources": [s.pk for s in sources],
                    "enterprise_id_ranges": ranges,
                    "audit_events_about_synthetic_firms_kept": about,
                },
                reason="替换合成演示数据：删除合成企业（其审计记录保留）",
            )
    return deleted
