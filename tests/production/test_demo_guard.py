"""`gaoqi demo` never adds its published-password accounts to a database holding real data (issue 11 §2);
`gaoqi demo` asks for DEBUG explicitly, other commands do not."""

from __future__ import annotations

import os
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from gaoqi.accounts.models import User
from gaoqi.demo.accounts import DEMO_USERNAMES, ensure_demo_accounts, real_data_reasons
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import DemoDataError, load
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def synthetic(db):
    load(generate(120, 5, date(2025, 6, 30)), progress=False)


def test_synthetic_data_alone_is_not_real(synthetic):
    assert real_data_reasons() == []
    ensure_demo_accounts()
    assert User.objects.filter(username__in=DEMO_USERNAMES).count() == len(DEMO_USERNAMES)


def test_the_demo_refuses_a_database_with_a_real_firm_and_says_why(synthetic):
    factories.enterprise("320583", name="真实科技有限公司")
    assert real_data_reasons() == ["1 家非合成企业"]
    with pytest.raises(CommandError) as err:
        call_command("demo", "--no-serve", "--enterprises", "100")
    message = str(err.value)
    assert "1 家非合成企业" in message and "密码是公开的" in message and "--allow-real-data" in message
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()
    with pytest.raises(DemoDataError):
        ensure_demo_accounts()


def test_a_real_import_counts_as_real_data(db):
    factories.source(file_name="税务局_2025.xlsx")  # synthetic=False: a department's file
    reasons = real_data_reasons()
    assert len(reasons) == 1 and "非合成数据来源" in reasons[0]
    with pytest.raises(CommandError):
        call_command("demo", "--no-serve", "--enterprises", "100")
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()


def test_the_explicit_flag_adds_them_anyway(synthetic, capsys):
    factories.enterprise("320583", name="真实科技有限公司")
    call_command("demo", "--no-serve", "--enterprises", "100", "--allow-real-data")
    assert User.objects.filter(username__in=DEMO_USERNAMES).count() == len(DEMO_USERNAMES)
    assert "province-demo" in capsys.readouterr().out


def test_existing_demo_accounts_are_not_a_reason_to_refuse(synthetic):
    """A demo database where officers then imported a file keeps starting: nothing new is added."""
    ensure_demo_accounts()
    factories.source(file_name="演示中导入.xlsx")
    call_command("demo", "--no-serve", "--enterprises", "100")


def test_gaoqi_demo_asks_for_debug_and_other_commands_do_not(monkeypatch):
    from gaoqi import cli

    seen = {}
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line",
        lambda argv: seen.setdefault(argv[1], os.environ.get("GAOQI_DEBUG")),
    )
    monkeypatch.delenv("GAOQI_DEBUG", raising=False)
    cli.main(["serve", "--dry-run"])
    cli.main(["demo", "--no-serve"])
    assert seen == {"serve": None, "demo": "1"}
    monkeypatch.setenv("GAOQI_DEBUG", "0")  # an explicit choice wins
    seen.clear()
    cli.main(["demo", "--no-serve"])
    assert seen == {"demo": "0"}
