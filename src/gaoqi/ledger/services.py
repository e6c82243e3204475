"""Re-evaluation: every firm (or some) under the enterprise policies and the ledger tiers, with the bulk engine,
stored as evaluation snapshots. The only writer of `EvaluationSnapshot`.

The flow is the platform's: registry facts (`ledger.facts.facts_table`) -> tech_sme, hte, pool in one
bulk pass -> their verdicts become the ledger facts -> ledger_tier -> snapshots, in one transaction. A firm's
snapshots and facts revision hold from their date until a later one supersedes them (`ledger.models`): each
is compared with the firm's latest of the date or before, and a run on a new date writes what changed only
(beside the earlier rows), a run on the same date rewrites in place. Long: takes a `progress(done, total,
message)` callback (a job or a CLI bar).

Two ways of moving the rows, one result: on SQLite (and with `bulk=False`) rows go through Python (`store.sync`
after reading the stored rows); on PostgreSQL the bulk path reads with COPY and stages the new rows in the
database (`store.copy_frame`, `store.Stage`), then writes the changes with one upsert per table that skips
unchanged rows, for a province's millions of firms. A test holds the two paths' rows equal. Before either, a
firm whose results digest is the stored one (`ledger.digest`: its four snapshots in `EvaluatedFacts`, its
ledger entry on the entry) is set aside and counted: its rows are neither built nor staged nor compared.

The firms go in slices (`GAOQI_REEVALUATE_SLICE`): each slice is read, evaluated and handed to the writers
before the next is read, so the memory is one slice's; a test holds the sliced result equal to the whole one.
"""

from __future__ import annotations

import contextvars
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from functools import partial

import polars as pl
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import PendingEvent, audit_record_many
from gaoqi.ledger import store, tally
from gaoqi.ledger.digest import RESULT_COLUMNS, results_digests, rows_digests
from gaoqi.ledger.facts import FIRM_FACT_TYPES, FIRM_FACTS, SCHEMA, facts_table
from gaoqi.ledger.models import EvaluatedFacts, EvaluationSnapshot, LedgerEntry, LedgerRun
from gaoqi.ledger.store import (
    Firms,
    Stage,
    Written,
    firms_clause,
    latest_rows,
    read_frame,
    shared_snapshot,
    stored_rows,
    sync,
)
from gaoqi.policy import ENGINE_VERSION, ENTERPRISE_POLICIES, RULES, load_policy
from gaoqi.policy.bulk.plan import evaluate_table, evaluate_tables
from gaoqi.policy.policies.ledger_tier.facts import LedgerFacts
from gaoqi.registry.models import Enterprise

LEDGER_POLICY = "ledger_tier"
REEVALUATION_LOCK = 0x6761_6F71_6901  # PostgreSQL advisory lock key of `reevaluate`
SQLITE_LISTED = 30_000  # listed firms per slice on SQLite: one `IN (…)` parameter each, under its limit
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ReevaluationResult:
    as_of: date
    firms: int
    snapshots: int
    by_grade: dict[str, int]
    written: Written = Written()  # the snapshots inserted / rewritten / touched / left as they were
    entries: Written = Written()  # the same for the ledger entries


def _ledger_facts(
    facts: pl.DataFrame, results: dict[str, pl.DataFrame], registered: pl.DataFrame
) -> pl.DataFrame:
    hard = RULES["hte"].groups["hard"]
    hte = results["hte"].select(
        "enterprise_id",
        pl.when(pl.col("errors").is_null())
        .then(pl.sum_horizontal([(~pl.col(f"{c}__passed")).cast(pl.Int64) for c in hard]))
        .alias("hte_hard_failed"),
    )
    sme = results["tech_sme"].select("enterprise_id", pl.col("eligible").alias("tech_sme_eligible"))
    registered = registered.with_columns(pl.lit(True).alias("tech_sme_registered"))
    base = facts.select(
        "enterprise_id",
        "credit_code",
        "has_hte_certificate",
        "rnd_expense_y3",
        pl.when(pl.col("ip_class1").is_null() & pl.col("ip_class2").is_null())
        .then(None)
        .otherwise(pl.col("ip_class1").fill_null(0) + pl.col("ip_class2").fill_null(0))
        .alias("ip_count"),
    )
    out = _beside(_beside(base, hte, "left"), sme, "left")
    out = out.join(registered, on="enterprise_id", how="left").with_columns(
        pl.col("tech_sme_registered").fill_null(False)
    )
    names = [f for f in LedgerFacts.__dataclass_fields__]
    return out.select("enterprise_id", *names)


