"""The engine's facts of many firms at once, as a Polars table (the bulk twin of
`registry.selectors.facts_for_policy`, which stays the per-firm source of truth; a test holds them equal).

The merge rule is the registry's (`registry.selectors.FIELD_PRIORITY`): per year and field, the value of the
most trusted department that reported it, ties by the latest import. Not scoped: callers are services run
for the whole registry (re-evaluation jobs); pages read the stored snapshots through scoped selectors.

`bulk=True` (PostgreSQL) reads every query through COPY (`store.copy_frame`) instead of Python rows: the same
frames, for a province's millions of reports.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from gaoqi.ledger.store import firms_clause, read_frame
from gaoqi.policy.bulk.plan import schema_of
from gaoqi.policy.core.facts import EnterpriseFacts
from gaoqi.registry.models import (
    FACT_FIELDS,
    LATEST_YEAR,
    YEARLY_FIELDS,
    YEARS_OF,
    AnnualReport,
    Certificate,
    CertificateKind,
    DataSource,
    Enterprise,
    IntellectualProperty,
    IpClass,
)
from gaoqi.registry.selectors import FIELD_PRIORITY, LATEST_YEAR_FIELDS, THREE_YEAR_TOTALS

SCHEMA = schema_of(EnterpriseFacts)


def _frame(sql: str, params: list, schema: dict[str, pl.DataType], bulk: bool = False) -> pl.DataFrame:
    return read_frame(sql, params, schema, bulk=bulk)


def merged_reports(
    years: list[int],
    enterprise_ids: list[int] | None = None,
    *,
    bulk: bool = False,
    span: tuple[int, int] | None = None,
) -> pl.DataFrame:
    """(enterprise_id, year, <fact fields>): one row per firm and year, merged across departments (of the
    listed firms and/or the id range `span`, or all)."""
    report, source = AnnualReport._meta.db_table, DataSource._meta.db_table
    where, params = firms_clause("r.enterprise_id", enterprise_ids, span)
    cols = ", ".join(f"r.{f}" for f in FACT_FIELDS)
    sql = (
        f"SELECT r.enterprise_id, r.year, r.source_id, {cols} FROM {report} r "
        f"WHERE r.year IN ({','.join(['%s'] * len(years))}){where}"
    )
    types = {f.name: f for f in AnnualReport._meta.fields}
    schema = {"enterprise_id": pl.Int64, "year": pl.Int64, "source_id": pl.Int64}
    for f in FACT_FIELDS:
        schema[f] = pl.Boolean if types[f].get_internal_type() == "BooleanField" else pl.Int64
    # The sources are few: joined here rather than on every report row in the database.
    sources = _frame(
        f"SELECT id, department, imported_at FROM {source}",
        [],
        {"source_id": pl.Int64, "department": pl.String, "imported_at": pl.Datetime},
    )
    raw = _frame(sql, [*years, *params], schema, bulk).join(sources, on="source_id", how="inner")
    keys = ["enterprise_id", "year"]
    if raw.is_empty():
        return pl.DataFrame(schema={**{k: pl.Int64 for k in keys}, **{f: schema[f] for f in FACT_FIELDS}})
    out = None
    by_order: dict[tuple, list[str]] = {}
    for f in FACT_FIELDS:
        by_order.setdefault(tuple(FIELD_PRIORITY[f]), []).append(f)
    for order, fields in by_order.items():
        rank = pl.col("department").replace_strict(
            [str(d) for d in order], list(range(len(order))), default=99
        )
        ranked = raw.with_columns(rank.alias("_rank")).sort(
            ["enterprise_id", "year", "_rank", "imported_at", "source_id"],
            descending=[False, False, False, True, True],
        )
        merged = ranked.group_by(keys, maintain_order=True).agg(pl.col(fields).drop_nulls().first())
        out = merged if out is None else out.join(merged, on=keys, how="full", coalesce=True)
    return out


def facts_table(
    as_of: date,
    enterprise_ids: list[int] | None = None,
    *,
    bulk: bool = False,
    span: tuple[int, int] | None = None,
) -> pl.DataFrame:
    """One row per enterprise: `enterprise_id` plus every EnterpriseFacts column, as facts_for_policy builds
    (the listed firms and/or those of the id range `span` (first, last), or all)."""
    years = {k: as_of.year - 4 + k for k in (1, 2, 3)}
    merged = merged_reports(list(years.values()), enterprise_ids, bulk=bulk, span=span)
    ent = Enterprise._meta.db_table
    where, params = firms_clause("e.id", enterprise_ids, span)
    firms = _frame(
        f"SELECT e.id, e.credit_code, e.name, e.county_id, e.founded_on, e.tech_field_id FROM {ent} e "
        f"WHERE 1=1{where}",
        params,
        {
            "enterprise_id": pl.Int64,
            "credit_code": pl.String,
            "name": pl.String,
            "region_code": pl.String,
            "founded_on": pl.Date,
            "tech_field": pl.String,
        },
        bulk,
    )
    columns = [pl.col("enterprise_id")]
    for stem in YEARLY_FIELDS:
        for k, year in years.items():
            if k not in YEARS_OF[stem]:
                continue
            columns.append(pl.col(stem).filter(pl.col("year") == year).first().alias(f"{stem}_y{k}"))
    for f in LATEST_YEAR_FIELDS:
        columns.append(pl.col(f).filter(pl.col("year") == years[LATEST_YEAR]).first().alias(f))
    for f in THREE_YEAR_TOTALS:
        columns.append(pl.when(pl.col(f).is_not_null().any()).then(pl.col(f).sum()).alias(f))
    wide = merged.group_by("enterprise_id").agg(columns[1:]) if merged.height else None
    table = firms if wide is None else firms.join(wide, on="enterprise_id", how="left")
    held = _held(as_of, enterprise_ids, bulk, span)
    table = table.join(held, on="enterprise_id", how="left").with_columns(
        pl.col("has_hte_certificate").fill_null(False)
    )
    missing = [pl.lit(None, dt).alias(n) for n, dt in SCHEMA.items() if n not in table.columns]
    return table.with_columns(missing).select(
        "enterprise_id", *[pl.col(n).cast(dt) for n, dt in SCHEMA.items()]
    )


def _held(
    as_of: date, enterprise_ids: list[int] | None, bulk: bool = False, span: tuple[int, int] | None = None
) -> pl.DataFrame:
    """Per enterprise: a valid HTE certificate on as_of; class II IP valid on as_of used in an HTE application
    (None when the registry holds no IP item of the firm), as `registry.selectors._held_elsewhere`."""
    cert, ip = Certificate._meta.db_table, IntellectualProperty._meta.db_table
    where_c, params_c = firms_clause("enterprise_id", enterprise_ids, span)
    hte = _frame(
        f"SELECT DISTINCT enterprise_id FROM {cert} WHERE kind = %s AND issued_on <= %s AND expires_on >= %s"
        f" AND (ended_on IS NULL OR ended_on > %s){where_c}",  # registry.models.certificate_valid_q
        [CertificateKind.HTE, as_of, as_of, as_of, *params_c],
        {"enterprise_id": pl.Int64},
        bulk,
    ).with_columns(pl.lit(True).alias("has_hte_certificate"))
    items = _frame(
        f"SELECT enterprise_id, SUM(CASE WHEN ip_class = %s AND used_in_hte_application = %s AND granted_on <= %s "
        f"AND (expires_on IS NULL OR expires_on >= %s) THEN 1 ELSE 0 END) FROM {ip} WHERE 1=1{where_c} "
        f"GROUP BY enterprise_id",
        [IpClass.CLASS2, True, as_of, as_of, *params_c],
        {"enterprise_id": pl.Int64, "ip_class2_used": pl.Int64},
        bulk,
    )
    return hte.join(items, on="enterprise_id", how="full", coalesce=True)
