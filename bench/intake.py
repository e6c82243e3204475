"""Department-file import at scale: a 100,000-row 税务 xlsx against 100,000 synthetic firms with facts.

Per database (SQLite always, PostgreSQL when 127.0.0.1:5432 answers: a temporary `gaoqi_bench_<pid>`):
stage (parse + validate + compare = the preview; target <= 6 s), commit (one transaction; target <= 10 s),
the same file again (every row unchanged, nothing written), and revert. Printed, never asserted.

`python -m bench intake`; BENCH_INTAKE_N=<rows> changes the size.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench import gaoqi, measure_in, postgres_up, temporary_postgres

ROOT = Path(__file__).resolve().parents[1]
HEADERS = [
    "纳税人识别号",
    "纳税人名称",
    "所属年度",
    "营业收入",
    "收入总额",
    "成本费用总额",
    "资产总额",
    "研发费用",
    "可加计扣除研发费用",
    "应纳所得税额",
]


def write_tax_file(path: Path, firms: list[tuple[str, str]], year: int) -> None:
    """One row per firm: amounts as numbers, a tenth of them as text with separators (as exports mix)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("纳税申报数据")
    sheet.write_row(0, 0, HEADERS)
    for i, (code, name) in enumerate(firms, start=1):
        revenue = 5_000_000 + (i * 7919) % 300_000_000
        income = revenue + 100_000
        cost = revenue * 8 // 10
        rnd = revenue * (3 + i % 5) // 100
        row = [code, name, year, revenue, income, cost, revenue * 2, rnd, rnd * 9 // 10, revenue // 100]
        if i % 10 == 0:
            row[3] = f"{revenue:,}"
        sheet.write_row(i, 0, row)
    book.close()


def tax_file(n: int):
    """(a province officer made for the bench, the path of a 税务 xlsx of the first `n` firms, its rows)."""
    from gaoqi.accounts.models import Role, User
    from gaoqi.registry.models import AnnualReport, Enterprise

    actor = User.objects.create_user(
        username=f"bench-{os.getpid()}", password="x", role=Role.PROVINCE_OFFICER, region_id="320000"
    )
    firms = list(Enterprise.objects.order_by("id").values_list("credit_code", "name")[:n])
    year = AnnualReport.objects.order_by("-year").values_list("year", flat=True).first() or 2024
    path = Path(tempfile.mkdtemp()) / "tax_bench.xlsx"
    write_tax_file(path, firms, year)
    return actor, path, len(firms)


def _measure() -> None:
    """In a process whose settings point at the prepared database."""
    import django

    django.setup()
    from django.db import connection

    from bench import touch_memory
    from gaoqi.intake import services

    start = time.perf_counter()
    actor, path, rows = tax_file(int(os.environ.get("BENCH_INTAKE_N", "100000")))
    print(
        f"  {connection.vendor}: wrote {rows:,}-row xlsx ({path.stat().st_size / 2**20:.1f} MB) in {time.perf_counter() - start:.1f} s"
    )

    def timed(label: str, fn):
        """Wall time, and this process's CPU time: the machine is shared, so the two differ when it is busy
        (on PostgreSQL the server's CPU is not in the second figure)."""
        touch_memory(1.0)
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall, used = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"  {label:<48} {wall:6.2f} s wall  {used:6.2f} s CPU  (load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        return result

    start = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    print(f"  calibration: a 10M-step Python loop takes {time.process_time() - start:.2f} s CPU here now")
    from gaoqi.intake.profiles import get_profile
    from gaoqi.intake.staging import read_rows

    timed("read + parse + check the file alone", lambda: read_rows(path, get_profile("tax")))
    batch = timed(
        "stage (parse + validate + preview)",
        lambda: services.batch_stage(actor=actor, path=path, profile="tax"),
    )
    print(
        f"    rows {batch.summary['rows']:,}: {dict(batch.summary['counts'])}, conflicts {batch.summary['conflicts']:,}"
    )
    batch = timed("commit (one transaction)", lambda: services.batch_commit(actor=actor, batch=batch))
    print(f"    written {batch.summary['written']}")
    again = timed(
        "the same file again: stage", lambda: services.batch_stage(actor=actor, path=path, profile="tax")
    )
    print(f"    {dict(again.summary['counts'])}; note: {again.notes[:1]}")
    timed(
        "the same file again: commit (nothing to write)",
        lambda: services.batch_commit(actor=actor, batch=again),
    )
    timed("revert the first import", lambda: services.batch_revert(actor=actor, batch=batch, reason="bench"))


def _case(env: dict, n: int) -> None:
    gaoqi(["migrate", "-v0"], env)
    start = time.perf_counter()
    gaoqi(
        ["demo-data", "--enterprises", str(n), "--seed", "2019", "--ip-items", "none", "--no-progress"], env
    )
    print(f"  loaded {n:,} synthetic firms with facts in {time.perf_counter() - start:.1f} s", flush=True)
    measure_in("bench.intake", env)


def run() -> None:
    n = int(os.environ.get("BENCH_INTAKE_N", "100000"))
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "gaoqi.settings", "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"}
    with tempfile.TemporaryDirectory() as var:
        print("SQLite")
        _case({**base, "GAOQI_VAR_DIR": var}, n)
    if not postgres_up():
        print("PostgreSQL: not reachable on 127.0.0.1:5432, skipped")
        return
    with temporary_postgres("intake") as url, tempfile.TemporaryDirectory() as var:
        print("PostgreSQL")
        _case({**base, "GAOQI_VAR_DIR": var, "DATABASE_URL": url}, n)


if __name__ == "__main__":
    if "--measure" in sys.argv:
        _measure()
    else:
        run()
