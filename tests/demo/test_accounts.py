"""The demo accounts: one per role, bound right, created once."""

from datetime import date

import pytest
from django.core.management import call_command

from gaoqi.accounts.models import AgencyAssignment, Role, ServiceAgency, User
from gaoqi.demo.accounts import DEMO_ACCOUNTS, ensure_demo_accounts
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load


@pytest.fixture
def firms(db):
    load(generate(300, 3, date(2025, 6, 30)), progress=False)


def _snapshot():
    users = list(
        User.objects.order_by("username").values(
            "username", "role", "region", "enterprise", "agency", "password"
        )
    )
    assignments = list(AgencyAssignment.objects.order_by("id").values_list("agency", "enterprise"))
    return users, assignments, ServiceAgency.objects.count()


def test_accounts_have_the_right_bindings(firms):
    ensure_demo_accounts()
    users = {u.username: u for u in User.objects.all()}
    assert {a.username for a in DEMO_ACCOUNTS} <= set(users)
    assert (users["province"].role, users["province"].region_id) == (Role.PROVINCE_OFFICER, "320000")
    assert (users["suzhou"].role, users["suzhou"].region_id) == (Role.CITY_OFFICER, "320500")
    assert (users["kunshan"].role, users["kunshan"].region_id) == (Role.COUNTY_OFFICER, "320583")
    assert (
        users["enterprise"].role == Role.ENTERPRISE and users["enterprise"].enterprise.county_id == "320583"
    )
    assert users["expert"].role == Role.EXPERT
    agency = users["agency"].agency
    assert users["agency"].role == Role.SERVICE_AGENCY and agency.region_id == "320500"
    assigned = AgencyAssignment.objects.filter(agency=agency)
    assert 1 <= assigned.count() <= 20
    assert all(a.enterprise.city_id == "320500" for a in assigned)
    for account in DEMO_ACCOUNTS:
        assert users[account.username].check_password(account.password)


def test_account_setup_is_idempotent(firms):
    ensure_demo_accounts()
    before = _snapshot()
    ensure_demo_accounts()
    assert _snapshot() == before


def test_demo_command_without_server(firms, capsys):
    call_command("demo", "--no-serve", "--enterprises", "100")
    out = capsys.readouterr().out
    for account in DEMO_ACCOUNTS:
        assert account.username in out and account.password in out
    assert User.objects.filter(username="kunshan").exists()
