"""Where a re-evaluation's time goes: one `reevaluate` on an existing database (DATABASE_URL, loaded and
evaluated once already), split into its phases (facts read, evaluation, staging, comparison, each write
statement) with wall time, this process's CPU and, on PostgreSQL, the server backend's CPU (/proc, same host).

    DATABASE_URL=… python -m bench.reevaluate_profile import   # as bench/ledger.py's import, then the run
    DATABASE_URL=… python -m bench.reevaluate_profile same     # the run alone
    DATABASE_URL=… python -m bench.reevaluate_profile digests  # no run: every stored ledger entry given its
        # digest, as if written since migration 0011 (a new evaluation date or a first run writes them all)
    … python -m bench.reevaluate_profile same 2026-12-03       # as of that date (default 2025-06-30): a
        # date later than the stored results' is the daily job's run (what changed is written beside them)

Not a `python -m bench` benchmark (no `run()`): it changes the database it is given.
"""

from __future__ import annotations

import collections
import os
import sys
import time
from datetime import date

AS_OF = date(2025, 6, 30)


def main(mode: str, as_of: date = AS_OF) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import F

    from gaoqi.ledger import facts as facts_module
    from gaoqi.ledger import services, store, tally
    from gaoqi.registry.models import AnnualReport

    backend = []

    def server_cpu() -> float:
        if not backend:
            return 0.0
        fields = open(f"/proc/{backend[0]}/stat").read().split(")")[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    phases = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    statements = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])

    def measured(into, label, call):
        wall, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
        try:
            return call()
        finally:
            t = into[label]
            t[0] += time.perf_counter() - wall
            t[1] += time.process_time() - cpu
            t[2] += server_cpu() - server
            t[3] += 1

    def wrap(owner, name):
        fn = getattr(owner, name)
        label = f"{getattr(owner, '__name__', owner)}.{name}".rsplit(".", 2)[-2:]
        setattr(owner, name, lambda *a, **k: measured(phases, ".".join(label), lambda: fn(*a, **k)))

    for name in ("facts_table", "evaluate_tables", "evaluate_table", "_ledger_facts", "_entries", "_rows"):
        wrap(services, name)
    for name in ("sync", "stored_rows"):
        wrap(services, name)
    wrap(facts_module, "merged_reports")
    for name in ("_grouped", "_replace"):
        wrap(tally, name)
    wrap(services, "_entries_to_write")
    wrap(services, "_entry_dates")
    wrap(store, "copy_frame")
    for name in ("add", "apply"):
        wrap(store.Stage, name)

    def timed_sql(execute, sql, params, many, context):
        key = " ".join(sql.split())[:100] + (" [many]" if many else "")
        return measured(statements, key, lambda: execute(sql, params, many, context))

    if mode == "digests":
        import polars as pl

        from gaoqi.ledger.digest import rows_digests
        from gaoqi.ledger.models import LedgerEntry

        table = LedgerEntry._meta.db_table
        schema = {"id": pl.Int64, **services.ENTRY_RESULT}
        rows = store.read_frame(f"SELECT {', '.join(schema)} FROM {table}", [], schema)
        digests = rows.select("id", rows_digests(rows, list(services.ENTRY_RESULT), services.ENTRY_DIGEST))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET results_digest = %s WHERE id = %s",
                [(d, i) for i, d in digests.iter_rows()],
            )
        print(f"{digests.height:,} entries given their digest")
        return
    if mode == "import":
        rows = AnnualReport.objects.filter(
            year=as_of.year - 1, revenue__isnull=False, total_income__isnull=False
        ).update(revenue=F("revenue") + 1_000, total_income=F("total_income") + 1_000)
        print(f"changed the {as_of.year - 1} revenue of {rows:,} annual reports")
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend.append(cursor.fetchone()[0])
    load = os.getloadavg()[0]
    with connection.execute_wrapper(timed_sql):
        result = measured(phases, "TOTAL", lambda: services.reevaluate(as_of=as_of))
    print(
        f"{connection.vendor}, {mode} as of {as_of}: load {load:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(f"  snapshots {result.written}; entries {result.entries}")
    for title, table in (("phases", phases), ("statements", statements)):
        print(f"  {title} (wall / CPU here / server CPU, seconds):")
        for label, (wall, cpu, server, n) in sorted(table.items(), key=lambda kv: -kv[1][0])[:20]:
            print(f"    {wall:7.2f} {cpu:7.2f} {server:7.2f}  x{n:<4} {label}")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "same",
        date.fromisoformat(sys.argv[2]) if len(sys.argv) > 2 else AS_OF,
    )
