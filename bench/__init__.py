"""Benchmarks: `python -m bench` runs every module here that exposes `run()`; figures are printed,
never asserted. Shared helpers for honest timing (see the shared BENCHMARKING.md) live here."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).parent / "out"


def touch_memory(gib: float = 2.0) -> None:
    """Touch and free some memory (untimed) so a timed section does not pay for page faults the host
    charges after a previous section returned memory (~2-3 s per GiB on these machines)."""
    block = bytearray(int(gib * (1 << 30)))
    step = 4096
    for i in range(0, len(block), step * 64):
        block[i] = 1
    del block
    gc.collect()


def median_time(fn: Callable[[], object], repeat: int = 3, warm: bool = True, touch_gib: float = 1.0):
    """(median seconds, all timings, last result) over `repeat` runs, touching memory before each."""
    times = []
    result = None
    for _ in range(repeat):
        if warm:
            touch_memory(touch_gib)
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def fmt_times(times: list[float]) -> str:
    return " / ".join(f"{t:.3f}" for t in times)
