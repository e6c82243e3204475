"""Variables and texts shared by the enterprise policies (written once, against ops, like every formula).

The accounting years: `_y1.._y3` are the calendar years as_of.year-3 .. as_of.year-1; a firm counts a year
when it was founded in or before it (unknown founding date: all three years).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gaoqi.policy.core.bands import pct_text
from gaoqi.policy.core.model import Threshold
from gaoqi.policy.core.rules import Out, Ratio

YEAR_INDEXES = (1, 2, 3)


def n_operating(x: Any) -> Any:
    """How many of _y1.._y3 the firm existed in (0..3)."""
    if x.all_years:
        return 3
    ops = x.ops
    return ops.clip(x.as_of.year - ops.year_of(ops.fill_null(x.f.founded_on, date.min)), 0, 3)


def operates(x: Any, k: int) -> Any:
    """Year k (1..3) is one of the firm's operating years."""
    return x(n_operating) >= 4 - k


def year_sum(x: Any, stem: str) -> Any:
    """The sum of a yearly quantity over the firm's operating years (unreported years count 0)."""
    ops = x.ops
    return ops.sum_([ops.where(operates(x, k), ops.fill_null(x.f.year(stem, k), 0), 0) for k in YEAR_INDEXES])


def operating_years(x: Any) -> tuple[int, ...]:
    """Scalar only: the operating year indexes, e.g. (2, 3)."""
    n = x(n_operating)
    return tuple(k for k in YEAR_INDEXES if k >= 4 - n)


def required_yearly(x: Any, stems: tuple[str, ...]) -> None:
    """Yearly fields are required for the years the firm operated in (all three without an as_of)."""
    ops = x.ops
    for stem in stems:
        for k in YEAR_INDEXES:
            cond = ops.all_(operates(x, k), ops.is_null(x.f.year(stem, k)))
            if cond is not False:
                x.error(
                    f"{stem}_y{k}",
                    cond,
                    lambda: f"required by policy {x.policy.name}",
                    lambda: f"{x.policy.title_zh}评价必填",
                    missing=True,
                )


def wan(yuan: int) -> str:
    """Yuan as 万元 with one decimal, rounded UP so that a stated requirement is always sufficient."""
    tenths = -(-yuan // 1000)
    return f"{tenths // 10}.{tenths % 10}"


def wan_exact(yuan: int) -> str:
    """Yuan as 万元, exact (up to four decimals): 50,000,001 -> "5000.0001"."""
    whole, rest = divmod(yuan, 10_000)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:04d}".rstrip("0")


def wan_en(yuan: int) -> str:
    """The English twin of `wan`: "124.0 ×10k CNY" (same rounding up)."""
    return f"{wan(yuan)} ×10k CNY"


def pct(value) -> str:
    return pct_text(value)


def rnd_sum(x: Any) -> Any:
    """R&D expenses over the firm's operating years (of the last three)."""
    return year_sum(x, "rnd_expense")


def revenue_sum(x: Any) -> Any:
    """Sales revenue over the firm's operating years (of the last three)."""
    return year_sum(x, "revenue")


def share_at_least(x: Any, a: Any, b: Any, pname: str, zh: str, en: str) -> Any:
    """The common condition "a is at least r of b" (r the percent parameter `pname`), with its explanation;
    `zh` / `en` are the threshold texts with `{r}` for the percentage."""
    r = x.p(pname)
    return Out(
        passed=x.ops.ratio_at_least(a, b, r),
        value=Ratio(a, b),
        threshold=lambda: Threshold(">=", r, zh.format(r=pct(r)), en.format(r=pct(r))),
    )


def no_record(x: Any, value: Any, zh: str, en: str, optional: bool = False) -> Any:
    """The common condition "no such record" on a yes/no fact; `optional`: not reported counts as no record."""
    return Out(
        passed=x.ops.not_(value),
        value=value,
        threshold=lambda: Threshold("==", False, zh, en),
        note=(lambda: "未报告，按无记录处理" if value is None else "") if optional else None,
    )
