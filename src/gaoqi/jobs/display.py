"""Jobs in the terminal: a table, one job's details, and a live progress display."""

from __future__ import annotations

import sys
import time
import unicodedata
from collections.abc import Iterable

from django.utils import timezone

from gaoqi.jobs.models import Job


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """Left-justify to a display width (CJK characters take two columns)."""
    return text + " " * max(1, width - _width(text))


def progress_text(job: Job) -> str:
    total = "?" if job.total is None else f"{job.total:,}"
    percent = "" if job.percent is None else f" {job.percent}%"
    return f"{job.done:,}/{total}{percent}"


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


COLUMNS = (("#", 7), ("类型", 16), ("状态", 8), ("进度", 20), ("发起人", 14), ("发起时间", 21))


def table(jobs: Iterable[Job]) -> list[str]:
    lines = ["".join(pad(title, width) for title, width in COLUMNS) + "说明"]
    for job in jobs:
        cells = (
            str(job.pk),
            job.kind_label,
            job.get_status_display(),
            progress_text(job),
            str(job.created_by) if job.created_by_id else "（命令行）",
            _when(job.created_at),
        )
        note = job.error or job.message
        lines.append("".join(pad(c, w) for c, (_t, w) in zip(cells, COLUMNS, strict=True)) + note)
    return lines


def details(job: Job, *, with_traceback: bool = False) -> list[str]:
    lines = [
        f"任务 #{job.pk}  {job.kind_label}（{job.kind}）",
        f"状态：{job.get_status_display()}    进度：{progress_text(job)}    {job.message}",
        f"发起：{_when(job.created_at)}  开始：{_when(job.started_at)}  结束：{_when(job.finished_at)}",
        f"函数：{job.func_path}  参数：{job.kwargs}",
        f"执行进程：{job.worker_id or '—'}  执行次数：{job.attempts}  任务库编号：{job.task_id or '—'}",
    ]
    if job.result is not None:
        lines.append(f"结果：{job.result}")
    if job.error:
        lines.append(f"错误：{job.error}")
    if with_traceback and job.traceback:
        lines.append(job.traceback.rstrip())
    return lines


class Display:
    """A progress bar on a terminal (tqdm, on stderr), plain lines at most every `every` seconds elsewhere."""

    def __init__(self, job: Job, *, out, stream=None, every: float = 1.0):
        from tqdm import tqdm

        self.out = out
        self.every = every
        self._last = None
        self._last_at = -1e9
        stream = stream or sys.stderr
        self.bar = (
            tqdm(total=job.total, desc=f"#{job.pk} {job.kind_label}", file=stream, dynamic_ncols=True)
            if stream.isatty()
            else None
        )

    def update(self, done: int, total: int | None, message: str) -> None:
        if self.bar is not None:
            if total is not None and self.bar.total != total:
                self.bar.total = total
            self.bar.n = done
            self.bar.set_postfix_str(message[:40], refresh=False)
            self.bar.refresh()
            return
        now = time.monotonic()
        state = (done, total, message)
        if state != self._last and now - self._last_at >= self.every:
            self.out.write(f"  {done:,}/{'?' if total is None else f'{total:,}'}  {message}")
            self._last, self._last_at = state, now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def follow(job: Job, *, out, poll: float = 0.5, timeout: float | None = None, stream=None) -> Job:
    """Show a job's progress until it finishes (or `timeout` seconds pass); returns the job as last read."""
    display = Display(job, out=out, stream=stream)
    started = time.monotonic()
    try:
        while True:
            job.refresh_from_db()
            display.update(job.done, job.total, job.message)
            if job.is_finished or (timeout is not None and time.monotonic() - started >= timeout):
                return job
            time.sleep(poll)
    finally:
        display.close()
