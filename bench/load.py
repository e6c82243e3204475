"""Load test on loopback against the production server: `gaoqi serve` (gunicorn) with the production settings
(DEBUG off, a real secret key, WhiteNoise), an SQLite database of synthetic firms in a temporary directory.

50 concurrent users (a mix of province, city and county officers and firms, each with its own session)
request a mix of pages and API operations for BENCH_LOAD_SECONDS (default 300): the home page, the
enterprise list (filters, search, later pages, a "next page" past the counted rows), a firm's page and its
evaluation tab, the ledger, and the API's list, firm and annual reports. Every answer must be 200: the run
fails on any error. Prints per request kind and overall: count, p50, p95, max, and the throughput.

`python -m bench load` (or `make bench`); BENCH_LOAD_SECONDS, BENCH_LOAD_USERS (50), BENCH_LOAD_FIRMS
(20,000), BENCH_LOAD_WORKERS (gunicorn workers, 4), BENCH_LOAD_THINK (mean think time between a user's
requests, 0 s) change the run. The client is httpx (asyncio).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench import GAOQI, gaoqi

ROOT = Path(__file__).resolve().parents[1]
# Mean seconds a user waits between requests (uniform 0..2×). 0: each user sends its next request as soon as
# the answer arrives, the server saturated, latency mostly queueing (the strictest reading of "50 users").
THINK = float(os.environ.get("BENCH_LOAD_THINK", "0"))

# Sessions for the users, made in the server's database (no login form: the load is on the pages, and
# django-axes would rightly slow 50 logins from one address). Prints JSON.
SETUP = r"""
import json, random
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from gaoqi.accounts.models import Role, User
from gaoqi.registry.models import Enterprise

rng = random.Random(2019)
counties = list(Enterprise.objects.filter(city_id="320500").values_list("county_id", flat=True).distinct()[:6])
plan = [(Role.PROVINCE_OFFICER, "320000", None)] * 10 + [(Role.CITY_OFFICER, "320500", None)] * 15
plan += [(Role.CITY_OFFICER, "320100", None)] * 5 + [(Role.COUNTY_OFFICER, c, None) for c in counties] * 2
firms = list(Enterprise.objects.order_by("?").values_list("pk", flat=True)[:200])
users = []
for i in range(N):
    role, region, _ = plan[i % len(plan)] if i % 5 else (Role.ENTERPRISE, None, None)
    kwargs = {"role": role}
    if role == Role.ENTERPRISE:
        kwargs["enterprise_id"] = firms[i % len(firms)]
    else:
        kwargs["region_id"] = region
    user = User.objects.create_user(f"load-{i}", password=None, **kwargs)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    if role == Role.ENTERPRISE:
        codes = [Enterprise.objects.get(pk=kwargs["enterprise_id"]).credit_code]
    else:
        from gaoqi.accounts.scope import scope_enterprises
        codes = list(scope_enterprises(user).order_by("?").values_list("credit_code", flat=True)[:40])
    users.append({"session": store.session_key, "role": role, "codes": codes})
print(json.dumps(users))
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _requests_for(user: dict, rng: random.Random) -> tuple[str, str]:
    """(kind, path) of the next request of a user: pages and API, as an officer or a firm would use them."""
    code = rng.choice(user["codes"]) if user["codes"] else None
    if user["role"] == "enterprise":
        kinds = [
            ("home", "/"),
            ("firm page", f"/enterprises/{code}/"),
            ("evaluation tab", f"/enterprises/{code}/evaluation/"),
            ("api firm", f"/api/enterprises/{code}"),
            ("api annual reports", f"/api/enterprises/{code}/annual-reports"),
        ]
        return rng.choice(kinds)
    choices = [
        ("home", "/"),
        ("list", "/enterprises/"),
        ("list", f"/enterprises/?status={rng.choice(['hte', 'tech_sme', 'candidate'])}"),
        ("list", f"/enterprises/?tech_field={rng.choice(['10', '20', '80', '801'])}"),
        # Later pages for city and province officers (a county of a small data set may have fewer pages:
        # a page beyond the last is a 400, rightly)
        (
            "list",
            f"/enterprises/?page={rng.randint(2, 5)}"
            if user["role"] != "county_officer"
            else "/enterprises/",
        ),
        ("list search", f"/enterprises/?q={rng.choice(['科技', '智能', '新材料', '91'])}"),
        ("ledger", "/ledger/"),
        (
            "api list",
            f"/api/enterprises?per_page=50&page={rng.randint(1, 3) if user['role'] != 'county_officer' else 1}",
        ),
    ]
    if code:
        choices += [
            ("firm page", f"/enterprises/{code}/"),
            ("firm page", f"/enterprises/{code}/facts/"),
            ("evaluation tab", f"/enterprises/{code}/evaluation/"),
            ("api firm", f"/api/enterprises/{code}"),
            ("api annual reports", f"/api/enterprises/{code}/annual-reports"),
        ]
    return rng.choice(choices)


