"""The workflow core at scale: SQLite always, PostgreSQL when 127.0.0.1:5432 answers (a temporary database
`gaoqi_bench_wf_<pid>`, dropped after).

Set-up: BENCH_WF_FIRMS synthetic firms (default 20,000; no yearly facts) and BENCH_WF_APPS tech-SME
applications (default 50,000) spread over the phases, bulk-inserted (set-up, not measured); one firm user with
an e-mail address per firm of the batch.

1. A batch decision: a province officer accepts 2,000 submitted applications with one reason through
   `transition_batch` (each one checked, versioned, given a decision row and an audit event; notifications
   stored and their e-mails sent through the locmem backend after commit). Target ≤ 10 s.
2. The inbox and queue pages (GET through django.test.Client) as a province officer, a city officer and a
   firm: median and p95 of 30 requests. Target p95 ≤ 150 ms.

`python -m bench workflow`; BENCH_WF_DB=sqlite|postgres|both (default both), BENCH_WF_EXPLAIN=1 prints the plans.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import gaoqi, measure_in, postgres_up, temporary_postgres

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 30
BATCH = 2000
TARGET_BATCH, TARGET_P95 = 10.0, 0.150


def _measure(env: dict) -> None:
    measure_in("bench.workflow", env)


def _prepare(env: dict, firms: int) -> None:
    gaoqi(["migrate", "-v0"], env)
    start = time.perf_counter()
    gaoqi(["demo-data", "--enterprises", str(firms), "--seed", "2019", "--no-facts", "--no-progress"], env)
    print(f"  loaded {firms:,} firms (no yearly facts) in {time.perf_counter() - start:.1f} s", flush=True)


def run() -> None:
    firms = int(os.environ.get("BENCH_WF_FIRMS", "20000"))
    base = {
        **os.environ,
        "GAOQI_DEBUG": "0",
        "GAOQI_LOG_LEVEL": "ERROR",
        "GAOQI_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    which = os.environ.get("BENCH_WF_DB", "both")  # sqlite | postgres | both
    with tempfile.TemporaryDirectory(prefix="gaoqi-bench-wf-") as tmp:
        if which in ("sqlite", "both"):
            print("SQLite", flush=True)
            env = {**base, "DATABASE_URL": f"sqlite:///{tmp}/wf.sqlite3", "GAOQI_VAR_DIR": tmp}
            _prepare(env, firms)
            _measure(env)
        if not postgres_up() or which == "sqlite":
            print("PostgreSQL: skipped")
            return
        with temporary_postgres("wf") as url:
            print(f"PostgreSQL ({url})", flush=True)
            env = {**base, "DATABASE_URL": url, "GAOQI_VAR_DIR": tmp}
            _prepare(env, firms)
            _measure(env)


# --- the measuring subprocess ---------------------------------------------------------------------------------

PHASES = (
    ("submitted", 0.30),
    ("draft", 0.20),
    ("returned", 0.05),
    ("accepted", 0.10),
    ("registered", 0.30),
    ("rejected", 0.05),
)


def _load_applications(n: int) -> None:
    """Bulk-insert `n` applications over the firms, by phase shares (set-up data: no services, not timed)."""
    from datetime import timedelta

    from django.utils import timezone

    from gaoqi.registry.models import Enterprise
    from gaoqi.workflow.models import Application

    firms = list(Enterprise.objects.order_by("pk").values_list("pk", "city_id", "county_id"))
    now = timezone.now()
    snapshot = {"outcome": "pass", "score": 70, "engine_version": "bench", "param_hash": "0" * 64}
    rows, i = [], 0
    for phase, share in PHASES:
        for _ in range(int(n * share)):
            pk, city, county = firms[i % len(firms)]
            since = now - timedelta(minutes=i)
            rows.append(
                Application(
                    programme="tech_sme",
                    year=since.year,
                    enterprise_id=pk,
                    city_id=city,
                    county_id=county,
                    phase=phase,
                    phase_since=since,
                    submitted_at=since,
                    snapshot=snapshot,
                    flags=["first_application"] if i % 7 == 0 else [],
                    deadline=since + timedelta(days=15),
                )
            )
            i += 1
    Application.objects.bulk_create(rows, batch_size=2000)
    from django.db import connection

    if connection.vendor == "postgresql":  # a live database has statistics (autovacuum); a fresh load not yet
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _timed(client, url, params) -> tuple[float, float]:
    times = []
    for _ in range(REPEAT + 2):
        start = time.perf_counter()
        response = client.get(url, params)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    times = sorted(times[2:])
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def _explain_request(client, url, params) -> None:
    """The slowest queries of one request, with the database's plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url, params)
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]:
        print(f"      {q['time']}s  {q['sql'][:300]}")
        if q["sql"].startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute(prefix + q["sql"])
                for row in cursor.fetchall():
                    print("        " + " | ".join(str(c) for c in row))


