"""Run the benchmarks: `python -m bench` (all) or `python -m bench policy_bulk [other ...]`.

Every module `bench/<name>.py` that defines `run()` is a benchmark; they run in name order, each in
its own section. Helper modules without `run()` are skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).parent
    names = []
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            names.append(info.name)
    return names


def main(argv: list[str]) -> int:
    available = discover()
    chosen = argv or available
    unknown = [n for n in chosen if n not in available]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr
        )
        return 2
    failed = 0
    for name in chosen:
        print(f"\n=== bench.{name} " + "=" * max(0, 60 - len(name)), flush=True)
        start = time.perf_counter()
        try:
            importlib.import_module(f"bench.{name}").run()
        except Exception:  # one broken benchmark must not hide the others' figures
            failed += 1
            traceback.print_exc()
        print(f"--- bench.{name} done in {time.perf_counter() - start:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
