"""Fixtures for the workflow and programme tests: `world` firms with facts that pass the tech-SME evaluation."""

from datetime import date

import pytest
from django.utils import timezone

from gaoqi.accounts.models import Role
from gaoqi.registry.models import Department
from gaoqi.registry.services import annual_report_record
from tests import factories

PASSING = {
    "employees": 50,
    "tech_staff": 20,
    "revenue": 10_000_000,
    "total_cost": 8_000_000,
    "total_assets": 20_000_000,
    "rnd_expense": 700_000,
    "ip_class1": 1,
    "ip_class2": 0,
    "restricted_industry": False,
    "major_incident": False,
    "bad_credit": False,
}


def record_facts(actor, firm, values=None, year=None):
    src = factories.source(Department.TAX, f"税务_{firm.pk}.xlsx", synthetic=True)
    annual_report_record(
        actor=actor,
        enterprise=firm,
        year=year or timezone.localdate().year - 1,
        source=src,
        values=values or PASSING,
    )


@pytest.fixture
def sme_world(world):
    """`world` + facts that pass for ks, wz and nj, a province officer, and a user for each firm."""
    for key in ("ks", "wz", "nj"):
        record_facts(world["province"], world[key])
    world["wz_user"] = factories.enterprise_user(world["wz"])
    world["nj_user"] = factories.enterprise_user(world["nj"])
    world["province2"] = factories.officer(Role.PROVINCE_OFFICER, "320000")
    return world


def start(user, firm):
    from gaoqi.programmes.tech_sme.services import application_start

    return application_start(actor=user, enterprise=firm)


def submit(user, app):
    from gaoqi.workflow.services import transition

    return transition(actor=user, application=app, action="submit", version=app.version)


def submitted(world, key="ks"):
    user = world[f"{key}_user"]
    return submit(user, start(user, world[key]))


__all__ = ["PASSING", "date", "record_facts", "start", "submit", "submitted"]
