"""The CPU a `gaoqi demo-data` load costs, the loader's and the PostgreSQL server's (same host, /proc).

On a machine shared with other sessions the wall time of a load says little; its CPU does. This runs one
`gaoqi demo-data …` process (the arguments after `--`, against `DATABASE_URL`) under `/usr/bin/time -v` and
samples every PostgreSQL process twice a second: the CPU (utime + stime) each used while the load ran,
attributed by its command line to the load's database backend, the parallel workers it started (B-tree
builds), the shared background processes (checkpointer, background writer, WAL writer: the load's WAL and
dirty pages are most of their work during it, but not all) and the rest (other sessions' backends: not
counted). A process that exits between two samples loses at most half a second of CPU.

    DATABASE_URL=postgres://…/gaoqi_hD_1m python -m bench.demo_load_cpu -- --enterprises 1000000

Prints the loader's own output (its per-phase timings included), then the totals and total CPU / 2 cores,
a lower bound on the wall time of the same load on an idle machine of 2 cores.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
GAOQI = [sys.executable, "-c", "import sys; from gaoqi.cli import main; sys.exit(main())"]
TICK = os.sysconf("SC_CLK_TCK")


def _postgres_processes() -> dict[int, tuple[str, float]]:
    """{pid: (command line, CPU seconds)} of every process whose command line starts with "postgres"."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cmd = (
                Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            )
            if "postgres" not in cmd.split(" ", 1)[0]:
                continue
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(entry.name)] = (cmd, (int(fields[11]) + int(fields[12])) / TICK)
    return out


class Sampler(threading.Thread):
    def __init__(self, database: str, interval: float = 0.5):
        super().__init__(daemon=True)
        self.database, self.interval = database, interval
        self.first = _postgres_processes()
        self.last: dict[int, tuple[str, float]] = dict(self.first)
        self.kind: dict[int, str] = {}
        self.stop = threading.Event()

    def _classify(self, pid: int, cmd: str, mine: set[int]) -> str:
        if m := re.search(r"parallel worker for PID (\d+)", cmd):
            return "parallel workers" if int(m.group(1)) in mine else "other"
        if f" {self.database} " in f"{cmd} ":
            return "backend"
        if any(k in cmd for k in ("checkpointer", "background writer", "walwriter")):
            return "background (shared)"
        return "other"

    def sample(self) -> None:
        now = _postgres_processes()
        for pid, (cmd, _cpu) in now.items():
            if pid not in self.kind or self.kind[pid] == "other":
                mine = {p for p, k in self.kind.items() if k == "backend"}
                self.kind[pid] = self._classify(pid, cmd, mine)
        self.last.update(now)

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.sample()

    def totals(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, (_cmd, cpu) in self.last.items():
            before = self.first.get(pid, (None, 0.0))[1]
            kind = self.kind.get(pid, "other")
            out[kind] = out.get(kind, 0.0) + cpu - before
        return out


def main(argv: list[str]) -> int:
    args = argv[argv.index("--") + 1 :] if "--" in argv else argv
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("DATABASE_URL must name a PostgreSQL database on this host", file=sys.stderr)
        return 2
    database = urlparse(url).path.lstrip("/")
    load_before = os.getloadavg()
    sampler = Sampler(database)
    sampler.start()
    start = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", *GAOQI, "demo-data", *args], cwd=ROOT, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    sampler.sample()
    print(done.stdout, end="")
    time_v = {}
    for line in done.stderr.splitlines():
        key, _, value = line.strip().partition(": ")
        if line.startswith("\t"):  # /usr/bin/time -v
            time_v[key] = value
        elif line.strip():
            print(line.split("\r")[-1])  # a progress bar: its last state
    user = float(time_v.get("User time (seconds)", "nan"))
    system = float(time_v.get("System time (seconds)", "nan"))
    server = sampler.totals()
    counted = sum(v for k, v in server.items() if k != "other")
    print(
        f"\nexit {done.returncode}; wall {wall:.1f} s; load average before {load_before[0]:.1f}, after "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        f"loader: {user:.1f} s user + {system:.1f} s system; peak RSS "
        f"{int(time_v.get('Maximum resident set size (kbytes)', '0')) / 2**20:.2f} GB"
    )
    for kind in ("backend", "parallel workers", "background (shared)", "other"):
        print(
            f"server {kind}: {server.get(kind, 0.0):.1f} s CPU"
            + (" (not counted)" if kind == "other" else "")
        )
    total = user + system + counted
    print(
        f"total CPU (loader + server, counted): {total:.1f} s; / 2 cores = {total / 2:.1f} s "
        "(a lower bound on the idle wall time)"
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
