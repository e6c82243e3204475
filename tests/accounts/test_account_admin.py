"""Account administration: officers manage the accounts of their region and below, never across or above.

Every test that crosses a boundary expects the same answer as for a missing account (NotFound) or, for a role
or region the officer may not create, a refusal with its reason (PermissionDenied). Every change is audited.
"""

import pytest
from django.test import Client

from gaoqi.accounts.models import ApiToken, Role, ServiceAgency, User
from gaoqi.accounts.scope import can_manage_account, get_account_for_actor, scope_accounts
from gaoqi.accounts.services import account_create, account_set_active, api_token_issue, api_token_revoke
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.regions.models import Region
from tests import factories

pytestmark = pytest.mark.django_db


def region(code):
    return Region.objects.get(code=code)


@pytest.fixture
def people(world):
    """world plus a Nanjing county officer, a Nanjing agency user, a Kunshan expert and a Nanjing firm user."""
    w = dict(world)
    w["jiangning"] = factories.officer(Role.COUNTY_OFFICER, "320115")
    w["nj_agency"] = factories.agency_user([world["nj"]], region_code="320100")
    w["nj_user"] = factories.enterprise_user(world["nj"])
    w["ks_expert"] = User.objects.create_user(
        username="ks-expert", password="pw-test-123", role=Role.EXPERT, region_id="320583"
    )
    return w


MANAGED = {
    # Who administers whom among `people` (never themselves, never a peer or a superior).
    "province": {
        "suzhou",
        "nanjing",
        "kunshan",
        "jiangning",
        "ks_user",
        "nj_user",
        "expert",
        "ks_expert",
        "agency",
        "nj_agency",
    },
    "suzhou": {"kunshan", "ks_user", "ks_expert", "agency"},
    "nanjing": {"jiangning", "nj_user", "nj_agency"},
    "kunshan": {"ks_user", "ks_expert"},
    "jiangning": {"nj_user"},
    "ks_user": set(),
    "agency": set(),
    "expert": set(),
}


@pytest.mark.parametrize("actor", sorted(MANAGED))
def test_account_scope(people, actor):
    by_pk = {u.pk: k for k, u in people.items() if isinstance(u, User)}
    seen = {by_pk[pk] for pk in scope_accounts(people[actor]).values_list("pk", flat=True) if pk in by_pk}
    assert seen == MANAGED[actor]
    for other, user in people.items():
        if not isinstance(user, User) or other == actor:
            continue
        # The query (accounts_q) and the per-object check (can_manage_account) give the same answer.
        assert bool(can_manage_account(people[actor], user, "set_active")) is (other in MANAGED[actor])
        if other in MANAGED[actor]:
            assert get_account_for_actor(people[actor], user.pk) == user
        else:
            with pytest.raises(NotFound) as forbidden:
                get_account_for_actor(people[actor], user.pk)
            with pytest.raises(NotFound) as missing:
                get_account_for_actor(people[actor], 999_999)
            assert forbidden.value.message == missing.value.message


@pytest.mark.parametrize(
    "actor,role,code",
    [
        ("kunshan", Role.CITY_OFFICER, "320500"),  # a county officer cannot create a city officer
        ("kunshan", Role.COUNTY_OFFICER, "320583"),  # nor a peer
        ("suzhou", Role.CITY_OFFICER, "320500"),  # a city officer cannot create a city officer
        ("suzhou", Role.COUNTY_OFFICER, "320115"),  # nor an officer of a Nanjing county
        ("suzhou", Role.COUNTY_OFFICER, "320500"),  # an officer's region must be of the role's level
        ("province", Role.PROVINCE_OFFICER, "320000"),  # nobody creates their own level
        ("suzhou", Role.EXPERT, "320100"),  # experts of their own region only
        ("kunshan", Role.EXPERT, "320506"),
    ],
)
def test_creating_across_a_boundary_is_refused(people, actor, role, code):
    before = User.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied) as err:
        account_create(actor=people[actor], username="crossing", role=role, region=region(code))
    assert err.value.message
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_agency_and_enterprise_users_only_for_ones_in_reach(people):
    kunshan = people["kunshan"]
    suzhou_agency = people["agency"].agency  # a city-level agency: above Kunshan
    with pytest.raises(NotFound):
        account_create(actor=kunshan, username="ag2", role=Role.SERVICE_AGENCY, agency=suzhou_agency)
    with pytest.raises(NotFound):
        account_create(actor=kunshan, username="wzuser", role=Role.ENTERPRISE, enterprise=people["wz"])
    with pytest.raises(NotFound):
        account_create(
            actor=people["suzhou"], username="njuser2", role=Role.ENTERPRISE, enterprise=people["nj"]
        )
    assert not User.objects.filter(username__in=["ag2", "wzuser", "njuser2"]).exists()


@pytest.mark.parametrize(
    "actor,role,binding",
    [
        ("province", Role.CITY_OFFICER, {"region": "320500"}),
        ("suzhou", Role.COUNTY_OFFICER, {"region": "320583"}),
        ("kunshan", Role.ENTERPRISE, {"enterprise": "ks"}),
        ("suzhou", Role.SERVICE_AGENCY, {"agency": True}),
        ("kunshan", Role.EXPERT, {}),  # bound to Kunshan by default
        ("province", Role.EXPERT, {}),  # the provincial pool: no region
    ],
)
def test_creating_within_reach_works_logs_in_and_is_audited(people, actor, role, binding):
    kwargs = {}
    if "region" in binding:
        kwargs["region"] = region(binding["region"])
    if "enterprise" in binding:
        kwargs["enterprise"] = people[binding["enterprise"]]
    if "agency" in binding:
        kwargs["agency"] = people["agency"].agency
    user, password = account_create(
        actor=people[actor],
        username=" New.User ",
        role=role,
        display_name="新用户",
        reason="岗位调整",
        **kwargs,
    )
    assert user.username == "new.user" and user.role == role and user.is_active
    assert Client().login(username="new.user", password=password)
    assert user in scope_accounts(people[actor])
    event = AuditEvent.objects.get(target_type="accounts.user", target_id=str(user.pk))
    assert (event.actor, event.action, event.reason) == (people[actor], "create", "岗位调整")
    assert event.new["role"] == role and "password" not in str(event.new)
    if role == Role.EXPERT:
        assert user.region_id == ("320583" if actor == "kunshan" else None)


