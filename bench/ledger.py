"""Re-evaluation, the ledger page and its export at province scale: 300,000 synthetic firms with facts, SQLite
always, PostgreSQL when 127.0.0.1:5432 answers (a temporary database, dropped after).

Measured in a subprocess whose settings point at the benchmark database:
- re-evaluation of every firm (tech_sme, hte, pool, ledger tiers; snapshots and ledger entries stored):
  the first run (everything inserted), a second run on the same facts (nothing to write), and a run after an
  "import" that changed a figure of every firm (new facts revisions; target ≤ 30 s at 300,000 firms);
- the ledger page (GET /ledger/?…) as a province and a city officer: median and p95 of REPEAT requests per
  filter (target p95 ≤ 150 ms);
- the ledger export (xlsx) for the province officer, all firms (target ≤ 10 s).

`python -m bench ledger`; BENCH_LEDGER_N=<n> changes the number of firms. BENCH_DATABASE_URL=<url> measures
the ledger page and export of an existing database (re-evaluated already) without re-evaluating or changing
its facts (BENCH_LEDGER_REEVALUATE=1 runs the re-evaluations too, changing a figure of every firm).
BENCH_LEDGER_PAGES=0 skips the pages, BENCH_LEDGER_EXPORT=0 the export.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench import existing_database, gaoqi, load_line, postgres_up, temporary_postgres

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 20
AS_OF = date(2025, 6, 30)
CASES = (
    ("unfiltered, page 1", {}),
    ("grade B", {"grade": "B"}),
    ("应评尽评 list", {"list": "sme_due"}),
    ("高企后备 list", {"list": "hte_reserve"}),
    ("county + grade C", {"county": "@county", "grade": "C"}),
    ("tech field 80", {"tech_field": "80"}),
    ("name fragment 智能", {"q": "智能"}),
    ("rare 2-char fragment from the data", {"q": "@rare"}),
    ("tech sub-field 801", {"tech_field": "801"}),
    ("deep page (300, or the middle; cursor)", {"after": "@deep"}),
)
ACTORS = (
    ("province officer", "province_officer", "320000", "320115"),
    ("city officer 320500", "city_officer", "320500", "320583"),
)


def _case(env: dict, n: int) -> None:
    gaoqi(["migrate", "-v0"], env)
    start = time.perf_counter()
    gaoqi(
        ["demo-data", "--enterprises", str(n), "--seed", "2019", "--ip-items", "none", "--no-progress"], env
    )
    print(f"  loaded {n:,} synthetic firms with facts in {time.perf_counter() - start:.1f} s", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "bench.ledger", "--measure"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    print(done.stdout, end="", flush=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])


def run() -> None:
    n = int(os.environ.get("BENCH_LEDGER_N", "300000"))
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gaoqi.settings",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
        "GAOQI_DEBUG": "0",
        "GAOQI_LOG_LEVEL": "ERROR",
    }
    if url := existing_database():
        print(f"existing database {url}", flush=True)
        with tempfile.TemporaryDirectory(prefix="gaoqi-bench-ledger-") as tmp:
            env = {**base, "DATABASE_URL": url, "GAOQI_VAR_DIR": tmp}
            done = subprocess.run(
                [sys.executable, "-m", "bench.ledger", "--measure"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            print(done.stdout, end="", flush=True)
            if done.returncode:
                raise RuntimeError(done.stderr[-3000:])
        return
    with tempfile.TemporaryDirectory(prefix="gaoqi-bench-ledger-") as tmp:
        print(f"SQLite ({n:,} firms)", flush=True)
        _case({**base, "DATABASE_URL": f"sqlite:///{tmp}/ledger.sqlite3", "GAOQI_VAR_DIR": tmp}, n)
        if not postgres_up():
            print("PostgreSQL: 127.0.0.1:5432 does not answer; skipped")
            return
        with temporary_postgres("ledger") as url:
            print(f"PostgreSQL ({n:,} firms, {url})", flush=True)
            _case({**base, "DATABASE_URL": url, "GAOQI_VAR_DIR": tmp}, n)


# --- the measuring subprocess ---------------------------------------------------------------------------


def _timed(label: str, fn):
    from bench import touch_memory

    touch_memory(0.5)
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    wall = time.perf_counter() - start
    print(
        f"  {label:<58} {wall:6.2f} s wall  {time.process_time() - cpu:6.2f} s CPU  "
        f"(load {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return out


def _measure_here() -> None:
    import django

    django.setup()
    from django.db import connection

    from gaoqi.accounts.models import User
    from gaoqi.ledger.export import export_ledger
    from gaoqi.ledger.selectors import LedgerFilter
    from gaoqi.ledger.services import reevaluate

    def show(r) -> str:
        w, e = r.written, r.entries
        return (
            f"    snapshots: {w.inserted:,} inserted, {w.rewritten:,} rewritten, {w.touched:,} touched, "
            f"{w.unchanged:,} unchanged; ledger entries: {e.inserted:,} / {e.rewritten:,} / {e.touched:,} / "
            f"{e.unchanged:,}"
        )

    from gaoqi.registry.models import Enterprise

    print(f"  {Enterprise.objects.count():,} firms; {load_line()}", flush=True)
    if not existing_database() or os.environ.get("BENCH_LEDGER_REEVALUATE") == "1":
        _reevaluations(show, reevaluate)
        from gaoqi.ledger import tally

        # as `gaoqi reevaluate` and the re-evaluation jobs do: the summary reads these counts
        _timed("ledger tally refresh (the summary's counts)", tally.refresh)
    if os.environ.get("BENCH_LEDGER_PAGES", "1") == "1":
        rare = _rare_fragment()
        print(f"  rare fragment {rare!r}", flush=True)
        _pages(rare)
    province, _ = User.objects.get_or_create(
        username="bench-province_officer", defaults={"role": "province_officer", "region_id": "320000"}
    )
    n = Enterprise.objects.count()

    def export():
        path = export_ledger(actor=province, filters=LedgerFilter())
        size = os.path.getsize(path)
        os.unlink(path)
        return size

    if os.environ.get("BENCH_LEDGER_EXPORT", "1") == "1":
        size = _timed(f"ledger export, province, all {n:,} firms (target ≤ 10 s)", export)
        print(f"    {size / 2**20:.1f} MB xlsx ({connection.vendor})")


def _rare_fragment() -> str:
    from bench.enterprise_list import _rare_fragment as rare

    return rare()


def _reevaluations(show, reevaluate) -> None:
    from gaoqi.registry.models import AnnualReport

    print(show(_timed("re-evaluation, first run (all inserted)", lambda: reevaluate(as_of=AS_OF))))
    print(show(_timed("re-evaluation, same facts again", lambda: reevaluate(as_of=AS_OF))))
    # What an import of one department's figures does: every firm's last-year revenue changes a little.
    changed = AnnualReport.objects.filter(
        year=AS_OF.year - 1, revenue__isnull=False, total_income__isnull=False
    )
    from django.db.models import F

    rows = changed.update(revenue=F("revenue") + 1_000, total_income=F("total_income") + 1_000)
    print(f"    (changed the {AS_OF.year - 1} revenue of {rows:,} annual reports, as an import would)")
    print(show(_timed("re-evaluation after an import touching every firm", lambda: reevaluate(as_of=AS_OF))))


def _pages(rare: str) -> None:
    from django.test import Client

    from gaoqi.accounts.models import User
    from gaoqi.registry.models import Enterprise

    for label, role, region, county in ACTORS:
        user, _ = User.objects.get_or_create(
            username=f"bench-{role}", defaults={"role": role, "region_id": region}
        )
        client = Client()
        client.force_login(user)
        print(f"  ledger page, {label} (median / p95 of {REPEAT}, target p95 ≤ 150 ms):")
        # a page that exists for this officer, also in a small register
        firms = Enterprise.objects.filter(**({} if region.endswith("0000") else {"city_id": region})).count()
        deep = _cursor_to_page(user, min(300, max(2, firms // 100)))
        for case, params in CASES:
            query = {
                k: {"@county": county, "@deep": deep, "@rare": rare}.get(v, v) for k, v in params.items()
            }
            client.get("/ledger/", query)  # warm
            times = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                response = client.get("/ledger/", query)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            flag = "" if p95 <= 0.150 else "  OVER TARGET"
            print(f"    {case:<34} {statistics.median(times) * 1000:6.0f} ms  {p95 * 1000:6.0f} ms{flag}")


def _cursor_to_page(user, number: int) -> str:
    """The `after` cursor of the page `number` of the unfiltered ledger, as following "next" from the first
    page gives it (the cursor of the previous page's last row)."""
    from gaoqi.ledger.selectors import PER_PAGE, LedgerFilter, encode_cursor, ledger_entries

    position = (number - 1) * PER_PAGE - 1
    return encode_cursor(ledger_entries(actor=user, filters=LedgerFilter())[position], position)


if __name__ == "__main__":
    if "--measure" in sys.argv:
        _measure_here()
    else:
        run()
