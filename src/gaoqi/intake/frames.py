"""The preview of a figures file's plain rows a column at a time (Polars): one bulk read of the registry
per table, joins on firm + year + field, and the staged rows' JSON written by expressions.

A plain row names a registered firm in the officer's scope by its credit code (with the registry's name or
none), has no error, is no duplicate and holds only whole-number yearly figures. For such a row the
per-row `preview.Classifier` would find: "changed" with the figures that differ from this department's
latest value (extras apart), or "unchanged", and the conflicts with other departments' latest values.
This module computes the same, and the staged row it stores is the same, field by field (a test compares
them). Every other row goes through the Classifier, which also takes all rows when any row of the file
lacks a credit code (two rows may then name one firm in two ways).
"""

from __future__ import annotations

import polars as pl
from django.db.models import BooleanField, ExpressionWrapper

from gaoqi.accounts.scope import enterprise_q
from gaoqi.intake.bulk import frame_in
from gaoqi.intake.columns import PlainRows
from gaoqi.intake.models import ExtraFact, RowStatus
from gaoqi.intake.profiles import Profile
from gaoqi.intake.rows import ParsedRow
from gaoqi.intake.targets import EXTRA_FIELDS, TARGETS
from gaoqi.policy.core.facts import Kind
from gaoqi.registry.models import FACT_FIELDS, AnnualReport, DataSource, Enterprise
from gaoqi.registry.selectors import FIELD_PRIORITY

KEYS = ["eid", "year", "field"]
WHOLE_NUMBERS = frozenset({Kind.MONEY, Kind.COUNT, "percent"})  # what a yearly figure parses to: an int


def _text(*parts) -> pl.Expr:
    """JSON text from literal pieces (str) and expressions (numbers as written, names needing no escape)."""
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p.cast(pl.String) for p in parts])


def _joined(
    frame: pl.LazyFrame, keys: list[str], order: list[str] | None = None, **text: pl.Expr
) -> pl.LazyFrame:
    """Per group of `keys`, its rows' texts joined by commas, in the rows' order or, given `order`, sorted by
    those columns within the group (cheaper than sorting the whole frame first; the groups then come in
    no particular order): each row's text made a column at a time first, then listed and joined (a
    `str.join` inside the group-by cost twice as much: the text expression ran per group)."""
    ((name, expr),) = text.items()
    frame = frame.with_columns(expr.alias(name))
    if order is None:
        grouped = frame.group_by(keys, maintain_order=True).agg(pl.col(name))
    else:
        grouped = frame.group_by(keys).agg(pl.col(name).sort_by(order))
    return grouped.with_columns(pl.col(name).list.join(","))


def _candidates(rows: list[ParsedRow]) -> list[ParsedRow]:
    return [r for r in rows if r.credit_code and r.years and not (r.firm or r.item or r.county)]