def facts_revisions(facts: pl.DataFrame) -> pl.DataFrame:
    """(enterprise_id, facts_revision): a digest of exactly the facts each firm was evaluated on."""
    return facts.select(
        "enterprise_id",
        pl.struct([pl.col(c) for c in SCHEMA]).hash(seed=0).cast(pl.String).alias("facts_revision"),
    )


def compact_criteria(cols: set[str], criterion_ids: list[str]) -> pl.Expr:
    """Per criterion, in the policy's order, `[passed, points_min, points_max]` as one JSON text (1/0/null,
    ints or null): ~10 bytes a criterion instead of ~80 for keyed objects (1.2 million snapshots for 300,000
    firms). Displayed values (ratios) are not stored: the facts revision reproduces them."""

    def part(cid: str) -> pl.Expr:
        flag = pl.col(f"{cid}__passed")
        passed = (
            pl.when(flag.is_null()).then(pl.lit("null")).when(flag).then(pl.lit("1")).otherwise(pl.lit("0"))
            if f"{cid}__passed" in cols
            else pl.lit("null")
        )
        lo, hi = (
            (f"{cid}__points", f"{cid}__points")
            if f"{cid}__points" in cols
            else (f"{cid}__points_min", f"{cid}__points_max")
        )
        ends = [
            pl.col(c).cast(pl.String).fill_null("null") if c in cols else pl.lit("null") for c in (lo, hi)
        ]
        return pl.concat_str([pl.lit("["), passed, pl.lit(","), ends[0], pl.lit(","), ends[1], pl.lit("]")])

    pieces: list[pl.Expr] = [pl.lit("[")]
    for i, cid in enumerate(criterion_ids):
        pieces += [pl.lit(","), part(cid)] if i else [part(cid)]
    return pl.concat_str([*pieces, pl.lit("]")])


def _rows(table: pl.DataFrame, policy, facts_revision: pl.DataFrame, now) -> pl.DataFrame:
    cols = set(table.columns)
    return table.join(facts_revision, on="enterprise_id", how="left").select(
        "enterprise_id",
        pl.lit(policy.name).alias("policy"),
        *RESULT_COLUMNS,  # the digest covers the same columns (ledger.digest)
        pl.when(pl.col("errors").is_null())
        .then(compact_criteria(cols, list(policy.criteria)))
        .otherwise(pl.lit("[]"))
        .alias("criteria_json"),
        "facts_revision",
    )


SNAPSHOT_RESULT = {
    "outcome": pl.String,
    "eligible": pl.Boolean,
    "score": pl.Int64,
    "score_min": pl.Int64,
    "score_max": pl.Int64,
    "grade": pl.String,
    "direct_pass_reason": pl.String,
    "errors": pl.String,
    "criteria_json": pl.String,
    "engine_version": pl.String,
    "param_hash": pl.String,
}
ENTRY_RESULT = {
    "grade": pl.String,
    "city_id": pl.String,
    "county_id": pl.String,
    "tech_field_id": pl.String,
    "in_hitech_zone": pl.Boolean,
    "hitech_zone_id": pl.String,
    "name": pl.String,
    "name_pinyin": pl.String,
    "has_hte_certificate": pl.Boolean,
    "tech_sme_registered": pl.Boolean,
    "tech_sme_eligible": pl.Boolean,
    "hte_outcome": pl.String,
    "hte_hard_failed": pl.Int64,
    "pool_eligible": pl.Boolean,
}


