"""Targets: who sets what (scope), versions and audit, upload errors by row/column, progress, ranking."""

from datetime import date, timedelta

import pytest
import xlsxwriter
from django.utils import timezone

from gaoqi.accounts.models import Role
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.regions.models import Region
from gaoqi.registry.models import CertificateKind
from gaoqi.registry.services import certificate_record
from gaoqi.targets import selectors, services
from gaoqi.targets.models import Target
from tests import factories

pytestmark = pytest.mark.django_db


def region(code):
    return Region.objects.get(code=code)


@pytest.fixture
def year():
    return timezone.localdate().year


# --- scope -----------------------------------------------------------------------------------------------------


def test_province_sets_cities_city_sets_its_counties(world, year):
    services.target_set(
        actor=world["province"], region=region("320500"), year=year, indicator="new_hte", value=812
    )
    services.target_set(
        actor=world["suzhou"], region=region("320583"), year=year, indicator="new_hte", value=173
    )
    assert Target.objects.filter(is_current=True).count() == 2


def test_county_officer_cannot_set_a_citys_targets(world, year):
    with pytest.raises(NotFound):  # Suzhou is above Kunshan: outside its reach
        services.target_set(
            actor=world["kunshan"], region=region("320500"), year=year, indicator="new_hte", value=1
        )
    with pytest.raises(PermissionDenied):  # its own county: set by the city, not by itself
        services.target_set(
            actor=world["kunshan"], region=region("320583"), year=year, indicator="new_hte", value=1
        )
    assert not Target.objects.exists()


def test_city_officer_sets_only_its_counties(world, year):
    with pytest.raises(NotFound):
        services.target_set(
            actor=world["suzhou"], region=region("320115"), year=year, indicator="new_hte", value=1
        )
    with pytest.raises(PermissionDenied):  # its own city: set by the province
        services.target_set(
            actor=world["suzhou"], region=region("320500"), year=year, indicator="new_hte", value=1
        )
    with pytest.raises(PermissionDenied):  # the province does not set counties directly
        services.target_set(
            actor=world["province"], region=region("320583"), year=year, indicator="new_hte", value=1
        )
    for role in ("expert", "agency", "ks_user"):
        with pytest.raises((PermissionDenied, NotFound)):
            services.target_set(
                actor=world[role], region=region("320583"), year=year, indicator="new_hte", value=1
            )
    assert not Target.objects.exists()


def test_county_officer_sees_only_its_own_targets(world, year):
    services.target_set(
        actor=world["suzhou"], region=region("320583"), year=year, indicator="new_hte", value=173
    )
    services.target_set(
        actor=world["suzhou"], region=region("320506"), year=year, indicator="new_hte", value=96
    )
    services.target_set(
        actor=world["province"], region=region("320500"), year=year, indicator="new_hte", value=812
    )
    p = selectors.progress(actor=world["kunshan"], year=year, as_of=date(year, 6, 30))
    assert p.region.code == "320583" and p.rows == []
    assert p.own.cells["new_hte"].target == 173
    with pytest.raises(NotFound):
        selectors.progress(actor=world["kunshan"], year=year, as_of=date(year, 6, 30), region_code="320506")
    with pytest.raises(NotFound):
        selectors.progress(actor=world["kunshan"], year=year, as_of=date(year, 6, 30), region_code="320500")
    with pytest.raises(NotFound):
        selectors.progress(actor=world["suzhou"], year=year, as_of=date(year, 6, 30), region_code="320100")
    with pytest.raises(NotFound):
        selectors.target_history(actor=world["kunshan"], region_code="320506", year=year)


def test_pages_respect_scope(client, world, year):
    client.force_login(world["kunshan"])
    assert client.get("/targets/").status_code == 200
    assert client.get("/targets/edit/").status_code == 404  # a county sets nobody's targets
    assert client.get("/targets/?region=320500").status_code == 404
    assert client.get("/api/targets/progress?region=320500").status_code == 404
    res = client.put(
        "/api/targets/",
        {"region_code": "320583", "year": year, "indicator": "new_hte", "value": 5},
        content_type="application/json",
    )
    assert res.status_code == 403 and "message" in res.json()
    client.force_login(world["suzhou"])
    res = client.put(
        "/api/targets/",
        {"region_code": "320583", "year": year, "indicator": "new_hte", "value": 5},
        content_type="application/json",
    )
    assert res.status_code == 200 and res.json()["version"] == 1
    res = client.put(
        "/api/targets/",
        {"region_code": "320115", "year": year, "indicator": "new_hte", "value": 5},
        content_type="application/json",
    )
    assert res.status_code == 404