def preview(
    actor, profile: Profile, rows: list[ParsedRow], columnar: PlainRows | None = None
) -> tuple[pl.DataFrame | None, set[int]]:
    """(the staged columns of the plain rows among `rows` — parsed rows without errors or duplicates — and
    the reader's plain rows `columnar`, and their lines), or (None, empty) when the file is not one for this
    path."""
    if profile.kind != "facts" or any(not r.credit_code for r in rows):
        return None, set()
    if any(TARGETS[n].yearly and TARGETS[n].kind not in WHOLE_NUMBERS for n in profile.columns):
        return None, set()  # a yearly flag: not a whole number
    candidates = _candidates(rows)
    table = columnar.frame if columnar is not None else None
    if not candidates and (table is None or table.is_empty()):
        return None, set()
    codes = {r.credit_code for r in candidates}
    if table is not None:
        codes.update(table["credit_code"].to_list())
    found = _firms(actor, sorted(codes))
    firms = (
        dict(
            zip(
                found["code"],
                zip(found["id"], found["name"], found["in_scope"].fill_null(False), strict=True),
                strict=True,
            )
        )
        if candidates
        else {}
    )
    plain = [
        r
        for r in candidates
        if (f := firms.get(r.credit_code)) is not None and f[2] and (not r.name or r.name == f[1])
    ]
    long, heads = _long(plain, firms), _heads(plain, firms)
    # The figures as the staged values write them ("year":{"field":value,…}): the parsed rows' from their long
    # lines, the reader's plain rows' straight from their figure columns, a row at a time (no group-by).
    values = _joined(
        _joined(
            long.lazy().sort("line", "year", "pos"),
            ["line", "year"],
            figures=_text('"', pl.col("field"), '":', pl.col("new")),
        ),
        ["line"],
        years=_text('"', pl.col("year"), '":{', pl.col("figures"), "}"),
    ).select("line", "years")
    if table is not None and not table.is_empty():
        matched = (
            table.join(found.rename({"name": "registered"}), left_on="credit_code", right_on="code")
            .filter(pl.col("in_scope").fill_null(False))
            .filter((pl.col("name") == "") | (pl.col("name") == pl.col("registered")))
        )
        long = pl.concat([long, _long_columns(matched, columnar.figures)])  # every use below sorts
        figures = pl.concat_str(
            [pl.when(pl.col(f).is_not_null()).then(_text(f'"{f}":', pl.col(f))) for f in columnar.figures],
            separator=",",
            ignore_nulls=True,
        )
        values = pl.concat(
            [values, matched.lazy().select("line", years=_text('"', pl.col("bucket"), '":{', figures, "}"))]
        )
        heads = pl.concat(
            [
                heads,
                matched.select(
                    "line", "credit_code", pl.col("name").str.slice(0, 200), enterprise=pl.col("id")
                ),
            ]
        )
    if heads.is_empty():
        return None, set()
    lines = set(heads["line"].to_list())
    ids = long["eid"].unique().sort().to_list()
    years = long["year"].unique().sort().to_list()
    long = long.lazy()
    report_fields = [f for f in FACT_FIELDS if f in profile.columns]
    extra_fields = [f for f in EXTRA_FIELDS if f in profile.columns]
    mine, others = (f.lazy() for f in _reports(profile.department, report_fields, ids, years))
    extras = _extras(profile.department, extra_fields, ids).lazy()
    is_extra = pl.col("field").is_in(extra_fields)
    compared = (
        long.join(mine, on=KEYS, how="left")
        .join(extras, on=KEYS, how="left", suffix="_extra")
        .with_columns(old=pl.when(is_extra).then(pl.col("old_extra")).otherwise(pl.col("old")))
        .with_columns(changed=pl.col("old").is_null() | (pl.col("old") != pl.col("new")))
    )
    changes = _joined(
        compared.filter("changed"),
        ["line"],
        ["pos"],
        changes=_text(
            '{"year":',
            pl.col("year"),
            ',"field":"',
            pl.col("field"),
            '","old":',
            pl.col("old").cast(pl.String).fill_null("null"),
            ',"new":',
            pl.col("new"),
            "}",
        ),
    )
    conflicts = _conflicts(profile.department, long.filter(~is_extra), others)
    heads = heads.lazy()
    staged = (
        heads.join(changes, on="line", how="left")
        .join(conflicts, on="line", how="left")
        .join(values, on="line", how="left")
        .select(
            "line",
            status=pl.when(pl.col("changes").is_not_null())
            .then(pl.lit(str(RowStatus.CHANGED)))
            .otherwise(pl.lit(str(RowStatus.UNCHANGED))),
            has_conflict=pl.col("conflicts").is_not_null(),
            credit_code="credit_code",
            name="name",
            county_code=pl.lit(""),
            enterprise="enterprise",
            values=pl.when(pl.col("changes").is_not_null())
            .then(_text('{"years":{', pl.col("years"), "}}"))
            .otherwise(pl.lit("{}")),
            changes=pl.format("[{}]", "changes").fill_null("[]"),
            conflicts=pl.format("[{}]", "conflicts").fill_null("[]"),
            errors=pl.lit("[]"),
            candidates=pl.lit("[]"),
            raw=pl.lit("[]"),
        )
        .sort("line")
        .collect()
    )
    return staged, lines


def _firms(actor, codes: list[str]) -> pl.DataFrame:
    """id, code, name and in_scope (in the officer's scope) of the registered firms among `codes`."""
    qs = Enterprise.objects.annotate(
        in_scope=ExpressionWrapper(enterprise_q(actor), output_field=BooleanField())
    ).order_by()
    return frame_in(
        qs.values_list("id", "credit_code", "name", "in_scope"),
        "credit_code",
        codes,
        {"id": pl.Int64, "code": pl.String, "name": pl.String, "in_scope": pl.Boolean},
    )


def _heads(rows: list[ParsedRow], firms: dict) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "line": [r.line for r in rows],
            "credit_code": [r.credit_code for r in rows],
            "name": [r.name[:200] for r in rows],
            "enterprise": [firms[r.credit_code][0] for r in rows],
        },
        schema={"line": pl.Int64, "credit_code": pl.String, "name": pl.String, "enterprise": pl.Int64},
    )


def _long_columns(matched: pl.DataFrame, figures: list[str]) -> pl.DataFrame:
    """`_long` of the reader's plain rows (one figure column each, in the reader's order) joined to firms: a
    figure's place in its row is the count of figures before it (no sort of the long frame by line)."""
    frame = matched.select("line", pl.col("id").alias("eid"), pl.col("bucket").alias("year"), *figures)
    places, before = {}, pl.lit(0, dtype=pl.Int64)
    for f in figures:
        places[f] = before
        before = before + pl.col(f).is_not_null().cast(pl.Int64)
    return pl.concat(
        [
            frame.select(
                "line",
                "eid",
                "year",
                pos=places[f],
                field=pl.lit(f, dtype=pl.String),
                new=pl.col(f).cast(pl.Int64),
            )
            for f in figures
        ]
    ).drop_nulls("new")


