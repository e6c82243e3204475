"""The enterprise list reaches every firm in scope: pinyin order, numbered pages up to the counted rows, then
"next page" cursors (no totals); credit-code prefix search from 2 characters."""

import re

import pytest
from stdnum.cn import uscc

from gaoqi.errors import ValidationFailed
from gaoqi.registry.models import Enterprise
from gaoqi.registry.selectors import CappedPaginator, EnterpriseFilter, encode_cursor, enterprise_list
from gaoqi.registry.services import enterprise_update
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/enterprises/"
API = "/api/enterprises"

# In pinyin order: a1 < bei3 < chang2 (长 as in 长江) < yin2 (银行) < zhong1
NAMES_IN_ORDER = [
    "阿里测试有限公司",
    "北京测试有限公司",
    "长江测试有限公司",
    "银行测试有限公司",
    "中兴测试有限公司",
]


def walk(actor, per_page, **filters):
    """Every row the list gives `actor`, page by page: numbered pages, then the cursors."""
    seen, page, pages = (
        [],
        enterprise_list(actor=actor, per_page=per_page, filters=EnterpriseFilter(**filters)),
        1,
    )
    while True:
        seen.extend(page.object_list)
        if not page.keyset and page.has_next():
            page = enterprise_list(
                actor=actor, per_page=per_page, page=page.number + 1, filters=EnterpriseFilter(**filters)
            )
        elif page.next_after:
            page = enterprise_list(
                actor=actor, per_page=per_page, after=page.next_after, filters=EnterpriseFilter(**filters)
            )
        else:
            return seen, pages
        pages += 1


def test_names_sorted_in_pinyin_order(world):
    for name in reversed(NAMES_IN_ORDER):
        factories.enterprise("320506", name=name, actor=world["province"])
    got = [e.name for e in enterprise_list(actor=world["suzhou"], per_page=100) if e.name in NAMES_IN_ORDER]
    assert got == NAMES_IN_ORDER
    # Code-point order would put 中 before 北 and 长 after 银: the list is not sorted by the raw name.
    assert sorted(NAMES_IN_ORDER) != NAMES_IN_ORDER


def test_every_firm_in_scope_reached_past_the_counted_rows(world, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 3)
    for i in range(9):
        factories.enterprise(
            "320583" if i % 2 else "320506", name=f"苏州企业{i:02d}", actor=world["province"]
        )
    factories.enterprise("320115", name="南京另一家企业", actor=world["province"])
    seen, pages = walk(world["suzhou"], per_page=2)
    expected = list(Enterprise.objects.filter(city_id="320500").order_by("name_pinyin", "id"))
    assert [e.pk for e in seen] == [e.pk for e in expected]  # all 11 Suzhou firms, in order, none twice
    assert len(seen) == 11 and pages == 6
    assert all(e.city_id == "320500" for e in seen)
    # A county officer walks only the county's firms.
    ks_seen, _ = walk(world["kunshan"], per_page=2)
    assert {e.county_id for e in ks_seen} == {"320583"} and len(ks_seen) == 5


def test_cursor_pages_keep_the_filters(world, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 1)
    for i in range(5):
        factories.enterprise("320583", name=f"过滤企业{i}", actor=world["province"], tech_field="101")
    factories.enterprise("320583", name="过滤企业X", actor=world["province"])
    seen, _ = walk(world["suzhou"], per_page=1, tech_field="10")
    assert sorted(e.name for e in seen) == [f"过滤企业{i}" for i in range(5)]


def test_keyset_page_has_no_totals_and_ends(world):
    first = enterprise_list(actor=world["suzhou"], per_page=1)
    assert first.next_after  # two Suzhou firms: more follow
    last = enterprise_list(actor=world["suzhou"], per_page=1, after=first.next_after)
    assert last.keyset and last.number is None and not last.has_next and last.next_after is None
    assert [e.pk for e in last] != [e.pk for e in first]


def test_a_foreign_firms_place_as_cursor_shows_only_own_firms(world):
    nj = world["nj"]
    page = enterprise_list(actor=world["suzhou"], per_page=100, after=encode_cursor(nj))
    assert nj not in page.object_list
    assert {e.city_id for e in page.object_list} <= {"320500"}


@pytest.mark.parametrize("cursor", ["", "x", "!!!", "A" * 401, "YWJj", "YQA", "YWJjHzEyYQ"])
def test_a_cursor_that_is_not_one_is_refused(world, cursor):
    with pytest.raises(ValidationFailed) as exc:
        enterprise_list(actor=world["suzhou"], after=cursor)
    assert exc.value.errors[0]["field"] == "after"


