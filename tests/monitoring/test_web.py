"""Pages and API: the dashboard (stored snapshots), a KPI's detail and drill-down, scope crossing (404)."""

import pytest
from django.core.management import call_command

from gaoqi.monitoring.models import KpiSnapshot
from tests.htmx import list_after_load


@pytest.fixture
def snapped(kpi_world):
    call_command("kpi_snapshot", "--month", "2026-11", "--months", "3")
    return kpi_world


def test_snapshot_command_stores_every_region(snapped):
    months = sorted({m.isoformat() for m in KpiSnapshot.objects.values_list("month", flat=True)})
    assert months == ["2026-09-01", "2026-10-01", "2026-11-01"]
    nov = KpiSnapshot.objects.filter(month="2026-11-01")
    assert nov.filter(kpi="valid_hte").count() == 1 + 13 + 95  # province, cities, counties
    row = nov.get(region_id="320000", kpi="rnd_coverage")
    assert (row.numerator, row.denominator) == (2, 3) and row.as_of.isoformat() == "2026-11-20"
    assert nov.get(region_id="320583", kpi="valid_hte").numerator == 2
    assert nov.get(region_id="320000", kpi="hitech_output_share").denominator == 100_000_000_000
    assert not nov.filter(region_id="320100", kpi="hitech_output_share").exists()  # no statistics: no row
    assert KpiSnapshot.objects.get(
        month="2026-09-01", region_id="320000", kpi="valid_hte"
    ).as_of.isoformat() == ("2026-09-30")
    call_command("kpi_snapshot", "--month", "2026-11")  # the month again replaces, never duplicates
    assert KpiSnapshot.objects.filter(month="2026-11-01", kpi="valid_hte").count() == 109


def test_dashboard_reads_snapshots(client, snapped):
    client.force_login(snapped["province"])
    res = client.get("/monitoring/")
    html = res.content.decode()
    assert res.status_code == 200
    assert "指标月度快照" in html and 'data-kpi="valid_hte"' in html
    assert "vendor/echarts.min.js" in html and "vendor/echarts-map/jiangsu.json" in html
    assert 'id="dash-data"' in html and "66.7%" in html
    assert "暂无数据" in html  # the funnel's recommend stage
    assert 'href="?region=320500"' in html


def test_dashboard_live_without_snapshot(client, kpi_world):
    client.force_login(kpi_world["suzhou"])
    res = client.get("/monitoring/")
    assert res.status_code == 200 and "实时计算" in res.content.decode()


