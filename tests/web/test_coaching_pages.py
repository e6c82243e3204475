"""Service records on the firm page and the follow-up list, for every role, through the test client."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gaoqi.audit.models import AuditEvent
from gaoqi.coaching.models import ServiceRecord
from gaoqi.coaching.services import service_record_create

pytestmark = pytest.mark.django_db


def tab(firm):
    return reverse("web:enterprise_tab", args=[firm.credit_code, "service_records"])


def post_url(firm):
    return reverse("web:service_record_new", args=[firm.credit_code])


def form(days_ago=3, follow_up_in=14, **extra):
    today = timezone.localdate()
    data = {
        "kind": "visit",
        "served_on": (today - timedelta(days=days_ago)).isoformat(),
        "content": "上门辅导研发费用归集",
        "next_step": "补齐研发辅助账",
        "follow_up_on": (today + timedelta(days=follow_up_in)).isoformat()
        if follow_up_in is not None
        else "",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    "role,firm", [("suzhou", "ks"), ("kunshan", "ks"), ("province", "nj"), ("agency", "wz")]
)
def test_officers_and_the_assigned_agency_log_a_record_from_the_tab(as_user, world, role, firm):
    client, target = as_user(world[role]), world[firm]
    page = client.get(reverse("web:enterprise_detail", args=[target.credit_code])).content.decode()
    assert 'data-tab="service_records"' in page
    html = client.get(tab(target)).content.decode()
    assert 'data-testid="no-service-records"' in html and 'data-testid="service-record-form"' in html
    response = client.post(post_url(target), form())
    assert response.status_code == 302 and response["Location"] == tab(target)
    html = client.get(tab(target)).content.decode()
    assert "上门辅导研发费用归集" in html and "待跟进" in html and "服务记录已保存" in html
    record = ServiceRecord.objects.get()
    assert record.author == world[role] and record.enterprise == target
    assert AuditEvent.objects.filter(target_type="coaching.servicerecord", enterprise=target).exists()


@pytest.mark.parametrize(
    "role,firm", [("ks_user", "ks"), ("agency", "ks"), ("kunshan", "wz"), ("nanjing", "ks")]
)
def test_others_get_no_tab_and_404_on_it_and_on_posting(as_user, world, role, firm):
    client, target = as_user(world[role]), world[firm]
    assert client.get(tab(target)).status_code == 404
    assert client.post(post_url(target), form()).status_code == 404
    assert not ServiceRecord.objects.exists()
    if role == "ks_user":
        page = client.get(reverse("web:enterprise_detail", args=[target.credit_code])).content.decode()
        assert 'data-tab="service_records"' not in page


def test_errors_come_back_on_the_form(as_user, world):
    client = as_user(world["kunshan"])
    response = client.post(post_url(world["ks"]), form(days_ago=-2, content="  "))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="field-error-served_on"' in html and 'data-testid="field-error-content"' in html
    response = client.post(post_url(world["ks"]), form(days_ago=10, follow_up_in=-20))
    assert response.status_code == 422 and "跟进日期不能早于服务日期" in response.content.decode()
    assert not ServiceRecord.objects.exists()


def test_tab_shows_agencies_and_follow_up_states(as_user, world):
    officer, wz = world["suzhou"], world["wz"]
    today = timezone.localdate()
    service_record_create(
        actor=officer,
        enterprise=wz,
        kind="check",
        served_on=today - timedelta(days=50),
        content="核查",
        follow_up_on=today - timedelta(days=20),
    )
    html = as_user(officer).get(tab(wz)).content.decode()
    assert world["agency"].agency.name in html and "已逾期" in html
    service_record_create(
        actor=world["agency"], enterprise=wz, kind="remote", served_on=today, content="电话回访"
    )
    html = as_user(officer).get(tab(wz)).content.decode()
    assert "已跟进" in html and "已逾期" not in html


def test_follow_up_list_for_officers_and_agencies(as_user, world):
    today = timezone.localdate()
    for key in ("ks", "wz", "nj"):
        service_record_create(
            actor=world["province"],
            enterprise=world[key],
            kind="visit",
            served_on=today - timedelta(days=30),
            content=f"走访{key}",
            follow_up_on=today - timedelta(days=3),
        )
    url = reverse("web:follow_up_list")
    suzhou = as_user(world["suzhou"]).get(url).content.decode()
    assert world["ks"].name in suzhou and world["wz"].name in suzhou and world["nj"].name not in suzhou
    agency = as_user(world["agency"]).get(url).content.decode()
    assert world["wz"].name in agency and world["ks"].name not in agency
    upcoming = as_user(world["suzhou"]).get(url, {"when": "upcoming"}).content.decode()
    assert 'data-testid="no-results"' in upcoming
    home = as_user(world["suzhou"]).get("/").content.decode()
    assert 'data-testid="todo-overdue"' in home and "2 家企业的跟进日期已过" in home
    for role in ("ks_user", "expert"):
        assert as_user(world[role]).get(url).status_code == 404


def test_follow_up_menu_entry(as_user, world):
    assert "待跟进" in as_user(world["agency"]).get("/").content.decode()
    assert "待跟进" not in as_user(world["ks_user"]).get("/").content.decode()


def test_english_pages(as_user, world):
    client = as_user(world["suzhou"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(tab(world["ks"])).content.decode()
    for label in (
        "Service records",
        "Log a service record",
        "Kind of service",
        "On-site coaching",
        "Follow-ups",
    ):
        assert label in html, label
    pages = [
        reverse(n)
        for n in ("web:follow_up_list", "web:agency_list", "web:account_list", "web:enterprise_list")
    ]
    text = "".join(client.get(url).content.decode() for url in pages)
    for label in (
        "Follow-ups due",
        "Register a service agency",
        "New account",
        "High-tech zone",
        "Kunshan Hi-tech Zone",
    ):
        assert label in text, label
    assert "待跟进" not in text and "账号管理" not in text