def test_cursor_and_page_number_together_are_refused(world):
    cursor = encode_cursor(world["ks"])
    with pytest.raises(ValidationFailed) as exc:
        enterprise_list(actor=world["suzhou"], after=cursor, page=2)
    assert exc.value.errors[0]["field"] == "page"


def test_pinyin_key_follows_renames(world):
    firm = world["ks"]
    enterprise_update(actor=world["province"], enterprise=firm, name="阿尔法科技有限公司", reason="更名")
    firm.refresh_from_db()
    assert firm.name_pinyin.startswith("a1 er3 fa3")


def _code(prefix: str, region: str = "320583", serial: int = 7) -> str:
    stem = prefix + region + "00000000" + "AB"[serial % 2]
    return stem + uscc.calc_check_digit(stem)


def test_credit_code_prefix_search_from_two_characters(world):
    other = factories.enterprise(
        "320583", name="另一类代码企业", credit_code=_code("92"), actor=world["province"]
    )
    tcl = factories.enterprise("320583", name="TCL测试有限公司", actor=world["province"])
    ks_officer = world["kunshan"]

    def search(q):
        return {e.pk for e in enterprise_list(actor=ks_officer, per_page=100, filters=EnterpriseFilter(q=q))}

    assert search("92") == {other.pk}
    assert search("91") == {world["ks"].pk, tcl.pk}
    assert search("9a") == set()  # lower case counts as the code's upper case: no "9A…" code here
    assert search(other.credit_code[:4].lower()) == {other.pk}
    # A short run of code letters may be a name fragment too.
    assert search("TCL") == {tcl.pk}
    # Never across scope: Nanjing's firms have 91 codes too.
    assert world["nj"].pk not in search("91")


def test_page_links_go_on_past_the_counted_rows(as_user, world, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 25)
    for i in range(4):
        factories.enterprise("320583", name=f"页面企业{i}", actor=world["province"])
    client = as_user(world["suzhou"])
    html = client.get(URL).content.decode()  # 6 firms, 20 a page: all on page 1, nothing further
    assert 'data-testid="count-capped"' not in html and 'data-testid="next-after"' not in html
    for i in range(30):
        factories.enterprise("320506", name=f"更多企业{i:02d}", actor=world["province"])
    first = client.get(URL).content.decode()  # 36 firms, 25 counted: pages 1-2 numbered
    assert 'data-testid="count-capped"' in first and 'data-testid="next-after"' not in first
    second = client.get(URL, {"page": 2}).content.decode()
    link = re.search(r'href="\?after=([A-Za-z0-9_-]+)"[^>]*data-testid="next-after"', second)
    assert link, "the last counted page links to the rows after it"
    third = client.get(URL, {"after": link.group(1)})
    assert third.status_code == 200
    text = third.content.decode()
    assert 'data-testid="keyset-note"' in text
    found = [names_in(first), names_in(second), names_in(text)]
    assert [len(n) for n in found] == [20, 5, 11]
    assert len(set().union(*found)) == 36  # every Suzhou firm once
    assert 'data-testid="next-after"' not in text  # the end


def names_in(html: str) -> set[str]:
    return set(re.findall(r'<td><a href="/enterprises/[0-9A-Z]{18}/">([^<]+)</a></td>', html))


def test_bad_cursor_on_the_page_is_said_plainly(as_user, world):
    response = as_user(world["suzhou"]).get(URL, {"after": "%%%"})
    assert response.status_code == 400
    assert "翻页位置有误" in response.content.decode()


def test_api_cursor_paging(as_user, world, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 2)
    for i in range(3):
        factories.enterprise("320583", name=f"接口企业{i}", actor=world["province"])
    client = as_user(world["suzhou"])
    body = client.get(API, {"per_page": 2}).json()
    assert body["count"] == 2 and body["count_capped"] and body["pages"] == 1 and body["next_after"]
    codes = [r["credit_code"] for r in body["items"]]
    while body["next_after"]:
        body = client.get(API, {"per_page": 2, "after": body["next_after"]}).json()
        assert body["count"] is None and body["page"] is None
        codes += [r["credit_code"] for r in body["items"]]
    expected = Enterprise.objects.filter(city_id="320500").order_by("name_pinyin", "id")
    assert codes == [e.credit_code for e in expected] and len(codes) == 5
    bad = client.get(API, {"after": "nope!"})
    assert bad.status_code == 422 and bad.json()["extra"]["errors"][0]["field"] == "after"