def test_username_must_be_new_and_well_formed(people):
    with pytest.raises(ValidationFailed) as err:
        account_create(actor=people["province"], username=people["suzhou"].username, role=Role.EXPERT)
    assert err.value.errors[0]["field"] == "username"
    with pytest.raises(ValidationFailed):
        account_create(actor=people["province"], username="有中文", role=Role.EXPERT)


def test_disable_and_enable_are_audited_and_stop_login_and_tokens(people, client):
    suzhou, kunshan = people["suzhou"], people["kunshan"]
    _, key = ApiToken.issue(kunshan)
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    with pytest.raises(ValidationFailed):
        account_set_active(actor=suzhou, user=kunshan, active=False, reason="  ")
    account_set_active(actor=suzhou, user=kunshan, active=False, reason="离岗")
    kunshan.refresh_from_db()
    assert not kunshan.is_active
    assert not Client().login(username=kunshan.username, password="pw-test-123")
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    account_set_active(actor=suzhou, user=kunshan, active=True, reason="返岗")
    events = AuditEvent.objects.filter(target_type="accounts.user", target_id=str(kunshan.pk)).order_by("id")
    assert [(e.old, e.new, e.reason) for e in events] == [
        ({"is_active": True}, {"is_active": False}, "离岗"),
        ({"is_active": False}, {"is_active": True}, "返岗"),
    ]


@pytest.mark.parametrize(
    "actor,target",
    [
        ("kunshan", "suzhou"),  # a county officer cannot touch their city officer
        ("suzhou", "nanjing"),  # a Suzhou officer cannot touch a Nanjing account
        ("suzhou", "jiangning"),
        ("suzhou", "nj_user"),
        ("suzhou", "province"),
        ("kunshan", "agency"),  # a city-level agency's users belong to the city
        ("agency", "ks_user"),  # non-officers administer nobody
        ("ks_user", "ks_user"),
    ],
)
def test_no_change_across_a_boundary(people, actor, target):
    user = people[target]
    with pytest.raises(NotFound):
        account_set_active(actor=people[actor], user=user, active=False, reason="试图越权")
    with pytest.raises(NotFound):
        api_token_issue(actor=people[actor], user=user, label="越权")
    token, _key = ApiToken.issue(user)
    with pytest.raises(NotFound):
        api_token_revoke(actor=people[actor], token=token, reason="试图越权")
    user.refresh_from_db()
    assert user.is_active and ApiToken.objects.filter(pk=token.pk).exists()
    assert not AuditEvent.objects.filter(target_type__in=["accounts.user", "accounts.apitoken"]).exists()


def test_nobody_disables_themselves(people):
    with pytest.raises(PermissionDenied) as err:
        account_set_active(actor=people["suzhou"], user=people["suzhou"], active=False, reason="测试")
    assert err.value.message
    assert can_manage_account(people["suzhou"], people["suzhou"], "issue_token")


def test_tokens_issued_and_revoked_with_audit(people, client):
    suzhou, kunshan = people["suzhou"], people["kunshan"]
    token, key = api_token_issue(actor=suzhou, user=kunshan, label="数据对接", reason="县局系统对接")
    assert ApiToken.objects.get(pk=token.pk).digest == ApiToken.hash(key) and key not in str(
        list(AuditEvent.objects.values_list("new", flat=True))
    )
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    with pytest.raises(ValidationFailed):
        api_token_revoke(actor=suzhou, token=token, reason="")
    api_token_revoke(actor=suzhou, token=token, reason="系统下线")
    assert client.get("/api/enterprises", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    events = AuditEvent.objects.filter(target_type="accounts.apitoken").order_by("id")
    assert [(e.action, e.actor_id) for e in events] == [("create", suzhou.pk), ("delete", suzhou.pk)]
    assert events[1].old["user"] == kunshan.username and events[1].reason == "系统下线"
    # An officer's own tokens are theirs to manage; a disabled account gets none.
    api_token_issue(actor=suzhou, user=suzhou, label="本人")
    account_set_active(actor=suzhou, user=kunshan, active=False, reason="离岗")
    with pytest.raises(ValidationFailed):
        api_token_issue(actor=suzhou, user=kunshan)


def test_agency_registration_stays_in_region(people):
    from gaoqi.accounts.services import agency_create

    agency = agency_create(actor=people["kunshan"], name="昆山辅导中心", region=region("320583"))
    assert AuditEvent.objects.filter(target_type="accounts.serviceagency", target_id=str(agency.pk)).exists()
    with pytest.raises(PermissionDenied):
        agency_create(actor=people["kunshan"], name="苏州辅导中心", region=region("320500"))
    with pytest.raises(PermissionDenied):
        agency_create(actor=people["agency"], name="机构自建", region=region("320500"))
    with pytest.raises(ValidationFailed):
        agency_create(actor=people["suzhou"], name="昆山辅导中心", region=region("320500"))
    assert ServiceAgency.objects.filter(name__contains="辅导中心").count() == 1