class _Writer:
    """One table's new rows, given slice by slice. The bulk path stages them (`store.Stage`) and writes the
    changes once, after the last slice; the row path compares each slice with its stored rows and writes
    the changes at once (`store.sync`)."""

    def __init__(
        self,
        table: str,
        *,
        bulk: bool,
        key: str,
        result: list[str],
        bookkeeping: tuple[str, ...] = (),
        stamp: dict,
        constant: dict | None = None,
        unique: list[str],
        order: tuple[str, ...] = (),
        source: str | None = None,
        touches: bool = True,
        carried: tuple[str, ...] = (),
        dated: str | None = None,
    ):
        self.sync = dict(
            key=key,
            result=result,
            bookkeeping=bookkeeping,
            stamp=stamp,
            constant=constant,
            touches=touches,
            carried=carried,
            dated=dated,
        )
        self.table, self.source, self.written = table, source or table, Written()
        self.stage = Stage(table, **self.sync, unique=unique, order=order, source=source) if bulk else None

    def add(self, new: pl.DataFrame, firms: Firms, stored: pl.DataFrame | None = None) -> None:
        """`firms`: a selection holding at least `new`'s firms (the stored rows of the row path are read
        for it); `stored`: those stored rows when the caller has read them already."""
        if self.stage is not None:
            self.stage.add(new)
            return
        if stored is None:
            stored = self.stored(new, firms)
        self.written += sync(self.table, new, stored, **self.sync)

    def stored(self, new: pl.DataFrame, firms: Firms) -> pl.DataFrame:
        values = [*self.sync["result"], *self.sync["bookkeeping"], *self.sync["carried"]]
        return stored_rows(
            self.source,
            self.sync["key"],
            {c: new.schema[c] for c in values},
            self.sync["constant"] or {},
            firms,
            self.sync["dated"],
        )

    def finish(self) -> Written:
        return self.written if self.stage is None else self.stage.apply()


def _snapshot_writer(policy, as_of: date, now, bulk: bool) -> _Writer:
    """The policy's snapshots as of `as_of`, written where the result differs from the firm's latest snapshot
    of the date or before (a row of the date: rewritten; of an earlier date: a row of this date inserted
    beside it, the earlier one stays). A snapshot whose result is
    the same but whose firm's facts revision changed is touched: counted, and its revision written once
    for the firm's four snapshots by `_facts_writer` (which must write after the snapshot writers compared)."""
    snapshots, facts = EvaluationSnapshot._meta.db_table, EvaluatedFacts._meta.db_table
    stored = ", ".join(f"s.{c}" for c in ("id", "enterprise_id", "policy", "as_of", *SNAPSHOT_RESULT))
    return _Writer(
        snapshots,
        bulk=bulk,
        key="enterprise_id",
        result=list(SNAPSHOT_RESULT),
        bookkeeping=("facts_revision",),
        stamp={"evaluated_at": now},
        constant={"policy": policy.name, "as_of": as_of},
        unique=["enterprise_id", "policy", "as_of"],
        source=f"(SELECT {stored}, f.facts_revision FROM {snapshots} s LEFT JOIN {facts} f "
        "ON f.enterprise_id = s.enterprise_id AND f.as_of = s.as_of)",
        touches=False,
        dated="as_of",
    )


def _facts_writer(as_of: date, now, bulk: bool) -> _Writer:
    """The firms' facts revisions as of `as_of` (one row per firm for its four snapshots), written where they
    differ from the firm's latest of the date or before (as the snapshots): an import that changes figures but
    no verdict writes these narrow rows only."""
    return _Writer(
        EvaluatedFacts._meta.db_table,
        bulk=bulk,
        key="enterprise_id",
        result=["facts_revision", "results_digest"],
        stamp={"evaluated_at": now},
        constant={"as_of": as_of},
        unique=["enterprise_id", "as_of"],
        dated="as_of",
    )


REVISION_SCHEMA = {"facts_revision": pl.String, "results_digest": pl.Int64}


def _settled(revision: pl.DataFrame, stored: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, Written]:
    """Split a slice's firms by their stored results digest (`stored`: the slice's stored revision rows):
    (the ids of the firms whose four snapshots may have changed, those firms' new revision rows to write
    (revision or digest changed)). A firm whose stored digest is the new one has its four snapshots stored
    as they would be written (`ledger.digest`): they are not built, staged nor compared; they are counted
    (touched when the facts revision changed, else unchanged: `Written`, as the writers would count them)."""
    joined = revision.join(stored, on="enterprise_id", how="left", suffix="__old")
    same = (
        pl.col("results_digest").eq_missing(pl.col("results_digest__old"))
        & pl.col("results_digest__old").is_not_null()
    )
    same_revision = pl.col("facts_revision").eq_missing(pl.col("facts_revision__old"))
    changed = joined.filter(~same).select("enterprise_id")
    write = joined.filter(~(same & same_revision)).select(revision.columns)
    settled = joined.filter(same).select(same_revision.alias("same")).get_column("same")
    kept = int(settled.sum())
    return changed, write, Written(touched=4 * (settled.len() - kept), unchanged=4 * kept)


