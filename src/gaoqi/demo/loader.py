"""Loading a synthetic `Dataset` into the database, fast: explicit ids, batched inserts, one transaction.

Per-row services are bypassed for speed, but the values pass the same rules: every credit code by the rules of
`credit_code_errors` (vectorised: `codes.valid_credit_codes`, tested to agree; a sample through the function
itself), yearly figures through `report_errors` (all of them up to REPORT_CHECK_ALL reports,
a deterministic sample beyond, plus vectorised checks of the database constraints on every row).

A province-size set (millions of firms) is generated and written part by part (`generator.generate_parts`),
each part checked as above before it is written; on PostgreSQL each table's rows go in with COPY (CSV written by
Polars), and a large load builds the secondary indexes and foreign keys once at the end.

Two synthetic data sources per load — 税务 (financial figures) and 科技 (staff, IP, flags and, for some
firms, a self-reported revenue that the tax figure outranks in the merge) — and one "import" audit event
per source with the counts. The sources' note records the enterprise id range, which is how `--replace`
finds the synthetic firms again.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.audit.services import audit_record
from gaoqi.demo import items
from gaoqi.demo.codes import valid_credit_codes
from gaoqi.demo.generator import Dataset
from gaoqi.ledger.pinyin import sort_keys
from gaoqi.regions.models import Level, Region
from gaoqi.registry import name_search
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
CODE_CHECK_SAMPLE = 10_000  # credit codes of a part also checked one by one by credit_code_errors
BATCH = 5_000
COPY_ROWS = 200_000  # rows per CSV block written to COPY
BULK_MIN = 200_000  # firms from which a PostgreSQL load rebuilds indexes and foreign keys at the end
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
    timings: Timings | None = None


def _backend_cpu_reader():
    """A function returning the CPU seconds (user + system) used so far by this connection's PostgreSQL
    backend, when the server runs on this host (/proc); None otherwise (SQLite, another host)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        if not open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"postgres"):
            return None  # the server is elsewhere: that pid is another process here (or none)
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / tick

    return read


class Timings:
    """Wall time, the loader's CPU (of the thread doing the work) and the PostgreSQL backend's CPU per phase of
    a load, summed over the parts. The backend's CPU is read from /proc when the server is on this host (its
    parallel workers, which PostgreSQL starts for B-tree builds, are not included); "-" elsewhere."""

    def __init__(self):
        self.phases: dict[str, list[float]] = {}  # name: [wall, loader CPU, server CPU (or nan)]
        self.lock = threading.Lock()
        self.server = None

    def attach(self) -> None:
        self.server = _backend_cpu_reader()

    @contextlib.contextmanager
    def phase(self, name: str, server: bool = True):
        read = self.server if server else None
        wall, cpu = time.perf_counter(), time.thread_time()
        before = read() if read else None
        try:
            yield
        finally:
            after = read() if read else None
            row = [
                time.perf_counter() - wall,
                time.thread_time() - cpu,
                after - before if before is not None and after is not None else float("nan"),
            ]
            with self.lock:
                total = self.phases.setdefault(name, [0.0, 0.0, 0.0])
                for i, v in enumerate(row):
                    total[i] += v

    def table(self) -> str:
        def server(v: float) -> str:
            return "-" if v != v else f"{v:.1f}"

        lines = [f"{'阶段 phase':<64} {'墙钟 wall s':>11} {'载入进程 CPU s':>14} {'数据库 CPU s':>13}"]
        for name, (wall, cpu, srv) in self.phases.items():
            lines.append(f"{name:<64} {wall:>11.1f} {cpu:>14.1f} {server(srv):>13}")
        return "\n".join(lines)


def _column(model, name: str) -> str:
    return model._meta.get_field(name).column