# --- versions and audit ----------------------------------------------------------------------------------------


def test_a_change_is_a_new_version_history_kept_and_audited(world, year):
    r, p = region("320500"), world["province"]
    first = services.target_set(actor=p, region=r, year=year, indicator="valid_hte", value=4210).target
    same = services.target_set(actor=p, region=r, year=year, indicator="valid_hte", value=4210)
    assert not same.changed and same.target.pk == first.pk
    with pytest.raises(ValidationFailed) as exc:  # a change needs a reason
        services.target_set(actor=p, region=r, year=year, indicator="valid_hte", value=4300)
    assert exc.value.errors[0]["field"] == "reason"
    second = services.target_set(
        actor=p, region=r, year=year, indicator="valid_hte", value=4300, reason="年中调整"
    ).target
    versions = list(Target.objects.filter(region=r, indicator="valid_hte").order_by("version"))
    assert [(t.version, t.value, t.is_current) for t in versions] == [(1, 4210, False), (2, 4300, True)]
    events = AuditEvent.objects.filter(target_type="targets.target").order_by("id")
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].old == {"value": 4210, "version": 1} and events[1].new["value"] == 4300
    assert events[1].reason == "年中调整" and events[1].actor_id == p.pk
    assert events[1].target_id == str(second.pk)
    history = selectors.target_history(actor=world["suzhou"], region_code="320500", year=year)
    assert [t.version for t in history] == [2, 1]


def test_invalid_values(world, year):
    r, p = region("320500"), world["province"]
    for kwargs in ({"value": -1}, {"indicator": "nope"}, {"year": 2010}, {"year": year + 2}):
        args = {"actor": p, "region": r, "year": year, "indicator": "new_hte", "value": 1} | kwargs
        with pytest.raises(ValidationFailed):
            services.target_set(**args)
    assert not Target.objects.exists()


# --- Excel upload ----------------------------------------------------------------------------------------------


def write(path, rows, header=("行政区划代码", "地区", "当年新认定高企目标", "有效高企目标", "调整说明")):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write(0, 0, "目标任务")
    sheet.write_row(2, 0, header)
    for i, row in enumerate(rows, start=3):
        sheet.write_row(i, 0, row)
    book.close()
    return path


def test_upload_sets_targets_and_is_idempotent(world, year, tmp_path):
    path = write(tmp_path / "t.xlsx", [["320583", "昆山市", 173, 1020, ""], ["320506", "吴中区", 96, "", ""]])
    result = services.targets_upload(actor=world["suzhou"], year=year, path=path)
    assert (result.changed, result.unchanged) == (3, 0)
    again = services.targets_upload(actor=world["suzhou"], year=year, path=path)
    assert (again.changed, again.unchanged) == (0, 3)
    assert Target.objects.count() == 3


def test_upload_errors_name_row_and_column_and_write_nothing(world, year, tmp_path):
    services.target_set(
        actor=world["suzhou"], region=region("320583"), year=year, indicator="new_hte", value=173
    )
    rows = [
        ["320506", "吴中区", 96, 500, ""],  # fine
        ["320115", "江宁区", 10, 10, ""],  # a Nanjing county
        ["320583", "昆山市", 180, 1000, ""],  # a change without a reason
        ["320507", "相城区", "很多", 1.5, ""],  # not numbers
        ["320506", "吴中区", 97, 500, "改"],  # duplicate region
    ]
    path = write(tmp_path / "targets.xlsx", rows)
    with pytest.raises(ValidationFailed) as exc:
        services.targets_upload(actor=world["suzhou"], year=year, path=path)
    found = sorted((e["row"], e["column"]) for e in exc.value.errors)
    assert found == [
        (5, "行政区划代码（A列）"),
        (6, "调整说明（E列）"),
        (7, "当年新认定高企目标（C列）"),
        (7, "有效高企目标（D列）"),
        (8, "行政区划代码（A列）"),
    ]
    assert all(e["file"] == "targets.xlsx" for e in exc.value.errors)
    assert Target.objects.count() == 1  # atomic: the good row was not written


