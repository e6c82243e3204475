"""`gaoqi evaluate` and `gaoqi simulate` (no Django). See docs/policy-cli.md.

Exit codes: 0 every row evaluated; 1 some rows could not be read or evaluated (they are reported, the
others are still evaluated; a credit code repeated in a later row is such an error); 2 usage error (bad
arguments, unknown policy, a date outside a policy's validity, a file that cannot be read as a template,
an empty file, a file with headers but no data rows: "文件只有表头，没有数据行").
Messages to officers name policies by their Chinese title (the code is shown where it must be typed).

Design for speed: every file is read by the columnar reader and evaluated by the bulk path (one Polars
pass per policy). `--detail full` adds the per-firm engine's complete explanation (thresholds,
parameters, citations) and gaps (对标找差) for every row: exact but ~1-3 ms per firm and policy, so
`auto` uses it only for small files (≤ FULL_AUTO_LIMIT evaluations).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

from gaoqi.policy.core.errors import PolicyError
from gaoqi.policy.policies import ENTERPRISE_POLICIES as POLICIES

FULL_AUTO_LIMIT = 1_000  # rows x policies evaluated per firm when --detail auto
PROGRESS_MIN_ROWS = 10_000


class UsageError(Exception):
    """Shown as `gaoqi <cmd>: error: ...` with exit code 2."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text!r}") from None


def _policy_files(name: str) -> list:
    """The parsed parameter files of a policy, oldest first ([] when they cannot be read)."""
    from gaoqi.policy.loader import parse_policy_file
    from gaoqi.policy.policies import RULES

    try:
        paths = RULES[name].params_dir.glob(f"{name}_*.yaml")
        files = [parse_policy_file(p) for p in paths if p.stem.rsplit("_", 1)[0] == name]
    except Exception:  # only for messages: a broken file is reported when the policy is loaded
        return []
    return sorted(files, key=lambda f: f.effective_from)


def policy_title(name: str) -> str:
    """The Chinese title officers know a policy by (its latest parameter file's), or the code."""
    files = _policy_files(name)
    return files[-1].title_zh if files else name


def _choices() -> str:
    return "、".join(f"{n}（{policy_title(n)}）" for n in POLICIES)


def _policies(values: list[str]) -> list[str]:
    names: list[str] = []
    for value in values:
        for name in (v.strip() for v in value.split(",")):
            if not name:
                continue
            if name not in POLICIES:
                raise UsageError(f"未知政策 {name!r}（unknown policy）；可选：{_choices()}")
            if name not in names:
                names.append(name)
    if not names:
        raise UsageError("至少指定一个政策：--policy tech_sme,hte,pool")
    return names


def load_policies(names: list[str], as_of: date) -> list:
    """The policies in force on `as_of`; a date outside a policy's validity is a usage error."""
    from gaoqi.policy.loader import load_policy

    out = []
    for name in names:
        try:
            out.append(load_policy(name, as_of))
        except LookupError as exc:
            files = _policy_files(name)
            if not files:
                raise UsageError(f"政策 {name} 不存在或没有参数文件：{exc}") from None
            ends = [
                f.effective_to or (g.effective_from - timedelta(days=1))
                for f, g in zip(files, files[1:], strict=False)
            ]
            ends.append(files[-1].effective_to or "今")
            spans = "、".join(f"{f.effective_from} 至 {end}" for f, end in zip(files, ends, strict=True))
            raise UsageError(
                f"{files[-1].title_zh}（{name}）在 {as_of} 不在有效期内（有效期：{spans}）"
            ) from None
    return out


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    if args.out:
        suffix = Path(args.out).suffix.lower().lstrip(".")
        if suffix in ("jsonl", "csv", "xlsx"):
            return suffix
    return "jsonl"


def evaluate_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gaoqi evaluate", description="按政策评价模板文件中的企业（每行一家）。")
    p.add_argument("file", help="评价模板 .xlsx 或 .csv（中文或英文表头）")
    p.add_argument(
        "--policy",
        action="append",
        required=True,
        help="tech_sme、hte、pool；可重复或用逗号分隔以同时评价多个政策",
    )
    p.add_argument("--as-of", type=_date, default=None, help="评价日期 YYYY-MM-DD（默认今天）")
    p.add_argument(
        "--format", choices=("jsonl", "csv", "xlsx"), help="输出格式（默认按 --out 扩展名，否则 jsonl）"
    )
    p.add_argument("--out", help="输出文件（默认标准输出；xlsx 必须指定）")
    p.add_argument(
        "--detail",
        choices=("auto", "full", "summary"),
        default="auto",
        help="full：逐家引擎的完整说明与差距；summary：批量结果（无差距）；auto：小文件用 full",
    )
    p.add_argument("--no-progress", action="store_true", help="不显示进度条")
    p.add_argument(
        "--engine",
        choices=("polars", "spark"),
        default="polars",
        help="spark：在 Spark 上评价（输入 Parquet 或 CSV，列名为英文字段名，可为任何 Spark 能读的地址；"
        "输出 Parquet 到 --out，多个政策时为 --out/<政策>/）。需安装 gaoqi[spark] 与 Java 17",
    )
    p.add_argument("--master", help="Spark master URL（默认 local[*]，或 spark-submit 给出的）")
    return p