class _Writer:
    """Writes column frames: COPY … (FORMAT csv) from Polars' CSV writer on PostgreSQL, batched INSERTs on
    SQLite. The progress bar counts firms over the whole load (all parts)."""

    def __init__(self, total: int, progress: bool, timings: Timings):
        self.bar = tqdm(total=total, unit="家", file=sys.stderr, disable=not progress, desc="载入合成数据")
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.rows = 0
        self.timings = timings
        self.defaulted: dict[type, tuple[str, ...]] = {}  # columns the table's temporary default fills

    def insert(self, model, frame: pl.DataFrame) -> int:
        frame = frame.drop(self.defaulted.get(model, ()))
        table = connection.ops.quote_name(model._meta.db_table)
        quoted = ", ".join(connection.ops.quote_name(_column(model, c)) for c in frame.columns)
        verb = "COPY" if connection.vendor == "postgresql" else "INSERT"
        with connection.cursor() as cursor, self.timings.phase(f"{verb} {model._meta.db_table}"):
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN (FORMAT csv)") as copy:
                    for start in range(0, frame.height, COPY_ROWS):
                        copy.write(frame.slice(start, COPY_ROWS).write_csv(include_header=False))
            else:
                dates = [c for c, t in frame.schema.items() if t == pl.Date]
                frame = frame.with_columns(pl.col(dates).cast(pl.String))
                sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * frame.width)})"
                for start in range(0, frame.height, BATCH):
                    cursor.executemany(sql, frame.slice(start, BATCH).rows())
        self.rows += frame.height
        self.bar.set_postfix_str(f"{self.rows:,} 行", refresh=False)
        return frame.height


@dataclass(frozen=True)
class _Known:
    """The reference codes a generated firm may use (read once per load, in the loading thread)."""

    counties: frozenset
    zones: frozenset
    fields: frozenset

    @classmethod
    def read(cls) -> _Known:
        return cls(
            frozenset(Region.objects.filter(level=Level.COUNTY).values_list("code", flat=True)),
            frozenset(HitechZone.objects.values_list("code", flat=True)) | {""},
            frozenset(TechField.objects.values_list("code", flat=True)) | {""},
        )


