"""KPI pages, the KPI API and bulletins read the stored monthly snapshot (and its zone cells); a day no snapshot
holds is computed live. Snapshots: 2026-09-30, 2026-10-31 and 2026-11-20 (today, the running month)."""

from datetime import date
from html import unescape

import pytest
from django.core.management import call_command

from gaoqi.errors import ValidationFailed
from gaoqi.monitoring import bulletins, selectors
from gaoqi.monitoring.bulletins import parse_period
from gaoqi.monitoring.models import KpiSnapshot, KpiZoneCell
from gaoqi.registry import selectors as registry_selectors
from tests.htmx import list_after_load
from tests.monitoring.conftest import TODAY


@pytest.fixture
def snapped(kpi_world):
    call_command("kpi_snapshot", "--month", "2026-11", "--months", "3")
    return kpi_world


def _figures(o) -> dict:
    """Every number an overview shows: own and children's KPIs (numerator, denominator, value, goal, gap),
    and the zone table."""

    def kpis(r):
        return {
            v.kpi.code: (v.numerator, v.denominator, v.value, v.goal, v.gap, v.year, v.note) for v in r.values
        }

    zones = {z.zone.code: (z.counts.hte, z.counts.above, z.counts.covered, z.counts.patents) for z in o.zones}
    return {
        "as_of": o.as_of,
        "own": kpis(o.own),
        "children": {r.region.code: kpis(r) for r in o.children},
        "zones": zones,
    }


@pytest.mark.parametrize(
    "actor, region",
    [("province", "320000"), ("province", "320500"), ("suzhou", "320500"), ("suzhou", "320583")],
)
def test_snapshot_figures_equal_the_live_computation(snapped, actor, region):
    user = snapped[actor]
    stored = selectors.kpi_figures(actor=user, region_code=region)
    live = selectors.kpi_overview(actor=user, as_of=TODAY, region_code=region)
    assert (stored.source, live.source) == ("snapshot", "live")
    assert _figures(stored) == _figures(live)
    if region in ("320000", "320500"):
        assert stored.zones  # Kunshan's zone holds A: the zone table is not empty
    past = selectors.kpi_figures(actor=user, as_of=date(2026, 9, 30), region_code=region)
    assert past.source == "snapshot"
    assert _figures(past) == _figures(
        selectors.kpi_overview(actor=user, as_of=date(2026, 9, 30), region_code=region)
    )


def test_zone_cells_stored_with_the_snapshot(snapped):
    cells = {
        (c.county_id, c.zone_id): (c.hte, c.above, c.covered, c.patents)
        for c in KpiZoneCell.objects.filter(month="2026-11-01")
    }
    assert cells == {("320583", "kunshan"): (1, 1, 1, 2), ("320115", "nanjing"): (1, 1, 1, 1)}
    call_command("kpi_snapshot", "--month", "2026-11")  # the month again replaces its cells
    assert KpiZoneCell.objects.filter(month="2026-11-01").count() == 2


def test_detail_page_shows_the_snapshot(client, snapped):
    """The page's figures are the stored ones: a changed stored row shows on the page, not the registry's."""
    KpiSnapshot.objects.filter(month="2026-11-01", region_id="320500", kpi="valid_hte").update(numerator=777)
    KpiSnapshot.objects.filter(month="2026-11-01", region_id="320583", kpi="valid_hte").update(numerator=555)
    client.force_login(snapped["suzhou"])
    res = client.get("/monitoring/kpi/valid_hte/")
    html = res.content.decode()
    assert res.status_code == 200
    assert "指标月度快照" in html.split('data-testid="kpi-source"')[1].split("</p>")[0]
    assert "777" in html.split('data-testid="kpi-value"')[1].split("</div>")[0]
    assert (
        'data-region="320583"><td><a href="?region=320583&as_of=2026-11-20">昆山市</a></td><td class="num">555'
        in html
    )
    assert "昆山丙" in list_after_load(client, html)  # the lapsed HTE: the live list as of 2026-11-20
    # the same day asked for explicitly reads the same snapshot
    html = client.get("/monitoring/kpi/valid_hte/?as_of=2026-11-20").content.decode()
    assert "777" in html.split('data-testid="kpi-value"')[1].split("</div>")[0]


