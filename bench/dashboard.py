"""The monitoring figures with BENCH_DASH_N (default 300,000) synthetic firms on SQLite (and PostgreSQL when
127.0.0.1:5432 answers and BENCH_DASH_PG=1): targets dashboards p95 ≤ 300 ms, KPI recomputation for the
province ≤ 5 s, a city's monthly bulletin PDF ≤ 10 s.

- KPI recomputation: `services.snapshot_month` (the province, its 13 cities and 95 counties in one pass of
  grouped queries), and the live `selectors.kpi_overview` of the province (the KPI detail page's query);
- dashboards: GET /monitoring/ as a province, a city (Suzhou) and a county (Kunshan) officer, REPEAT times,
  median and p95, reading the stored snapshots of the last 6 months;
- the KPI detail pages of the six KPIs as a province and a city officer (from the snapshot; the missing-firm
  list is not in the page), page 1 of each missing-firm list as htmx loads it after the page, 20 pages of
  each list (cursor), a past day's detail page (live), and Suzhou's monthly bulletin as PDF and as Excel.

The firms come from `gaoqi demo-data` (certificates, zones, R&D institutions; BENCH_DASH_FACTS=1 also loads
the yearly facts and IP items the R&D-share and patent KPIs read, which takes much longer to load).
`python -m bench dashboard`. BENCH_DATABASE_URL=<url> measures an existing database (nothing loaded; it
writes the KPI snapshots of this month and the 5 before, as the nightly job would, and its bench-* users).
BENCH_DASH_SNAPSHOT=0 reads the snapshots already stored instead; BENCH_DASH_LIVE=0 skips the live
computations (the province overview, a past day's detail pages: minutes at 4M firms); BENCH_DASH_BULLETIN=0
skips the bulletins; BENCH_DASH_REPEAT (default 30) requests per dashboard case, a third per detail page.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import existing_database, gaoqi, load_line, postgres_up, temporary_postgres

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 30
TARGET_P95, TARGET_KPI, TARGET_PDF = 0.300, 5.0, 10.0


def _prepare(env: dict, n: int) -> None:
    gaoqi(["migrate", "-v0"], env)
    start = time.perf_counter()
    facts = [] if os.environ.get("BENCH_DASH_FACTS") == "1" else ["--no-facts"]
    gaoqi(["demo-data", "--enterprises", str(n), "--seed", "2019", *facts, "--no-progress"], env)
    print(
        f"  loaded {n:,} firms ({'with' if not facts else 'no'} yearly facts) in {time.perf_counter() - start:.1f} s"
    )


def _measure(env: dict) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.dashboard", "--measure"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print(done.stdout, end="", flush=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])


def run() -> None:
    n = int(os.environ.get("BENCH_DASH_N", "300000"))
    base = {**os.environ, "GAOQI_DEBUG": "0", "GAOQI_LOG_LEVEL": "ERROR"}
    if url := existing_database():
        print(f"existing database {url}", flush=True)
        with tempfile.TemporaryDirectory(prefix="gaoqi-bench-dash-") as tmp:
            _measure({**base, "DATABASE_URL": url, "GAOQI_VAR_DIR": tmp})
        return
    with tempfile.TemporaryDirectory(prefix="gaoqi-bench-dash-") as tmp:
        print(f"SQLite ({n:,} firms)", flush=True)
        env = {**base, "DATABASE_URL": f"sqlite:///{tmp}/dash.sqlite3", "GAOQI_VAR_DIR": tmp}
        _prepare(env, n)
        _measure(env)
        if os.environ.get("BENCH_DASH_PG") != "1" or not postgres_up():
            print("PostgreSQL: skipped (BENCH_DASH_PG=1 and 127.0.0.1:5432 answering run it)")
            return
        with temporary_postgres("dash") as url:
            print(f"PostgreSQL ({n:,} firms, {url})", flush=True)
            env = {**base, "DATABASE_URL": url, "GAOQI_VAR_DIR": tmp}
            _prepare(env, n)
            _measure(env)


# --- the measuring subprocess ---------------------------------------------------------------------------


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _flag(ok: bool) -> str:
    return "" if ok else "   << over target"


def _p95(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def _pages(label: str, client, url: str, repeat: int, **headers) -> None:
    """Wall median / p95 of `repeat` requests (after two warm-ups) and this process's CPU median (Django, and
    SQLite's queries; PostgreSQL's work is in its own processes)."""
    times, cpu = [], []
    for _ in range(repeat + 2):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, **headers)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 200, (url, response.status_code)
    median, p95 = _p95(times[2:])
    print(
        f"  {label:<44} median {median * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
        f"CPU median {statistics.median(cpu[2:]) * 1000:6.1f} ms{_flag(p95 <= TARGET_P95)}",
        flush=True,
    )


def _measure_here() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoqi.settings")
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from gaoqi.accounts.models import User
    from gaoqi.monitoring import bulletins, selectors
    from gaoqi.monitoring.kpis import KPIS
    from gaoqi.monitoring.models import KpiSnapshot
    from gaoqi.monitoring.services import snapshot_month
    from gaoqi.registry.models import Certificate, Enterprise

    repeat = int(os.environ.get("BENCH_DASH_REPEAT", REPEAT))
    today = timezone.localdate()
    firms = Enterprise.objects.count()
    htes = Enterprise.objects.filter(hte_valid_until__gte=today).count()
    print(
        f"  {firms:,} firms, {htes:,} valid HTEs, {Certificate.objects.count():,} certificates; {load_line()}"
    )
    users = {}
    for role, region in (
        ("province_officer", "320000"),
        ("city_officer", "320500"),
        ("county_officer", "320583"),
    ):
        users[role], _ = User.objects.get_or_create(
            username=f"bench-{role}", defaults={"role": role, "region_id": region}
        )
    month = today.replace(day=1)
    if os.environ.get("BENCH_DASH_SNAPSHOT", "1") != "0":
        seconds, result = _timed(lambda: snapshot_month(month=month))
        print(
            f"  KPI snapshot, province + 13 cities + 95 counties: {seconds:6.2f} s "
            f"({result['rows']} rows; target ≤ {TARGET_KPI:.0f} s){_flag(seconds <= TARGET_KPI)}"
        )
        start = time.perf_counter()
        m = month
        for _ in range(5):
            m = (m - timedelta(days=1)).replace(day=1)
            snapshot_month(month=m)
        print(f"  5 earlier months' snapshots:                    {time.perf_counter() - start:6.2f} s")
    else:
        latest = KpiSnapshot.objects.order_by("-month", "-as_of").values_list("month", "as_of").first()
        print(f"  the stored snapshots (BENCH_DASH_SNAPSHOT=0): latest {latest}")
    live = os.environ.get("BENCH_DASH_LIVE", "1") != "0"
    if live:
        seconds, _o = _timed(lambda: selectors.kpi_overview(actor=users["province_officer"], as_of=today))
        print(
            f"  live KPI overview of the province:              {seconds:6.2f} s{_flag(seconds <= TARGET_KPI)}"
        )
    for page, url in (("dashboard", "/monitoring/"), ("home", "/")):
        for role, user in users.items():
            client = Client()
            client.force_login(user)
            _pages(f"{page} {role}", client, url, repeat)
    # KPI detail pages (the figures from the snapshot; the page reads no firm), page 1 of each missing-firm list
    # as htmx loads it after the page (computed live), and the lists' later pages (windowed cursor pages).
    detail_repeat = max(3, repeat // 3)
    for role in ("province_officer", "city_officer"):
        client = Client()
        client.force_login(users[role])
        for k in KPIS:
            _pages(f"KPI detail {k.code} {role}", client, f"/monitoring/kpi/{k.code}/", detail_repeat)
        for k in KPIS:
            if k.missing:
                url = f"/monitoring/kpi/{k.code}/missing/"
                _pages(f"KPI list {k.code} {role} (htmx)", client, url, detail_repeat, HTTP_HX_REQUEST="true")
        for k in KPIS:
            if not k.missing:
                continue
            after, times = None, []
            for _ in range(20):
                start = time.perf_counter()
                p = selectors.missing_firms(actor=users[role], kpi=k.code, as_of=today, after=after)
                times.append(time.perf_counter() - start)
                after = p.next_after
                if after is None:
                    break
            median, p95 = _p95(times)
            print(
                f"  missing list {k.code:<18} {role:<16} {len(times):2} pages: median {median * 1000:7.1f} ms"
                f"   max {max(times) * 1000:7.1f} ms{_flag(max(times) <= TARGET_P95)}",
                flush=True,
            )
    if live:
        client = Client()
        client.force_login(users["city_officer"])
        day = (today - timedelta(days=40)).isoformat()
        for code in ("valid_hte", "rnd_coverage", "rnd_share"):
            seconds, response = _timed(lambda code=code: client.get(f"/monitoring/kpi/{code}/?as_of={day}"))
            assert response.status_code == 200
            print(f"  KPI detail page {code:<18} (Suzhou, a past day: live):  {seconds * 1000:7.1f} ms")
    if os.environ.get("BENCH_DASH_BULLETIN", "1") == "0":
        return
    period = today.strftime("%Y-%m")
    for fmt in ("pdf", "xlsx"):
        seconds, b = _timed(
            lambda fmt=fmt: bulletins.bulletin_generate(
                actor=users["city_officer"], region_code="320500", period=period, fmt=fmt
            )
        )
        target = f"; target ≤ {TARGET_PDF:.0f} s" if fmt == "pdf" else ""
        print(
            f"  Suzhou monthly bulletin {fmt:<4}: {seconds:6.2f} s ({b.size:,} bytes{target})"
            f"{_flag(fmt != 'pdf' or seconds <= TARGET_PDF)}"
        )


if __name__ == "__main__":
    if "--measure" in sys.argv:
        sys.path.insert(0, str(ROOT))
        _measure_here()
    else:
        run()