def test_upload_by_county_officer_is_refused_row_by_row(world, year, tmp_path):
    path = write(tmp_path / "t.xlsx", [["320583", "昆山市", 173, 1020, ""]])
    with pytest.raises(ValidationFailed) as exc:
        services.targets_upload(actor=world["kunshan"], year=year, path=path)
    assert exc.value.errors[0]["row"] == 4
    assert not Target.objects.exists()


def test_template_round_trip(client, world, year, tmp_path):
    services.target_set(
        actor=world["suzhou"], region=region("320583"), year=year, indicator="new_hte", value=173
    )
    client.force_login(world["suzhou"])
    res = client.get(f"/targets/template.xlsx?year={year}")
    assert res.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(b"".join(res.streaming_content))
    result = services.targets_upload(actor=world["suzhou"], year=year, path=path)
    assert result.changed == 0 and result.unchanged == 1  # Kunshan's 173 read back unchanged


def test_upload_page_lists_errors(client, world, year, tmp_path):
    path = write(tmp_path / "t.xlsx", [["320115", "江宁区", 1, 1, ""]])
    client.force_login(world["suzhou"])
    with open(path, "rb") as fh:
        res = client.post("/targets/upload/", {"file": fh, "year": year})
    assert res.status_code == 422
    assert "行政区划代码（A列）" in res.content.decode()


# --- progress and assessment ----------------------------------------------------------------------------------


def _hte(actor, firm, issued_on):
    return certificate_record(
        actor=actor,
        enterprise=firm,
        kind=CertificateKind.HTE,
        number=f"GR{firm.pk}-{issued_on}",
        issued_on=issued_on,
        expires_on=issued_on.replace(year=issued_on.year + 3) - timedelta(days=1),
    )


def _sme(actor, firm, issued_on):
    return certificate_record(
        actor=actor,
        enterprise=firm,
        kind=CertificateKind.TECH_SME,
        number=f"SME{firm.pk}-{issued_on}",
        issued_on=issued_on,
        expires_on=issued_on.replace(year=issued_on.year + 1) - timedelta(days=1),
    )


@pytest.fixture
def progress_world(world):
    """This year: Kunshan 2 new HTEs (one in January, one today), 1 HTE from two years ago; Wuzhong 1 new HTE;
    Nanjing 1 new HTE. Tech SMEs: Kunshan 1. Targets: Suzhou 4 new HTEs, Nanjing 2; Kunshan 2, Wuzhong 4."""
    p, today = world["province"], timezone.localdate()
    jan = date(today.year, 1, 2)
    firms = {
        k: factories.enterprise(c, actor=p)
        for k, c in (("k1", "320583"), ("k2", "320583"), ("k3", "320583"), ("w1", "320506"), ("n1", "320115"))
    }
    _hte(p, firms["k1"], jan)
    _hte(p, firms["k2"], today)
    _hte(p, firms["k3"], date(today.year - 2, 3, 1))
    _hte(p, firms["w1"], jan)
    _hte(p, firms["n1"], jan)
    _sme(p, firms["k3"], jan)
    y = today.year
    for code, v in (("320500", 4), ("320100", 2)):
        services.target_set(actor=p, region=region(code), year=y, indicator="new_hte", value=v)
    for code, v in (("320583", 2), ("320506", 4)):
        services.target_set(actor=world["suzhou"], region=region(code), year=y, indicator="new_hte", value=v)
    services.target_set(
        actor=world["suzhou"], region=region("320583"), year=y, indicator="valid_hte", value=6
    )
    return world | firms | {"today": today, "jan": jan}