async def _user(client, user: dict, seed: int, until: float, timings, errors) -> None:
    rng = random.Random(seed)
    cookies = {"sessionid": user["session"]}
    next_after = None
    while time.monotonic() < until:
        kind, path = _requests_for(user, rng)
        if kind == "list" and next_after and rng.random() < 0.1:
            kind, path = "list next (cursor)", f"/enterprises/?after={next_after}"
        start = time.perf_counter()
        try:
            response = await client.get(path, cookies=cookies)
        except Exception as exc:  # a refused or dropped connection is an error like a 500
            errors.append(f"{path}: {type(exc).__name__} {exc}")
            continue
        timings[kind].append(time.perf_counter() - start)
        if response.status_code != 200:
            errors.append(f"{path}: {response.status_code}")
        elif kind == "list" and 'data-testid="next-after"' in response.text:
            marker = response.text.split('data-testid="next-after"')[0].rsplit("after=", 1)[-1]
            next_after = marker.split('"')[0].split("&")[0]
        if THINK:
            await asyncio.sleep(rng.uniform(0, 2 * THINK))


async def _load(base: str, users: list[dict], seconds: float):
    import httpx

    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    limits = httpx.Limits(max_connections=len(users), max_keepalive_connections=len(users))
    async with httpx.AsyncClient(
        base_url=base, timeout=60, limits=limits, headers={"Host": "127.0.0.1"}
    ) as c:
        until = time.monotonic() + seconds
        await asyncio.gather(*(_user(c, u, i, until, timings, errors) for i, u in enumerate(users)))
    return timings, errors


def _report(timings: dict[str, list[float]], seconds: float) -> None:
    def line(label: str, values: list[float]) -> str:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        return (
            f"  {label:22s} {len(values):7,d}  p50 {statistics.median(values) * 1000:7.0f} ms"
            f"  p95 {p95 * 1000:7.0f} ms  max {ordered[-1] * 1000:7.0f} ms"
        )

    every = [t for values in timings.values() for t in values]
    for kind in sorted(timings):
        print(line(kind, timings[kind]))
    print(line("all", every))
    print(f"  throughput {len(every) / seconds:.1f} requests/s over {seconds:.0f} s")


def run() -> None:
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "300"))
    n_users = int(os.environ.get("BENCH_LOAD_USERS", "50"))
    firms = int(os.environ.get("BENCH_LOAD_FIRMS", "20000"))
    workers = os.environ.get("BENCH_LOAD_WORKERS", "4")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="gaoqi-bench-load-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GAOQI_") and k != "DATABASE_URL"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(
            GAOQI_DEBUG="0",
            GAOQI_SECRET_KEY=secrets.token_urlsafe(50),
            GAOQI_ALLOWED_HOSTS="127.0.0.1",
            GAOQI_VAR_DIR=tmp,
            GAOQI_LOG_LEVEL="WARNING",
            GAOQI_BIND=f"127.0.0.1:{port}",
            GAOQI_WORKERS=workers,
            GAOQI_TIMEOUT="120",
            DATABASE_URL=f"sqlite:///{tmp}/load.sqlite3",
        )
        start = time.perf_counter()
        gaoqi(["migrate", "-v0"], env)
        gaoqi(["demo-data", "--enterprises", str(firms), "--seed", "2019", "--no-progress"], env)
        users = json.loads(gaoqi(["shell", "-c", f"N = {n_users}\n" + SETUP], env).strip().splitlines()[-1])
        print(
            f"  {firms:,} synthetic firms and {len(users)} sessions ready in {time.perf_counter() - start:.0f} s"
        )
        log = open(Path(tmp) / "serve.log", "w")  # noqa: SIM115
        server = subprocess.Popen(
            [*GAOQI, "serve"], env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_ready(port, server, Path(tmp) / "serve.log")
            print(
                f"  gaoqi serve: {workers} gunicorn workers on 127.0.0.1:{port}; {len(users)} users for {seconds:.0f} s",
                flush=True,
            )
            timings, errors = asyncio.run(_load(f"http://127.0.0.1:{port}", users, seconds))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
            log.close()
        _report(timings, seconds)
        print(f"  errors: {len(errors)}")
        if errors:
            for e in errors[:20]:
                print(f"    {e}")
            tail = (Path(tmp) / "serve.log").read_text()[-3000:]
            raise RuntimeError(f"{len(errors)} requests failed; server log tail:\n{tail}")


def _wait_ready(port: int, server: subprocess.Popen, log: Path) -> None:
    import http.client

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gaoqi serve exited:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gaoqi serve did not answer in 120 s:\n{log.read_text()[-3000:]}")


if __name__ == "__main__":
    run()
