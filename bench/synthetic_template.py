"""Synthetic firms in the evaluation-template format (SYNTHETIC data, for benchmarks and demos).

Vectorised with Polars; randomness comes from `random.Random(seed).randbytes` so a seed gives the same
firms on any machine and Polars version. Plausible shapes (log-normal sizes, southern cities larger)
and, on purpose, many firms exactly on band edges (tech-staff shares of 10/15/20/25/30%, R&D ratios of
2-6%, revenue of exactly 50,000,000 / 200,000,000, firms founded exactly one year before the
evaluation date, 60% domestic R&D or high-tech income), because that is where fast code goes wrong.

`python -m bench synthetic_template` writes bench/out/firms_<n>.{parquet,csv,xlsx}.
"""

from __future__ import annotations

import csv
import math
import random
import time
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa

from bench import cached

ROOT = Path(__file__).resolve().parents[1]
DIVISIONS = ROOT / "src/gaoqi/regions/fixtures/jiangsu_divisions.csv"
TECH_FIELDS = ROOT / "src/gaoqi/registry/fixtures/tech_fields.csv"
AS_OF = date(2024, 6, 30)
# Rough shares of firms by city (PLAN / public statistics: Suzhou ~30%, Nanjing ~20%, north smallest).
CITY_WEIGHT = {
    "320500": 30,
    "320100": 20,
    "320200": 10,
    "320400": 7,
    "321100": 3,
    "320600": 7,
    "321000": 4,
    "321200": 4,
    "320300": 5,
    "320700": 2,
    "320800": 2,
    "320900": 4,
    "321300": 2,
}