def _long(rows: list[ParsedRow], firms: dict) -> pl.DataFrame:
    """One line per figure: line, firm, year, its place in the row (the order of changes), field, value."""
    line, eid, year, pos, field, new = [], [], [], [], [], []
    for r in rows:
        firm = firms[r.credit_code][0]
        n = 0
        for y, values in r.years.items():
            k = len(values)
            line += [r.line] * k
            eid += [firm] * k
            year += [y] * k
            pos += range(n, n + k)
            field += values.keys()
            new += values.values()
            n += k
    return pl.DataFrame(
        {"line": line, "eid": eid, "year": year, "pos": pos, "field": field, "new": new},
        schema={
            "line": pl.Int64,
            "eid": pl.Int64,
            "year": pl.Int64,
            "pos": pl.Int64,
            "field": pl.String,
            "new": pl.Int64,
        },
    )


def _reports(department: str, fields: list[str], ids: list[int], years: list[int]):
    """(this department's latest value per firm, year and field; every other department's latest value
    with the place of its first report, which orders the conflicts as the Classifier lists them)."""
    empty_mine = pl.DataFrame(schema={"eid": pl.Int64, "year": pl.Int64, "field": pl.String, "old": pl.Int64})
    empty_others = pl.DataFrame(
        schema={
            "eid": pl.Int64,
            "year": pl.Int64,
            "field": pl.String,
            "department": pl.String,
            "other": pl.Int64,
            "first": pl.Int64,
        }
    )
    if not fields:
        return empty_mine, empty_others
    sources = sorted(DataSource.objects.values_list("imported_at", "id", "department"))
    rank = {pk: i for i, (_, pk, _) in enumerate(sources)}
    department_of = {pk: d for _, pk, d in sources}
    schema = {"eid": pl.Int64, "year": pl.Int64, "source": pl.Int64} | {f: pl.Int64 for f in fields}
    fetched = frame_in(
        AnnualReport.objects.filter(year__in=years)
        .values_list("enterprise_id", "year", "source_id", *fields)
        .order_by(),
        "enterprise",
        ids,
        schema,
    )
    if fetched.is_empty():
        return empty_mine, empty_others
    reports = (
        fetched.with_columns(
            order=pl.col("source").replace_strict(rank, return_dtype=pl.Int64),
            department=pl.col("source").replace_strict(department_of, return_dtype=pl.String),
        )
        .sort("order", maintain_order=True)
        .with_row_index("place")
    )
    # Grouped while a report is one line (firm, year: a group keeps the rows' order, the latest report last),
    # then one line per field: a fourth of the lines to group than after the unpivot.
    mine = (
        reports.filter(pl.col("department") == department)
        .group_by("eid", "year")
        .agg(pl.col(f).drop_nulls().last() for f in fields)
        .unpivot(index=["eid", "year"], on=fields, variable_name="field", value_name="old")
        .drop_nulls("old")
    )
    wide = (
        reports.filter(pl.col("department") != department)
        .group_by("eid", "year", "department")
        .agg(
            *(pl.col(f).drop_nulls().last() for f in fields),
            *(pl.col("place").filter(pl.col(f).is_not_null()).min().alias(f"first {f}") for f in fields),
        )
    )
    others = pl.concat(
        [
            wide.select(
                "eid", "year", field=pl.lit(f), department="department", other=f, first=f"first {f}"
            ).drop_nulls("other")
            for f in fields
        ]
    )
    return mine, others


def _extras(department: str, fields: list[str], ids: list[int]) -> pl.DataFrame:
    """This department's latest extra fact per firm, year and field (the latest batch wins)."""
    facts = ExtraFact.objects.filter(field__in=fields, batch__department=department)
    known = bool(fields) and facts.exists()  # one query, not one per chunk of firms, when there are none
    frame = frame_in(
        facts.values_list("enterprise_id", "year", "field", "value", "batch_id").order_by(),
        "enterprise",
        ids if known else [],
        {"eid": pl.Int64, "year": pl.Int64, "field": pl.String, "old": pl.Int64, "batch": pl.Int64},
    )
    return frame.sort("batch", maintain_order=True).group_by(KEYS).agg(pl.col("old").last())


def _conflicts(department: str, long: pl.DataFrame, others: pl.DataFrame) -> pl.DataFrame:
    """Per line, the JSON objects of the other departments' values that differ from the row's."""
    ranks = pl.DataFrame(
        [(f, d, i) for f, order in FIELD_PRIORITY.items() for i, d in enumerate(order)],
        schema={"field": pl.String, "department": pl.String, "rank": pl.Int64},
        orient="row",
    ).lazy()
    mine = ranks.filter(pl.col("department") == department).select("field", mine="rank")
    differing = (
        long.join(others, on=KEYS, how="inner")
        .filter(pl.col("other") != pl.col("new"))
        .join(ranks, on=["field", "department"], how="left")
        .join(mine, on="field", how="left")
        .sort("line", "pos", "first")
    )
    return _joined(
        differing,
        ["line"],
        conflicts=_text(
            '{"year":',
            pl.col("year"),
            ',"field":"',
            pl.col("field"),
            '","new":',
            pl.col("new"),
            ',"other":',
            pl.col("other"),
            ',"department":"',
            pl.col("department"),
            '","wins":',
            pl.when(pl.col("mine") < pl.col("rank")).then(pl.lit("true")).otherwise(pl.lit("false")),
            "}",
        ),
    )
