"""Side by side: Gaoqi's staged import and django-import-export on the same 100,000-row 税务 xlsx (SQLite).

The issue asks for the comparison (BENCHMARKING.md recorded django-import-export at about 120 s for 100,000 rows
into SQLite). Both read the same file (`bench.intake.write_tax_file`) against the same synthetic registry, in
one process, one after the other:
- Gaoqi: stage (read, validate, preview) and commit, as `bench intake` measures them;
- django-import-export 4 (`ModelResource` for `AnnualReport`, the firm by its credit code through a
  `ForeignKeyWidget`, amounts with thousands separators accepted): `import_data(dry_run=True)` (its preview)
  and `import_data()` (the import), each on a dataset read by tablib (openpyxl), the read included.
django-import-export runs on the file's first BENCH_IE_SAMPLE rows (10,000) and its times are scaled to the
whole file (it costs a few queries per row, linear in the rows; the whole file would take tens of minutes here);
the read of the whole file by tablib is measured as it is. django-import-export writes the report figures only (no provenance per value, no conflicts with other
departments, no extra facts such as the income tax): it does less than Gaoqi's import. Printed, never asserted.

`python -m bench import_export`; BENCH_IE_N=<rows> changes the size (default 100,000).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench import gaoqi, load_line, measure_in

ROOT = Path(__file__).resolve().parents[1]
# django-import-export runs on the first SAMPLE rows of the file (a query or three per row: its time grows
# linearly with the rows; the whole file would take tens of minutes on this machine).
SAMPLE = int(os.environ.get("BENCH_IE_SAMPLE", "10000"))


def _resource(source):
    from import_export import fields, resources, widgets

    from gaoqi.registry.models import AnnualReport, Enterprise

    class Amount(widgets.IntegerWidget):
        """Yuan as exported: numbers, or text with thousands separators."""

        def clean(self, value, row=None, **kwargs):
            if isinstance(value, str):
                value = value.replace(",", "").strip()
            return super().clean(value, row=row, **kwargs)

    columns = {
        "revenue": "营业收入",
        "total_income": "收入总额",
        "total_cost": "成本费用总额",
        "total_assets": "资产总额",
        "rnd_expense": "研发费用",
        "rnd_expense_deductible": "可加计扣除研发费用",
    }

    class TaxReportResource(resources.ModelResource):
        enterprise = fields.Field(
            attribute="enterprise",
            column_name="纳税人识别号",
            widget=widgets.ForeignKeyWidget(Enterprise, "credit_code"),
        )
        year = fields.Field(attribute="year", column_name="所属年度", widget=widgets.IntegerWidget())
        locals().update(
            {
                name: fields.Field(attribute=name, column_name=header, widget=Amount())
                for name, header in columns.items()
            }
        )

        class Meta:
            model = AnnualReport
            import_id_fields = ("enterprise", "year")
            fields = ("enterprise", "year", *columns)

        def get_queryset(self):
            return AnnualReport.objects.filter(source=source)

        def before_save_instance(self, instance, row, **kwargs):
            instance.source = source

    return TaxReportResource()


def _measure() -> None:
    import django

    django.setup()
    import tablib
    from django.utils import timezone

    from bench import touch_memory
    from bench.intake import tax_file
    from gaoqi.intake import services
    from gaoqi.registry.models import AnnualReport, DataSource

    actor, path, rows = tax_file(int(os.environ.get("BENCH_IE_N", "100000")))
    print(f"  {rows:,}-row 税务 xlsx ({path.stat().st_size / 2**20:.1f} MB), {load_line()}")

    def timed(label: str, fn):
        touch_memory(1.0)
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall, used = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"  {label:<52} {wall:7.2f} s wall {used:7.2f} s CPU  (load {os.getloadavg()[0]:.1f})", flush=True
        )
        return result, wall

    batch, gaoqi_stage = timed(
        "Gaoqi: stage (read, validate, preview)",
        lambda: services.batch_stage(actor=actor, path=path, profile="tax"),
    )
    _, gaoqi_commit = timed("Gaoqi: commit", lambda: services.batch_commit(actor=actor, batch=batch))

    source = DataSource.objects.create(
        department="tax",
        file_name=f"{path.name} (django-import-export)",
        imported_at=timezone.now(),
        imported_by=actor,
        synthetic=True,
    )
    resource = _resource(source)

    def load():
        with open(path, "rb") as handle:
            return tablib.Dataset().load(handle, format="xlsx")

    dataset, ie_read = timed("django-import-export: read the file (tablib, openpyxl)", load)
    k = min(SAMPLE, dataset.height)
    sample = tablib.Dataset(*dataset[:k], headers=dataset.headers)
    scale = dataset.height / k
    print(
        f"    django-import-export runs on the file's first {k:,} rows; times for all rows are that x {scale:g}"
    )

    def run(dry_run: bool, **options):
        result = resource.import_data(sample, dry_run=dry_run, raise_errors=False, **options)
        if result.has_errors() or result.has_validation_errors():
            rows = result.row_errors()[:1] or result.invalid_rows[:1]
            raise RuntimeError(f"django-import-export reported errors, first: {rows}")
        return result

    _, ie_preview = timed(f"django-import-export: dry run ({k:,} rows)", lambda: run(True))
    _, ie_import = timed(f"django-import-export: import ({k:,} rows)", lambda: run(False))
    AnnualReport.objects.filter(source=source).delete()
    _, ie_bulk = timed(
        f"django-import-export: import, use_bulk + skip_diff ({k:,} rows)",
        lambda: run(False, use_bulk=True, skip_diff=True),
    )
    written = AnnualReport.objects.filter(source=source).count()
    print(f"    django-import-export wrote {written:,} reports")
    preview_all, import_all = ie_read + ie_preview * scale, ie_import * scale
    print(
        f"  for all {dataset.height:,} rows: django-import-export preview {preview_all:.0f} s (read + dry run), "
        f"import {import_all:.0f} s, bulk import {ie_bulk * scale:.0f} s; Gaoqi stage {gaoqi_stage:.1f} s, "
        f"commit {gaoqi_commit:.1f} s: preview {preview_all / gaoqi_stage:.0f}x, import "
        f"{import_all / gaoqi_commit:.0f}x, bulk import {ie_bulk * scale / gaoqi_commit:.0f}x faster with Gaoqi"
    )


def run() -> None:
    n = int(os.environ.get("BENCH_IE_N", "100000"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gaoqi.settings", "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"}
    env.pop("DATABASE_URL", None)
    with tempfile.TemporaryDirectory() as var:
        env["GAOQI_VAR_DIR"] = var
        print("SQLite")
        gaoqi(["migrate", "-v0"], env)
        gaoqi(
            ["demo-data", "--enterprises", str(n), "--seed", "2019", "--ip-items", "none", "--no-progress"],
            env,
        )
        measure_in("bench.import_export", env)


if __name__ == "__main__":
    if "--measure" in sys.argv:
        _measure()
    else:
        run()
