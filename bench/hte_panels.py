"""Random HTE expert panels: 5,000 applications drawn from 3,000 experts (target ≤ 5 s); then, on a database
(SQLite in a temporary directory; also PostgreSQL with BENCH_HTE_DB=both when 127.0.0.1:5432 answers): the
expert's scoring page and the leader's aggregation, p95 over 30 (target ≤ 150 ms), with 3,000 registered
experts and 40 applications whose panels were drawn through the service.

Pure Python (gaoqi.programmes.hte.panels), no database: 2,400 technical experts over the 8 fields (each with
one or two sub-fields), 600 financial experts, employers shared by a few experts each, one declared conflict
in twenty, a load limit of 12; the firms are spread over the fields, a third name an intermediary. Each panel
raises its members' load, as the service does within a batch.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import GAOQI, postgres_up, temporary_postgres
from gaoqi.programmes.hte.panels import FINANCIAL, TECHNICAL, Candidate, PoolTooSmall, Registry, Request, draw

ROOT = Path(__file__).resolve().parents[1]

TARGET_P95 = 0.150
FIELDS = ("10", "20", "30", "40", "50", "60", "70", "80")


def build(seed: int = 2026) -> tuple[list[Candidate], list[Request]]:
    rng = random.Random(seed)
    firms = [f"9132{n:014d}" for n in range(5_000)]
    experts = []
    for i in range(3_000):
        kind = FINANCIAL if i % 5 == 0 else TECHNICAL
        field = FIELDS[i % 8]
        fields = frozenset({field, f"{field}{rng.randint(1, 8)}"}) if kind == TECHNICAL else frozenset()
        conflicts = frozenset({rng.choice(firms)}) if rng.random() < 0.05 else frozenset()
        employer = rng.choice(firms) if rng.random() < 0.1 else f"EMP{i // 3:05d}"
        experts.append(Candidate(i, kind, fields, employer, conflicts, load=0, load_limit=12))
    requests = [
        Request(FIELDS[n % 8], firms[n], f"EMP{rng.randrange(1000):05d}" if n % 3 == 0 else "")
        for n in range(5_000)
    ]
    return experts, requests


def run_pure() -> None:
    experts, requests = build()
    start = time.perf_counter()
    registry = Registry(experts)
    refused = 0
    for n, req in enumerate(requests):
        try:
            d = draw(registry, req, seed=n, explain=True)
        except PoolTooSmall:
            refused += 1
            continue
        registry.add_load(d.members)
    took = time.perf_counter() - start
    print(
        f"panels for {len(requests):,} applications from {len(experts):,} experts: {took:.2f} s "
        f"(target ≤ 5 s; {refused} refused for a small pool; with the exclusion reasons kept)"
    )


def _db(env: dict) -> None:
    done = subprocess.run([*GAOQI, "migrate", "-v0"], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    done = subprocess.run(
        [sys.executable, "-m", "bench.hte_panels", "--measure"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print(done.stdout, end="", flush=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])


def run() -> None:
    run_pure()
    base = {**os.environ, "GAOQI_DEBUG": "0", "GAOQI_LOG_LEVEL": "ERROR",
            "GAOQI_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}  # fmt: skip
    which = os.environ.get("BENCH_HTE_DB", "sqlite")  # sqlite | postgres | both
    with tempfile.TemporaryDirectory(prefix="gaoqi-bench-hte-") as tmp:
        if which in ("sqlite", "both"):
            print("SQLite", flush=True)
            _db({**base, "DATABASE_URL": f"sqlite:///{tmp}/hte.sqlite3", "GAOQI_VAR_DIR": tmp})
        if which == "sqlite":
            return
        if not postgres_up():
            print("PostgreSQL: skipped")
            return
        with temporary_postgres("hte") as url:
            print(f"PostgreSQL ({url})", flush=True)
            _db({**base, "DATABASE_URL": url, "GAOQI_VAR_DIR": tmp})


def _measure_here() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoqi.settings")
    import django

    django.setup()
    from datetime import date

    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone
    from tests.factories import credit_code

    from gaoqi.accounts.models import Role, User
    from gaoqi.experts.models import ExpertAssignment, ExpertKind, ExpertProfile
    from gaoqi.programmes.hte import services
    from gaoqi.registry.models import IntellectualProperty
    from gaoqi.registry.services import enterprise_create
    from gaoqi.workflow.models import Application
    from gaoqi.workflow.services import transition

    setup_test_environment()
    rng = random.Random(9)
    province = User.objects.create_user(
        "bench-prov", password="x", role=Role.PROVINCE_OFFICER, region_id="320000"
    )
    city = User.objects.create_user("bench-city", password="x", role=Role.CITY_OFFICER, region_id="320500")
    users = User.objects.bulk_create(
        [User(username=f"bench-expert-{i}", role=Role.EXPERT, password="!") for i in range(3_000)]
    )
    ExpertProfile.objects.bulk_create(
        [
            ExpertProfile(
                user=u, kind=ExpertKind.FINANCIAL if i % 5 == 0 else ExpertKind.TECHNICAL,
                tech_fields=[] if i % 5 == 0 else [FIELDS[i % 8], f"{FIELDS[i % 8]}1"],
                financial_qualification="cpa" if i % 5 == 0 else "", employer_credit_code=f"EMP{i // 3:015d}",
                load_limit=50,
            )
            for i, u in enumerate(users)
        ]
    )  # fmt: skip
    years = [timezone.localdate().year - k for k in (3, 2, 1)]
    apps = []
    for n in range(40):
        firm = enterprise_create(actor=province, credit_code=credit_code("320583", 90_000 + n), name=f"基准企业{n}",
                                 region_code="320583", founded_on=date(2015, 3, 1))  # fmt: skip
        ip = IntellectualProperty.objects.create(enterprise=firm, ip_class=1, kind="invention_patent",
                                                 number=f"ZL-B{n}", granted_on=date(2022, 1, 1))  # fmt: skip
        app = services.application_start(actor=city, enterprise=firm)
        figures = {}
        for k in (1, 2, 3):
            figures |= {f"revenue_y{k}": 8_000_000 + k * 1_000_000, f"net_assets_y{k}": 4_000_000 + k * 1_000_000,
                        f"rnd_expense_y{k}": 700_000, f"rnd_expense_domestic_y{k}": 700_000}  # fmt: skip
        figures |= {"employees": 50, "tech_staff": 20, "total_income": 10_000_000, "hitech_revenue": 8_000_000,
                    "achievement_conversions": 6, "standards_led": 0, "major_incident": False}  # fmt: skip
        doc = {
            "tech_field": "101", "figures": figures, "ip_items": [ip.pk],
            "audit": {"agency_name": "事务所", "agency_credit_code": "91320500AUDIT0001X", "report_no": "1"},
            "projects": [{"name": f"项目{y}", "year": y, "expense": 700_000} for y in years],
            "products": [{"name": "产品", "revenue": 8_000_000}],
        }  # fmt: skip
        app = services.declaration_update(actor=city, application=app, version=app.version, document=doc)
        for actor, action in ((city, "submit"), (city, "recommend"), (province, "accept")):
            app = Application.objects.get(pk=app.pk)
            transition(actor=actor, application=app, action=action, version=app.version)
        app = Application.objects.get(pk=app.pk)
        start = time.perf_counter()
        services.panel_draw(actor=province, application=app, seed=rng.randrange(2**62))
        if n == 0:
            print(f"  one panel draw through the service, 3,000 experts in the registry: "
                  f"{(time.perf_counter() - start) * 1000:.0f} ms")  # fmt: skip
        apps.append(app)

    def p95(samples):
        samples = sorted(samples)
        return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]

    page_times, agg_times = [], []
    for app in apps[:30]:
        draw = services.current_draw(app)
        expert = User.objects.get(pk=draw.technical[0])
        c = Client()
        c.force_login(expert)
        start = time.perf_counter()
        r = c.get(f"/programmes/hte/expert/applications/{app.pk}/")
        page_times.append(time.perf_counter() - start)
        assert r.status_code == 200
        for m in draw.members:
            kind = services.member_kind(draw, m)
            marks = {it["code"]: it["max"] for it in services.items_for(app, kind)}
            services.expert_score(actor=User.objects.get(pk=m), application_pk=app.pk, scores=marks)
        leader = Client()
        leader.force_login(User.objects.get(pk=draw.leader_id))
        start = time.perf_counter()
        r = leader.post(f"/programmes/hte/expert/applications/{app.pk}/aggregate/")
        agg_times.append(time.perf_counter() - start)
        assert r.status_code == 302
    assert ExpertAssignment.objects.filter(scored_at__isnull=False).count() == 150
    for label, samples in (("expert scoring page", page_times), ("leader aggregation", agg_times)):
        median, p = p95(samples)
        flag = "" if p <= TARGET_P95 else "   << over target"
        print(
            f"  {label:<22} median {median * 1000:6.1f} ms   p95 {p * 1000:6.1f} ms (target ≤ 150 ms){flag}"
        )


if __name__ == "__main__":
    if "--measure" in sys.argv:
        sys.path.insert(0, str(ROOT))
        _measure_here()
    else:
        run()
