"""The input of a reward computation: what the registry (and the cultivation pool) says about one firm.

Separate from EnterpriseFacts: a reward is decided on events (pool admission, the first HTE certificate) and
on the R&D growth of the contribution year, not on the certification criteria. The reward year is the
calendar year of the evaluation date; `_y2` / `_y3` follow the engine's convention (the years
`as_of.year - 2` and `as_of.year - 1`). Money in integer CNY yuan; None = not reported / no such event.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from gaoqi.policy.core.facts import Kind, NotAbove, fact, specs_of


@dataclass(frozen=True, slots=True)
class RewardFacts:
    credit_code: str = fact("统一社会信用代码", "Unified social credit code", Kind.TEXT)
    admitted_on: date | None = fact("入选培育库日期", "Admitted to the cultivation pool on", Kind.DATE)
    pool_exited_on: date | None = fact("出库日期", "Left the cultivation pool on", Kind.DATE)
    first_hte_issued_on: date | None = fact(
        "首次获得高企证书日期", "First HTE certificate issued on", Kind.DATE
    )
    rnd_expense_y2: int | None = fact(
        "研发费用总额（前年）", "R&D expenses (the year before last)", Kind.MONEY
    )
    rnd_expense_y3: int | None = fact("研发费用总额（上年）", "R&D expenses (last year)", Kind.MONEY)
    bad_credit: bool | None = fact("严重失信或经营异常", "Serious discredit or abnormal operation", Kind.BOOL)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


REWARD_SPECS = specs_of(RewardFacts)
REWARD_FIELDS = frozenset(s.name for s in REWARD_SPECS)
REWARD_CROSS_RULES = (
    NotAbove(
        "admitted_on",
        "pool_exited_on",
        "入库日期不能晚于出库日期",
        "Admission may not be after leaving the pool",
    ),
)
