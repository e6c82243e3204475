"""Account administration and agency pages through the test client: officers only, scoped, audited."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from gaoqi.accounts.models import AgencyAssignment, ApiToken, Role, ServiceAgency, User
from gaoqi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PAGES = ("web:account_list", "web:account_new", "web:agency_list")


@pytest.mark.parametrize("role", ["ks_user", "agency", "expert"])
def test_admin_pages_do_not_exist_for_non_officers(as_user, world, role):
    client = as_user(world[role])
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 404
    assert client.get(reverse("web:account_detail", args=[world[role].pk])).status_code == 404
    assert client.get(reverse("web:agency_detail", args=[world["agency"].agency_id])).status_code == 404
    home = client.get("/").content.decode()
    assert "账号管理" not in home and 'href="/agencies/"' not in home


@pytest.mark.parametrize("role", ["province", "suzhou", "kunshan"])
def test_admin_pages_open_for_officers(as_user, world, role):
    client = as_user(world[role])
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200
    assert "账号管理" in client.get("/").content.decode()


def test_account_list_is_scoped(as_user, world):
    page = as_user(world["suzhou"]).get(reverse("web:account_list")).content.decode()
    assert world["kunshan"].username in page and world["ks_user"].username in page
    assert world["nanjing"].username not in page and world["province"].username not in page
    page = as_user(world["kunshan"]).get(reverse("web:account_list"), {"role": "enterprise"}).content.decode()
    assert world["ks_user"].username in page and world["suzhou"].username not in page


def test_role_choices_follow_the_level(as_user, world):
    kunshan = as_user(world["kunshan"]).get(reverse("web:account_new")).content.decode()
    assert "?role=service_agency" in kunshan and "?role=city_officer" not in kunshan
    assert "?role=county_officer" not in kunshan
    suzhou = as_user(world["suzhou"]).get(reverse("web:account_new")).content.decode()
    assert "?role=county_officer" in suzhou and "?role=city_officer" not in suzhou
    # A role the officer may not create shows the chooser again, not the form.
    forged = (
        as_user(world["kunshan"]).get(reverse("web:account_new"), {"role": "city_officer"}).content.decode()
    )
    assert 'data-testid="account-form"' not in forged


def test_create_a_county_officer_shows_the_password_once(as_user, world):
    client = as_user(world["suzhou"])
    form = client.get(reverse("web:account_new"), {"role": "county_officer"}).content.decode()
    assert ">昆山市</option>" in form and "江宁区" not in form and ">苏州市</option>" not in form
    response = client.post(
        reverse("web:account_new"),
        {"role": "county_officer", "username": "taicang", "display_name": "太仓科技局", "region": "320585"},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    password = re.search(r'data-testid="secret">([^<]+)<', response.content.decode()).group(1)
    assert Client().login(username="taicang", password=password)
    user = User.objects.get(username="taicang")
    assert (user.role, user.region_id) == (Role.COUNTY_OFFICER, "320585")
    assert password not in client.get(reverse("web:account_detail", args=[user.pk])).content.decode()


@pytest.mark.parametrize(
    "actor,data",
    [
        ("kunshan", {"role": "city_officer", "username": "x1", "region": "320500"}),  # a higher level
        ("suzhou", {"role": "county_officer", "username": "x2", "region": "320115"}),  # a Nanjing county
        ("suzhou", {"role": "enterprise", "username": "x3", "credit_code": "NJ"}),  # a Nanjing firm
    ],
)
def test_forged_posts_across_a_boundary_create_nothing(as_user, world, actor, data):
    if data.get("credit_code") == "NJ":
        data = {**data, "credit_code": world["nj"].credit_code}
    before = User.objects.count()
    response = as_user(world[actor]).post(reverse("web:account_new"), data)
    assert response.status_code in (200, 422)
    assert 'data-testid="secret"' not in response.content.decode()
    assert User.objects.count() == before


def test_enterprise_user_by_credit_code(as_user, world):
    client = as_user(world["kunshan"])
    response = client.post(
        reverse("web:account_new"),
        {"role": "enterprise", "username": "ks-finance", "credit_code": world["ks"].credit_code.lower()},
    )
    assert 'data-testid="secret"' in response.content.decode()
    assert User.objects.get(username="ks-finance").enterprise == world["ks"]
    response = client.post(
        reverse("web:account_new"),
        {"role": "enterprise", "username": "wz-finance", "credit_code": world["wz"].credit_code},
    )
    assert response.status_code == 422 and "未找到该企业" in response.content.decode()


def test_disable_enable_and_tokens_from_the_account_page(as_user, world):
    client, kunshan = as_user(world["suzhou"]), world["kunshan"]
    detail = reverse("web:account_detail", args=[kunshan.pk])
    assert client.get(detail).status_code == 200
    client.post(reverse("web:account_active", args=[kunshan.pk]), {"active": "0", "reason": ""})
    kunshan.refresh_from_db()
    assert kunshan.is_active  # a reason is required
    client.post(reverse("web:account_active", args=[kunshan.pk]), {"active": "0", "reason": "离岗"})
    kunshan.refresh_from_db()
    assert not kunshan.is_active
    page = client.get(detail).content.decode()
    assert 'data-testid="disabled"' in page and "离岗" in page  # the trail shows the reason
    client.post(reverse("web:account_active", args=[kunshan.pk]), {"active": "1", "reason": "返岗"})
    response = client.post(reverse("web:token_issue", args=[kunshan.pk]), {"label": "对接"})
    key = re.search(r'data-testid="secret">([^<]+)<', response.content.decode()).group(1)
    assert Client().get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    token = ApiToken.objects.get(user=kunshan)
    client.post(reverse("web:token_revoke", args=[kunshan.pk, token.pk]), {"reason": "不再使用"})
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    actions = list(
        AuditEvent.objects.filter(target_type__in=["accounts.user", "accounts.apitoken"])
        .order_by("id")
        .values_list("target_type", "action")
    )
    assert actions == [
        ("accounts.user", "update"),
        ("accounts.user", "update"),
        ("accounts.apitoken", "create"),
        ("accounts.apitoken", "delete"),
    ]


@pytest.mark.parametrize(
    "actor,target", [("kunshan", "suzhou"), ("suzhou", "nanjing"), ("suzhou", "province")]
)
def test_account_pages_across_a_boundary_are_404(as_user, world, actor, target):
    client, user = as_user(world[actor]), world[target]
    token, _ = ApiToken.issue(user)
    assert client.get(reverse("web:account_detail", args=[user.pk])).status_code == 404
    assert (
        client.post(reverse("web:account_active", args=[user.pk]), {"active": "0", "reason": "x"}).status_code
        == 404
    )
    assert client.post(reverse("web:token_issue", args=[user.pk]), {}).status_code == 404
    revoke = reverse("web:token_revoke", args=[user.pk, token.pk])
    assert client.post(revoke, {"reason": "x"}).status_code == 404
    user.refresh_from_db()
    assert user.is_active and ApiToken.objects.filter(pk=token.pk).exists()


def test_own_account_page_has_tokens_but_no_disable(as_user, world):
    client = as_user(world["kunshan"])
    page = client.get(reverse("web:account_detail", args=[world["kunshan"].pk])).content.decode()
    assert 'data-testid="token-form"' in page and 'data-testid="active-form"' not in page


def test_agency_pages_assign_and_unassign(as_user, world):
    client, agency = as_user(world["kunshan"]), world["agency"].agency  # a Suzhou agency: usable by Kunshan
    listing = client.get(reverse("web:agency_list")).content.decode()
    assert agency.name in listing
    detail = reverse("web:agency_detail", args=[agency.pk])
    page = client.get(detail).content.decode()
    assert world["wz"].name not in page  # its Wuzhong firm is outside Kunshan's scope
    response = client.post(
        reverse("web:agency_assign", args=[agency.pk]),
        {"credit_codes": f"{world['ks'].credit_code}\n{world['wz'].credit_code}"},
    )
    assert response.status_code == 422 and world["wz"].credit_code in response.content.decode()
    assert not AgencyAssignment.objects.filter(enterprise=world["ks"]).exists()  # all or none
    response = client.post(
        reverse("web:agency_assign", args=[agency.pk]), {"credit_codes": world["ks"].credit_code}
    )
    assert response.status_code == 302
    assert world["ks"].name in as_user(world["agency"]).get("/enterprises/").content.decode()
    unassign = reverse("web:agency_unassign", args=[agency.pk, world["ks"].credit_code])
    assert client.post(unassign, {"reason": "辅导结束"}).status_code == 302
    assert world["ks"].name not in as_user(world["agency"]).get("/enterprises/").content.decode()
    assert AuditEvent.objects.filter(target_type="accounts.agencyassignment", reason="辅导结束").exists()
    # Unassigning a firm outside Kunshan (the agency's Wuzhong firm) is not found.
    other = reverse("web:agency_unassign", args=[agency.pk, world["wz"].credit_code])
    assert client.post(other).status_code == 404


def test_agency_of_another_city_is_404(as_user, world):
    nanjing_agency = ServiceAgency.objects.create(name="南京机构", region_id="320100")
    client = as_user(world["suzhou"])
    assert client.get(reverse("web:agency_detail", args=[nanjing_agency.pk])).status_code == 404
    assign = reverse("web:agency_assign", args=[nanjing_agency.pk])
    assert client.post(assign, {"credit_codes": world["ks"].credit_code}).status_code == 404


def test_register_an_agency(as_user, world):
    client = as_user(world["kunshan"])
    response = client.post(reverse("web:agency_list"), {"name": "昆山高企服务站", "region": "320583"})
    agency = ServiceAgency.objects.get(name="昆山高企服务站")
    assert response.status_code == 302 and agency.region_id == "320583"
    response = client.post(reverse("web:agency_list"), {"name": "越权机构", "region": "320500"})
    assert response.status_code == 422 and not ServiceAgency.objects.filter(name="越权机构").exists()


def test_password_change(as_user, world):
    client = as_user(world["kunshan"])
    assert client.get(reverse("web:password_change")).status_code == 200
    response = client.post(
        reverse("web:password_change"),
        {
            "old_password": "pw-test-123",
            "new_password1": "a-new-pass-2026",
            "new_password2": "a-new-pass-2026",
        },
    )
    assert response.status_code == 302
    assert Client().login(username=world["kunshan"].username, password="a-new-pass-2026")
