"""The firm page's 申报 tab: the firm's applications in every programme with their phase, for the officers of its
region and the firm itself; everyone else gets the same 404 as for a missing page."""

import pytest
from django.test import Client

from gaoqi.errors import NotFound
from gaoqi.workflow.selectors import applications_of_enterprise
from gaoqi.workflow.services import application_create
from tests.workflow.conftest import start, submitted

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _tab(world, who, key):
    return _client(world[who]).get(f"/enterprises/{world[key].credit_code}/applications/")


@pytest.fixture
def apps(sme_world):
    w = sme_world
    sme = submitted(w, "ks")
    pool = application_create(actor=w["ks_user"], programme_code="pool", enterprise=w["ks"], year=2026)
    other = start(w["wz_user"], w["wz"])
    return {"sme": sme, "pool": pool, "other": other}


@pytest.mark.parametrize("who", ["ks_user", "province", "suzhou", "kunshan"])
def test_the_firm_and_its_officers_see_its_applications_and_phases(sme_world, apps, who):
    res = _tab(sme_world, who, "ks")
    assert res.status_code == 200
    html = res.content.decode()
    assert 'data-testid="applications-table"' in html
    assert "科技型中小企业评价" in html and "待形式审查" in html
    assert "高新技术企业培育库入库" in html and "入库申请填报" in html
    assert f"/programmes/applications/{apps['sme'].pk}/" in html
    assert f"/programmes/pool/applications/{apps['pool'].pk}/" in html
    assert f"/applications/{apps['other'].pk}/" not in html  # another firm's
    overview = _client(sme_world[who]).get(f"/enterprises/{sme_world['ks'].credit_code}/").content.decode()
    assert 'data-tab="applications"' in overview


@pytest.mark.parametrize(
    ("who", "key"),
    [("nanjing", "ks"), ("wz_user", "ks"), ("expert", "ks"), ("agency", "wz"), ("kunshan", "wz")],
)
def test_anyone_else_gets_not_found(sme_world, apps, who, key):
    assert _tab(sme_world, who, key).status_code == 404


def test_an_agency_sees_its_firm_but_not_the_tab(sme_world, apps):
    page = _client(sme_world["agency"]).get(f"/enterprises/{sme_world['wz'].credit_code}/")
    assert page.status_code == 200 and 'data-tab="applications"' not in page.content.decode()


def test_the_selector_applies_the_same_scope(sme_world, apps):
    rows = applications_of_enterprise(actor=sme_world["suzhou"], enterprise=sme_world["ks"])
    assert [r.application.pk for r in rows] == [apps["pool"].pk, apps["sme"].pk]  # newest first
    assert [(r.phase_label, r.final) for r in rows] == [("入库申请填报", False), ("待形式审查", False)]
    for who in ("nanjing", "agency", "wz_user"):
        with pytest.raises(NotFound):
            applications_of_enterprise(actor=sme_world[who], enterprise=sme_world["ks"])
    assert applications_of_enterprise(actor=sme_world["ks_user"], enterprise=sme_world["ks"])


def test_the_api_lists_the_same_applications_in_the_same_scope(sme_world, apps):
    url = f"/api/enterprises/{sme_world['ks'].credit_code}/applications"
    rows = _client(sme_world["kunshan"]).get(url).json()
    assert [(r["id"], r["programme"], r["phase"], r["phase_label"]) for r in rows] == [
        (apps["pool"].pk, "pool", "draft", "入库申请填报"),
        (apps["sme"].pk, "tech_sme", "submitted", "待形式审查"),
    ]
    assert len(_client(sme_world["ks_user"]).get(url).json()) == 2
    for who in ("nanjing", "wz_user", "expert", "agency"):
        res = _client(sme_world[who]).get(url)
        assert res.status_code == 404 and res.json()["message"]
    # An agency sees its own firm, but not its applications: the same answer.
    wz_url = f"/api/enterprises/{sme_world['wz'].credit_code}/applications"
    assert _client(sme_world["agency"]).get(wz_url).status_code == 404
