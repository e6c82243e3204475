"""Benchmarks: `python -m bench` runs every module here that exposes `run()`; figures are printed,
never asserted. Shared helpers for honest timing (see the shared BENCHMARKING.md) live here."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GAOQI = [sys.executable, "-c", "import sys; from gaoqi.cli import main; sys.exit(main())"]
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def gaoqi(args: list[str], env: dict, timeout: float | None = None) -> str:
    """Run `gaoqi ARGS` in a fresh process with `env` (the benchmark's database); its stdout, or RuntimeError
    with the end of its stderr."""
    done = subprocess.run(
        [*GAOQI, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"gaoqi {' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def measure_in(module: str, env: dict) -> None:
    """Run `python -m MODULE --measure` in a process whose settings (`env`) point at the benchmark database; print
    its output, or RuntimeError with the end of its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--measure"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout, end="", flush=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])


def postgres_up() -> bool:
    """Whether PostgreSQL answers on 127.0.0.1:5432 (this machine kind starts one, trust auth)."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def temporary_postgres(label: str) -> Iterator[str]:
    """A new database `gaoqi_bench_<label>_<pid>` on 127.0.0.1:5432 for the block; its URL. Dropped after."""
    import psycopg

    name = f"gaoqi_bench_{label}_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def existing_database() -> str | None:
    """BENCH_DATABASE_URL: measure the pages against this already loaded database (e.g. a 4M-firm province
    from `gaoqi demo-data`) instead of loading a temporary one. The page benchmarks then write nothing but
    their bench-* users (and, for the dashboard, the KPI snapshots a nightly job would write)."""
    return os.environ.get("BENCH_DATABASE_URL") or None


def load_line() -> str:
    """The machine's load, printed beside the figures (a shared machine's figures depend on it)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


OUT = Path(__file__).parent / "out"
# The previous engine: the last commit before the rebuild (290531c "policy engine, second edition").
OLD_REV = os.environ.get("BENCH_OLD_REV", "41a1d9cdc92edc4e603b122fde0f84ab84e3b4a6")


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


def cached(
    stem: str, fmt: str, schema: Mapping[str, object], version: int, write: Callable[[Path], None]
) -> Path:
    """bench/out/<stem>_<tag>.<fmt>, written once by `write(tmp_path)`; the tag hashes the column schema and
    the generator's `version`, so a new facts field or a changed generator never reuses a stale file
    (older files of the same stem are deleted). Delete bench/out to regenerate everything."""
    OUT.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha1(repr((version, [(k, str(v)) for k, v in schema.items()])).encode()).hexdigest()[:8]
    path = OUT / f"{stem}_{tag}.{fmt}"
    if not path.exists():
        for old in OUT.glob(f"{stem}_*.{fmt}"):
            if old.stem.rsplit("_", 1)[0] == stem:
                old.unlink()
        tmp = OUT / f"{stem}_{tag}.tmp.{fmt}"
        write(tmp)
        tmp.rename(path)
    return path


@contextlib.contextmanager
def old_tree(rev: str = OLD_REV) -> Iterator[Path]:
    """`src/` of commit `rev` in a temporary directory (for PYTHONPATH), removed afterwards. `git archive`,
    not a worktree: nothing is registered in the repository."""
    with tempfile.TemporaryDirectory(prefix="gaoqi-oldengine-") as tmp:
        archive = Path(tmp) / "old.tar"
        with open(archive, "wb") as fh:
            subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src/gaoqi"], stdout=fh, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        archive.unlink()
        yield Path(tmp) / "src"


def run_python(code: str, *args: str, src: Path | None = None) -> str:
    """stdout of `python -c code args` in a fresh process at the project root (PYTHONPATH=src if given)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return done.stdout
