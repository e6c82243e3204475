"""The enterprise list page, server-side, with 300,000 synthetic firms loaded: SQLite always, PostgreSQL
when 127.0.0.1:5432 answers (a temporary database `gaoqi_bench_<pid>`, user postgres, dropped after).

Each case is GET /enterprises/?… through django.test.Client, logged in as a city officer (Suzhou) and a
province officer: median and p95 of REPEAT requests (target median ≤ 50 ms, p95 ≤ 150 ms). For a case
over target, the SQL of its request and the database's plan (EXPLAIN) are printed.

`python -m bench enterprise_list`; BENCH_LIST_N=<n> changes the number of firms; BENCH_DATABASE_URL=<url>
measures an existing database instead (nothing loaded, nothing dropped).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import existing_database, gaoqi, load_line, measure_in, postgres_up, temporary_postgres

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 30
TARGET_MEDIAN, TARGET_P95 = 0.050, 0.150
CASES = (
    ("unfiltered, page 1", {}),
    ("county", {"county": "@county"}),
    ("tech field 80 (with sub-fields)", {"tech_field": "80"}),
    ("tech sub-field 801", {"tech_field": "801"}),
    ("status=hte", {"status": "hte"}),
    ("status=candidate", {"status": "candidate"}),
    ("name fragment 智能", {"q": "智能"}),
    ("name fragment 恒瑞 (rarer)", {"q": "恒瑞"}),
    ("rare 2-char fragment from the data", {"q": "@rare"}),
    ("2-char fragment in no name", {"q": "鼋蠡"}),
    ("1-char fragment 蠡 (rare)", {"q": "蠡"}),
    ("1-char fragment 智 (common)", {"q": "智"}),
    ("county + rare fragment", {"county": "@county", "q": "@rare"}),
    ("tech field 80 + fragment 智能", {"tech_field": "80", "q": "智能"}),
    ("credit-code prefix", {"q": "@prefix"}),
    ("deep page 400", {"page": "400"}),
)
ACTORS = (
    ("city officer 320500", "city_officer", "320500", "320583"),
    ("province officer 320000", "province_officer", "320000", "320115"),
)


def _prepare(env: dict, n: int) -> None:
    gaoqi(["migrate", "-v0"], env)
    start = time.perf_counter()
    gaoqi(["demo-data", "--enterprises", str(n), "--seed", "2019", "--no-facts", "--no-progress"], env)
    print(f"  loaded {n:,} firms (no yearly facts) in {time.perf_counter() - start:.1f} s", flush=True)


def _measure(env: dict) -> None:
    """Run the timing part in a subprocess whose settings point at the benchmark database."""
    measure_in("bench.enterprise_list", env)


def run() -> None:
    n = int(os.environ.get("BENCH_LIST_N", "300000"))
    base = {**os.environ, "GAOQI_DEBUG": "0", "GAOQI_LOG_LEVEL": "ERROR"}
    if url := existing_database():
        print(f"existing database {url}", flush=True)
        with tempfile.TemporaryDirectory(prefix="gaoqi-bench-list-") as tmp:
            _measure({**base, "DATABASE_URL": url, "GAOQI_VAR_DIR": tmp})
        return
    with tempfile.TemporaryDirectory(prefix="gaoqi-bench-list-") as tmp:
        print(f"SQLite ({n:,} firms)", flush=True)
        env = {**base, "DATABASE_URL": f"sqlite:///{tmp}/list.sqlite3", "GAOQI_VAR_DIR": tmp}
        _prepare(env, n)
        _measure(env)
        if not postgres_up():
            print("PostgreSQL: 127.0.0.1:5432 does not answer; skipped")
            return
        with temporary_postgres("list") as url:
            print(f"PostgreSQL ({n:,} firms, {url})", flush=True)
            env = {**base, "DATABASE_URL": url, "GAOQI_VAR_DIR": tmp}
            _prepare(env, n)
            _measure(env)


# --- the measuring subprocess ---------------------------------------------------------------------


def _explain(sql: str) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return [" | ".join(str(c) for c in row) for row in cursor.fetchall()]


def _measure_here() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoqi.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gaoqi.accounts.models import User
    from gaoqi.registry.models import Enterprise

    prefix = Enterprise.objects.filter(county_id="320583").values_list("credit_code", flat=True).first()[:10]
    rare = _rare_fragment()
    print(f"  {Enterprise.objects.count():,} firms; rare fragment {rare!r}; {load_line()}", flush=True)
    for label, role, region, county in ACTORS:
        user, _ = User.objects.get_or_create(
            username=f"bench-{role}", defaults={"role": role, "region_id": region}
        )
        client = Client()
        client.force_login(user)
        print(f"  {label}:")
        for case, params in CASES:
            params = {
                k: {"@county": county, "@prefix": prefix, "@rare": rare}.get(v, v) for k, v in params.items()
            }
            times = []
            for _ in range(REPEAT + 2):
                start = time.perf_counter()
                response = client.get("/enterprises/", params)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
            times = sorted(times[2:])  # the first two warm caches
            median, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
            flag = "" if median <= TARGET_MEDIAN and p95 <= TARGET_P95 else "   << over target"
            print(
                f"    {case:<34} median {median * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms{flag}", flush=True
            )
            if flag:
                with CaptureQueriesContext(connection) as ctx:
                    client.get("/enterprises/", params)
                for q in ctx.captured_queries:
                    if "registry_enterprise" in q["sql"]:
                        print(f"      {q['time']}s  {q['sql'][:300]}")
                        for line in _explain(q["sql"]):
                            print(f"        {line}")


def _rare_fragment() -> str:
    """Two characters from the middle of a firm's name (the county of the city officer's) that few names hold:
    the search a rare fragment makes, which read every name before the gram index."""
    from gaoqi.registry.models import Enterprise
    from gaoqi.registry.name_search import name_contains_q

    for name in (
        Enterprise.objects.filter(county_id="320583").order_by("id").values_list("name", flat=True)[:200]
    ):
        for i in range(2, len(name) - 5):
            fragment = name[i : i + 2]
            if Enterprise.objects.filter(name_contains_q(fragment)).order_by()[:6].count() <= 5:
                return fragment
    return "恒瑞"


if __name__ == "__main__":
    if "--measure" in sys.argv:
        sys.path.insert(0, str(ROOT))
        _measure_here()
    else:
        run()
