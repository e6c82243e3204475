"""Evaluation results of a whole file as one Polars table per policy, and their JSON-lines form.

`ResultSet` holds, for each policy, the bulk output (`batch.evaluate_table`) joined with the input's
row numbers and names, the rows that could not be read or evaluated (with errors), and optionally the
per-firm `Evaluation`s (detail "full"). Writers (jsonl / csv / xlsx) read from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from gaoqi.policy.core.model import ENGINE_VERSION, Evaluation, Policy
from gaoqi.policy.template.read import RowError


@dataclass
class PolicyResult:
    policy: Policy
    table: pl.DataFrame  # one row per evaluated input row: _row, credit_code, name, results, criteria
    errors: dict[int, list[RowError]]  # input row -> errors (read errors and this policy's validation)
    evaluations: dict[int, Evaluation] = field(default_factory=dict)  # detail "full" only

    def criterion_ids(self) -> list[str]:
        return list(self.policy.criteria)


@dataclass
class ResultSet:
    as_of: date
    detail: str  # "full" (per-firm explanations and gaps) or "summary" (bulk columns, no gaps)
    results: list[PolicyResult]
    rows: list[int]  # every input row number, in order
    names: dict[int, tuple[str | None, str | None]]  # row -> (credit_code, name) as far as readable

    @property
    def failed_rows(self) -> set[int]:
        return {r for res in self.results for r in res.errors}


def _json_list(items: list[pl.Expr]) -> pl.Expr:
    """A JSON array text from JSON texts (Polars' list-of-struct building is ~100x slower)."""
    parts: list[pl.Expr] = [pl.lit("[")]
    for i, item in enumerate(items):
        parts += [pl.lit(","), item] if i else [item]
    return pl.concat_str([*parts, pl.lit("]")])


def _criteria_json(res: PolicyResult) -> pl.Expr:
    return criteria_json(set(res.table.columns), list(res.policy.criteria))


def criteria_json(cols: set[str], criterion_ids: list[str]) -> pl.Expr:
    """The bulk criterion columns as a JSON list of compact objects: `id` plus those of `passed`,
    `points_min`, `points_max`, `value`, `band` that the criterion has (a key that is absent does not
    apply to it; `--detail full` gives every key). Labels and citations are per policy, not per row:
    repeating them on every row made the output of a 100,000-row file 1 GB."""
    items = []
    for cid in criterion_ids:
        fields = [pl.lit(cid).alias("id")]
        if f"{cid}__passed" in cols:
            fields.append(pl.col(f"{cid}__passed").alias("passed"))
        if f"{cid}__points" in cols:
            fields += [
                pl.col(f"{cid}__points").alias("points_min"),
                pl.col(f"{cid}__points").alias("points_max"),
            ]
        elif f"{cid}__points_min" in cols:
            fields += [
                pl.col(f"{cid}__points_min").alias("points_min"),
                pl.col(f"{cid}__points_max").alias("points_max"),
            ]
        if f"{cid}__value" in cols:
            fields.append(pl.col(f"{cid}__value").alias("value"))
        if f"{cid}__band" in cols:
            fields.append(pl.col(f"{cid}__band").alias("band"))
        items.append(pl.struct(fields).struct.json_encode())
    return _json_list(items)


def summary_lines(rs: ResultSet, index: int) -> pl.DataFrame:
    """(row, _p, line): the JSON line of every row of one policy, evaluated rows built by Polars."""
    res = rs.results[index]
    t = res.table.filter(pl.col("errors").is_null())
    head = pl.struct(
        pl.col("_row").alias("row"),
        pl.col("credit_code"),
        pl.col("name"),
        pl.lit(res.policy.name).alias("policy"),
        pl.lit(res.policy.version).alias("policy_version"),
        pl.lit(rs.as_of.isoformat()).alias("as_of"),
        pl.col("outcome"),
        pl.col("eligible"),
        pl.col("score"),
        pl.col("score_min"),
        pl.col("score_max"),
        pl.col("direct_pass_reason"),
    ).struct.json_encode()
    tail = json.dumps(
        {
            "gaps": None,
            "errors": [],
            "detail": "summary",
            "engine_version": ENGINE_VERSION,
            "param_hash": res.policy.param_hash,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    line = pl.concat_str(
        [head.str.head(-1), pl.lit(',"criteria":'), _criteria_json(res), pl.lit("," + tail[1:])]
    )
    good = t.select(pl.col("_row").alias("row"), pl.lit(index).alias("_p"), line.alias("line"))
    rows = sorted(res.errors)
    bad = pl.DataFrame(
        {
            "row": rows,
            "_p": [index] * len(rows),
            "line": [
                json.dumps(error_object(rs, res, r), ensure_ascii=False, separators=(",", ":")) for r in rows
            ],
        },
        schema={"row": pl.Int64, "_p": pl.Int32, "line": pl.String},
    )
    return pl.concat([good.cast({"_p": pl.Int32}), bad])


def summary_table(rs: ResultSet) -> pl.DataFrame:
    """Detail "summary": the JSON line of every row x policy, ordered by row then policy."""
    frames = [summary_lines(rs, i) for i in range(len(rs.results))]
    return pl.concat(frames).sort("row", "_p", maintain_order=True).select("line")


def error_object(rs: ResultSet, res: PolicyResult, row: int) -> dict:
    code, name = rs.names.get(row, (None, None))
    return {
        "row": row,
        "credit_code": code,
        "name": name,
        "policy": res.policy.name,
        "outcome": None,
        "eligible": None,
        "score": None,
        "score_min": None,
        "score_max": None,
        "criteria": [],
        "gaps": [],
        "errors": [e.to_dict() for e in res.errors[row]],
    }


def full_object(rs: ResultSet, res: PolicyResult, row: int) -> dict:
    ev = res.evaluations[row]
    out = {"row": row, "name": rs.names.get(row, (None, None))[1], **ev.to_dict(), "detail": "full"}
    out["errors"] = []
    return out


def iter_full_lines(rs: ResultSet):
    """Detail "full": one JSON text per input row per policy from the per-firm evaluations."""
    for row in rs.rows:
        for res in rs.results:
            obj = error_object(rs, res, row) if row in res.errors else full_object(rs, res, row)
            yield json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
