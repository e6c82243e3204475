"""`gaoqi demo-data --enterprises N --seed S [--parquet PATH | --csv PATH] [--replace]`.

Without a file option, loads the synthetic data set into the database (refusing a database that
already holds enterprises unless --replace, which deletes the previously generated synthetic data
only). With --parquet/--csv, writes the evaluation-template file and leaves the database alone.

Sizes: up to MAX_N firms in general, a province (up to MAX_N_POSTGRES) into PostgreSQL, generated and loaded
in parts of PART_SIZE firms (`generator.generate_parts`).
"""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from gaoqi.demo.generator import generate, generate_parts

MIN_N, MAX_N = 100, 1_000_000
MAX_N_POSTGRES = 5_000_000  # a province (Jiangsu: ~4 million registered enterprises)


def add_generation_arguments(parser, default_n: int = 20_000) -> None:
    parser.add_argument(
        "--enterprises",
        type=int,
        default=default_n,
        help=f"企业数（{MIN_N}–{MAX_N}；载入 PostgreSQL 时可到 {MAX_N_POSTGRES}）",
    )
    parser.add_argument("--seed", type=int, default=2019, help="随机种子（同一种子生成相同数据）")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="基准日期 YYYY-MM-DD（默认今天）；三个会计年度为其前三年",
    )


def check_n(n: int, *, database: bool = False) -> None:
    """MIN_N..MAX_N; a load into PostgreSQL up to MAX_N_POSTGRES (SQLite and files keep MAX_N)."""
    top = MAX_N_POSTGRES if database and connection.vendor == "postgresql" else MAX_N
    if MIN_N <= n <= top:
        return
    if database and n > MAX_N and connection.vendor != "postgresql":
        raise CommandError(
            f"--enterprises above {MAX_N} needs PostgreSQL (this database is {connection.vendor}); "
            f"PostgreSQL takes up to {MAX_N_POSTGRES}"
        )
    raise CommandError(f"--enterprises must be between {MIN_N} and {top}")


class Command(BaseCommand):
    help = "生成江苏合成企业数据（写入数据库，或写成评价模板 Parquet/CSV 文件）"

    def add_arguments(self, parser):
        add_generation_arguments(parser)
        out = parser.add_mutually_exclusive_group()
        out.add_argument("--parquet", metavar="PATH", help="写成 Parquet 模板文件，不写数据库")
        out.add_argument("--csv", metavar="PATH", help="写成 CSV 模板文件（UTF-8），不写数据库")
        parser.add_argument("--replace", action="store_true", help="先删除以前生成的合成数据（仅合成数据）")
        parser.add_argument(
            "--ip-items", choices=("all", "none"), default="all", help="是否生成知识产权明细（默认 all）"
        )
        parser.add_argument(
            "--no-facts",
            action="store_true",
            help="只载入企业和证书，不载入年度数据和知识产权（用于列表页基准测试）",
        )
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, **opts):
        to_file = bool(opts["parquet"] or opts["csv"])
        check_n(opts["enterprises"], database=not to_file)
        started = time.perf_counter()
        as_of = opts["as_of"] or timezone.localdate()
        if to_file:
            from gaoqi.demo.template import write

            ds = generate(opts["enterprises"], opts["seed"], as_of)
            generated = time.perf_counter()

            path = write(ds, opts["parquet"] or opts["csv"], "parquet" if opts["parquet"] else "csv")
            self.stdout.write(
                f"已写入 {ds.n} 家合成企业 → {path}（生成 {generated - started:.1f}s，"
                f"合计 {time.perf_counter() - started:.1f}s）"
            )
            return
        from gaoqi.demo.loader import DemoDataError, load

        try:
            result = load(
                generate_parts(opts["enterprises"], opts["seed"], as_of),
                n=opts["enterprises"],
                replace=opts["replace"],
                ip_items=opts["ip_items"],
                facts=not opts["no_facts"],
                progress=not opts["no_progress"],
            )
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已载入 {result.enterprises} 家合成企业、{result.reports} 条年度数据、{result.certificates} 张证书、"
            f"{result.ip_items} 项知识产权（生成与载入合计 {time.perf_counter() - started:.1f}s）"
        )
