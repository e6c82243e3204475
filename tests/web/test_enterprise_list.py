"""The enterprise list: filters, search, paging, htmx fragments."""

import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db
URL = "/enterprises/"


def names(client, **params) -> set[str]:
    html = client.get(URL, params).content.decode()
    return set(re.findall(r'<td><a href="/enterprises/[0-9A-Z]{18}/">([^<]+)</a></td>', html))


def test_url_name():
    assert reverse("web:enterprise_list") == URL


def test_city_filter_for_province_officer(as_user, world):
    client = as_user(world["province"])
    assert names(client, city="320500") == {world["ks"].name, world["wz"].name}
    assert names(client, city="320100") == {world["nj"].name}
    assert 'name="city"' in client.get(URL).content.decode()


def test_city_officer_gets_counties_not_cities(as_user, world):
    page = as_user(world["suzhou"]).get(URL).content.decode()
    assert 'name="city"' not in page
    assert ">昆山市</option>" in page and ">吴中区</option>" in page
    assert "江宁区" not in page


def test_county_filter(as_user, world):
    client = as_user(world["suzhou"])
    assert names(client, county="320583") == {world["ks"].name}


def test_county_outside_scope_is_ignored_and_scope_still_holds(as_user, world):
    client = as_user(world["kunshan"])
    assert names(client, county="320115") == {world["ks"].name}
    assert names(client, city="320100") == {world["ks"].name}


def test_status_filter(as_user, rich_world):
    w = rich_world
    client = as_user(w["province"])
    assert names(client, status="hte") == {w["ks"].name}
    assert names(client, status="tech_sme") == {w["wz"].name}
    assert names(client, status="candidate") == {w["nj"].name}
    page = client.get(URL).content.decode()
    assert "badge-hte" in page and "badge-sme" in page and "badge-candidate" in page


def test_tech_field_filter_matches_sub_fields(as_user, world):
    firm = factories.enterprise("320583", name="软件子领域企业", tech_field="101")
    client = as_user(world["province"])
    assert names(client, tech_field="10") == {firm.name}
    assert ">电子信息</option>" in client.get(URL).content.decode()


def test_search_by_name_and_credit_code(as_user, world):
    client = as_user(world["province"])
    assert names(client, q="昆山") == {world["ks"].name}
    assert names(client, q=world["nj"].credit_code) == {world["nj"].name}
    assert names(client, q=world["nj"].credit_code[:10].lower()) >= {world["nj"].name}


def test_region_names_not_codes(as_user, world):
    page = as_user(world["suzhou"]).get(URL).content.decode()
    assert "苏州市 · 昆山市" in page


def test_paging_20_per_page_keeps_filters(as_user, world):
    for i in range(25):
        factories.enterprise("320506", name=f"吴中分页企业{i:02d}")
    client = as_user(world["suzhou"])
    first = client.get(URL, {"county": "320506"}).content.decode()
    assert len(names(client, county="320506")) == 20
    assert "共 26 家企业" in first
    assert 'href="?county=320506&amp;page=2"' in first
    second = names(client, county="320506", page=2)
    assert len(second) == 6


def test_htmx_request_gets_the_table_fragment_only(as_user, world):
    client = as_user(world["suzhou"])
    fragment = client.get(URL, {"q": "昆山"}, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert world["ks"].name in html and "<html" not in html and 'class="filters"' not in html
    assert "HX-Request" in fragment["Vary"]
    full = client.get(URL, {"q": "昆山"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in full.content.decode()


def test_filter_form_uses_htmx_with_plain_fallback(as_user, world):
    page = as_user(world["suzhou"]).get(URL).content.decode()
    assert (
        'hx-get="/enterprises/"' in page and 'hx-target="#results"' in page and 'hx-push-url="true"' in page
    )
    assert 'method="get" action="/enterprises/"' in page
    assert "/static/vendor/htmx.min.js" in page
    assert "cdn" not in page.lower()