def _listed(ids: pl.DataFrame, firms: Firms, height: int) -> Firms:
    """A selection holding the firms `ids` of the slice `firms` (of `height` firms), for reading their stored
    rows: the ids themselves where the database takes them in one query, else the slice."""
    if ids.height == height or (connection.vendor != "postgresql" and ids.height > SQLITE_LISTED):
        return firms
    return ids.get_column("enterprise_id").to_list(), None


def _snapshots(rows: pl.DataFrame, policy) -> pl.DataFrame:
    return rows.select(
        "enterprise_id",
        *[c for c in SNAPSHOT_RESULT if c not in ("engine_version", "param_hash")],
        pl.lit(ENGINE_VERSION).alias("engine_version"),
        pl.lit(policy.param_hash).alias("param_hash"),
        "facts_revision",
    ).cast(SNAPSHOT_RESULT)


def _entry_writer(now, as_of: date, bulk: bool) -> _Writer:
    """The ledger's current rows of the firms evaluated, written where they changed; a first run's rows
    go in the order of the name-ordered indexes (eight of the fourteen), which then grow at their ends. Each
    written row carries its digest (`_entries_to_write`), written with it and not compared: an entry
    without one (written before migration 0011) or with a stale one (renamed by `names.follow_renames`, or
    after a change of the digest's definition) is compared in full once; if its values are the same, its digest
    alone is written (`store.sync`'s carried columns), so the next run sets it aside."""
    return _Writer(
        LedgerEntry._meta.db_table,
        bulk=bulk,
        key="enterprise_id",
        result=list(ENTRY_RESULT),
        carried=("results_digest",),
        # The date is the evaluation's that wrote the row, not compared: a run on a new date writes the
        # entries whose values changed only (the others were evaluated so then, and hold).
        stamp={"updated_at": now, "as_of": as_of},
        unique=["enterprise_id"],
        order=("name_pinyin", "enterprise_id"),
    )


ENTRY_DIGEST = "ledger-entry/2"  # the entries' digest (`digest.rows_digests` of ENTRY_RESULT, in order)


def _entries_to_write(rows: pl.DataFrame, stored: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A slice's entry rows with their digest, split by their stored digest (`stored`): (the rows to write,
    and of those stored as they are (not staged nor compared) the columns the tally counts, with their stored
    date as `as_of`). The join is of the digests alone: the rows' names are not copied."""
    rows = rows.with_columns(rows_digests(rows, list(ENTRY_RESULT), ENTRY_DIGEST))
    stored = (
        rows.select("enterprise_id", "results_digest")
        .join(stored, on="enterprise_id", how="left", maintain_order="left")
        .select(
            (pl.col("results_digest") == pl.col("stored_digest")).fill_null(False).alias("same"),
            pl.col("stored_as_of").alias("as_of"),
        )
    )
    same = stored.get_column("same")
    kept = rows.select(tally.COUNTED).with_columns(stored.get_column("as_of")).filter(same)
    return rows.filter(~same), kept


def _entries(
    results: dict[str, pl.DataFrame],
    ledger_facts: pl.DataFrame,
    ledger_table: pl.DataFrame,
    registry: pl.DataFrame,
) -> pl.DataFrame:
    """The ledger rows of a slice's firms (`registry`: their columns in the register; the name and its pinyin
    key are the register's: `Enterprise.save`, the loaders and the imports keep `name_pinyin` the key of the
    name, as `names.follow_renames` copies)."""
    out = ledger_table.select("enterprise_id", "grade")
    for other, how in (
        (results["hte"].select("enterprise_id", pl.col("outcome").alias("hte_outcome")), "inner"),
        (results["tech_sme"].select("enterprise_id", pl.col("eligible").alias("tech_sme_eligible")), "inner"),
        (results["pool"].select("enterprise_id", pl.col("eligible").alias("pool_eligible")), "inner"),
        (
            ledger_facts.select(
                "enterprise_id", "has_hte_certificate", "tech_sme_registered", "hte_hard_failed"
            ),
            "left",
        ),
        (registry, "inner"),
    ):
        out = _beside(out, other, how)
    return (
        out.with_columns(
            pl.col("has_hte_certificate").fill_null(False),
            pl.col("tech_sme_registered").fill_null(False),
        )
        .select("enterprise_id", *ENTRY_RESULT)
        .cast(ENTRY_RESULT)
    )


