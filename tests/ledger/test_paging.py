"""The ledger's keyset paging (cursors before and after a page) and its summary capped for filters counted live:
every entry reached exactly once in both directions, within the officer's scope, bad cursors refused."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gaoqi.accounts.models import Role
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger import selectors, tally
from gaoqi.ledger.models import LedgerEntry
from gaoqi.ledger.selectors import LedgerFilter, ledger_entries, ledger_summary
from gaoqi.ledger.services import reevaluate
from tests import factories

AS_OF = date(2025, 6, 30)
PER_PAGE = 7  # small pages: the 300 firms make many


@pytest.fixture
def ledger(db, monkeypatch):
    load(generate(300, 3, AS_OF), progress=False)
    reevaluate(as_of=AS_OF)
    tally.refresh()
    monkeypatch.setattr(selectors, "PER_PAGE", PER_PAGE)
    return {
        "province": factories.province_admin(),
        "suzhou": factories.officer(Role.CITY_OFFICER, "320500"),
    }


def _get(client, user, **params):
    client.force_login(user)
    return client.get("/ledger/", params)


def _expected(actor, **filters) -> list[int]:
    return list(ledger_entries(actor=actor, filters=LedgerFilter(**filters)).values_list("pk", flat=True))


def _walk(client, user, **params) -> tuple[list[int], list[int]]:
    """Every page from the first by the next links, then back from the last by the previous links: the ids in
    the order read, and the row numbers shown."""
    forward, numbers = [], []
    page = _get(client, user, **params).context["page"]
    while True:
        assert page.start_index == len(forward) + 1 and len(page) == PER_PAGE or not page.has_next
        forward += [e.pk for e in page]
        numbers += [page.start_index + i for i in range(len(page))]
        if not page.has_next:
            break
        response = _get(client, user, **params, after=page.next_cursor)
        assert response.status_code == 200
        page = response.context["page"]
    backward = [e.pk for e in page][::-1]
    while page.has_previous:
        response = _get(client, user, **params, before=page.previous_cursor)
        assert response.status_code == 200
        page = response.context["page"]
        assert page.start_index == len(forward) - len(backward) - len(page) + 1
        backward += [e.pk for e in page][::-1]
    return forward, backward[::-1], numbers


@pytest.mark.parametrize(
    ("who", "filters"),
    [
        ("province", {}),
        ("province", {"grade": "E"}),
        ("province", {"q": "科技"}),
        ("suzhou", {}),
        ("suzhou", {"hitech_zone": "none"}),
    ],
)
def test_the_cursors_reach_every_entry_once_forward_and_back(client, ledger, who, filters):
    user = ledger[who]
    expected = _expected(user, **filters)
    assert len(expected) > 2 * PER_PAGE  # several pages
    forward, backward, numbers = _walk(client, user, **filters)
    assert forward == expected
    assert backward == expected
    assert numbers == list(range(1, len(expected) + 1))


def test_the_pager_links_carry_cursors_and_a_deep_page_reads_no_offset(client, ledger):
    first = _get(client, ledger["province"], grade="E")
    html = first.content.decode()
    page = first.context["page"]
    assert f"after={page.next_cursor}" in html and "before=" not in html
    second = _get(client, ledger["province"], grade="E", after=page.next_cursor)
    assert f"before={second.context['page'].previous_cursor}" in second.content.decode()
    with CaptureQueriesContext(connection) as queries:
        third = _get(client, ledger["province"], grade="E", after=second.context["page"].next_cursor)
    assert third.context["page"].number == 3
    assert not [q["sql"] for q in queries if "OFFSET" in q["sql"].upper()]


def test_a_city_officers_cursor_never_yields_a_foreign_firm(client, ledger):
    # A cursor built from a Nanjing entry (a place in the order, nothing else) still reads Suzhou only.
    nanjing = LedgerEntry.objects.filter(city_id="320100").order_by("name_pinyin").first()
    cursor = selectors.encode_cursor(nanjing, 0)
    for direction in ("after", "before"):
        response = _get(client, ledger["suzhou"], **{direction: cursor})
        assert response.status_code == 200
        entries = list(response.context["page"])
        assert entries and all(e.city_id == "320500" for e in entries)


@pytest.mark.parametrize(
    "params",
    [
        {"after": "!!!"},
        {"after": base64.urlsafe_b64encode(b"no separators").decode()},
        {"before": base64.urlsafe_b64encode(b"key\x1fx\x1f0").decode()},
        {"after": base64.urlsafe_b64encode("键\x1f1\x1f-4".encode()).decode()},
        {"after": "A" * 500},
        {"after": base64.urlsafe_b64encode(b"\xff\xfe").decode()},
        {"page": "2", "after": "YQ"},
        {"page": str(selectors.PAGE_NUMBER_MAX + 1)},
    ],
)
def test_a_forged_cursor_or_deep_page_number_is_refused_with_the_first_page(client, ledger, params):
    response = _get(client, ledger["province"], **params)
    assert response.status_code == 400
    assert 'data-testid="list-problems"' in response.content.decode()
    page = response.context["page"]
    assert page.start == 0 and [e.pk for e in page] == _expected(ledger["province"])[:PER_PAGE]


def test_small_page_numbers_still_work(client, ledger):
    page = _get(client, ledger["province"], page="3").context["page"]
    assert [e.pk for e in page] == _expected(ledger["province"])[2 * PER_PAGE : 3 * PER_PAGE]
    assert page.start_index == 2 * PER_PAGE + 1 and page.has_previous


def test_a_name_search_beyond_the_cap_shows_a_capped_count_and_no_breakdown(client, ledger, monkeypatch):
    province = ledger["province"]
    matches = _expected(province, q="科技")
    exact = ledger_summary(actor=province, filters=LedgerFilter(q="科技"), cap=len(matches))
    assert not exact.capped and exact.total == len(matches)
    assert exact.by_grade == {
        g: LedgerEntry.objects.filter(pk__in=matches, grade=g).count() for g in exact.by_grade
    }

    monkeypatch.setattr(selectors, "SUMMARY_CAP", len(matches) - 1)
    response = _get(client, province, q="科技")
    html = response.content.decode()
    assert response.context["summary"].capped and response.context["page"].capped
    assert 'data-testid="summary-hidden"' in html and 'data-testid="ledger-grades"' not in html
    assert f"共 {len(matches) - 1:,}+ 家企业" in html
    assert _walk(client, province, q="科技")[0] == matches  # the cursors still reach every match

    # A tier filter counts its own entries (capped again only if they too exceed the cap).
    grade = LedgerEntry.objects.filter(pk__in=matches).values_list("grade", flat=True).first()
    in_grade = LedgerEntry.objects.filter(pk__in=matches, grade=grade).count()
    page = _get(client, province, q="科技", grade=grade).context["page"]
    assert page.total == in_grade and not page.capped and page.num_pages == -(-in_grade // PER_PAGE)


def test_the_english_page_says_the_summary_is_capped(client, ledger, monkeypatch):
    monkeypatch.setattr(selectors, "SUMMARY_CAP", 3)
    client.force_login(ledger["province"])
    client.cookies["django_language"] = "en"
    html = client.get("/ledger/", {"q": "科技"}).content.decode()
    assert "More than 3 firms match" in html
