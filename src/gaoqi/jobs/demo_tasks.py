"""A job function to try the machinery with: counts, reports progress, can be told to fail."""

from __future__ import annotations

import time


def count_to(n: int, *, step: float = 0.0, fail_at: int | None = None, progress=None) -> dict:
    """Count from 1 to `n`, sleeping `step` seconds per number; raise at `fail_at` when given."""
    if progress:
        progress(0, n, "开始计数")
    for i in range(1, n + 1):
        if step:
            time.sleep(step)
        if fail_at is not None and i == fail_at:
            raise RuntimeError(f"按要求在第 {i} 步失败")
        if progress:
            progress(i, n, f"已计数 {i} / {n}")
    return {"counted": n, "summary": f"已计数到 {n}"}
