"""Re-evaluation: every firm (or some) under the enterprise policies and the ledger tiers, with the bulk engine,
stored as evaluation snapshots. The only writer of `EvaluationSnapshot`.

The flow is the platform's: registry facts (`ledger.facts.facts_table`) -> tech_sme, hte, pool in one
bulk pass -> their verdicts become the ledger facts -> ledger_tier -> snapshots, replaced per (firm, policy,
date) in one transaction. Long: takes a `progress(done, total, message)` callback (a job or a CLI bar).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from gaoqi.ledger.facts import SCHEMA, facts_table
from gaoqi.ledger.models import EvaluationSnapshot, LedgerEntry
from gaoqi.ledger.pinyin import sort_key
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


def _ledger_facts(facts: pl.DataFrame, results: dict[str, pl.DataFrame], as_of: date) -> pl.DataFrame:
    hard = RULES["hte"].groups["hard"]
    hte = results["hte"].select(
        "enterprise_id",
        pl.when(pl.col("errors").is_null())
        .then(pl.sum_horizontal([(~pl.col(f"{c}__passed")).cast(pl.Int64) for c in hard]))
        .alias("hte_hard_failed"),
    )
    sme = results["tech_sme"].select("enterprise_id", pl.col("eligible").alias("tech_sme_eligible"))
    ent = Enterprise._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {ent} WHERE tech_sme_valid_until >= %s", [as_of])
        registered = pl.DataFrame(
            {"enterprise_id": [r[0] for r in cursor.fetchall()]}, schema={"enterprise_id": pl.Int64}
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


def _store(
    rows: pl.DataFrame, policy, as_of: date, now, progress: Progress | None, done: int, total: int
) -> int:
    table = EvaluationSnapshot._meta.db_table
    ids = rows.get_column("enterprise_id").to_list()
    with connection.cursor() as cursor:
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            cursor.execute(
                f"DELETE FROM {table} WHERE policy = %s AND as_of = %s AND enterprise_id IN "
                f"({','.join(['%s'] * len(chunk))})",
                [policy.name, as_of, *chunk],
            )
        columns = (
            "enterprise_id",
            "policy",
            "as_of",
            "outcome",
            "eligible",
            "score",
            "score_min",
            "score_max",
            "grade",
            "direct_pass_reason",
            "errors",
            "criteria_json",
            "engine_version",
            "param_hash",
            "facts_revision",
            "evaluated_at",
        )
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        for start in range(0, rows.height, BATCH):
            part = rows.slice(start, BATCH)
            values = [
                (r[0], r[1], as_of, *r[2:11], ENGINE_VERSION, policy.param_hash, r[11], now)
                for r in part.iter_rows()
            ]
            cursor.executemany(sql, values)
            if progress:
                progress(done + start + part.height, total, f"保存 {policy.title_zh} 评价结果")
    return rows.height


def _store_entries(
    facts: pl.DataFrame,
    results: dict[str, pl.DataFrame],
    ledger_facts: pl.DataFrame,
    ledger_table: pl.DataFrame,
    as_of: date,
    now,
) -> None:
    """The ledger's current rows, replaced for the firms evaluated (the pinyin key follows the current name)."""
    ent = Enterprise._meta.db_table
    table = LedgerEntry._meta.db_table
    ids = facts.get_column("enterprise_id").to_list()
    firms = {}
    with connection.cursor() as cursor:
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            cursor.execute(
                f"SELECT id, city_id, county_id, tech_field_id, in_hitech_zone, hitech_zone_id, name FROM {ent} "
                f"WHERE id IN ({','.join(['%s'] * len(chunk))})",
                chunk,
            )
            firms.update((r[0], r[1:]) for r in cursor.fetchall())
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            cursor.execute(
                f"DELETE FROM {table} WHERE enterprise_id IN ({','.join(['%s'] * len(chunk))})", chunk
            )
        joined = (
            ledger_table.select("enterprise_id", "grade")
            .join(results["hte"].select("enterprise_id", pl.col("outcome").alias("hte")), on="enterprise_id")
            .join(
                results["tech_sme"].select("enterprise_id", pl.col("eligible").alias("sme")),
                on="enterprise_id",
            )
            .join(
                results["pool"].select("enterprise_id", pl.col("eligible").alias("pool")), on="enterprise_id"
            )
            .join(
                ledger_facts.select(
                    "enterprise_id", "has_hte_certificate", "tech_sme_registered", "hte_hard_failed"
                ),
                on="enterprise_id",
                how="left",
            )
        )
        columns = (
            "enterprise_id",
            "as_of",
            "grade",
            "city_id",
            "county_id",
            "tech_field_id",
            "in_hitech_zone",
            "hitech_zone_id",
            "name_pinyin",
            "has_hte_certificate",
            "tech_sme_registered",
            "tech_sme_eligible",
            "hte_outcome",
            "hte_hard_failed",
            "pool_eligible",
            "updated_at",
        )
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        rows = []
        for eid, grade, hte, sme, pool, cert, registered, failed in joined.iter_rows():
            city, county, field, in_zone, zone, name = firms[eid]
            pinyin = sort_key(name)
            rows.append(
                (
                    eid,
                    as_of,
                    grade,
                    city,
                    county,
                    field,
                    bool(in_zone),
                    zone,
                    pinyin,
                    bool(cert),
                    bool(registered),
                    sme,
                    hte,
                    failed,
                    pool,
                    now,
                )
            )
            if len(rows) == BATCH:
                cursor.executemany(sql, rows)
                rows = []
        if rows:
            cursor.executemany(sql, rows)