def _check(ds: Dataset, known: _Known, today) -> None:
    if ds.as_of > today:
        raise DemoDataError(f"as-of date {ds.as_of} is in the future")
    f = ds.firm
    codes = f["credit_code"]
    # Every code by the vectorised check (the same rules as credit_code_errors: tested), a sample of them
    # through credit_code_errors itself.
    if invalid := codes[~valid_credit_codes(codes)][:3].tolist():
        raise DemoDataError(f"invalid credit codes: {[(c, credit_code_errors(c)) for c in invalid]}")
    sample = codes[:: max(1, len(codes) // CODE_CHECK_SAMPLE)].tolist()
    if bad := [e for code in sample if (e := credit_code_errors(code))]:
        raise DemoDataError(f"invalid credit codes: {bad[:3]}")
    if missing := set(np.unique(f["county"]).tolist()) - known.counties:
        raise DemoDataError(f"unknown county codes {sorted(missing)[:5]}: migrate first")
    if missing := set(np.unique(f["hitech_zone"]).tolist()) - known.zones:
        raise DemoDataError(f"unknown high-tech zones {sorted(missing)[:5]}: migrate first")
    if missing := set(np.unique(f["tech_field"]).tolist()) - known.fields:
        raise DemoDataError(f"unknown tech fields {sorted(missing)[:5]}")
    y, act = ds.yearly, ds.active
    # The database constraints, on every row (vectorised).
    assert all((y[k][act] >= 0).all() for k in y if k != "net_assets"), "negative figure"
    for small, big in REPORT_CROSS_RULES:  # the engine's cross-field rules, as the database checks them
        assert (y[small] <= y[big]).all(), f"{small} above {big}"
    assert (f["founded_on"] <= np.datetime64(today)).all(), "founded in the future"


def _null(n: int, dtype=pl.Int64) -> pl.Series:
    return pl.repeat(None, n, dtype=dtype, eager=True)


def _report_frame(
    ds: Dataset, source: DataSource, fields: tuple[str, ...], ids: np.ndarray, now
) -> pl.DataFrame:
    """AnnualReport rows of a source: (enterprise, year, source, source_row, *FACT_FIELDS, recorded_at)."""
    sci = source.department == Department.SCIENCE_TECH
    f, y = ds.firm, ds.yearly
    filed = ds.filed  # a firm that has not filed a year's report has no row for it
    frames = []
    for i, year in enumerate(ds.years):
        idx = np.flatnonzero(filed[:, i])
        n = len(idx)
        cols: dict[str, pl.Series | np.ndarray] = {
            "enterprise": ids[idx],
            "year": np.full(n, year, dtype=np.int64),
            "source": np.full(n, source.pk, dtype=np.int64),
            "source_row": (ds.offset + idx) * 3 + i + 2,
        }
        for k in FACT_FIELDS:
            if k in fields:
                cols[k] = y[k][idx, i]
            elif sci and k in FLAG_FIELDS:
                # a major incident is a fact of the year before the as-of date
                cols[k] = np.zeros(n, dtype=bool) if k == "major_incident" and i < 2 else f[k][idx]
            elif sci and k == "revenue":
                revenue = ds.sci_revenue[idx, i]
                cols[k] = pl.Series(revenue).zip_with(pl.Series(revenue >= 0), _null(n))
            else:
                cols[k] = _null(n, pl.Boolean if k in FLAG_FIELDS else pl.Int64)
        frames.append(pl.DataFrame(cols).with_columns(pl.lit(now).alias("recorded_at")))
    return pl.concat(frames)


def _validate_reports(ds: Dataset, today, budget: int = REPORT_CHECK_ALL) -> None:
    """report_errors() on each report (all of them, or an evenly spread sample of about `budget` reports
    for big sets; a part of a large set gets its share of the whole set's budget)."""
    n_rows = int(ds.active.sum())
    step = max(1, n_rows * 2 // max(budget, 1))
    firms, years = np.nonzero(ds.active)
    for firm, i in zip(firms[::step].tolist(), years[::step].tolist(), strict=True):
        for fields in (TAX_FIELDS, SCI_FIELDS):
            values = {k: int(ds.yearly[k][firm, i]) for k in fields}
            values.update({k: bool(ds.firm[k][firm]) for k in FLAG_FIELDS} if fields is SCI_FIELDS else {})
            if errors := report_errors(values, year=ds.years[i], today=today):
                raise DemoDataError(f"generated report fails validation: {errors}")


def _enterprise_frame(ds: Dataset, ids: np.ndarray, now) -> pl.DataFrame:
    f = ds.firm
    names = pl.Series(f["name"])
    return pl.DataFrame(
        {
            "id": ids,
            "credit_code": f["credit_code"],
            "name": names,
            "name_pinyin": sort_keys(names),
            "county": f["county"],
            "city": f["city"],
            "founded_on": f["founded_on"],
            "tech_field": pl.Series(f["tech_field"]).replace("", None),
            "above_scale": f["above_scale"],
            "in_hitech_zone": f["in_hitech_zone"],
            "hitech_zone": pl.Series(f["hitech_zone"]).replace("", None),
            "talent_founded": f["talent_founded"],
            "hte_valid_until": f["hte_valid_until"],
            "tech_sme_valid_until": f["tech_sme_valid_until"],
        }
    ).with_columns(pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at"))


def _certificate_frame(ds: Dataset, ids: np.ndarray, source: DataSource) -> pl.DataFrame:
    certs = items.certificates(ds)
    return pl.DataFrame(
        {
            "enterprise": ids[certs["firm"]],
            "kind": certs["kind"],
            "number": certs["number"],
            "issued_on": certs["issued_on"],
            "expires_on": certs["expires_on"],
            "source": np.full(len(certs["firm"]), source.pk, dtype=np.int64),
        }
    )


def _ip_frame(ds: Dataset, ids: np.ndarray, source: DataSource, serial_start: int) -> pl.DataFrame:
    ip = items.ip_items(ds, serial_start=serial_start)
    n = len(ip["firm"])
    return pl.DataFrame(
        {
            "enterprise": ids[ip["firm"]],
            "ip_class": ip["ip_class"],
            "kind": ip["kind"],
            "number": ip["number"],
            "title": ip["title"],
            "granted_on": ip["granted_on"],
            "expires_on": ip["expires_on"],
            "self_developed": ip["self_developed"],
            "used_in_hte_application": np.zeros(n, dtype=bool),
            "source": np.full(n, source.pk, dtype=np.int64),
        }
    )


@dataclass
class _Part:
    n: int
    codes: list[str]
    tables: list[tuple[type, pl.DataFrame]]


@dataclass
class _Plan:
    """How a part becomes table frames (checked first). Runs in the generating thread: no database access."""

    base: int
    n: int
    tax: DataSource
    sci: DataSource
    now: str
    facts: bool
    ip: bool
    known: _Known
    today: object
    timings: Timings
    ip_serial: int = 0

    def frames(self, ds: Dataset) -> _Part:
        phase = self.timings.phase
        with phase("检查 check (generating thread)", server=False):
            _check(ds, self.known, self.today)
            _validate_reports(ds, self.today, budget=max(1, REPORT_CHECK_ALL * ds.n // self.n))
        ids = np.arange(self.base + ds.offset, self.base + ds.offset + ds.n, dtype=np.int64)
        with phase("表帧 frames: firms (generating thread)", server=False):
            tables: list[tuple[type, pl.DataFrame]] = [(Enterprise, _enterprise_frame(ds, ids, self.now))]
        if self.facts:
            with phase("表帧 frames: reports (generating thread)", server=False):
                for source, fields in ((self.tax, TAX_FIELDS), (self.sci, SCI_FIELDS)):
                    tables.append((AnnualReport, _report_frame(ds, source, fields, ids, self.now)))
        with phase("表帧 frames: certificates (generating thread)", server=False):
            tables.append((Certificate, _certificate_frame(ds, ids, self.sci)))
        if self.ip:
            with phase("表帧 frames: IP items (generating thread)", server=False):
                frame = _ip_frame(ds, ids, self.sci, self.ip_serial)
            self.ip_serial += frame.height
            tables.append((IntellectualProperty, frame))
        return _Part(ds.n, ds.firm["credit_code"].tolist(), tables)

    def generated(self, parts: Iterator[Dataset]) -> Iterator[Dataset]:
        """The parts, each one's generation timed (it runs in the generating thread, alongside the writes)."""
        while True:
            with self.timings.phase("生成 generate (generating thread)", server=False):
                ds = next(parts, None)
            if ds is None:
                return
            yield ds


def _prefetch(items: Iterator[_Part]) -> Iterator[_Part]:
    """The parts, the next one made in a thread while the current one is written (numpy, Polars and the
    database driver release the GIL: generating and COPY overlap)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-data") as pool:
        upcoming = pool.submit(next, items, None)
        while (part := upcoming.result()) is not None:
            upcoming = pool.submit(next, items, None)
            yield part
            del part


def load(
    data: Dataset | Iterable[Dataset],
    *,
    n: int | None = None,
    replace: bool = False,
    ip_items: str = "all",
    facts: bool = True,
    progress: bool = True,
) -> LoadResult:
    """Load a data set: one `Dataset`, or the parts of a large one (`generator.generate_parts`, with `n` the
    whole set's size), generated and written one part at a time, all in one transaction. Refuses a database
    holding enterprises unless `replace` (then synthetic data goes first).

    The next part is generated (and checked) in a thread while the current one is written. On PostgreSQL a load
    of BULK_MIN firms or more drops the four tables' secondary indexes, unique constraints and foreign keys
    first and builds them again at the end, in the same transaction (one sort each instead of a per-row cost;
    uniqueness and foreign keys are checked on every row when they are added back).

    `facts=False` (benchmarks of list pages only) loads firms and certificates without yearly reports
    and IP items."""
    whole = isinstance(data, Dataset)
    parts = iter([data] if whole else data)
    first = next(parts)
    n = first.n if whole else n
    if n is None:
        raise ValueError("the size of the whole set (n) is needed with parts")
    seed, as_of = first.seed, first.as_of
    parts = itertools.chain([first], parts)
    del first  # one part in memory at a time
    if Enterprise.objects.exists():
        if not replace:
            raise DemoDataError("数据库中已有企业数据；如需替换以前生成的合成数据，请加 --replace")
        delete_synthetic()
    others = Enterprise.objects.exists()  # firms that are not synthetic: codes must not clash with them
    today = timezone.localdate()
    timings = Timings()
    writer = _Writer(n, progress, timings)
    now = str(writer.now)
    result = LoadResult(timings=timings)
    counts: dict[int, int] = {}
    commit = contextlib.ExitStack()
    started = time.perf_counter(), time.process_time()
    with transaction.atomic():
        timings.attach()
        # Before any write of the transaction: ALTER TABLE refuses tables with pending (deferred) checks.
        with timings.phase("删除索引与约束 drop indexes and constraints"):
            restore = _indexes_off() if connection.vendor == "postgresql" and n >= BULK_MIN else []
            if restore:
                restore = _constant_defaults(writer, now) + restore
        base = (Enterprise.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        note = f"合成数据 seed={seed} n={n} as_of={as_of} enterprise_ids={base}-{base + n - 1}"
        sources = [
            DataSource.objects.create(
                department=dept,
                file_name=f"synthetic-{dept}-{seed}-{n}.csv",
                imported_at=timezone.now(),
                synthetic=True,
                note=note,
            )
            for dept in (Department.TAX, Department.SCIENCE_TECH)
        ]
        tax, sci = sources
        counts = {tax.pk: 0, sci.pk: 0}
        plan = _Plan(
            base, n, tax, sci, now, facts, ip_items == "all" and facts, _Known.read(), today, timings
        )
        # SQLite's name index (a table kept by a trigger) is filled once after the rows; on PostgreSQL the index
        # is an expression index: among those `_indexes_off` rebuilds, else kept by the database as rows come.
        grams = name_search.deferred() if connection.vendor == "sqlite" else contextlib.nullcontext()
        with grams:
            _write_parts(parts, plan, writer, result, counts, others)
        if restore:
            writer.bar.set_postfix_str(f"{writer.rows:,} 行；建立索引", refresh=True)
            _indexes_on(restore, timings)
        result.reports = sum(counts.values())
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
                    "seed": seed,
                    "as_of": as_of.isoformat(),
                    **extra,
                },
                reason=f"合成演示数据导入：{source}",
            )
        commit.enter_context(timings.phase("提交 COMMIT"))
    commit.close()
    if not connection.in_atomic_block:
        writer.bar.set_postfix_str(f"{writer.rows:,} 行；更新统计信息", refresh=True)
        _analyze(timings)
    writer.bar.close()
    if progress:
        wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
        print(
            f"{timings.table()}\n合计 total: {wall:.1f} s wall, loader {cpu:.1f} s CPU (all threads)",
            file=sys.stderr,
        )
    result.sources = tuple(sources)
    return result


BULK_TABLES = (Enterprise, AnnualReport, Certificate, IntellectualProperty)


def _write_parts(parts, plan, writer, result, counts, others) -> None:
    """Each part's tables written by COPY (PostgreSQL) or batched inserts, counted into `result`/`counts`."""
    firms_done = 0
    for part in _prefetch(plan.frames(ds) for ds in plan.generated(parts)):
        if others and Enterprise.objects.filter(credit_code__in=part.codes).exists():
            raise DemoDataError("生成的信用代码与库中已有企业重复，请换一个 --seed")
        for k, (model, frame) in enumerate(part.tables, start=1):
            written = writer.insert(model, frame)
            if model is Enterprise:
                result.enterprises += written
            elif model is AnnualReport:
                counts[frame["source"][0] if frame.height else plan.tax.pk] += written
            elif model is Certificate:
                result.certificates += written
            else:
                result.ip_items += written
            writer.bar.update(firms_done + part.n * k // len(part.tables) - writer.bar.n)
        firms_done += part.n
        del part


def _indexes_off() -> list[str]:
    """Drop the bulk tables' foreign keys, unique constraints and primary keys (those no foreign key relies on:
    the reports', certificates' and IP items' primary keys go, the firms' stays) and secondary indexes; return
    the statements that put them back (indexes, then unique constraints and primary keys, then foreign keys:
    adding them checks every row, so a load that broke one fails and rolls back)."""
    tables = [m._meta.db_table for m in BULK_TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint c "
            "WHERE conrelid::regclass::text = ANY(%s) AND (contype = 'f' OR contype IN ('u', 'p') AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)) "
            "ORDER BY contype DESC, 1, 2",
            [tables],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary "
            "ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        # ALTER TABLE refuses a table with pending (deferred) checks: an enclosing transaction's earlier writes
        # (a caller's, a test's reference data) are checked now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return [definition for _name, definition in indexes] + [
        f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
        for table, name, definition in keys
    ]


# The load's one timestamp in every row of these columns: a parsed CSV timestamp per row costs the server about a
# fifth of the reports' COPY; a column default is parsed once.
CONSTANT_COLUMNS = {Enterprise: ("created_at", "updated_at"), AnnualReport: ("recorded_at",)}


def _constant_defaults(writer: _Writer, now: str) -> list[str]:
    """PostgreSQL bulk load: give CONSTANT_COLUMNS the load's timestamp as their default for the load (the writer
    then leaves them out of the COPY); return the statements that put the previous defaults back."""
    restore = []
    with connection.cursor() as cursor:
        for model, fields in CONSTANT_COLUMNS.items():
            table = model._meta.db_table
            for field in fields:
                column = _column(model, field)
                cursor.execute(
                    "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                    "ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = %s::regclass "
                    "AND a.attname = %s",
                    [table, column],
                )
                previous = cursor.fetchone()
                alter = f"ALTER TABLE {connection.ops.quote_name(table)} ALTER COLUMN {connection.ops.quote_name(column)}"
                literal = "'" + now.replace("'", "''") + "'"  # a utility statement: no bound parameters
                cursor.execute(f"{alter} SET DEFAULT {literal}::timestamptz")
                restore.append(f"{alter} SET DEFAULT {previous[0]}" if previous else f"{alter} DROP DEFAULT")
            writer.defaulted[model] = fields
    return restore


def _phase_name(statement: str) -> str:
    """ "CREATE INDEX enterprise_pinyin", "ADD CONSTRAINT report_once_per_source" … for the timings."""
    if m := re.match(r"CREATE (?:UNIQUE )?INDEX (\S+)", statement):
        return f"CREATE INDEX {m.group(1)}"
    if m := re.search(r"ADD CONSTRAINT (\S+) (\w+)", statement):
        return f"ADD CONSTRAINT {m.group(1).strip(chr(34))} ({m.group(2)})"
    if "ALTER COLUMN" in statement:
        return "column defaults put back"
    return statement[:60]


def _indexes_on(statements: list[str], timings: Timings | None = None) -> None:
    timings = timings or Timings()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses tables with pending checks
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in statements:
            with timings.phase(_phase_name(statement)):
                cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys: INITIALLY DEFERRED


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite AUTOINCREMENT-free tables continue from max(id)
    sql = connection.ops.sequence_reset_sql(
        no_style(), [Enterprise, AnnualReport, Certificate, IntellectualProperty]
    )
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def _analyze(timings: Timings | None = None) -> None:
    """Fresh planner statistics after a bulk load (outside any transaction).

    SQLite without statistics sorts a province officer's whole scope for the first list page (0.6 s at
    300,000 firms) instead of walking the name index (0.1 ms). On PostgreSQL, VACUUM also sets the
    visibility map so that counts can be index-only scans instead of heap scans.
    """
    tables = [
        connection.ops.quote_name(m._meta.db_table)
        for m in (Enterprise, AnnualReport, Certificate, IntellectualProperty)
    ]
    timings = timings or Timings()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                with timings.phase(f"VACUUM ANALYZE {table.strip(chr(34))}"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
            # Also the small tables loaded by migrations (regions, tech fields): without statistics the
            # planner takes "province_code = X" for 1 region instead of all 109 and nests loops badly.
            with timings.phase("ANALYZE (the other tables)"):
                cursor.execute("ANALYZE")
        elif connection.vendor == "sqlite":
            with timings.phase("ANALYZE"):
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
