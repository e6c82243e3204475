"""Re-evaluation: every firm (or some) under the enterprise policies and the ledger tiers, with the bulk engine,
stored as evaluation snapshots. The only writer of `EvaluationSnapshot`.

The flow is the platform's: registry facts (`ledger.facts.facts_table`) -> tech_sme, hte, pool in one
bulk pass -> their verdicts become the ledger facts -> ledger_tier -> snapshots, replaced per (firm, policy,
date) in one transaction. Long: takes a `progress(done, total, message)` callback (a job or a CLI bar).

Two ways of moving the rows, one result: on SQLite (and with `bulk=False`) rows go through Python (`store.sync`
after reading the stored rows); on PostgreSQL the bulk path reads with COPY and writes through a staging table
and one upsert per table that skips unchanged rows (`store.copy_frame`, `store.sync_in_database`), for a
province's millions of firms. A test holds the two paths' rows equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import PendingEvent, audit_record_many
from gaoqi.ledger.facts import SCHEMA, facts_table
from gaoqi.ledger.models import EvaluationSnapshot, LedgerEntry
from gaoqi.ledger.pinyin import sort_keys
from gaoqi.ledger.store import Written, read_frame, stored_rows, sync, sync_in_database
from gaoqi.policy import ENGINE_VERSION, ENTERPRISE_POLICIES, RULES, load_policy
from gaoqi.policy.bulk.plan import evaluate_table, evaluate_tables
from gaoqi.policy.policies.ledger_tier.facts import LedgerFacts
from gaoqi.registry.models import Enterprise

LEDGER_POLICY = "ledger_tier"
BATCH = 5_000
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
    facts: pl.DataFrame, results: dict[str, pl.DataFrame], as_of: date, bulk: bool = False
) -> pl.DataFrame:
    hard = RULES["hte"].groups["hard"]
    hte = results["hte"].select(
        "enterprise_id",
        pl.when(pl.col("errors").is_null())
        .then(pl.sum_horizontal([(~pl.col(f"{c}__passed")).cast(pl.Int64) for c in hard]))
        .alias("hte_hard_failed"),
    )
    sme = results["tech_sme"].select("enterprise_id", pl.col("eligible").alias("tech_sme_eligible"))
    ent = Enterprise._meta.db_table
    registered = read_frame(
        f"SELECT id FROM {ent} WHERE tech_sme_valid_until >= %s",
        [as_of],
        {"enterprise_id": pl.Int64},
        bulk=bulk,
    )
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
    out = (
        base.join(hte, on="enterprise_id", how="left")
        .join(sme, on="enterprise_id", how="left")
        .join(registered, on="enterprise_id", how="left")
        .with_columns(pl.col("tech_sme_registered").fill_null(False))
    )
    names = [f for f in LedgerFacts.__dataclass_fields__]
    return out.select("enterprise_id", *names)


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
        "outcome",
        "eligible",
        "score",
        "score_min",
        "score_max",
        "grade",
        "direct_pass_reason",
        "errors",
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
    "as_of": pl.Date,
    "grade": pl.String,
    "city_id": pl.String,
    "county_id": pl.String,
    "tech_field_id": pl.String,
    "in_hitech_zone": pl.Boolean,
    "hitech_zone_id": pl.String,
    "name_pinyin": pl.String,
    "has_hte_certificate": pl.Boolean,
    "tech_sme_registered": pl.Boolean,
    "tech_sme_eligible": pl.Boolean,
    "hte_outcome": pl.String,
    "hte_hard_failed": pl.Int64,
    "pool_eligible": pl.Boolean,
}


def _store(
    rows: pl.DataFrame, policy, as_of: date, now, ids: list[int] | None, bulk: bool = False
) -> Written:
    """The policy's snapshots of these firms for `as_of`, written where they changed (`store.sync`, or
    `store.sync_in_database` on the bulk path)."""
    table = EvaluationSnapshot._meta.db_table
    new = rows.select(
        "enterprise_id",
        *[c for c in SNAPSHOT_RESULT if c not in ("engine_version", "param_hash")],
        pl.lit(ENGINE_VERSION).alias("engine_version"),
        pl.lit(policy.param_hash).alias("param_hash"),
        "facts_revision",
    ).cast(SNAPSHOT_RESULT)
    if bulk:
        return sync_in_database(
            table,
            new,
            key="enterprise_id",
            result=list(SNAPSHOT_RESULT),
            bookkeeping=["facts_revision"],
            stamp={"evaluated_at": now},
            constant={"policy": policy.name, "as_of": as_of},
            unique=["enterprise_id", "policy", "as_of"],
        )
    schema = {**SNAPSHOT_RESULT, "facts_revision": pl.String}
    stored = stored_rows(
        table, "enterprise_id", schema, "policy = %s AND as_of = %s", [policy.name, as_of], ids
    )
    return sync(
        table,
        new,
        stored,
        key="enterprise_id",
        result=list(SNAPSHOT_RESULT),
        bookkeeping=["facts_revision"],
        stamp={"evaluated_at": now},
        constant={"policy": policy.name, "as_of": as_of},
    )


def _store_entries(
    facts: pl.DataFrame,
    results: dict[str, pl.DataFrame],
    ledger_facts: pl.DataFrame,
    ledger_table: pl.DataFrame,
    as_of: date,
    now,
    ids: list[int] | None,
    bulk: bool = False,
) -> Written:
    """The ledger's current rows of the firms evaluated, written where they changed (the pinyin key follows
    the current name)."""
    ent = Enterprise._meta.db_table
    firm_schema = {
        "enterprise_id": pl.Int64,
        "city_id": pl.String,
        "county_id": pl.String,
        "tech_field_id": pl.String,
        "in_hitech_zone": pl.Boolean,
        "hitech_zone_id": pl.String,
        "name": pl.String,
    }
    cols = ", ".join(["id", *[c for c in firm_schema if c != "enterprise_id"]])
    if ids is None or len(ids) > 50_000:
        firms = read_frame(f"SELECT {cols} FROM {ent}", [], firm_schema, bulk=bulk)
    else:
        firms = pl.concat(
            [pl.DataFrame(schema=firm_schema)]
            + [
                read_frame(
                    f"SELECT {cols} FROM {ent} WHERE id IN ({','.join(['%s'] * len(chunk))})",
                    chunk,
                    firm_schema,
                )
                for chunk in (ids[i : i + BATCH] for i in range(0, len(ids), BATCH))
            ]
        )
    firms = firms.with_columns(
        sort_keys(firms.get_column("name")),
        pl.col("in_hitech_zone").fill_null(False),
    )
    new = (
        ledger_table.select("enterprise_id", "grade")
        .join(
            results["hte"].select("enterprise_id", pl.col("outcome").alias("hte_outcome")), on="enterprise_id"
        )
        .join(
            results["tech_sme"].select("enterprise_id", pl.col("eligible").alias("tech_sme_eligible")),
            on="enterprise_id",
        )
        .join(
            results["pool"].select("enterprise_id", pl.col("eligible").alias("pool_eligible")),
            on="enterprise_id",
        )
        .join(
            ledger_facts.select(
                "enterprise_id", "has_hte_certificate", "tech_sme_registered", "hte_hard_failed"
            ),
            on="enterprise_id",
            how="left",
        )
        .join(firms, on="enterprise_id", how="inner")
        .with_columns(
            pl.lit(as_of).alias("as_of"),
            pl.col("has_hte_certificate").fill_null(False),
            pl.col("tech_sme_registered").fill_null(False),
        )
        .select("enterprise_id", *ENTRY_RESULT)
        .cast(ENTRY_RESULT)
    )
    table = LedgerEntry._meta.db_table
    if bulk:
        return sync_in_database(
            table,
            new,
            key="enterprise_id",
            result=list(ENTRY_RESULT),
            stamp={"updated_at": now},
            unique=["enterprise_id"],
        )
    stored = stored_rows(table, "enterprise_id", ENTRY_RESULT, "1 = 1", [], ids)
    return sync(table, new, stored, key="enterprise_id", result=list(ENTRY_RESULT), stamp={"updated_at": now})


def reevaluate(
    *,
    as_of: date,
    enterprise_ids: list[int] | None = None,
    progress: Progress | None = None,
    bulk: bool | None = None,
) -> ReevaluationResult:
    """Evaluate the firms (all when `enterprise_ids` is None) as of `as_of` and store their snapshots.

    `bulk`: the PostgreSQL bulk path (COPY in and out, one upsert per table); by default on PostgreSQL."""
    if bulk is None:
        bulk = connection.vendor == "postgresql"
    if bulk and connection.vendor != "postgresql":
        raise ValueError("the bulk re-evaluation path needs PostgreSQL")
    policies = [load_policy(name, as_of) for name in ENTERPRISE_POLICIES]
    ledger = load_policy(LEDGER_POLICY, as_of)
    if progress:
        progress(0, 1, "读取企业数据")
    facts = facts_table(as_of, enterprise_ids, bulk=bulk)
    n = facts.height
    total = n * (len(policies) + 1)
    if progress:
        progress(0, total, "批量评价")
    results = evaluate_tables(facts, policies, as_of, keep=("enterprise_id",))
    ledger_facts = _ledger_facts(facts, results, as_of, bulk)
    ledger_table = evaluate_table(ledger_facts, ledger, as_of, keep=("enterprise_id",))
    revision = facts.select(
        "enterprise_id",
        pl.struct([pl.col(c) for c in SCHEMA]).hash(seed=0).cast(pl.String).alias("facts_revision"),
    )
    now = timezone.now()
    ids = None if enterprise_ids is None else facts.get_column("enterprise_id").to_list()
    written = Written()
    with transaction.atomic():
        for k, policy in enumerate([*policies, ledger]):
            table = ledger_table if policy is ledger else results[policy.name]
            written += _store(_rows(table, policy, revision, now), policy, as_of, now, ids, bulk)
            if progress:
                # the ledger entries after the last policy: the last half step
                progress(min(n * (k + 1), total - n // 2), total, f"保存 {policy.title_zh} 评价结果")
        entries = _store_entries(facts, results, ledger_facts, ledger_table, as_of, now, ids, bulk)
        if progress:
            progress(total, total, "保存台账")
        grades = ledger_table.group_by("grade").len().sort("grade")
        by_grade = {g or "-": c for g, c in grades.iter_rows()}
        audit_record_many(
            [
                PendingEvent(
                    actor=None,
                    action=AuditAction.UPDATE,
                    target_type="ledger.reevaluation",
                    target_id=as_of.isoformat(),
                    new={
                        "as_of": as_of,
                        "firms": n,
                        "snapshots": {
                            "inserted": written.inserted,
                            "rewritten": written.rewritten,
                            "touched": written.touched,
                            "unchanged": written.unchanged,
                        },
                        "entries": {
                            "inserted": entries.inserted,
                            "rewritten": entries.rewritten,
                            "unchanged": entries.unchanged,
                        },
                        "by_grade": by_grade,
                        "scope": "all" if enterprise_ids is None else f"{len(enterprise_ids)} firms",
                        "path": "postgresql-bulk" if bulk else "rows",
                    },
                    reason="重新评价（评价快照与台账）",
                )
            ]
        )
    return ReevaluationResult(as_of, n, n * (len(policies) + 1), by_grade, written, entries)


def reevaluate_region(*, region: str, as_of: str, progress: Progress | None = None) -> dict:
    """The background job's entry point: re-evaluate the firms of a region (a GB/T 2260 code: province, city
    or county) as of an ISO date; returns the job's summary."""
    ids = None
    if not region.endswith("0000"):
        field = "city_id" if region.endswith("00") else "county_id"
        ids = list(Enterprise.objects.filter(**{field: region}).values_list("pk", flat=True))
    result = reevaluate(as_of=date.fromisoformat(as_of), enterprise_ids=ids, progress=progress)
    from gaoqi.ledger import tally

    tally.refresh()  # the ledger summary's materialised counts (tally.py), as `gaoqi reevaluate` does
    grades = "，".join(f"{g} {n}" for g, n in result.by_grade.items())
    return {"summary": f"{result.firms} 家企业已重新评价（{result.as_of}）：{grades}", "url": "/ledger/"}