def test_detail_page_past_day_without_snapshot_is_live(client, snapped):
    client.force_login(snapped["suzhou"])
    KpiSnapshot.objects.filter(region_id="320500", kpi="rnd_coverage").update(numerator=0)
    html = client.get("/monitoring/kpi/rnd_coverage/?as_of=2026-10-15").content.decode()
    assert "实时计算" in html.split('data-testid="kpi-source"')[1].split("</p>")[0]
    # live on 2026-10-15: A covered of A and B above scale (the stored rows say 0)
    assert "50.0%" in html.split('data-testid="kpi-value"')[1] and 'value="2026-10-15"' in html
    html = client.get("/monitoring/kpi/rnd_coverage/?as_of=2026-10-31").content.decode()
    assert "指标月度快照" in html.split('data-testid="kpi-source"')[1].split("</p>")[0]
    assert "0.0%" in html.split('data-testid="kpi-value"')[1].split("</div>")[0]


def test_detail_page_without_any_snapshot_is_live(client, kpi_world):
    client.force_login(kpi_world["suzhou"])
    html = client.get("/monitoring/kpi/zone_share/").content.decode()
    assert "实时计算" in html.split('data-testid="kpi-source"')[1].split("</p>")[0]
    assert "66.7%" in html  # Suzhou: A and E in zones of A, B, E


@pytest.mark.parametrize("query", ["", "&as_of=2026-09-30", "&as_of=2026-10-15"])
def test_city_officer_cannot_read_another_city(client, snapped, query):
    client.force_login(snapped["suzhou"])
    for url in (
        f"/monitoring/kpi/valid_hte/?region=320100{query}",
        f"/monitoring/kpi/zone_share/?region=320115{query}",
        f"/monitoring/kpi/valid_hte/?region=320000{query}",
        f"/monitoring/kpi/valid_hte/missing/?region=320100{query}",
        f"/monitoring/kpi/zone_share/missing/?region=320115{query}",
        f"/monitoring/kpi/valid_hte/missing/?region=320000{query}",
        f"/api/monitoring/kpis?region=320100{query}",
        f"/api/monitoring/kpis?region=320000{query}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/monitoring/kpi/valid_hte/?region=320583{query}").status_code == 200
    assert client.get(f"/monitoring/kpi/valid_hte/missing/?region=320583{query}").status_code == 200


def test_api_reads_the_snapshot(client, snapped):
    KpiSnapshot.objects.filter(month="2026-11-01", region_id="320000", kpi="valid_hte").update(numerator=4321)
    client.force_login(snapped["province"])
    data = client.get("/api/monitoring/kpis").json()
    own = {k["code"]: k for k in data["region"]["kpis"]}
    assert data["source"] == "snapshot" and data["as_of"] == "2026-11-20" and data["computed_at"]
    assert own["valid_hte"]["value"] == "4321" and own["rnd_share"]["value"] == "60.0"
    data = client.get("/api/monitoring/kpis?as_of=2026-11-19").json()  # no snapshot that day: live
    own = {k["code"]: k for k in data["region"]["kpis"]}
    assert data["source"] == "live" and data["computed_at"] is None and own["valid_hte"]["value"] == "4"


def test_bulletin_reads_the_month_end_snapshot(snapped):
    period = parse_period("2026-10")
    data = bulletins.bulletin_data(actor=snapped["suzhou"], region_code="320500", period=period)
    assert data["overview"].source == "snapshot" and data["as_of"] == date(2026, 10, 31)
    live = selectors.kpi_overview(actor=snapped["suzhou"], as_of=date(2026, 10, 31), region_code="320500")
    assert _figures(data["overview"]) == _figures(live)