def test_progress_actuals_from_the_registry(progress_world):
    w = progress_world
    y = w["today"].year
    p = selectors.progress(actor=w["suzhou"], year=y, as_of=w["today"])
    by = {r.region.code: r for r in p.rows}
    ks = by["320583"]
    assert (ks.cells["new_hte"].actual, ks.cells["new_hte"].target) == (2, 2)
    assert ks.cells["valid_hte"].actual == 3 and str(ks.cells["valid_hte"].percent) == "50.0"
    assert ks.cells["tech_sme"].actual == 1 and ks.cells["tech_sme"].target is None
    assert ks.cells["pool_size"].actual == 0  # nobody admitted to the pool (tests/programmes/pool count some)
    assert by["320506"].cells["new_hte"].actual == 1
    assert p.own.cells["new_hte"].actual == 3 and p.own.cells["new_hte"].target == 4
    # as of 1 January nothing of this year's was issued yet
    early = selectors.progress(actor=w["suzhou"], year=y, as_of=date(y, 1, 1))
    assert early.own.cells["new_hte"].actual == 0
    assert early.own.cells["valid_hte"].actual == 1  # only k3's older certificate


def test_city_ranking_order(progress_world):
    w = progress_world
    y = w["today"].year
    p = selectors.assessment(actor=w["province"], year=y, as_of=w["today"], indicator="new_hte")
    assert len(p.rows) == 13
    ranked = [(r.rank, r.region.code) for r in p.rows if r.rank is not None]
    assert ranked == [(1, "320500"), (2, "320100")]  # Suzhou 3/4 = 75%, Nanjing 1/2 = 50%
    assert all(r.rank is None for r in p.rows[2:])  # no target: listed last, unranked


def test_county_ranking_ties_and_overall(progress_world):
    w = progress_world
    y = w["today"].year
    xc = factories.enterprise("320507", actor=w["province"])
    _hte(w["province"], xc, w["jan"])
    services.target_set(actor=w["suzhou"], region=region("320507"), year=y, indicator="new_hte", value=4)
    p = selectors.assessment(actor=w["suzhou"], year=y, as_of=w["today"], indicator="new_hte")
    ranked = [(r.rank, r.region.code) for r in p.rows if r.rank is not None]
    assert ranked == [(1, "320583"), (2, "320506"), (2, "320507")]  # 100%, 25%, 25% (tie, by code)
    overall = selectors.assessment(actor=w["suzhou"], year=y, as_of=w["today"])
    ks = next(r for r in overall.rows if r.region.code == "320583")
    assert str(ks.percent("overall")) == "75.0"  # mean of 100% (new) and 50% (valid: 3 of 6)


def test_progress_page_and_export(client, progress_world):
    from io import BytesIO

    from python_calamine import CalamineWorkbook

    w = progress_world
    y = w["today"].year
    client.force_login(w["province"])
    res = client.get(f"/targets/?year={y}&indicator=new_hte")
    assert res.status_code == 200
    body = res.content.decode()
    assert "暂无数据" in body and "苏州市" in body
    res = client.get(f"/targets/assessment.xlsx?year={y}&indicator=new_hte")
    rows = (
        CalamineWorkbook.from_filelike(BytesIO(b"".join(res.streaming_content)))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert rows[3][:3] == [1, "苏州市", "320500"] or rows[3][:3] == [1.0, "苏州市", "320500"]
    assert rows[4][1] == "南京市"
    api = client.get(f"/api/targets/progress?year={y}&indicator=new_hte").json()
    assert api["rows"][0]["region_code"] == "320500" and api["rows"][0]["rank"] == 1
    assert api["rows"][0]["indicators"]["pool_size"]["actual"] == 0


def test_edit_form_saves_atomically(client, world, year):
    client.force_login(world["suzhou"])
    res = client.get(f"/targets/edit/?year={year}")
    assert res.status_code == 200 and "昆山市" in res.content.decode()
    res = client.post(
        "/targets/edit/",
        {"year": year, "t-320583-new_hte": "173", "t-320506-new_hte": "-5"},
    )
    assert res.status_code == 422
    assert not Target.objects.exists()
    res = client.post("/targets/edit/", {"year": year, "t-320583-new_hte": "173", "t-320506-new_hte": "96"})
    assert res.status_code == 302
    assert Target.objects.filter(is_current=True).count() == 2
    assert Role.CITY_OFFICER == world["suzhou"].role


def test_progress_query_count_is_constant(progress_world, django_assert_num_queries):
    w = progress_world
    # region, children, the KPI snapshot of the day (none here), three indicators, the pool size, targets
    with django_assert_num_queries(8):
        selectors.assessment(actor=w["province"], year=w["today"].year, as_of=w["today"])