def run_evaluate_spark(args: argparse.Namespace) -> int:
    """The same rules on Spark: Parquet/CSV in, Parquet out with the Polars path's columns."""
    try:
        from gaoqi.policy.bulk.spark import evaluate_spark, read_input, spark_session
    except ImportError as exc:
        raise UsageError(f"--engine spark 需要 PySpark（pip install 'gaoqi[spark]'）：{exc}") from None
    if not args.out:
        raise UsageError("--engine spark 需要 --out（Parquet 输出路径或目录）")
    names = _policies(args.policy)
    as_of = args.as_of or date.today()
    policies = load_policies(names, as_of)
    spark = spark_session(args.master)
    source = read_input(spark, args.file, policies[0].rules.facts_type)
    results = evaluate_spark(source, policies, as_of, keep=("_row", "credit_code"))
    for name, frame in results.items():
        target = args.out if len(results) == 1 else f"{args.out.rstrip('/')}/{name}"
        frame.write.mode("overwrite").parquet(target)
        print(f"gaoqi evaluate: {name} → {target}", file=sys.stderr)
    return 0


def _progress(total: int, desc: str, rows: int, disable: bool, unit: str = "行"):
    """A tqdm bar on stderr, shown only on a terminal and for large files."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        leave=False,
        disable=disable or not sys.stderr.isatty() or rows < PROGRESS_MIN_ROWS,
    )


def run_evaluate(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        return run_evaluate_spark(args)
    from gaoqi.policy.evaluate_file import evaluate_file
    from gaoqi.policy.template.read import TemplateError

    names = _policies(args.policy)
    as_of = args.as_of or date.today()
    fmt = _format(args)
    if fmt == "xlsx" and not args.out:
        raise UsageError("xlsx 输出需要 --out 文件路径")
    policies = load_policies(names, as_of)
    try:
        rs, warnings = evaluate_file(
            args.file,
            policies,
            as_of,
            detail=args.detail,
            full_limit=FULL_AUTO_LIMIT,
            progress=lambda n, d, rows, unit="行": _progress(n, d, rows, args.no_progress, unit),
        )
    except TemplateError as exc:  # NoDataRows included: a header-only file has nothing to evaluate
        raise UsageError(f"{args.file}: {exc}") from None
    for w in warnings:
        print(f"gaoqi evaluate: 提示：{w}", file=sys.stderr)
    from gaoqi.policy.outputs import write as results_write

    results_write.write(rs, fmt, args.out)
    failed = rs.failed_rows
    if failed:
        print(
            f"gaoqi evaluate: {len(failed)} 行有错误（见输出中的 errors）；其余 {len(rs.rows) - len(failed)} 行已评价",
            file=sys.stderr,
        )
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    """Entry point from `gaoqi.cli`: argv[0] is the subcommand ("evaluate", "simulate" or "template")."""
    if not argv or argv[0] not in ("evaluate", "simulate", "template"):
        print("usage: gaoqi {evaluate,simulate,template} ...", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "template":
        return run_template(rest)
    parser = evaluate_parser() if command == "evaluate" else simulate_parser()
    try:
        args = parser.parse_args(rest)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        return run_evaluate(args) if command == "evaluate" else run_simulate(args)
    except UsageError as exc:
        print(f"gaoqi {command}: error: {exc}", file=sys.stderr)
        return 2
    except PolicyError as exc:  # e.g. an invalid what-if override
        print(f"gaoqi {command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `gaoqi evaluate ... | head`
        return 0


def simulate_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gaoqi simulate", description="政策模拟：比较基准政策与修改部分参数后的政策对一批企业的影响。"
    )
    p.add_argument("file", help="评价模板 .xlsx 或 .csv")
    p.add_argument("--policy", required=True, choices=POLICIES)
    p.add_argument(
        "--reform",
        required=True,
        help="参数修改：.yaml（{参数: 值} 或 [{name, value, effective_from}]）或 "
        ".xlsx（name / value / date 列）",
    )
    p.add_argument("--as-of", type=_date, default=None, help="评价日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--out", help="报告 .xlsx（默认只在标准输出打印摘要）")
    return p


def run_simulate(args: argparse.Namespace) -> int:
    from gaoqi.policy.template.read import NoDataRows, TemplateError
    from gaoqi.policy.template.table import read_table
    from gaoqi.policy.whatif import simulate as whatif

    as_of = args.as_of or date.today()
    try:
        reform = whatif.read_reform(args.reform)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{args.reform}: {exc}") from None
    (baseline,) = load_policies([args.policy], as_of)
    try:
        table = read_table(args.file)
        if table.n_rows == 0:
            raise NoDataRows()
    except TemplateError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    result = whatif.simulate(table.df, baseline, reform, as_of)
    print(result.summary_text())
    if args.out:
        from gaoqi.policy.whatif.report import write_report

        write_report(result, args.out)
        print(f"报告已写入 {args.out}")
    if table.errors:
        print(f"gaoqi simulate: {len(table.errors)} 处读取错误，相关行未参与模拟", file=sys.stderr)
        return 1
    return 0


def run_template(rest: list[str]) -> int:
    """`gaoqi template OUT.xlsx`: write the blank evaluation template officers fill in."""
    from gaoqi.policy.template.write import write_template

    p = argparse.ArgumentParser(
        prog="gaoqi template", description="生成空白评价模板（中英文表头与填表说明）。"
    )
    p.add_argument("out", help="输出 .xlsx 路径")
    try:
        args = p.parse_args(rest)
    except SystemExit as exc:
        return int(exc.code or 0)
    print(f"模板已写入 {write_template(args.out)}")
    return 0