def reevaluate(
    *, as_of: date, enterprise_ids: list[int] | None = None, progress: Progress | None = None
) -> ReevaluationResult:
    """Evaluate the firms (all when `enterprise_ids` is None) as of `as_of` and store their snapshots."""
    policies = [load_policy(name, as_of) for name in ENTERPRISE_POLICIES]
    ledger = load_policy(LEDGER_POLICY, as_of)
    if progress:
        progress(0, 1, "读取企业数据")
    facts = facts_table(as_of, enterprise_ids)
    n = facts.height
    total = n * (len(policies) + 1)
    if progress:
        progress(0, total, "批量评价")
    results = evaluate_tables(facts, policies, as_of, keep=("enterprise_id",))
    ledger_facts = _ledger_facts(facts, results, as_of)
    ledger_table = evaluate_table(ledger_facts, ledger, as_of, keep=("enterprise_id",))
    revision = facts.select(
        "enterprise_id",
        pl.struct([pl.col(c) for c in SCHEMA]).hash(seed=0).cast(pl.String).alias("facts_revision"),
    )
    now = timezone.now()
    stored = 0
    with transaction.atomic():
        for policy in [*policies, ledger]:
            table = ledger_table if policy is ledger else results[policy.name]
            stored += _store(_rows(table, policy, revision, now), policy, as_of, now, progress, stored, total)
        _store_entries(facts, results, ledger_facts, ledger_table, as_of, now)
    grades = ledger_table.group_by("grade").len().sort("grade")
    return ReevaluationResult(as_of, n, stored, {g or "-": c for g, c in grades.iter_rows()})


def reevaluate_region(*, region: str, as_of: str, progress: Progress | None = None) -> dict:
    """The background job's entry point: re-evaluate the firms of a region (a GB/T 2260 code: province, city
    or county) as of an ISO date; returns the job's summary."""
    ids = None
    if not region.endswith("0000"):
        field = "city_id" if region.endswith("00") else "county_id"
        ids = list(Enterprise.objects.filter(**{field: region}).values_list("pk", flat=True))
    result = reevaluate(as_of=date.fromisoformat(as_of), enterprise_ids=ids, progress=progress)
    grades = "，".join(f"{g} {n}" for g, n in result.by_grade.items())
    return {"summary": f"{result.firms} 家企业已重新评价（{result.as_of}）：{grades}", "url": "/ledger/"}
