"""The enterprise page: tabs, merged facts with their source, IP, certificates, audit trail, htmx tabs."""

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def tab(firm, name=None):
    if name is None:
        return reverse("web:enterprise_detail", args=[firm.credit_code])
    return reverse("web:enterprise_tab", args=[firm.credit_code, name])


def test_overview(as_user, rich_world):
    page = as_user(rich_world["suzhou"]).get(tab(rich_world["ks"])).content.decode()
    assert "基本信息" in page and "苏州市 · 昆山市" in page and "badge-hte" in page
    # Latest year's revenue from the trusted department (tax), in 万元 with two decimals.
    assert "5,234.57" in page
    assert 'data-testid="key-facts"' in page


def test_facts_show_value_and_source(as_user, rich_world):
    page = as_user(rich_world["suzhou"]).get(tab(rich_world["ks"], "facts")).content.decode()
    year = timezone.localdate().year - 1
    assert f"{year} 年度" in page and f"{year - 1} 年度" in page
    assert "4,125.00" in page and "5,234.57" in page  # tax revenue wins over science & tech
    assert "税务_2024.xlsx · 第12行" in page  # provenance in the title
    assert "科技_2024.xlsx · 第7行" in page  # tech_staff comes from the science & tech file
    assert "其他来源数值" in page and "5,334.57" in page  # the disagreeing source is shown
    assert 'data-testid="sources"' in page and "合成数据" in page


def test_ip_and_certificates_tabs(as_user, rich_world):
    client = as_user(rich_world["ks_user"])
    ip = client.get(tab(rich_world["ks"], "ip")).content.decode()
    assert "ZL202110000001.X" in ip and "发明专利" in ip
    certs = client.get(tab(rich_world["ks"], "certificates")).content.decode()
    assert "GR202332000123" in certs and "高新技术企业证书" in certs


def test_empty_tabs_say_so(as_user, world):
    client = as_user(world["suzhou"])
    assert "尚无年度数据" in client.get(tab(world["wz"], "facts")).content.decode()
    assert "暂无知识产权记录" in client.get(tab(world["wz"], "ip")).content.decode()
    assert "暂无证书记录" in client.get(tab(world["wz"], "certificates")).content.decode()


def test_audit_trail_lists_events(as_user, rich_world):
    page = as_user(rich_world["kunshan"]).get(tab(rich_world["ks"], "audit")).content.decode()
    assert "新建" in page
    assert "registry.certificate" in page


def test_tabs_swap_with_htmx(as_user, rich_world):
    client = as_user(rich_world["suzhou"])
    page = client.get(tab(rich_world["ks"])).content.decode()
    assert 'hx-target="#tabs"' in page and f'hx-get="{tab(rich_world["ks"], "facts")}"' in page
    fragment = client.get(tab(rich_world["ks"], "facts"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'data-testid="facts-table"' in fragment
    assert 'class="active" aria-selected="true">年度数据' in fragment
