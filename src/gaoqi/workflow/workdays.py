"""Working-day arithmetic for public notices: Chinese public holidays and adjusted working days (调休).

The `chinese-calendar` library holds the State Council's schedules; `data/calendar_extra.yaml` adds a year
the library lacks (and replaces its data for that year). A date in a year neither covers is an error, never a
silent guess that weekends are the only days off.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import yaml

from gaoqi.errors import ValidationFailed

EXTRA_FILE = Path(__file__).with_name("data") / "calendar_extra.yaml"


@functools.cache
def _extra(path: Path = EXTRA_FILE) -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    years = {}
    for year, spec in raw.items():
        holidays = frozenset(spec.get("holidays") or ())
        workdays = frozenset(spec.get("workdays") or ())
        for d in holidays | workdays:
            if not isinstance(d, date) or d.year != int(year):
                raise ValueError(f"{path}: {d!r} is not a date of {year}")
        if holidays & workdays:
            raise ValueError(f"{path}: {sorted(holidays & workdays)} both holiday and working day")
        years[int(year)] = (holidays, workdays)
    return years


def is_workday(day: date) -> bool:
    extra = _extra().get(day.year)
    if extra is not None:
        holidays, workdays = extra
        if day in workdays:
            return True
        if day in holidays:
            return False
        return day.weekday() < 5
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        raise ValidationFailed(
            f"{day.year} 年的节假日安排尚未录入，无法计算工作日（请在 {EXTRA_FILE.name} 中补充）",
            [{"field": "date", "reason": str(exc)}],
        ) from exc


def add_working_days(start: date, n: int) -> date:
    """The last day of a period of `n` working days beginning on `start` (counted when it is a working day).

    A 6-working-day notice starting on Monday 2026-09-28 runs 28, 29, 30 September and, after the National
    Day holiday, 8, 9 and 10 October (Saturday the 10th is an adjusted working day): it ends on 10 October.
    """
    if n < 1:
        raise ValueError("a period has at least one working day")
    day, counted = start, 0
    while True:
        if is_workday(day):
            counted += 1
            if counted == n:
                return day
        day += timedelta(days=1)


def working_days_between(start: date, end: date) -> int:
    """Working days from `start` to `end`, both included."""
    n, day = 0, start
    while day <= end:
        n += is_workday(day)
        day += timedelta(days=1)
    return n