def _measure_here() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoqi.settings")
    import django

    django.setup()
    from django.core import mail
    from django.test import Client
    from django.test.utils import setup_test_environment

    from gaoqi.accounts.models import Role, User
    from gaoqi.audit.models import AuditEvent
    from gaoqi.workflow.models import Application, Notification
    from gaoqi.workflow.services import transition_batch

    setup_test_environment()  # the locmem outbox
    n = int(os.environ.get("BENCH_WF_APPS", "50000"))
    start = time.perf_counter()
    _load_applications(n)
    print(f"  {Application.objects.count():,} applications inserted in {time.perf_counter() - start:.1f} s")
    province, _ = User.objects.get_or_create(
        username="bench-province", defaults={"role": Role.PROVINCE_OFFICER, "region_id": "320000"}
    )
    batch = list(
        Application.objects.filter(phase="submitted")
        .order_by("phase_since")
        .values_list("pk", "version", "enterprise_id")[:BATCH]
    )
    User.objects.bulk_create(
        [
            User(
                username=f"bench-firm-{e}",
                role=Role.ENTERPRISE,
                enterprise_id=e,
                email=f"firm{e}@example.com",
            )
            for e in sorted({e for _pk, _v, e in batch})
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    audits = AuditEvent.objects.count()
    profiler = None
    if os.environ.get("BENCH_WF_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    result = transition_batch(
        actor=province,
        items=[(pk, v) for pk, v, _e in batch],
        action="accept",
        reason="形式审查通过（基准测试）",
    )
    elapsed = time.perf_counter() - start
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    flag = "" if elapsed <= TARGET_BATCH else "   << over target"
    print(
        f"  batch decision: {len(result.done):,} accepted, {len(result.refused)} refused in {elapsed:.2f} s{flag}; "
        f"audit events +{AuditEvent.objects.count() - audits:,}, notifications {Notification.objects.count():,}, "
        f"e-mails sent {len(mail.outbox):,}",
        flush=True,
    )
    firm_user = User.objects.filter(role=Role.ENTERPRISE).first()
    actors = (
        ("province officer 320000", province),
        (
            "city officer 320500",
            User.objects.get_or_create(
                username="bench-suzhou", defaults={"role": Role.CITY_OFFICER, "region_id": "320500"}
            )[0],
        ),
        ("firm user", firm_user),
    )
    cases = (
        ("inbox", "/workflow/inbox/", {}),
        ("queue submitted", "/programmes/tech-sme/queue/", {"phase": "submitted"}),
        ("queue registered, page 20", "/programmes/tech-sme/queue/", {"phase": "registered", "page": "20"}),
        ("queue flagged", "/programmes/tech-sme/queue/", {"phase": "submitted", "flagged": "1"}),
        ("home (inbox count)", "/", {}),
    )
    for label, user in actors:
        client = Client()
        client.force_login(user)
        print(f"  {label}:")
        for case, url, params in cases:
            if user.role == Role.ENTERPRISE and "queue" in case:
                continue
            median, p95 = _timed(client, url, params)
            flag = "" if p95 <= TARGET_P95 else "   << over target"
            print(
                f"    {case:<28} median {median * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms{flag}", flush=True
            )
            if flag or os.environ.get("BENCH_WF_EXPLAIN"):
                _explain_request(client, url, params)


if __name__ == "__main__":
    if "--measure" in sys.argv:
        sys.path.insert(0, str(ROOT))
        _measure_here()
    else:
        run()
