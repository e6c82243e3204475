"""Pinned query counts: pages cost the same whether a page shows 2 rows or 20 (no N+1).

Every logged-in page pays 3 fixed queries: session, user, synthetic-data label. On top of that:
list = actor region + filter regions + high-tech zones (officers) + tech fields + count + page; firm page =
firm + the tab's rows.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from gaoqi.accounts.models import AgencyAssignment
from gaoqi.coaching.services import service_record_create
from gaoqi.registry.models import Department, Enterprise, IntellectualProperty
from gaoqi.registry.services import annual_report_record, certificate_record
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowded(rich_world):
    """rich_world plus 30 more Wuzhong firms (two pages), more facts, IP and certificates for ks."""
    w = rich_world
    for i in range(30):
        factories.enterprise("320506", name=f"吴中计数企业{i:02d}", tech_field="101" if i % 2 else "201")
    finance = factories.source(Department.FINANCE, "财政.xlsx")
    today = timezone.localdate()
    for year in range(today.year - 5, today.year):
        annual_report_record(
            actor=w["province"],
            enterprise=w["ks"],
            year=year,
            source=finance,
            source_row=year,
            values={"total_assets": 9_000_000, "net_assets": -5_000},
        )
    for i in range(5):
        IntellectualProperty.objects.create(
            enterprise=w["ks"],
            ip_class=2,
            kind="software_copyright",
            number=f"2023SR{i:06d}",
            granted_on=today - timedelta(days=100 + i),
        )
        certificate_record(
            actor=w["province"],
            enterprise=w["ks"],
            kind="tech_sme",
            number=f"SME{i}",
            issued_on=today - timedelta(days=400 + i),
            expires_on=today + timedelta(days=10),
        )
    return w


@pytest.mark.parametrize(
    "params,queries",
    [
        ({}, 9),
        (
            {"status": "candidate", "q": "吴中"},
            9,
        ),  # + the name index read first (a rare pair: see name_search)
        ({"hitech_zone": "none"}, 9),
        ({"page": 2}, 9),
        ({"tech_field": "10"}, 9),  # + the field checked; the whole result fits on page 1: no COUNT query
    ],
)
def test_enterprise_list_queries(as_user, crowded, django_assert_num_queries, params, queries):
    client = as_user(crowded["suzhou"])
    client.get("/enterprises/", params)  # PostgreSQL's name index reads the column statistics once a minute
    if "q" in params:
        queries += 1
    with django_assert_num_queries(queries):
        response = client.get("/enterprises/", params)
    assert response.status_code == 200


def test_enterprise_list_queries_enterprise_user(as_user, crowded, django_assert_num_queries):
    client = as_user(crowded["ks_user"])
    with django_assert_num_queries(6):  # no filter regions to load; one firm fits page 1: no COUNT
        client.get("/enterprises/")


def test_enterprise_list_htmx_fragment_queries(as_user, crowded, django_assert_num_queries):
    client = as_user(crowded["province"])
    with django_assert_num_queries(10):  # + the city checked against the officer's regions
        client.get("/enterprises/", {"city": "320500"}, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("tab", ["", "facts/", "ip/", "certificates/", "audit/"])
def test_enterprise_page_queries_officer(as_user, crowded, django_assert_num_queries, tab):
    client = as_user(crowded["suzhou"])
    with django_assert_num_queries(6):
        response = client.get(f"/enterprises/{crowded['ks'].credit_code}/{tab}")
    assert response.status_code == 200


@pytest.mark.parametrize("tab", ["", "facts/", "ip/", "certificates/"])
def test_enterprise_page_queries_enterprise_user(as_user, crowded, django_assert_num_queries, tab):
    client = as_user(crowded["ks_user"])
    with django_assert_num_queries(6):
        client.get(f"/enterprises/{crowded['ks'].credit_code}/{tab}")


def test_enterprise_page_queries_agency(as_user, crowded, django_assert_num_queries):
    # The agency's assignment is checked twice (service-records tab visibility and the selector): two more queries.
    client = as_user(crowded["agency"])
    with django_assert_num_queries(8):
        client.get(f"/enterprises/{crowded['wz'].credit_code}/facts/")


def test_home_queries(as_user, crowded, django_assert_num_queries):
    officer, firm_user = as_user(crowded["suzhou"]), as_user(crowded["ks_user"])
    # + region, figures, sub-region counts, child regions, overdue follow-ups, unread notifications, alerts and
    # the inbox count (a city officer reviews pool applications); + today's KPI snapshot looked for twice (the
    # figures and the sub-region counts; none here, so both are counted live)
    with django_assert_num_queries(13):
        officer.get("/")
    with django_assert_num_queries(7):  # + enterprise for the top bar, the firm card, inbox and unread counts
        firm_user.get("/")


@pytest.fixture
def coached(crowded):
    """crowded plus service records (by the agency and an officer) and overdue follow-ups on several firms."""
    w = crowded
    today = timezone.localdate()
    firms = [w["wz"], *Enterprise.objects.filter(name__startswith="吴中计数企业")[:6]]
    for i, firm in enumerate(firms):
        AgencyAssignment.objects.get_or_create(
            agency=w["agency"].agency, enterprise=firm, defaults={"assigned_on": today}
        )
        for days in (90, 60, 30):
            service_record_create(
                actor=w["agency"] if i % 2 else w["suzhou"],
                enterprise=firm,
                kind="visit",
                served_on=today - timedelta(days=days),
                content="辅导",
                follow_up_on=today - timedelta(days=days - 20),
            )
    return w


@pytest.mark.parametrize("role,queries", [("suzhou", 7), ("agency", 10)])
def test_service_records_tab_queries(as_user, coached, django_assert_num_queries, role, queries):
    # firm + records (authors, their regions and agencies joined) + the firm's agencies + the top bar's region
    # (officer) or agency. An agency also pays its assignment check three times (tab, selector, logging form):
    # cheap primary-key probes, kept rather than caching scope answers on the user object.
    client = as_user(coached[role])
    with django_assert_num_queries(queries):
        response = client.get(f"/enterprises/{coached['wz'].credit_code}/service_records/")
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["suzhou", "agency"])
def test_follow_up_list_queries(as_user, coached, django_assert_num_queries, role):
    client = as_user(coached[role])
    with django_assert_num_queries(5):  # + top bar's region or agency, one page of follow-ups (no COUNT)
        response = client.get("/follow-ups/")
    assert response.content.decode().count("已逾期") >= 7


@pytest.mark.parametrize(
    "path,queries",
    [
        ("/agencies/", 6),  # + actor region, filter regions (the form), agencies with their firm counts
        ("/agencies/{agency}/", 6),  # + agency, one page of its firms (no COUNT), actor region
        ("/accounts/", 5),  # + one page of accounts (no COUNT), actor region
        ("/accounts/{kunshan}/", 7),  # + account, its tokens, its audit trail, actor region
    ],
)
def test_admin_page_queries(as_user, coached, django_assert_num_queries, path, queries):
    client = as_user(coached["suzhou"])
    url = path.format(agency=coached["agency"].agency_id, kunshan=coached["kunshan"].pk)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