def test_city_officer_scope(client, snapped):
    client.force_login(snapped["suzhou"])
    assert client.get("/monitoring/").status_code == 200
    res = client.get("/monitoring/?region=320583")
    assert res.status_code == 200 and "昆山市" in res.content.decode()
    html = client.get("/monitoring/").content.decode()
    assert "南京市" not in html.split('id="dash-data"')[0].split("kpi-cards")[1]  # no other city's row
    for url in (
        "/monitoring/?region=320100",
        "/monitoring/?region=320000",
        "/monitoring/?region=320115",
        "/monitoring/kpi/valid_hte/?region=320100",
        "/monitoring/kpi/rnd_coverage/?region=320115",
        "/monitoring/kpi/valid_hte/missing/?region=320100",
        "/monitoring/kpi/rnd_coverage/missing/?region=320115",
        "/monitoring/kpi/zone_share/missing/?region=320000",
        "/api/monitoring/kpis?region=320100",
        "/api/monitoring/kpis/zone_share/missing?region=320100",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", ["ks_user", "expert", "agency"])
def test_non_officers_get_404(client, snapped, role):
    client.force_login(snapped[role])
    assert client.get("/monitoring/").status_code == 404
    assert client.get("/monitoring/kpi/valid_hte/").status_code == 404
    assert client.get("/monitoring/kpi/valid_hte/missing/").status_code == 404
    assert client.get("/api/monitoring/kpis?region=320500").status_code == 404


def test_kpi_detail_and_missing_list(client, snapped):
    client.force_login(snapped["suzhou"])
    res = client.get("/monitoring/kpi/rnd_coverage/?region=320500&as_of=2026-11-20")
    html = res.content.decode()
    assert res.status_code == 200
    assert "规模以上高企研发机构建有率" in html and "50.0%" in html
    assert "口径" in html and "数据来源" in html
    assert "昆山乙" not in html  # the figures first: the list comes after the page has loaded
    missing = list_after_load(client, html)
    assert "昆山乙" in missing and "昆山甲" not in missing and "<html" not in missing
    html = client.get("/monitoring/kpi/rnd_share/?region=320500&as_of=2026-11-20").content.decode()
    assert 'data-testid="denominator-updated"' in html and "80.0%" in html
    assert "吴中戊" in list_after_load(client, html)
    html = client.get("/monitoring/kpi/hitech_output_share/").content.decode()
    assert "missing-pending" not in html and "不提供企业清单" in html  # no firm list applies
    assert client.get("/monitoring/kpi/hitech_output_share/missing/").status_code == 404
    assert client.get("/monitoring/kpi/nonsense/missing/").status_code == 404
    assert client.get("/monitoring/kpi/nonsense/").status_code == 404


def test_api_kpis_and_missing(client, snapped):
    client.force_login(snapped["province"])
    data = client.get("/api/monitoring/kpis?as_of=2026-11-20").json()
    own = {k["code"]: k for k in data["region"]["kpis"]}
    assert own["valid_hte"]["value"] == "4" and own["rnd_share"]["value"] == "60.0"
    assert own["zone_share"]["met"] is True and len(data["children"]) == 13
    res = client.get("/api/monitoring/kpis/valid_hte/missing?region=320500&as_of=2026-11-20").json()
    assert [i["name"] for i in res["items"]] == ["昆山丙"] and res["next_after"] is None
    assert client.get("/api/monitoring/kpis/hitech_output_share/missing").status_code == 404


def test_targets_feed_goals_and_progress_bars(client, snapped):
    from gaoqi.monitoring import selectors
    from gaoqi.regions.models import Region
    from gaoqi.targets.services import target_set
    from tests.monitoring.conftest import TODAY

    p = snapped["province"]
    suzhou = Region.objects.get(code="320500")
    target_set(actor=p, region=suzhou, year=2026, indicator="valid_hte", value=6)
    target_set(actor=p, region=Region.objects.get(code="320100"), year=2026, indicator="valid_hte", value=4)
    o = selectors.kpi_overview(actor=snapped["suzhou"], as_of=TODAY)
    v = o.own.get("valid_hte")
    assert (v.numerator, v.goal, v.gap, v.progress) == (3, 6, 3, 50)
    client.force_login(p)
    html = client.get("/monitoring/").content.decode()
    assert "10（下级目标合计）" in html  # the province sets no target of its own: 6 + 4
    client.force_login(snapped["suzhou"])
    html = client.get("/monitoring/").content.decode()
    assert 'aria-valuenow="50.0"' in html


def test_snapshot_button_province_only(client, kpi_world):
    from gaoqi.jobs.models import Job
    from gaoqi.jobs.testing import run_queued_jobs

    client.force_login(kpi_world["suzhou"])
    assert "snapshot-start" not in client.get("/monitoring/").content.decode()
    assert client.post("/monitoring/snapshot/").status_code == 403
    client.force_login(kpi_world["province"])
    assert "snapshot-start" in client.get("/monitoring/").content.decode()
    res = client.post("/monitoring/snapshot/")
    assert res.status_code == 302
    run_queued_jobs()
    job = Job.objects.get(kind="monitoring.snapshot")
    assert job.status == "succeeded", job.error
    assert KpiSnapshot.objects.filter(month="2026-11-01", kpi="valid_hte").count() == 109


def test_bulletin_page_start_and_download(client, kpi_world, tmp_path, settings):
    from gaoqi.jobs.models import Job
    from gaoqi.jobs.testing import run_queued_jobs
    from gaoqi.monitoring.models import Bulletin

    settings.VAR_DIR = tmp_path
    client.force_login(kpi_world["suzhou"])
    assert client.get("/monitoring/bulletins/").status_code == 200
    res = client.post(
        "/monitoring/bulletins/new/", {"region": "320100", "period": "2026-11", "format": "pdf"}
    )
    assert res.status_code == 302 and not Job.objects.exists()  # Nanjing: refused, nothing queued
    res = client.post(
        "/monitoring/bulletins/new/", {"region": "320500", "period": "2026-13", "format": "pdf"}
    )
    assert res.status_code == 302 and not Job.objects.exists()
    res = client.post(
        "/monitoring/bulletins/new/", {"region": "320583", "period": "2026-Q4", "format": "xlsx"}
    )
    assert res.status_code == 302 and "/jobs/" in res["Location"]
    run_queued_jobs()
    b = Bulletin.objects.get()
    res = client.get(f"/monitoring/bulletins/{b.pk}/download/")
    assert res.status_code == 200 and b"".join(res.streaming_content).startswith(b"PK")
    assert client.get(f"/api/monitoring/bulletins/{b.pk}/file").status_code == 200
    assert [x["id"] for x in client.get("/api/monitoring/bulletins").json()] == [b.pk]
    client.force_login(kpi_world["nanjing"])
    assert client.get(f"/monitoring/bulletins/{b.pk}/download/").status_code == 404
    assert client.get(f"/api/monitoring/bulletins/{b.pk}/file").status_code == 404
    assert client.get("/api/monitoring/bulletins").json() == []


def test_dashboard_query_count_is_fixed(client, snapped, django_assert_max_num_queries):
    """The dashboard reads stored aggregates: a fixed handful of small queries, whatever the register's size."""
    client.force_login(snapped["province"])
    client.get("/monitoring/")
    with django_assert_max_num_queries(15):  # (+1 since the funnel counts HTE applications recommended)
        assert client.get("/monitoring/").status_code == 200
