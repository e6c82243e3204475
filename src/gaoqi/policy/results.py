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

from gaoqi.policy.io_read import RowError
from gaoqi.policy.model import ENGINE_VERSION, Evaluation, Policy

POLICY_ZH = {"tech_sme": "科技型中小企业评价", "hte": "高新技术企业认定", "pool": "高企培育库入库"}


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


def _criteria_struct(res: PolicyResult) -> pl.Expr:
    """The bulk criterion columns as a list of structs {id, label_zh, citation, passed, points, ...}."""
    cols = set(res.table.columns)
    items = []
    for cid, d in res.policy.criteria.items():
        def col(suffix: str, dtype: pl.DataType, cid: str = cid) -> pl.Expr:
            name = f"{cid}__{suffix}"
            return pl.col(name).cast(dtype) if name in cols else pl.lit(None, dtype)

        points = col("points", pl.Int64)
        pmin = pl.coalesce(col("points_min", pl.Int64), points)
        pmax = pl.coalesce(col("points_max", pl.Int64), points)
        items.append(pl.struct(
            pl.lit(cid).alias("id"), pl.lit(d.label_zh).alias("label_zh"), pl.lit(d.citation).alias("citation"),
            col("passed", pl.Boolean).alias("passed"), points.alias("points"), pmin.alias("points_min"),
            pmax.alias("points_max"), col("value", pl.Float64).alias("value"), col("band", pl.String).alias("band"),
        ))
    return pl.concat_list(items).alias("criteria")


def summary_frame(res: PolicyResult, as_of: date) -> pl.DataFrame:
    """JSON-ready rows (bulk path) for the evaluated rows of one policy."""
    t = res.table.filter(pl.col("errors").is_null())
    return t.select(
        pl.col("_row").alias("row"), pl.col("credit_code"), pl.col("name"),
        pl.lit(res.policy.name).alias("policy"), pl.lit(res.policy.version).alias("policy_version"),
        pl.lit(as_of.isoformat()).alias("as_of"), pl.col("outcome"), pl.col("eligible"), pl.col("score"),
        pl.col("score_min"), pl.col("score_max"), pl.col("direct_pass_reason"),
        _criteria_struct(res), pl.lit(None, pl.List(pl.String)).alias("gaps"),
        pl.lit([], dtype=pl.List(pl.String)).alias("errors"),
        pl.lit("summary").alias("detail"), pl.lit(ENGINE_VERSION).alias("engine_version"),
        pl.lit(res.policy.param_hash).alias("param_hash"),
    )


def error_object(rs: ResultSet, res: PolicyResult, row: int) -> dict:
    code, name = rs.names.get(row, (None, None))
    return {"row": row, "credit_code": code, "name": name, "policy": res.policy.name, "outcome": None,
            "eligible": None, "score": None, "score_min": None, "score_max": None, "criteria": [], "gaps": [],
            "errors": [e.to_dict() for e in res.errors[row]]}


def full_object(rs: ResultSet, res: PolicyResult, row: int) -> dict:
    ev = res.evaluations[row]
    out = {"row": row, "name": rs.names.get(row, (None, None))[1], **ev.to_dict(), "detail": "full"}
    out["errors"] = []
    return out


def iter_json_lines(rs: ResultSet):
    """One JSON text per input row per policy, rows in file order, policies in the order asked."""
    if rs.detail == "full":
        for row in rs.rows:
            for res in rs.results:
                obj = error_object(rs, res, row) if row in res.errors else full_object(rs, res, row)
                yield json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        return
    frames = []
    for i, res in enumerate(rs.results):
        frame = summary_frame(res, rs.as_of).with_columns(pl.lit(i).alias("_p"))
        frames.append(frame)
    good = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()
    good = good.sort("row", "_p", maintain_order=True)
    errors = sorted((row, i) for i, res in enumerate(rs.results) for row in res.errors)
    lines = good.drop("_p").write_ndjson().splitlines() if good.height else []
    positions = good.select("row", "_p").iter_rows() if good.height else iter(())
    # merge the (sorted) good lines and error objects by (row, policy index)
    pending = iter(errors)
    nxt = next(pending, None)
    for key, line in zip(positions, lines, strict=True):
        while nxt is not None and nxt < key:
            yield json.dumps(error_object(rs, rs.results[nxt[1]], nxt[0]), ensure_ascii=False, separators=(",", ":"))
            nxt = next(pending, None)
        yield line
    while nxt is not None:
        yield json.dumps(error_object(rs, rs.results[nxt[1]], nxt[0]), ensure_ascii=False, separators=(",", ":"))
        nxt = next(pending, None)
