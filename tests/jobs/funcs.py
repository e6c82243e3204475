"""Job functions used by the tests (allowed by the `test_funcs` fixture)."""

from __future__ import annotations

import time

from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.jobs.models import Job

CALLS: list[dict] = []


def no_progress(x: int) -> int:
    CALLS.append({"x": x})
    return x * 2


def refuse(reason: str) -> None:
    raise NotFound(reason)


def invalid_rows(progress) -> None:
    progress(2, 2, "校验完成")
    raise ValidationFailed("导入文件有 1 行错误", [{"row": 7, "field": "name", "reason": "企业名称不能为空"}])


def break_the_database() -> None:
    Job.objects.create(kind=None)  # NOT NULL: an IntegrityError inside the job


def returns_object():
    return object()


def export_ready(progress) -> dict:
    progress(1, 1)
    return {"summary": "导出 3 行", "url": "/media/exports/x.xlsx"}


def watch_own_progress(progress) -> dict:
    """Report progress, wait for the runner's thread to write it, and read it back from the database."""
    progress(1, 3, "第一步")
    time.sleep(1.2)
    seen = Job.objects.values_list("done", "message").get(status="running")
    progress(3, 3, "完成")
    return {"seen_done": seen[0], "seen_message": seen[1]}
