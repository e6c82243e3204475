"""English mode shows regions and technical fields by their English names (Region.name_en, TechField.name_en)
wherever the pages name them: the list's filters and rows, the firm page, the targets pages."""

import pytest
from django.urls import reverse

from gaoqi.regions.models import Region
from gaoqi.registry.models import TechField
from tests import factories

pytestmark = pytest.mark.django_db


def _english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def test_list_and_firm_page_name_regions_and_fields_in_english(as_user, world):
    top = TechField.objects.get(code="10")
    assert top.name_en == "Electronic information"
    # A sub-field without an English name shows both: its name and its field's English name.
    field_label = f"软件 ({top.name_en})"
    firm = factories.enterprise("320583", name="英文模式测试企业", actor=world["province"], tech_field="101")
    suzhou = Region.objects.get(code="320500")
    assert suzhou.name_en == "Suzhou"
    kunshan = f"昆山市 ({suzhou.name_en})"  # a county without an English name: both
    client = _english(as_user(world["suzhou"]))
    html = client.get("/enterprises/").content.decode()
    assert f"{suzhou.name_en} · {kunshan}" in html  # the row's region
    assert f">{kunshan}</option>" in html  # the county filter
    rows = html.split("<tbody>")[1]
    assert field_label in rows
    assert f">{top.name_en}</option>" in html  # the field filter (top-level fields)
    page = client.get(f"/enterprises/{firm.credit_code}/").content.decode()
    assert f"{suzhou.name_en} · {kunshan}" in page
    # Chinese mode keeps the Chinese names.
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    zh = client.get("/enterprises/").content.decode()
    assert "苏州市 · 昆山市" in zh and field_label not in zh and kunshan not in zh


def test_targets_pages_name_the_region_in_english(as_user, world):
    client = _english(as_user(world["province"]))
    jiangsu = Region.objects.get(code="320000")
    html = client.get("/targets/").content.decode()
    assert jiangsu.name_en in html.split("<h1>")[1].split("</h1>")[0]
    history = client.get(reverse("targets:history", args=["320500"])).content.decode()
    suzhou = Region.objects.get(code="320500")
    assert suzhou.name_en in history.split("<h1>")[1].split("</h1>")[0]
