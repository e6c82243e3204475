"""Loading into the database: provenance, audit, certificates, IP items, --replace semantics."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from gaoqi.audit.models import AuditEvent
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import DemoDataError, load
from gaoqi.registry.models import (
    AnnualReport,
    Certificate,
    DataSource,
    Department,
    Enterprise,
    IntellectualProperty,
)
from gaoqi.registry.selectors import merge_reports
from gaoqi.registry.services import enterprise_refresh_status
from tests import factories

AS_OF = date(2025, 6, 30)
N = 200


@pytest.fixture
def loaded(db):
    ds = generate(N, 5, AS_OF)
    return ds, load(ds, progress=False)


def test_load_creates_firms_two_synthetic_sources_and_audit(loaded):
    ds, result = loaded
    assert Enterprise.objects.count() == N == result.enterprises
    sources = DataSource.objects.filter(synthetic=True)
    assert sorted(sources.values_list("department", flat=True)) == [Department.SCIENCE_TECH, Department.TAX]
    assert AnnualReport.objects.count() == result.reports == 2 * int(ds.filed.sum())
    events = AuditEvent.objects.filter(action="import", target_type="registry.datasource")
    assert events.count() == 2
    assert sum(e.new["reports"] for e in events) == result.reports
    assert all(e.new["enterprises"] == N for e in events)


def test_two_reports_per_enterprise_year_and_merge_provenance(loaded):
    ds, _ = loaded
    per_year = AnnualReport.objects.values("enterprise", "year").annotate(c=Count("id"))
    assert {row["c"] for row in per_year} == {2}
    firm = Enterprise.objects.get(credit_code=ds.firm["credit_code"][int(ds.active[:, 2].argmax())])
    merged = merge_reports(AnnualReport.objects.filter(enterprise=firm).select_related("source"))
    latest = merged[ds.years[2]]
    assert latest["revenue"].source.department == Department.TAX
    assert latest["employees"].source.department == Department.SCIENCE_TECH
    both = AnnualReport.objects.filter(source__department=Department.SCIENCE_TECH, revenue__isnull=False)
    assert both.exists()  # the 科技 source also reports revenue for some firms; the tax figure wins


def test_certificates_and_status_dates_agree(loaded):
    ds, result = loaded
    assert Certificate.objects.count() == result.certificates
    assert Certificate.objects.filter(kind="hte", expires_on__gte=AS_OF, issued_on__lte=AS_OF).count() == int(
        ds.firm["hte_valid"].sum()
    )
    for firm in Enterprise.objects.all()[:80]:
        before = (firm.hte_valid_until, firm.tech_sme_valid_until)
        enterprise_refresh_status(firm)
        assert (firm.hte_valid_until, firm.tech_sme_valid_until) == before


def test_ip_items_match_the_yearly_counts(loaded):
    ds, result = loaded
    assert IntellectualProperty.objects.count() == result.ip_items
    counts = {
        (r["enterprise"], r["ip_class"]): r["c"]
        for r in IntellectualProperty.objects.values("enterprise", "ip_class").annotate(c=Count("id"))
    }
    for report in AnnualReport.objects.filter(source__department=Department.SCIENCE_TECH, year=ds.years[2]):
        assert counts.get((report.enterprise_id, 1), 0) == report.ip_class1
        assert counts.get((report.enterprise_id, 2), 0) == report.ip_class2


def test_refuses_a_non_empty_database_without_replace(loaded):
    with pytest.raises(DemoDataError):
        load(generate(N, 6, AS_OF), progress=False)
    with pytest.raises(CommandError):
        call_command("demo_data", "--enterprises", "100", "--seed", "6", "--no-progress")


def test_replace_deletes_synthetic_data_only(loaded):
    real = factories.enterprise("320583", name="真实录入企业有限公司")
    real_source = factories.source(Department.TAX)
    call_command(
        "demo_data",
        "--enterprises",
        "100",
        "--seed",
        "6",
        "--replace",
        "--no-progress",
        "--as-of",
        "2025-06-30",
    )
    assert Enterprise.objects.count() == 101
    assert Enterprise.objects.filter(pk=real.pk).exists()
    assert DataSource.objects.filter(pk=real_source.pk).exists()
    assert DataSource.objects.filter(synthetic=True).count() == 2
    assert AuditEvent.objects.filter(action="import").count() == 4  # the log keeps the first import


def test_file_output_does_not_touch_the_database(db, tmp_path):
    call_command("demo_data", "--enterprises", "100", "--seed", "1", "--csv", str(tmp_path / "x.csv"))
    assert (tmp_path / "x.csv").exists()
    assert not Enterprise.objects.exists()