def test_missing_list_pages_by_cursor_without_count_or_offset(kpi_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gaoqi.registry.models import CertificateKind
    from tests import factories
    from tests.monitoring.conftest import cert

    p = kpi_world["province"]
    for name in ("常熟庚", "张家港辛", "太仓壬"):  # above-scale HTEs without an R&D institution
        firm = factories.enterprise("320581", name=name, actor=p, above_scale=True)
        cert(p, firm, CertificateKind.HTE, date(2026, 3, 10))
    names, after = [], None
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(5):
            page = selectors.missing_firms(
                actor=kpi_world["suzhou"], kpi="rnd_coverage", as_of=TODAY, after=after, per_page=1
            )
            names += [f.name for f in page.object_list]
            after = page.next_after
            if after is None:
                break
    assert names == ["常熟庚", "昆山乙", "太仓壬", "张家港辛"]  # pinyin order: chang, kun, tai, zhang
    firm_queries = [
        q["sql"].upper() for q in ctx.captured_queries if "REGISTRY_ENTERPRISE" in q["sql"].upper()
    ]
    assert firm_queries and not any("COUNT(" in q for q in firm_queries)
    # The page: LIMIT per_page + 1, no OFFSET; the window's edge: one index entry SCAN_WINDOW firms on.
    assert all(
        q.endswith("LIMIT 2") or q.endswith(f"LIMIT 1 OFFSET {registry_selectors.SCAN_WINDOW - 1}")
        for q in firm_queries
    )
    res = selectors.missing_firms(actor=kpi_world["suzhou"], kpi="rnd_coverage", as_of=TODAY, per_page=2)
    assert [f.name for f in res.object_list] == ["常熟庚", "昆山乙"] and res.next_after
    with pytest.raises(ValidationFailed):
        selectors.missing_firms(actor=kpi_world["suzhou"], kpi="rnd_coverage", as_of=TODAY, after="nonsense!")


def test_missing_list_next_page_link_and_api(client, kpi_world):
    from gaoqi.registry.models import CertificateKind
    from tests import factories
    from tests.monitoring.conftest import cert

    p = kpi_world["province"]
    for i in range(51):
        firm = factories.enterprise("320581", name=f"常熟企业{i:02d}", actor=p, above_scale=True)
        cert(p, firm, CertificateKind.HTE, date(2026, 3, 10))
    client.force_login(kpi_world["suzhou"])
    html = client.get("/monitoring/kpi/rnd_coverage/").content.decode()
    missing = list_after_load(client, html)
    assert missing.count("/enterprises/") == 50 and "昆山乙" not in missing  # 52 missing: 50 on page 1
    link = missing.split('data-testid="next-after"')[0].rsplit("<a ", 1)[1]
    url = unescape(link.split('hx-get="')[1].split('"')[0])
    assert 'hx-target="#kpi-missing"' in link and unescape(link.split('href="')[1].split('"')[0]) == url
    after = url.rsplit("after=", 1)[1]
    missing = client.get(url, HTTP_HX_REQUEST="true").content.decode()  # the next page swaps the list only
    assert "<html" not in missing and missing.lstrip().startswith('<section class="panel" id="kpi-missing"')
    assert (
        "昆山乙" in missing
        and 'data-testid="next-after"' not in missing
        and 'data-testid="first-page"' in missing
    )
    # Without script (the fallback link, a bookmark) the same list comes in a page of its own.
    page = client.get(url).content.decode()
    assert "<html" in page and "昆山乙" in page and 'data-testid="fragment-back"' in page
    # An old page link with a cursor hands the cursor on to the list it loads.
    assert "昆山乙" in list_after_load(
        client, client.get(f"/monitoring/kpi/rnd_coverage/?after={after}").content.decode()
    )
    data = client.get("/api/monitoring/kpis/rnd_coverage/missing").json()
    assert len(data["items"]) == 50 and data["next_after"] == after
    data = client.get(f"/api/monitoring/kpis/rnd_coverage/missing?after={after}").json()
    assert [i["name"] for i in data["items"]][-1] == "昆山乙" and data["next_after"] is None


@pytest.mark.parametrize("window", [1, 2, 3])
def test_missing_list_reads_a_bounded_window_per_request(kpi_world, monkeypatch, client, window):
    """Each request reads at most SCAN_WINDOW firms of the region: a page may hold fewer firms (or none) and
    still link on; walking the cursor to its end yields the whole list, in order, once."""
    from gaoqi.registry.models import CertificateKind
    from tests import factories
    from tests.monitoring.conftest import cert

    p = kpi_world["province"]
    for name in ("常熟庚", "张家港辛", "太仓壬"):
        cert(p, factories.enterprise("320581", name=name, actor=p, above_scale=True), CertificateKind.HTE, date(2026, 3, 10))  # fmt: skip
    monkeypatch.setattr(registry_selectors, "SCAN_WINDOW", window)
    names, after, short_pages = [], None, 0
    for _ in range(100):
        page = selectors.missing_firms(
            actor=kpi_world["suzhou"], kpi="rnd_coverage", as_of=TODAY, after=after, per_page=2
        )
        names += [f.name for f in page.object_list]
        short_pages += bool(page.next_after and len(page.object_list) < 2)
        after = page.next_after
        if after is None:
            break
    assert names == ["常熟庚", "昆山乙", "太仓壬", "张家港辛"]
    assert short_pages > 0  # the window, not the page size, ended some requests
    client.force_login(kpi_world["suzhou"])
    html, seen = list_after_load(client, client.get("/monitoring/kpi/rnd_coverage/").content.decode()), []
    for _ in range(100):
        seen += [n for n in ("常熟庚", "昆山乙", "太仓壬", "张家港辛") if n in html]
        if 'data-testid="next-after"' not in html:
            break
        assert 'data-testid="missing-window"' in html or html.count("/enterprises/") == 50
        url = unescape(html.split('data-testid="next-after"')[0].rsplit('hx-get="', 1)[1].split('"')[0])
        html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert seen == ["常熟庚", "昆山乙", "太仓壬", "张家港辛"]


@pytest.mark.parametrize("actor, region", [("province", None), ("suzhou", None), ("suzhou", "320583")])
def test_target_progress_reads_the_snapshot_of_the_day(snapped, actor, region):
    from gaoqi.targets import selectors as targets

    user = snapped[actor]

    def cells(p):
        return [(r.region.code, {i: c.actual for i, c in r.cells.items()}) for r in [p.own, *p.rows]]

    stored = targets.progress(actor=user, year=2026, as_of=TODAY, region_code=region)
    past = targets.progress(actor=user, year=2026, as_of=date(2026, 10, 31), region_code=region)
    assert stored.stored and past.stored
    KpiSnapshot.objects.all().delete()
    live = targets.progress(actor=user, year=2026, as_of=TODAY, region_code=region)
    assert not live.stored and cells(stored) == cells(live)
    assert cells(past) == cells(
        targets.progress(actor=user, year=2026, as_of=date(2026, 10, 31), region_code=region)
    )
    assert live.own.cells["valid_hte"].actual > 0


def test_target_page_shows_the_stored_figures(client, snapped):
    KpiSnapshot.objects.filter(as_of=TODAY, region_id="320583", kpi="tech_sme").update(numerator=432)
    client.force_login(snapped["suzhou"])
    html = client.get("/targets/?year=2026").content.decode()
    assert 'data-testid="progress-source"' in html and "432" in html
    html = client.get("/targets/?year=2026&as_of=2026-11-19").content.decode()  # no snapshot that day
    assert 'data-testid="progress-source"' not in html and "432" not in html
    assert client.get("/targets/?region=320100&year=2026").status_code == 404


@pytest.mark.parametrize(
    "actor, region", [("province", "320000"), ("suzhou", "320500"), ("suzhou", "320583")]
)
def test_rnd_coverage_reads_the_snapshot_of_the_day(client, snapped, actor, region):
    from gaoqi.rnd import selectors as rnd

    user = snapped[actor]

    def counts(c):
        return [(r.region.code, r.total, r.covered) for r in [c.total, *c.rows]]

    stored = rnd.coverage(actor=user, as_of=TODAY, region_code=region)
    assert stored.stored and stored.total.total > 0
    assert not rnd.coverage(actor=user, as_of=date(2026, 11, 19), region_code=region).stored
    KpiSnapshot.objects.filter(kpi="rnd_coverage").delete()
    live = rnd.coverage(actor=user, as_of=TODAY, region_code=region)
    assert not live.stored and counts(stored) == counts(live)


def test_rnd_coverage_page_shows_the_stored_figures(client, snapped):
    KpiSnapshot.objects.filter(as_of=TODAY, region_id="320583", kpi="rnd_coverage").update(denominator=987)
    client.force_login(snapped["suzhou"])
    html = client.get(f"/rnd/coverage/?as_of={TODAY.isoformat()}").content.decode()
    assert 'data-testid="coverage-source"' in html and "987" in html
    assert client.get("/rnd/coverage/?region=320100").status_code == 404


def test_rnd_missing_list_pages_by_window(client, kpi_world, monkeypatch):
    from gaoqi.registry.models import CertificateKind
    from gaoqi.rnd import selectors as rnd
    from tests import factories
    from tests.monitoring.conftest import cert

    p = kpi_world["province"]
    for name in ("常熟庚", "张家港辛", "太仓壬"):
        cert(p, factories.enterprise("320581", name=name, actor=p, above_scale=True), CertificateKind.HTE, date(2026, 3, 10))  # fmt: skip
    monkeypatch.setattr(registry_selectors, "SCAN_WINDOW", 2)
    names, after = [], None
    for _ in range(100):
        page = rnd.missing_firms(actor=kpi_world["suzhou"], as_of=TODAY, after=after, per_page=2)
        names += [f.name for f in page.object_list]
        after = page.next_after
        if after is None:
            break
    assert names == ["常熟庚", "昆山乙", "太仓壬", "张家港辛"]
    client.force_login(kpi_world["suzhou"])
    html = client.get("/rnd/coverage/").content.decode()
    assert "未建研发机构的规上高企 4 家" in html and "常熟庚" not in html  # the count first, the list after
    missing = list_after_load(client, html)
    assert "<html" not in missing and missing.lstrip().startswith('<div id="coverage-missing"')
    assert 'data-testid="next-after"' in missing and 'hx-target="#coverage-missing"' in missing


# --- The list after the figures (htmx) -------------------------------------------------------------------------


@pytest.mark.parametrize("kpi", ["valid_hte", "rnd_coverage", "rnd_share", "invention_patents", "zone_share"])
@pytest.mark.parametrize("actor, query", [("province", ""), ("suzhou", "?region=320583&as_of=2026-10-15")])
def test_the_loaded_list_holds_the_rows_the_page_showed(client, snapped, kpi, actor, query):
    """The page's first answer holds the figures and no firm (not one query of the register's firms, with a
    snapshot); the list it loads holds the rows of `selectors.missing_firms` as of the figures' day, in order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = snapped[actor]
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(f"/monitoring/kpi/{kpi}/{query}").content.decode()
    if not query:  # from the snapshot: the page reads no firm
        assert not [q["sql"] for q in ctx.captured_queries if "registry_enterprise" in q["sql"]]
    region = "320583" if query else None
    as_of = date(2026, 10, 15) if query else TODAY
    expected = [
        e.credit_code
        for e in selectors.missing_firms(actor=user, kpi=kpi, as_of=as_of, region_code=region).object_list
    ]
    assert 'data-testid="kpi-value"' in html and not [c for c in expected if c in html]
    rows = list_after_load(client, html)
    assert [c.split("/")[0] for c in rows.split('href="/enterprises/')[1:]] == expected
    assert expected or "没有未计入分子的企业" in rows


def test_the_list_is_as_of_the_figures_day(client, snapped, time_machine):
    """Without a day the page shows the latest snapshot's figures (as of 2026-11-20, five days ago): its list
    is as of that day too, not of today, and the list's own answer without a day keeps to the same rule."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from gaoqi.regions.models import Region

    time_machine.move_to(datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
    suzhou = Region.objects.get(code="320500")
    assert selectors.figures_day(region=suzhou, as_of=None) == TODAY
    assert selectors.figures_day(region=suzhou, as_of=date(2026, 10, 1)) == date(2026, 10, 1)
    client.force_login(snapped["suzhou"])
    html = client.get("/monitoring/kpi/valid_hte/").content.decode()
    assert "as_of=2026-11-20" in html.split('data-testid="missing-pending"')[1].split(">")[0]
    # the list asked for without a day (a bare link) is as of the same day: its page links back to that day
    page = client.get("/monitoring/kpi/valid_hte/missing/").content.decode()
    assert (
        "region=320500&amp;as_of=2026-11-20"
        in page.split('data-testid="fragment-back"')[0].rsplit("<a ", 1)[1]
    )
    KpiSnapshot.objects.all().delete()
    assert selectors.figures_day(region=suzhou, as_of=None) == date(2026, 11, 25)  # live: today