def _beside(base: pl.DataFrame, other: pl.DataFrame, how: str) -> pl.DataFrame:
    """`base` joined with `other` on the firm (`how`: "inner" or "left"; one row per firm in each): where
    both hold the same firms in the same order (a slice's tables: the evaluation keeps its input's rows),
    `other`'s columns are set beside `base`'s without a join (the same frame; a slice's joins were 0.8 s of
    CPU per 500,000 firms)."""
    if base.get_column("enterprise_id").equals(other.get_column("enterprise_id")):
        return base.hstack(other.drop("enterprise_id"))
    return base.join(other, on="enterprise_id", how=how)


REGISTER_COLUMNS = (
    "city_id",
    "county_id",
    "tech_field_id",
    "in_hitech_zone",
    "hitech_zone_id",
    "name",
    "name_pinyin",
)
# the ledger's columns of a firm, from the register (`_entries`)
FIRM_COLUMNS = {"enterprise_id": pl.Int64, **{c: ENTRY_RESULT[c] for c in REGISTER_COLUMNS}}


@dataclass(frozen=True)
class _SliceReads:
    """Everything a slice's evaluation reads from the database, read before it is evaluated (so that the next
    slice's reads can run while this one is evaluated: `_read_ahead`)."""

    facts: pl.DataFrame  # facts_table
    registered: pl.DataFrame  # (enterprise_id): the firms in the tech-SME register on the date
    registry: pl.DataFrame  # FIRM_COLUMNS
    revisions: pl.DataFrame  # the stored facts revisions and results digests of the date
    entry_digests: pl.DataFrame  # (enterprise_id, stored_digest, stored_as_of) of the stored ledger entries


def _entry_digests(firms: Firms, bulk: bool) -> pl.DataFrame:
    """(enterprise_id, stored_digest, stored_as_of) of the stored ledger entries of a selection (`None, None`:
    all)."""
    by_firm, params = firms_clause("enterprise_id", *firms)
    return read_frame(
        f"SELECT enterprise_id, results_digest, as_of FROM {LedgerEntry._meta.db_table} "
        f"WHERE results_digest IS NOT NULL{by_firm}",
        params,
        {"enterprise_id": pl.Int64, "stored_digest": pl.Int64, "stored_as_of": pl.Date},
        bulk=bulk,
    )


def _entry_dates(ids: list[int], bulk: bool) -> pl.DataFrame:
    """(enterprise_id, as_of) of the stored entries of these firms (written by the run: each has its digest)."""
    step = len(ids) if connection.vendor == "postgresql" else SQLITE_LISTED
    frames = [_entry_digests((ids[i : i + step], None), bulk) for i in range(0, len(ids), max(step, 1))]
    return pl.concat(frames).select("enterprise_id", pl.col("stored_as_of").alias("as_of"))


def _read_slice(
    as_of: date, firms: Firms, bulk: bool, entry_digests: Callable[[], pl.DataFrame | None] = lambda: None
) -> _SliceReads:
    """The register's rows are read once for the facts, the ledger's columns and the tech-SME register.
    `entry_digests`: gives every stored entry's digest where a run over the whole registry reads them once
    (called last: it may wait for that read), else None. The entries lie in name order: a slice's firm range
    is read off its index at random, 6 s of server time in all at 4,000,000 firms against about 1 s for one
    sequential read."""
    where, params = firms_clause("id", *firms)
    by_firm, firm_params = firms_clause("t.enterprise_id", *firms)
    # Each column once (a fact named after another column of the register is that column, renamed).
    types = {**FIRM_FACT_TYPES, **FIRM_COLUMNS}
    named = {**FIRM_FACTS, **{c: c for c in REGISTER_COLUMNS}}
    columns = {column: name for name, column in named.items()}  # column -> the name it is read as
    register = read_frame(
        f"SELECT {', '.join(columns)}, tech_sme_valid_until >= %s FROM {Enterprise._meta.db_table} "
        f"WHERE 1 = 1{where}",
        [as_of, *params],
        {**{name: types[name] for name in columns.values()}, "registered": pl.Boolean},
        bulk=bulk,
    ).with_columns(
        pl.col(columns[column]).alias(name) for name, column in FIRM_FACTS.items() if columns[column] != name
    )
    return _SliceReads(
        facts=facts_table(as_of, firms[0], bulk=bulk, span=firms[1], firms=register),
        registered=register.filter(pl.col("registered")).select("enterprise_id"),
        registry=register.select(list(FIRM_COLUMNS)).with_columns(pl.col("in_hitech_zone").fill_null(False)),
        revisions=read_frame(
            *latest_rows(
                EvaluatedFacts._meta.db_table,
                "enterprise_id",
                ["id", "enterprise_id", "facts_revision", "results_digest", "as_of"],
                "as_of",
                as_of,
                by_firm,
                firm_params,
            ),
            {"id": pl.Int64, "enterprise_id": pl.Int64, **REVISION_SCHEMA, "as_of": pl.Date},
            bulk=bulk,
        ),
        entry_digests=_entry_digests(firms, bulk)
        if (stored := entry_digests()) is None
        else stored.filter(pl.col("enterprise_id").is_between(*firms[1])),
    )


