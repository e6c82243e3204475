"""The shell: synthetic-data label, language switch, home figures."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_synthetic_label_only_with_synthetic_data(as_user, world, settings):
    client = as_user(world["suzhou"])
    assert 'data-testid="synthetic"' not in client.get("/").content.decode()
    factories.source(synthetic=True)
    for url in ("/", "/enterprises/", reverse("web:enterprise_detail", args=[world["ks"].credit_code])):
        assert "合成数据（演示）" in client.get(url).content.decode()
    assert "合成数据（演示）" in Client().get(reverse("web:login")).content.decode()
    settings.GAOQI_SYNTHETIC_BANNER = False
    assert 'data-testid="synthetic"' not in client.get("/").content.decode()


def test_chinese_by_default_and_english_on_request(as_user, world):
    factories.source(synthetic=True)
    client = as_user(world["suzhou"])
    page = client.get("/enterprises/").content.decode()
    assert 'lang="zh-CN"' in page and "企业库" in page and "统一社会信用代码" in page
    response = client.post(reverse("set_language"), {"language": "en", "next": "/enterprises/"})
    assert response.status_code == 302
    page = client.get("/enterprises/").content.decode()
    assert 'lang="en"' in page
    for label in (
        "Enterprises",
        "Unified social credit code",
        "Synthetic demo data",
        "City officer",
        "Log out",
        "Suzhou",
        "Search",
    ):
        assert label in page, label
    assert "企业库" not in page
    assert ">Candidate</span>" in page  # one firm's status badge: singular
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "企业库" in client.get("/").content.decode()


def test_english_enterprise_page(as_user, rich_world):
    client = as_user(rich_world["suzhou"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    facts = client.get(
        reverse("web:enterprise_tab", args=[rich_world["ks"].credit_code, "facts"])
    ).content.decode()
    assert "Sales revenue" in facts and "10k CNY" in facts and "Tax" in facts and "Audit trail" in facts


def test_officer_home_figures(as_user, rich_world):
    page = as_user(rich_world["suzhou"]).get("/").content.decode()
    assert 'data-testid="kpi-total"' in page
    html = page.split('data-testid="kpi-total"')[1]
    assert '<span class="kpi-value">2</span>' in html.split("</a>")[0]
    assert '<span class="kpi-value">1</span>' in page.split('data-testid="kpi-hte"')[1].split("</a>")[0]
    table = page.split('data-testid="subregions"')[1]
    assert "昆山市" in table and "吴中区" in table and "江宁区" not in table


def test_province_home_lists_cities(as_user, world):
    page = as_user(world["province"]).get("/").content.decode()
    table = page.split('data-testid="subregions"')[1]
    assert "南京市" in table and "苏州市" in table and "宿迁市" in table


def test_county_home_has_figures_without_subregions(as_user, world):
    page = as_user(world["kunshan"]).get("/").content.decode()
    assert 'data-testid="kpi-total"' in page and 'data-testid="subregions"' not in page


def test_figures_match_the_list_filters(as_user, rich_world):
    from gaoqi.web.selectors import key_figures

    figures = key_figures(actor=rich_world["province"])
    assert figures == {
        "total": 3,
        "hte": 1,
        "tech_sme": 1,
        "candidate": 1,
        "hte_in_zone": 0,  # the plan's zone KPI: valid HTEs in provincial-or-higher high-tech zones
        "hte_zone_share": 0.0,
    }


def test_browser_language_does_not_switch_to_english(as_user, world):
    client = as_user(world["suzhou"])
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-CN"' in page and "工作台" in page