class _Rng:
    """Uniform columns from a seeded byte stream (portable, deterministic)."""

    def __init__(self, seed: int, n: int):
        self.random = random.Random(seed)
        self.n = n

    def uniform(self) -> pl.Series:
        buf = pa.py_buffer(self.random.randbytes(8 * self.n))
        raw = pl.from_arrow(pa.Array.from_buffers(pa.uint64(), self.n, [None, buf]))
        return (raw // 2048).cast(pl.Float64) / float(1 << 53)


def _normal(u1: pl.Expr, u2: pl.Expr) -> pl.Expr:
    return (-2.0 * (1.0 - u1).log()).sqrt() * (2 * math.pi * u2).cos()


def _choice(u: pl.Expr, values: list, weights: list[float] | None = None) -> pl.Expr:
    """Pick from `values` by the uniform `u` (weights optional)."""
    weights = weights or [1.0] * len(values)
    total = sum(weights)
    cum, chain = 0.0, None
    for value, w in zip(values[:-1], weights[:-1], strict=True):
        cum += w / total
        chain = (
            pl.when(u < cum).then(pl.lit(value)) if chain is None else chain.when(u < cum).then(pl.lit(value))
        )
    last = pl.lit(values[-1])
    return last if chain is None else chain.otherwise(last)


def _counties() -> tuple[list[str], list[float]]:
    codes, weights = [], []
    rows = list(csv.DictReader(open(DIVISIONS, encoding="utf-8")))
    by_city: dict[str, list[str]] = {}
    for r in rows:
        if r["level"] == "county":
            by_city.setdefault(r["parent_code"], []).append(r["code"])
    for city, counties in by_city.items():
        for c in counties:
            codes.append(c)
            weights.append(CITY_WEIGHT.get(city, 2) / len(counties))
    return codes, weights


def _tech_fields() -> list[str]:
    rows = list(csv.DictReader(open(TECH_FIELDS, encoding="utf-8")))
    return [r["code"] for r in rows if r["parent_code"]]


def _credit_codes(region: pl.Expr, seq: pl.Expr) -> pl.Expr:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    body = pl.concat_str([pl.lit("91"), region, seq.cast(pl.String).str.zfill(9)])
    total = pl.sum_horizontal([body.str.slice(i, 1).cast(pl.Int64) * w for i, w in enumerate(weights)])
    check = (31 - total % 31) % 31
    return pl.concat_str(
        [body, check.replace_strict(list(range(31)), list(alphabet), return_dtype=pl.String)]
    )


def generate(n: int, seed: int = 2019, as_of: date = AS_OF, offset: int = 0) -> pl.DataFrame:
    """n synthetic firms, typed like `gaoqi.policy.template.SCHEMA` (without `_row`); `offset` shifts the
    sequence numbers behind the credit codes and names (for files written in chunks)."""
    rng = _Rng(seed, n)
    u = {f"u{i}": rng.uniform() for i in range(26)}  # u24, u25 appended later: u0-u23 unchanged
    counties, cweights = _counties()
    fields = _tech_fields()
    c = pl.col
    edge = c("u0") < 0.35  # this firm sits on band edges
    df = pl.DataFrame(u).with_row_index("seq", offset=1 + offset)
    anniversary = pl.lit(date(as_of.year - 1, as_of.month, as_of.day))
    df = df.with_columns(
        region_code=_choice(c("u1"), counties, cweights),
        employees=pl.when(edge)
        .then((c("u2") * 25 + 1).floor().cast(pl.Int64) * 20)
        .otherwise((4.1 + 1.0 * _normal(c("u2"), c("u3"))).exp().round().clip(1, 3000).cast(pl.Int64)),
        tech_share=pl.when(edge)
        .then(_choice(c("u4"), [0.10, 0.15, 0.20, 0.25, 0.30]))
        .otherwise(c("u4") * 0.6),
        revenue_y3=pl.when(c("u5") < 0.03)
        .then(pl.lit(50_000_000))
        .when(c("u5") < 0.05)
        .then(pl.lit(200_000_000))
        .otherwise(((16.5 + 1.3 * _normal(c("u5"), c("u6"))).exp() / 100).round().clip(0, 5e10) * 100)
        .cast(pl.Int64),
        rnd_ratio=pl.when(edge)
        .then(_choice(c("u7"), [0.02, 0.03, 0.04, 0.05, 0.06]))
        .otherwise(c("u7") * 0.09),
        growth=(c("u8") * 0.9 - 0.2),
        founded_on=pl.when(c("u9") < 0.04)
        .then(anniversary)
        .when(c("u9") < 0.06)
        .then(anniversary + pl.duration(days=1))
        .otherwise(pl.lit(date(1995, 1, 1)) + pl.duration(days=(c("u10") * 10_700).cast(pl.Int64))),
    )
    df = df.with_columns(
        credit_code=_credit_codes(c("region_code"), c("seq")),
        name=pl.concat_str([pl.lit("合成企业"), c("seq").cast(pl.String), pl.lit("（SYNTHETIC）")]),
        tech_field=pl.when(c("u11") < 0.15)
        .then(pl.lit(None, pl.String))
        .otherwise(_choice(c("u11"), fields)),
        tech_staff=(c("employees") * c("tech_share")).floor().cast(pl.Int64),
        revenue_y2=(c("revenue_y3") / (1 + c("growth"))).round().cast(pl.Int64),
        revenue_y1=(c("revenue_y3") / (1 + c("growth")) ** 2).round().cast(pl.Int64),
        total_income=c("revenue_y3") + (c("revenue_y3") * c("u12") * 0.1).round().cast(pl.Int64),
        total_cost=(c("revenue_y3") * (0.6 + c("u13") * 0.5)).round().cast(pl.Int64),
        total_assets=pl.when(c("u14") < 0.03)
        .then(pl.lit(200_000_000))
        .otherwise((c("revenue_y3") * (0.5 + c("u14") * 2.5)).round())
        .cast(pl.Int64),
    )
    share_60 = pl.when(c("u15") < 0.2).then(0.6).otherwise(c("u15"))
    df = df.with_columns(
        *[
            (c(f"revenue_y{y}") // 100 * 100 * c("rnd_ratio"))
            .round()
            .cast(pl.Int64)
            .alias(f"rnd_expense_y{y}")
            for y in (1, 2, 3)
        ],
        hitech_revenue=(c("total_income") // 10 * 10 * share_60).round().cast(pl.Int64),
        net_assets_y3=(c("revenue_y3") * (c("u16") * 0.8 - 0.05)).round().cast(pl.Int64),
    )
    df = df.with_columns(
        *[
            (c(f"rnd_expense_y{y}") // 10 * 10 * share_60)
            .round()
            .cast(pl.Int64)
            .alias(f"rnd_expense_domestic_y{y}")
            for y in (1, 2, 3)
        ],
        net_assets_y2=(c("net_assets_y3") / (1 + c("growth") * c("u17") * 1.5)).round().cast(pl.Int64),
        net_assets_y1=(c("net_assets_y3") / (1 + c("growth")) ** 2).round().cast(pl.Int64),
        ip_class1=pl.when(c("u18") < 0.5).then(0).otherwise((c("u18") * 12 - 5).floor()).cast(pl.Int64),
        ip_class2=(c("u19") * 13).floor().cast(pl.Int64),
        ip_self_developed=c("u20") < 0.85,
        achievement_conversions=(c("u21") * 21).floor().cast(pl.Int64),
        standards_led=pl.when(c("u22") < 0.8).then(0).otherwise((c("u22") * 15 - 11).floor()).cast(pl.Int64),
        major_incident=c("u23") < 0.01,
        bad_credit=(c("u23") * 97 % 1) < 0.02,
        restricted_industry=(c("u23") * 89 % 1) < 0.01,
        has_hte_certificate=(c("u13") * 83 % 1) < 0.15,
        national_award_top3=(c("u12") * 79 % 1) < 0.005,
        provincial_rnd_institution=(c("u14") * 73 % 1) < 0.05,
        led_standard_5y=(c("u19") * 71 % 1) < 0.03,
        # Later fields: the super-deduction base (often not reported, often exactly the total), Class II IP
        # already used in an earlier certification, research misconduct.
        rnd_expense_deductible_y3=pl.when(c("u24") < 0.4)
        .then(pl.lit(None, pl.Int64))
        .when(c("u24") < 0.55)
        .then(c("rnd_expense_y3"))
        .otherwise((c("rnd_expense_y3") * (0.7 + (c("u24") * 61 % 1) * 0.3)).floor().cast(pl.Int64)),
        ip_class2_used=pl.when(c("u25") < 0.5)
        .then(pl.lit(None, pl.Int64))
        .when(c("u25") < 0.8)
        .then(pl.lit(0, pl.Int64))
        .otherwise(((c("u19") * 13).floor() * (c("u25") * 59 % 1)).floor().cast(pl.Int64)),  # ≤ ip_class2
        research_misconduct=(c("u25") * 67 % 1) < 0.01,
        expert_advancement=pl.lit(None, pl.Int64),
        expert_core_support=pl.lit(None, pl.Int64),
        expert_rnd_management=pl.lit(None, pl.Int64),
    )
    from gaoqi.policy.template import SCHEMA

    names = [k for k in SCHEMA if k != "_row"]
    return df.select(names).cast({k: v for k, v in SCHEMA.items() if k != "_row"})


def write_csv(df: pl.DataFrame, path: Path) -> Path:
    """The template as CSV with English headers (booleans as 1/0)."""
    out = df.with_columns(pl.col(pl.Boolean).cast(pl.Int8))
    out.write_csv(path, date_format="%Y-%m-%d")
    return path


def write_xlsx(df: pl.DataFrame, path: Path, chinese: bool = True) -> Path:
    """The template as .xlsx: Chinese headers on row 1 (or English), numbers as numbers, 是/否."""
    import xlsxwriter

    from gaoqi.policy.core.facts import FIELDS_BY_NAME

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("企业数据")
    ws.write_row(0, 0, [FIELDS_BY_NAME[c].label_zh if chinese else c for c in df.columns])
    out = df.with_columns(
        pl.col(pl.Boolean).replace_strict({True: "是", False: "否"}, return_dtype=pl.String)
    )
    for i, row in enumerate(out.iter_rows(), start=1):
        ws.write_row(i, 0, row)
    wb.close()
    return path


def write_parquet_chunks(n: int, seed: int, path: Path) -> Path:
    """n firms written CHUNK at a time (chunk k drawn with seed + k; memory stays at one chunk). The first
    chunk is the same as `generate(CHUNK, seed)`."""
    import pyarrow.parquet as pq

    writer = None
    try:
        for k, start in enumerate(range(0, n, CHUNK)):
            table = generate(min(CHUNK, n - start), seed + k, offset=start).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=256 * 1024)
    finally:
        if writer is not None:
            writer.close()
    return path


CHUNK = 1_000_000
GENERATOR_VERSION = 2  # bump when `generate` changes: cached files are then regenerated


def ensure(n: int, fmt: str, seed: int = 2019) -> Path:
    """bench/out/firms_<n>_<seed>_<tag>.<fmt>, generated once (see `bench.cached`)."""
    from gaoqi.policy.template import SCHEMA

    def write(tmp: Path) -> None:
        if fmt == "parquet" and n > CHUNK:
            write_parquet_chunks(n, seed, tmp)
            return
        df = generate(n, seed)
        {"parquet": df.write_parquet, "csv": lambda p: write_csv(df, p), "xlsx": lambda p: write_xlsx(df, p)}[
            fmt
        ](tmp)

    return cached(f"firms_{n}_{seed}", fmt, SCHEMA, GENERATOR_VERSION, write)


def run() -> None:
    for n, fmts in ((1_000_000, ("parquet",)), (100_000, ("csv", "xlsx"))):
        start = time.perf_counter()
        df = generate(n)
        print(f"generate {n:>9,} firms: {time.perf_counter() - start:.2f} s")
        for fmt in fmts:
            start = time.perf_counter()
            path = ensure(n, fmt)
            print(
                f"  {path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.1f} MB "
                f"({time.perf_counter() - start:.1f} s, cached when it already existed)"
            )
    edge = df.filter(pl.col("tech_staff") * 10 == pl.col("employees")).height
    print(
        f"  of {n:,}: {edge:,} firms with tech staff exactly 10% of employees; "
        f"{df.filter(pl.col('revenue_y3') == 50_000_000).height:,} with revenue exactly 50,000,000"
    )
