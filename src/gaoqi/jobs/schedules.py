"""Schedules (定时任务) as data: when a schedule fires, which period a firing covers, and what it runs.

A schedule fires daily at a time, monthly on a day at a time, or quarterly on a day of the quarter's first
month at a time (Asia/Shanghai, the platform's TIME_ZONE). Each firing covers one **period**, the key that
makes it happen once: a daily firing covers its own date (`2026-12-01`), a monthly firing the month before
(`2026-11`, the bulletin of November is made in early December), a quarterly firing the quarter before
(`2026-Q3`, made in October). Pure functions of the spec and `now`; the writes are in `scheduler.py`.

SCHEDULED_TASKS is the one table of what a schedule may run (code → job kind, function, arguments): a
schedule row names its task by code, so the database never holds a function path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class Freq:
    DAILY = "daily"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


@dataclass(frozen=True)
class Spec:
    frequency: str
    day: int = 1  # day of the month (monthly) or of the quarter's first month (quarterly); 1..28
    at: time = time(2, 0)

    def __post_init__(self):
        if self.frequency not in (Freq.DAILY, Freq.MONTHLY, Freq.QUARTERLY):
            raise ValueError(f"unknown frequency {self.frequency!r}")
        if not 1 <= self.day <= 28:
            raise ValueError("day must be 1..28 (every month has it)")


def _local(now: datetime) -> datetime:
    if timezone.is_naive(now):
        raise ValueError("`now` must be an aware datetime")
    return timezone.localtime(now, timezone.get_default_timezone())


def _at(d: date, at: time) -> datetime:
    return datetime.combine(d, at, tzinfo=timezone.get_default_timezone())


def _month_start(year: int, month: int, shift: int) -> date:
    """The first day of the month `shift` months after year-month (shift may be negative)."""
    index = year * 12 + (month - 1) + shift
    return date(index // 12, index % 12 + 1, 1)


def _firing_in(spec: Spec, now: datetime, shift: int) -> datetime:
    """The firing of the day/month/quarter containing `now`, moved by `shift` such units."""
    local = _local(now)
    if spec.frequency == Freq.DAILY:
        return _at(local.date() + timedelta(days=shift), spec.at)
    step = 1 if spec.frequency == Freq.MONTHLY else 3
    first = local.month if step == 1 else 3 * ((local.month - 1) // 3) + 1
    start = _month_start(local.year, first, shift * step)
    return _at(start.replace(day=spec.day), spec.at)


def last_firing(spec: Spec, now: datetime) -> datetime:
    """The latest firing at or before `now`."""
    fire = _firing_in(spec, now, 0)
    return fire if fire <= now else _firing_in(spec, now, -1)


def next_firing(spec: Spec, now: datetime) -> datetime:
    """The first firing strictly after `now`."""
    fire = _firing_in(spec, now, 0)
    return fire if fire > now else _firing_in(spec, now, 1)


def period_of(spec: Spec, firing: datetime) -> str:
    """The period a firing covers: its date (daily), the month before (monthly), the quarter before."""
    local = _local(firing)
    if spec.frequency == Freq.DAILY:
        return local.date().isoformat()
    if spec.frequency == Freq.MONTHLY:
        prev = _month_start(local.year, local.month, -1)
        return f"{prev.year}-{prev.month:02d}"
    prev = _month_start(local.year, local.month, -3)
    return f"{prev.year}-Q{(prev.month - 1) // 3 + 1}"


def describe(spec: Spec) -> str:
    """The spec in words for the page, e.g. 每月 3 日 06:00（上月）."""
    hm = spec.at.strftime("%H:%M")
    if spec.frequency == Freq.DAILY:
        return str(_("每天 %(t)s（当日）")) % {"t": hm}
    if spec.frequency == Freq.MONTHLY:
        return str(_("每月 %(d)s 日 %(t)s（上月）")) % {"d": spec.day, "t": hm}
    return str(_("每季度首月 %(d)s 日 %(t)s（上季度）")) % {"d": spec.day, "t": hm}


# --- What a schedule may run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledTask:
    label: object
    kind: str  # a code of kinds.JOB_KINDS
    func_path: str
    frequencies: tuple[str, ...]
    build: Callable[[dict, str, int | None], dict]  # (params, period, run_as id) -> the job's kwargs
    restartable: bool = True


def _bulletin_kwargs(params: dict, period: str, user_id: int | None) -> dict:
    return {
        "user_id": user_id,
        "period": period,
        "levels": list(params.get("levels") or ["province", "city"]),
        "formats": list(params.get("formats") or ["pdf", "xlsx"]),
    }


SCHEDULED_TASKS: dict[str, ScheduledTask] = {
    "alerts.scan": ScheduledTask(
        _("监测预警扫描"),
        "alerts.scan",
        "gaoqi.alerts.services.scan_job",
        (Freq.DAILY,),
        lambda params, period, user_id: {"today": period},
    ),
    # Daily: the running month as of the firing day (the home page, target progress and the R&D coverage table
    # read the snapshot taken that day); monthly: the month before as of its last day. The job computes
    # `month` as of min(its last day, today): a late run never stores an older day than the one it ran on.
    "monitoring.snapshot": ScheduledTask(
        _("指标快照"),
        "monitoring.snapshot",
        "gaoqi.monitoring.services.snapshot_job",
        (Freq.DAILY, Freq.MONTHLY),
        lambda params, period, user_id: {"user_id": user_id, "month": period[:7]},
    ),
    "monitoring.bulletins": ScheduledTask(
        _("进展通报（各地区）"),
        "monitoring.bulletin",
        "gaoqi.monitoring.bulletins.scheduled_bulletins",
        (Freq.MONTHLY, Freq.QUARTERLY),
        _bulletin_kwargs,
    ),
}


def task_label(code: str) -> str:
    task = SCHEDULED_TASKS.get(code)
    return str(task.label) if task else code


# The standing schedules' names (jobs migrations 0002 and 0003), so that the catalogue translates them on the page.
STANDING_NAMES = (
    gettext_noop("每日监测预警扫描"),
    gettext_noop("月度指标快照"),
    gettext_noop("每日指标快照"),
    gettext_noop("月度进展通报（全省及各设区市）"),
    gettext_noop("季度进展通报（全省及各设区市）"),
)
