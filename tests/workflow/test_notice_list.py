"""The public notices page: every notice reachable, 50 a page, a page out of range a clear 400."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from gaoqi.workflow.models import PublicNotice
from gaoqi.workflow.selectors import PER_PAGE

pytestmark = pytest.mark.django_db


def _notices(world, n):
    """`n` notices, the i-th starting i days after 2025-01-01 (so the newest is the last made)."""
    start = date(2025, 1, 1)
    PublicNotice.objects.bulk_create(
        PublicNotice(
            programme="tech_sme",
            title=f"公示第{i:03d}批",
            region_id="320000",
            starts_on=start + timedelta(days=i),
            working_days=5,
            ends_on=start + timedelta(days=i + 7),
            created_by=world["province"],
        )
        for i in range(n)
    )


def _get(user, **params):
    client = Client()
    client.force_login(user)
    return client.get(reverse("workflow:notice_list"), params)


def test_the_notices_are_paged_newest_first(world):
    _notices(world, PER_PAGE + 6)
    first = _get(world["ks_user"]).content.decode()
    assert first.count("公示第") == PER_PAGE
    assert f"公示第{PER_PAGE + 5:03d}批" in first and "公示第005批" not in first
    assert "1 / 2" in first and 'rel="next"' in first
    second = _get(world["ks_user"], page=2).content.decode()
    assert second.count("公示第") == 6 and "公示第000批" in second and "公示第005批" in second
    assert "2 / 2" in second and 'rel="prev"' in second


@pytest.mark.parametrize("page", ["3", "0", "abc"])
def test_a_page_out_of_range_says_so(world, page):
    _notices(world, PER_PAGE + 1)
    response = _get(world["province"], page=page)
    html = response.content.decode()
    assert response.status_code == 400 and "公示第" not in html
    if page == "3":
        assert "页码超出范围" in html and "共 2 页" in html


def test_one_page_has_no_pager(world):
    _notices(world, 3)
    html = _get(world["suzhou"]).content.decode()
    assert html.count("公示第") == 3 and 'class="pager"' not in html
    assert _get(world["suzhou"], page=2).status_code == 400
