"""Synthetic enterprise R&D institutions (`RndInstitutionFacts`; SYNTHETIC data, for benchmarks).

Vectorised with Polars, seeded like `bench.synthetic_template` (same `_Rng`: a seed gives the same rows on
any machine). Many rows sit exactly on the illustrative band edges of `rnd_institution_2019.yaml`: funding
of exactly 1/2/3/4/5% of the host's revenue, R&D staff of exactly 5/10/15/20% of its employees, weighted
IP counts of exactly 1/3/6/10, 0-3 breakthroughs (so totals land on the grade edges 60/70/85 too), and
~1% invalid rows (a required figure missing, R&D staff above employees, a negative amount) so that the
error path is exercised.

`python -m bench synthetic_rnd` writes bench/out/rnd_<n>_<seed>_<tag>.parquet.
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl

from bench import cached
from bench.synthetic_template import _choice, _normal, _Rng

GENERATOR_VERSION = 1


def schema() -> dict[str, pl.DataType]:
    from gaoqi.policy.bulk.plan import schema_of
    from gaoqi.policy.policies.rnd_institution.facts import RndInstitutionFacts

    return schema_of(RndInstitutionFacts)


def generate(n: int, seed: int = 2019) -> pl.DataFrame:
    """n synthetic R&D institutions, typed like `schema_of(RndInstitutionFacts)`."""
    rng = _Rng(seed + 57, n)  # another stream than the firms of the same seed
    df = pl.DataFrame({f"u{i}": rng.uniform() for i in range(12)}).with_row_index("seq", offset=1)
    c = pl.col
    edge = c("u0") < 0.4  # this institution sits on band edges
    df = df.with_columns(
        revenue=((17.0 + 1.2 * _normal(c("u1"), c("u2"))).exp() / 100).round().clip(0, 5e10).cast(pl.Int64)
        * 100,
        employees=pl.when(edge)
        .then((c("u3") * 50 + 1).floor().cast(pl.Int64) * 20)  # multiples of 20: staff shares exact
        .otherwise((4.6 + 1.0 * _normal(c("u3"), c("u4"))).exp().round().clip(1, 5000).cast(pl.Int64)),
        funding_ratio=pl.when(edge)
        .then(_choice(c("u5"), [0.01, 0.02, 0.03, 0.04, 0.05]))
        .otherwise(c("u5") * 0.07),
        staff_ratio=pl.when(edge).then(_choice(c("u6"), [0.05, 0.10, 0.15, 0.20])).otherwise(c("u6") * 0.3),
        weighted_ip=pl.when(edge).then(_choice(c("u7"), [1, 3, 6, 10])).otherwise((c("u7") * 16).floor()),
    )
    df = df.with_columns(
        institution_id=pl.concat_str([pl.lit("RND"), c("seq").cast(pl.String).str.zfill(9)]),
        credit_code=pl.concat_str([pl.lit("91320500"), c("seq").cast(pl.String).str.zfill(10)]),
        name=pl.concat_str([pl.lit("合成研发机构"), c("seq").cast(pl.String), pl.lit("（SYNTHETIC）")]),
        rnd_spend=(c("revenue") * c("funding_ratio")).round().cast(pl.Int64),
        rnd_staff=(c("employees") * c("staff_ratio")).floor().cast(pl.Int64),
        # weighted = 3 * invention + other (the illustrative weights): split the weighted count
        invention_patents=(c("weighted_ip") * c("u8") / 3).floor().cast(pl.Int64),
        key_breakthroughs=_choice(c("u9"), [0, 1, 2, 3, 5], [35, 30, 20, 10, 5]).cast(pl.Int64),
    )
    df = df.with_columns(other_ip=(c("weighted_ip") - 3 * c("invention_patents")).cast(pl.Int64))
    bad = c("u10") < 0.01
    df = df.with_columns(
        rnd_spend=pl.when(bad & (c("u11") < 0.3)).then(pl.lit(None, pl.Int64)).otherwise(c("rnd_spend")),
        rnd_staff=pl.when(bad & (c("u11") >= 0.3) & (c("u11") < 0.6))
        .then(c("employees") + 1)
        .otherwise(c("rnd_staff")),
        other_ip=pl.when(bad & (c("u11") >= 0.6)).then(pl.lit(-1, pl.Int64)).otherwise(c("other_ip")),
    )
    types = schema()
    return df.select(list(types)).cast(types)


def ensure(n: int, seed: int = 2019) -> Path:
    """bench/out/rnd_<n>_<seed>_<tag>.parquet, generated once (see `bench.cached`)."""
    return cached(
        f"rnd_{n}_{seed}",
        "parquet",
        schema(),
        GENERATOR_VERSION,
        lambda p: generate(n, seed).write_parquet(p),
    )


def run() -> None:
    n = 1_000_000
    start = time.perf_counter()
    df = generate(n)
    print(f"generate {n:,} R&D institutions: {time.perf_counter() - start:.2f} s")
    path = ensure(n)
    print(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB (cached when it already existed)")
    c = pl.col
    print(
        f"  of {n:,}: {df.filter(c('rnd_spend') * 100 == c('revenue') * 3).height:,} with funding exactly 3%, "
        f"{df.filter(c('rnd_staff') * 10 == c('employees')).height:,} with staff exactly 10%, "
        f"{df.filter(c('rnd_staff') > c('employees')).height:,} with staff above employees (invalid)"
    )
