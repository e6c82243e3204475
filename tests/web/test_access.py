"""Who sees what: every page for every role. Forbidden firms answer 404 exactly like missing ones."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TABS = ("facts", "ip", "certificates", "audit")


def detail(firm, tab=None):
    if tab is None:
        return reverse("web:enterprise_detail", args=[firm.credit_code])
    return reverse("web:enterprise_tab", args=[firm.credit_code, tab])


def listed(client, **params) -> str:
    response = client.get(reverse("web:enterprise_list"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_is_sent_to_login(client, world):
    for url in (reverse("web:home"), reverse("web:enterprise_list"), detail(world["ks"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))


def test_login_page_is_chinese_and_logs_in(client, world):
    page = client.get(reverse("web:login")).content.decode()
    assert "用户登录" in page and "高企培育平台" in page
    response = client.post(
        reverse("web:login"), {"username": world["suzhou"].username, "password": "pw-test-123"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:home")


def test_wrong_password_shows_an_error(client, world):
    response = client.post(reverse("web:login"), {"username": world["suzhou"].username, "password": "nope"})
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()


def test_logout_is_post_only(as_user, world):
    client = as_user(world["suzhou"])
    assert client.get(reverse("web:logout")).status_code == 405
    assert client.post(reverse("web:logout")).status_code == 302
    assert client.get(reverse("web:home")).status_code == 302


def test_suzhou_officer_sees_kunshan_and_wuzhong_not_nanjing(as_user, world):
    client = as_user(world["suzhou"])
    page = listed(client)
    assert world["ks"].name in page and world["wz"].name in page
    assert world["nj"].name not in page
    assert client.get(detail(world["ks"])).status_code == 200
    assert client.get(detail(world["wz"])).status_code == 200
    for tab in (None, *TABS):
        assert client.get(detail(world["nj"], tab)).status_code == 404


def test_province_officer_sees_all_three(as_user, world):
    page = listed(as_user(world["province"]))
    assert all(world[k].name in page for k in ("ks", "wz", "nj"))


def test_kunshan_officer_sees_only_kunshan(as_user, world):
    client = as_user(world["kunshan"])
    page = listed(client)
    assert world["ks"].name in page
    assert world["wz"].name not in page and world["nj"].name not in page
    assert client.get(detail(world["wz"])).status_code == 404
    assert client.get(detail(world["ks"], "audit")).status_code == 200


def test_enterprise_user_sees_only_its_firm(as_user, world):
    client = as_user(world["ks_user"])
    home = client.get(reverse("web:home")).content.decode()
    assert world["ks"].name in home and 'data-testid="firm-card"' in home
    assert client.get(reverse("web:my_enterprise"))["Location"] == detail(world["ks"])
    for tab in (None, "facts", "ip", "certificates"):
        assert client.get(detail(world["ks"], tab)).status_code == 200
    for other in ("wz", "nj"):
        assert client.get(detail(world[other])).status_code == 404
    page = listed(client)
    assert world["ks"].name in page and world["wz"].name not in page


def test_missing_firm_is_404_like_forbidden(as_user, world):
    client = as_user(world["province"])
    missing = client.get(reverse("web:enterprise_detail", args=["91320583000000000X"]))
    forbidden = as_user(world["ks_user"]).get(detail(world["nj"]))
    assert missing.status_code == forbidden.status_code == 404
    assert "对象不存在或无权访问" in forbidden.content.decode()
    assert client.get(detail(world["ks"], "nonsense")).status_code == 404


def test_expert_sees_no_firms(as_user, world):
    client = as_user(world["expert"])
    home = client.get(reverse("web:home")).content.decode()
    assert "暂无分配给您的评审任务" in home
    assert 'data-testid="no-results"' in listed(client)
    for key in ("ks", "wz", "nj"):
        assert client.get(detail(world[key])).status_code == 404


def test_agency_sees_only_its_assigned_firm(as_user, world):
    client = as_user(world["agency"])
    home = client.get(reverse("web:home")).content.decode()
    assert world["wz"].name in home and world["ks"].name not in home
    page = listed(client)
    assert world["wz"].name in page and world["ks"].name not in page
    assert client.get(detail(world["wz"])).status_code == 200
    assert client.get(detail(world["ks"])).status_code == 404


@pytest.mark.parametrize("role", ["province", "suzhou", "kunshan"])
def test_officers_see_the_audit_tab(as_user, world, role):
    client = as_user(world[role])
    page = client.get(detail(world["ks"])).content.decode()
    assert 'data-tab="audit"' in page
    audit = client.get(detail(world["ks"], "audit")).content.decode()
    assert 'data-testid="audit-table"' in audit
    assert world["ks"].name in audit


@pytest.mark.parametrize("role,firm", [("ks_user", "ks"), ("agency", "wz")])
def test_others_get_no_audit_tab_and_404_on_it(as_user, world, role, firm):
    client = as_user(world[role])
    page = client.get(detail(world[firm])).content.decode()
    assert 'data-tab="audit"' not in page and 'data-tab="facts"' in page
    assert client.get(detail(world[firm], "audit")).status_code == 404


def test_menu_is_per_role(as_user, world):
    officer = as_user(world["suzhou"]).get(reverse("web:home")).content.decode()
    assert "企业库" in officer and "接口文档" in officer
    firm = as_user(world["ks_user"]).get(reverse("web:home")).content.decode()
    assert "本企业" in firm and 'href="/enterprises/"' not in firm
    expert = as_user(world["expert"]).get(reverse("web:home")).content.decode()
    assert "企业库" not in expert and "本企业" not in expert


def test_top_bar_shows_name_role_and_region(as_user, world):
    page = as_user(world["kunshan"]).get(reverse("web:home")).content.decode()
    assert "县级管理员" in page and "昆山市" in page
    assert 'action="/logout/"' in page and 'action="/i18n/setlang/"' in page


def test_menu_marks_the_current_task(as_user, world):
    from gaoqi.web.navigation import navigation_for

    def active(user, path):
        return [i["label"] for i in navigation_for(user, path) if i["active"]]

    assert active(world["suzhou"], "/") == ["工作台"]
    assert active(world["suzhou"], f"/enterprises/{world['ks'].credit_code}/facts/") == ["企业库"]
    assert active(world["ks_user"], f"/enterprises/{world['ks'].credit_code}/") == ["本企业"]
    assert active(world["agency"], "/enterprises/") == ["服务企业"]