def _read_ahead(
    read: Callable[[Firms, Callable[[], pl.DataFrame | None]], _SliceReads],
    slices: list[Firms],
    readers: int,
    whole: Callable[[], pl.DataFrame] | None = None,
):
    """(firms, reads) of each slice in order. `readers` > 0: the slices are read ahead by that many threads
    (each query on a free connection of the shared snapshot: ADBC's decoding and the server's work of two
    slices at once) while the caller evaluates the slice before; else each slice when it is needed. A
    slice's reads are one statement after another: with one thread ahead, the reads were the critical path
    (the next slice not read when this one was evaluated). `whole`: a read the slices share (every entry's
    digest), read once, first, beside the first slice; `read(firms, shared)` gets it by calling `shared`."""
    if not readers or len(slices) < 2:
        value = whole() if whole else None
        for firms in slices:
            yield firms, read(firms, lambda: value)
        return

    def there(call, *args):
        try:
            return call(*args)
        finally:
            connections.close_all()  # none is opened there (every read is the shared snapshot's); if one was

    upcoming, pending = iter(slices), deque()
    with ThreadPoolExecutor(max_workers=readers, thread_name_prefix="gaoqi-read") as pool:
        shared = pool.submit(contextvars.copy_context().run, there, whole) if whole else None
        value = shared.result if shared else (lambda: None)

        def submit() -> None:
            firms = next(upcoming, None)
            if firms is not None:
                future = pool.submit(contextvars.copy_context().run, there, read, firms, value)
                pending.append((firms, future))

        for _ in range(readers):
            submit()
        try:
            while pending:
                firms, future = pending.popleft()
                data = future.result()
                submit()
                yield firms, data
        finally:
            for _, future in pending:
                future.cancel()


