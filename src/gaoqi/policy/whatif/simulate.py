"""Policy simulation (what-if): baseline policy vs a reform (some parameters overridden) over a table.

A reform file is YAML — `{parameter: value}` or a list of `{name, value, effective_from}` — or an Excel
sheet with columns name / value / date (also 参数 / 值 / 生效日期). Values use the parameter files'
notation (percent in percent points: 4 = 4%; band tables as YAML lists). A dated override applies
when its date is on or before the evaluation date; later ones are listed as not yet in force.

Both policies run through the bulk path; the result counts outcome changes (overall and by city:
region_code[:4] + "00"), lists the firms that changed with the criteria that flipped, and costs the
change with the policy's reward parameter (newly qualifying x reward, no longer qualifying x reward).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from gaoqi.policy.bulk.plan import evaluate_table
from gaoqi.policy.core.bands import pct_text
from gaoqi.policy.core.model import Policy

REWARD_PARAMS = ("reward.admission_amount", "reward.amount")
DIVISIONS = Path(__file__).resolve().parents[2] / "regions/fixtures/jiangsu_divisions.csv"


@dataclass(frozen=True)
class Override:
    name: str
    value: Any
    effective_from: date | None = None


@dataclass
class Reform:
    overrides: list[Override]
    source: str = ""

    def in_force(self, as_of: date) -> tuple[dict[str, Any], list[Override]]:
        """(overrides applying on as_of — the latest dated one per name wins, not yet in force)."""
        applied: dict[str, tuple[date, Any]] = {}
        later = []
        for o in self.overrides:
            when = o.effective_from or date.min
            if when > as_of:
                later.append(o)
            elif o.name not in applied or when >= applied[o.name][0]:
                applied[o.name] = (when, o.value)
        return {k: v for k, (_, v) in applied.items()}, later


def _value(raw: Any) -> Any:
    """Excel numbers arrive as floats: 500000.0 is the integer 500000; text may hold YAML (band lists)."""
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return yaml.safe_load(text) if text[:1] in "[{" else text
        except yaml.YAMLError:
            return text
    return raw


def _date(raw: Any, where: str) -> date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError(f"{where}: 生效日期格式应为 YYYY-MM-DD：{raw!r}") from None


def read_reform(path: str | Path) -> Reform:
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return Reform([Override(str(k), v) for k, v in data.items()], str(path))
        if isinstance(data, list):
            out = []
            for i, item in enumerate(data, start=1):
                if not isinstance(item, dict) or "name" not in item or "value" not in item:
                    raise ValueError(f"第{i}项应包含 name 和 value")
                out.append(
                    Override(str(item["name"]), item["value"], _date(item.get("effective_from"), f"第{i}项"))
                )
            return Reform(out, str(path))
        raise ValueError("YAML 应为 {参数: 值} 映射或 [{name, value, effective_from}] 列表")
    if path.suffix.lower() in (".xlsx", ".xls"):
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        if not rows:
            raise ValueError("表格为空")
        head = [str(h).strip().lower() for h in rows[0]]
        pick = {
            k: next((i for i, h in enumerate(head) if h in names), None)
            for k, names in {
                "name": ("name", "参数", "参数名"),
                "value": ("value", "值", "参数值"),
                "date": ("date", "effective_from", "生效日期", "日期"),
            }.items()
        }
        if pick["name"] is None or pick["value"] is None:
            raise ValueError("表头应包含 name 和 value（或 参数、值）列")
        out = []
        for n, row in enumerate(rows[1:], start=2):
            name = row[pick["name"]] if pick["name"] < len(row) else ""
            if not str(name).strip():
                continue
            when = row[pick["date"]] if pick["date"] is not None and pick["date"] < len(row) else None
            out.append(Override(str(name).strip(), _value(row[pick["value"]]), _date(when, f"第{n}行")))
        return Reform(out, str(path))
    raise ValueError(f"不支持的参数修改文件类型：{path.suffix}（应为 .yaml 或 .xlsx）")


def city_names() -> dict[str, str]:
    if not DIVISIONS.exists():
        return {}
    with open(DIVISIONS, encoding="utf-8") as fh:
        return {r["code"]: r["name"] for r in csv.DictReader(fh) if r.get("level") == "city"}


def reward_param(policy: Policy) -> str | None:
    return next((p for p in REWARD_PARAMS if p in policy.params), None)


@dataclass
class WhatIfResult:
    policy: str
    as_of: date
    baseline: Policy
    reform: Policy
    overrides: dict[str, Any]
    not_in_force: list[Override]
    n_firms: int
    n_unevaluable: int
    transitions: dict[tuple[str, str], int]  # (baseline outcome, reform outcome) -> firms
    by_city: pl.DataFrame
    changed: pl.DataFrame
    reward_param: str | None
    reward_baseline: int | None
    reward_reform: int | None
    cost: dict[str, int] = field(default_factory=dict)
    # every evaluable firm: region_code, baseline and reform outcome (other breakdowns, e.g. by county)
    firms: pl.DataFrame = field(default_factory=pl.DataFrame)

    def count(self, before: str, after: str) -> int:
        return self.transitions.get((before, after), 0)

    @property
    def newly_passing(self) -> int:
        return sum(n for (b, a), n in self.transitions.items() if a == "pass" and b != "pass")

    @property
    def no_longer_passing(self) -> int:
        return sum(n for (b, a), n in self.transitions.items() if b == "pass" and a != "pass")

    def summary_text(self) -> str:
        lines = [
            f"政策模拟：{self.baseline.title_zh}（{self.policy}），评价日期 {self.as_of}",
            "参数修改："
            + "；".join(
                f"{k}: {_show(self.baseline.params[k].value)} → {_show(self.reform.params[k].value)}"
                for k in self.overrides
            ),
        ]
        if self.not_in_force:
            lines.append(
                "尚未生效（未采用）："
                + "；".join(f"{o.name}（{o.effective_from}）" for o in self.not_in_force)
            )
        base = sum(n for (b, _), n in self.transitions.items() if b == "pass")
        ref = sum(n for (_, a), n in self.transitions.items() if a == "pass")
        lines += [
            f"参评企业 {self.n_firms} 家（无法评价 {self.n_unevaluable} 家）；符合：基准 {base} 家 → 改革后 {ref} 家",
            f"新增符合 {self.newly_passing} 家，不再符合 {self.no_longer_passing} 家",
        ]
        if self.reward_param:
            lines.append(
                f"奖励（{self.reward_param}）：新增支出 {self.cost['added']:,} 元，减少支出 "
                f"{self.cost['saved']:,} 元，净变化 {self.cost['net']:+,} 元"
            )
        return "\n".join(lines)


def _show(value: Any) -> str:
    from fractions import Fraction

    if isinstance(value, Fraction):
        return pct_text(value)
    return str(value)


def simulate(df: pl.DataFrame, baseline: Policy, reform: Reform, as_of: date) -> WhatIfResult:
    """Evaluate `df` under the baseline and the reformed policy and compare."""
    overrides, later = reform.in_force(as_of)
    reformed = baseline.with_overrides(overrides) if overrides else baseline
    keep = ("_row", "credit_code", "name", "region_code")
    base = evaluate_table(df, baseline, as_of, keep=("_row", "credit_code"))
    new = evaluate_table(df, reformed, as_of, keep=("_row", "credit_code"))
    ids = [n for n in base.columns if n.endswith("__passed")]
    info = df.select([pl.col(k) for k in keep if k in df.columns]) if df.width else df
    names = city_names()
    both = pl.concat(
        [
            info,
            base.select(pl.col("outcome").alias("baseline"), pl.col("errors")),
            new.select(pl.col("outcome").alias("reform")),
            pl.DataFrame(
                {
                    f"flip:{n}": (base.get_column(n).fill_null(False) != new.get_column(n).fill_null(False))
                    for n in ids
                }
            )
            if ids
            else pl.DataFrame(),
        ],
        how="horizontal",
    )
    if "region_code" not in both.columns:
        both = both.with_columns(pl.lit(None, pl.String).alias("region_code"))
    city = pl.when(pl.col("region_code").str.len_chars() == 6).then(
        pl.col("region_code").str.slice(0, 4) + "00"
    )
    both = both.with_columns(city.fill_null("未知").alias("city_code"))
    both = both.with_columns(
        pl.col("city_code").replace_strict(names, default=pl.col("city_code")).alias("city")
    )
    ok = both.filter(pl.col("errors").is_null())
    transitions = {(b, a): n for b, a, n in ok.group_by("baseline", "reform").len().iter_rows()}
    rp = reward_param(baseline)
    r0 = baseline.value(rp) if rp else None
    r1 = reformed.value(rp) if rp else None
    newly = (pl.col("reform") == "pass") & (pl.col("baseline") != "pass")
    lost = (pl.col("baseline") == "pass") & (pl.col("reform") != "pass")
    # counts as Int64: Polars' boolean sums are UInt32, and money arithmetic on them would wrap
    by_city = (
        ok.group_by("city_code", "city")
        .agg(
            pl.len().alias("firms"),
            (pl.col("baseline") == "pass").sum().alias("baseline_pass"),
            (pl.col("reform") == "pass").sum().alias("reform_pass"),
            newly.sum().alias("newly_passing"),
            lost.sum().alias("no_longer_passing"),
        )
        .with_columns(pl.exclude("city_code", "city").cast(pl.Int64))
        .with_columns((pl.col("reform_pass") - pl.col("baseline_pass")).alias("net_change"))
        .sort("city_code")
    )
    if rp:
        by_city = by_city.with_columns(
            (pl.col("reform_pass") * r1 - pl.col("baseline_pass") * r0).alias("reward_change")
        )
    flips = [c for c in both.columns if c.startswith("flip:")]
    changed = (
        ok.filter(pl.col("baseline") != pl.col("reform"))
        .with_columns(
            pl.concat_list([pl.when(pl.col(c)).then(pl.lit(c[5:].removesuffix("__passed"))) for c in flips])
            .list.drop_nulls()
            .list.join("、")
            .alias("changed_criteria")
            if flips
            else pl.lit("").alias("changed_criteria"),
        )
        .drop(flips + ["errors"])
    )
    base_pass = int((ok.get_column("baseline") == "pass").sum())
    new_pass = int((ok.get_column("reform") == "pass").sum())
    n_new, n_lost = int(ok.select(newly.sum()).item()), int(ok.select(lost.sum()).item())
    cost = {}
    if rp:
        cost = {
            "baseline_total": base_pass * r0,
            "reform_total": new_pass * r1,
            "added": n_new * r1,
            "saved": n_lost * r0,
        }
        cost["net"] = cost["reform_total"] - cost["baseline_total"]
    return WhatIfResult(
        baseline.name,
        as_of,
        baseline,
        reformed,
        overrides,
        later,
        both.height,
        both.height - ok.height,
        transitions,
        by_city,
        changed,
        rp,
        r0,
        r1,
        cost,
        ok.select("region_code", "baseline", "reform"),
    )