def _slices(enterprise_ids: list[int] | None, size: int, bulk: bool) -> tuple[list[Firms], int]:
    """The firms in slices of `size` (and the number of firms): id ranges of the whole registry, or the
    listed ids in order."""
    if enterprise_ids is None:
        ent = Enterprise._meta.db_table
        ids = read_frame(f"SELECT id FROM {ent} ORDER BY id", [], {"id": pl.Int64}, bulk=bulk)
        ids = ids.get_column("id")
        ends = [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
        return [(None, span) for span in ends], len(ids)
    listed = sorted(set(enterprise_ids))
    if connection.vendor != "postgresql":
        size = min(size, SQLITE_LISTED)
    return [(listed[i : i + size], None) for i in range(0, len(listed), size)], len(listed)


def reevaluate(
    *,
    as_of: date,
    enterprise_ids: list[int] | None = None,
    progress: Progress | None = None,
    bulk: bool | None = None,
    slice_size: int | None = None,
    region: str | None = None,
) -> ReevaluationResult:
    """Evaluate the firms (all when `enterprise_ids` is None) as of `as_of` and store their snapshots.

    In slices of `slice_size` firms (default `GAOQI_REEVALUATE_SLICE`), each read, evaluated and handed to
    the writers before the next is read: the memory is one slice's, the result the same. One transaction.
    `bulk`: the PostgreSQL bulk path (COPY in and out, one upsert per table); by default on PostgreSQL.
    `region`: the listed firms are every firm of this region (a region's run). A run over every firm or a
    region's is recorded (`LedgerRun`): the ledger's evaluation date there, though only what changed is written."""
    if bulk is None:
        bulk = connection.vendor == "postgresql"
    if bulk and connection.vendor != "postgresql":
        raise ValueError("the bulk re-evaluation path needs PostgreSQL")
    size = slice_size or settings.GAOQI_REEVALUATE_SLICE
    policies = [load_policy(name, as_of) for name in ENTERPRISE_POLICIES]
    ledger = load_policy(LEDGER_POLICY, as_of)
    if progress:
        progress(0, 1, _("读取企业数据"))
    now = timezone.now()
    grades = []
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One re-evaluation at a time (SQLite: its write transaction already is): a run over every firm
            # counts the tally from what its snapshot saw and stamps it with the ledger's latest write, which
            # another run's entries, committed meanwhile, would also carry (`tally.Counts`).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REEVALUATION_LOCK])
        if bulk:
            # The writes' statements are not compiled either (as the reads: store._SnapshotReader): at
            # 4,000,000 firms each staged comparison cost enough to be compiled, about 0.5 s of the server's
            # time for a statement run once.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        # The slices are read through the shared snapshot's connections (on PostgreSQL), closed before the
        # writes: their transactions hold the read tables' share locks, which a write dropping an index waits for.
        with shared_snapshot() if bulk else nullcontext(0) as reads_shared:
            slices, n = _slices(enterprise_ids, size, bulk)
            total = n * (len(policies) + 1)
            # The bulk path writes after the last slice: the slices are the first half of the progress.
            share = 0.5 if bulk else 1.0
            writers = [_snapshot_writer(p, as_of, now, bulk) for p in [*policies, ledger]]
            revisions = _facts_writer(as_of, now, bulk)
            entries = _entry_writer(now, as_of, bulk)
            done = evaluated = 0
            settled = Written()  # the snapshots of firms whose results digest is unchanged: not compared
            entries_same = 0  # the entries whose digest is unchanged: not compared
            whole = partial(_entry_digests, (None, None), bulk) if enterprise_ids is None else None
            # A run over every firm counts the ledger's tally as it goes (tally.Counts)
            counts = tally.Counts() if enterprise_ids is None else None

            def read(firms: Firms, shared: Callable[[], pl.DataFrame | None]) -> _SliceReads:
                return _read_slice(as_of, firms, bulk, shared)

            for k, (firms, data) in enumerate(_read_ahead(read, slices, reads_shared, whole), 1):
                if progress:
                    progress(done, total, _("第 %(k)s/%(m)s 批企业：读取、评价") % {"k": k, "m": len(slices)})
                facts = data.facts
                results = evaluate_tables(facts, policies, as_of, keep=("enterprise_id",))
                ledger_facts = _ledger_facts(facts, results, data.registered)
                ledger_table = evaluate_table(ledger_facts, ledger, as_of, keep=("enterprise_id",))
                tables = [(results[p.name], p) for p in policies] + [(ledger_table, ledger)]
                revision = facts_revisions(facts).join(
                    results_digests(tables, ENGINE_VERSION), on="enterprise_id", how="left"
                )
                changed, write, counted = _settled(revision, data.revisions)
                settled += counted
                if changed.height:
                    subset = _listed(changed, firms, facts.height)
                    for writer, (table, policy) in zip(writers, tables, strict=True):
                        if changed.height < facts.height:
                            table = table.join(changed, on="enterprise_id", how="semi")
                        writer.add(_snapshots(_rows(table, policy, revision, now), policy), subset)
                if write.height:  # after the snapshot writers: they compare with the stored revision
                    revisions.add(write, firms, stored=data.revisions)
                rows, same = _entries_to_write(
                    _entries(results, ledger_facts, ledger_table, data.registry), data.entry_digests
                )
                entries_same += same.height
                if counts is not None:
                    counts.add(same)
                    counts.add_written(rows)
                if rows.height:
                    entries.add(rows, _listed(rows.select("enterprise_id"), firms, facts.height))
                grades.append(ledger_table.group_by("grade").len())
                evaluated += facts.height
                done = int(evaluated * (len(policies) + 1) * share)
                del data, facts, results, ledger_facts, ledger_table, revision, tables
        written = settled
        for writer, policy in zip(writers, [*policies, ledger], strict=True):
            if progress:
                progress(done, total, _("保存 %(policy)s 评价结果") % {"policy": policy.title_zh})
            written += writer.finish()
            if bulk:
                done += int(total * (1 - share) / (len(writers) + 1))
        facts_written = revisions.finish()
        if progress:
            progress(done, total, _("保存台账"))
        stored = entries.finish() + Written(unchanged=entries_same)
        if counts is not None and counts.complete:
            counts.write(partial(_entry_dates, bulk=bulk))  # else the callers' tally.refresh() rebuilds it
        if enterprise_ids is None or region is not None:
            LedgerRun.objects.create(
                as_of=as_of, region_id=region, firms=evaluated, finished_at=timezone.now()
            )
        if progress:
            progress(total, total, _("保存台账"))
        by_grade = {
            g or "-": c
            for g, c in pl.concat([pl.DataFrame(schema={"grade": pl.String, "len": pl.UInt32}), *grades])
            .group_by("grade")
            .agg(pl.col("len").sum())
            .sort("grade")
            .iter_rows()
        }
        audit_record_many(
            [
                PendingEvent(
                    actor=None,
                    action=AuditAction.UPDATE,
                    target_type="ledger.reevaluation",
                    target_id=as_of.isoformat(),
                    new={
                        "as_of": as_of,
                        "firms": evaluated,
                        "snapshots": {
                            "inserted": written.inserted,
                            "rewritten": written.rewritten,
                            "touched": written.touched,
                            "unchanged": written.unchanged,
                        },
                        "entries": {
                            "inserted": stored.inserted,
                            "rewritten": stored.rewritten,
                            "unchanged": stored.unchanged,
                        },
                        "by_grade": by_grade,
                        "scope": "all" if enterprise_ids is None else f"{len(enterprise_ids)} firms",
                        "slices": len(slices),
                        "path": "postgresql-bulk" if bulk else "rows",
                    },
                    reason="重新评价（评价快照与台账）",
                )
            ]
        )
    big = [
        model._meta.db_table
        for model, w in (
            (EvaluationSnapshot, written),
            (EvaluatedFacts, facts_written),
            (LedgerEntry, stored),
        )
        if w.inserted + w.rewritten >= store.BIG_WRITE
    ]
    if bulk and outermost and big:
        if progress:
            progress(total, total, _("整理台账表"))
        for table in big:
            _vacuum(table)
    return ReevaluationResult(as_of, evaluated, evaluated * (len(policies) + 1), by_grade, written, stored)


def _vacuum(table: str) -> None:
    """PostgreSQL, after a committed re-evaluation that wrote many rows of a table (a first run; a new
    reporting year, or the first run after the entries' digest changed): their old versions cleared, their
    hint bits and the visibility map set now, not whenever autovacuum (throttled, or off) gets to it. Until
    then a name search reads the ledger's dead versions too: the bitmap of 智能's matches held 685,000 entries
    instead of 461,000 and the summary's count read 97,000 pages, 648 ms, at 4,000,000 firms after a rewrite
    of every entry (110 ms vacuumed); and the next daily run, the first to read the 4 M new facts revisions
    and 16 M snapshots, set their hint bits itself: 71 s against 57-60 s once vacuumed (session 12, before
    its other changes). Outside the job's transaction (VACUUM cannot run in one)."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {table}")


def reevaluate_region(*, region: str, as_of: str, progress: Progress | None = None) -> dict:
    """The background job's entry point: re-evaluate the firms of a region (a GB/T 2260 code: province, city
    or county) as of an ISO date; returns the job's summary."""
    ids, of_region = None, None
    if not region.endswith("0000"):
        field = "city_id" if region.endswith("00") else "county_id"
        ids = list(Enterprise.objects.filter(**{field: region}).values_list("pk", flat=True))
        of_region = region
    result = reevaluate(
        as_of=date.fromisoformat(as_of), enterprise_ids=ids, progress=progress, region=of_region
    )
    tally.refresh()  # the ledger summary's materialised counts (tally.py), as `gaoqi reevaluate` does
    grades = "，".join(f"{g} {n}" for g, n in result.by_grade.items())
    return {"summary": f"{result.firms} 家企业已重新评价（{result.as_of}）：{grades}", "url": "/ledger/"}
