"""Fixtures for page tests: the shared `world` plus facts, certificates and IP for its Kunshan firm."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gaoqi.registry.models import Department, IntellectualProperty
from gaoqi.registry.services import annual_report_record, certificate_record
from tests import factories
from tests.web.browser import browser, walk_settings  # noqa: F401 (fixtures, used by name)


@pytest.fixture
def rich_world(world):
    """`world` where ks holds a valid HTE certificate, two years of facts from two departments, and IP."""
    province, ks = world["province"], world["ks"]
    today = timezone.localdate()
    tax = factories.source(Department.TAX, "税务_2024.xlsx", synthetic=True)
    sci = factories.source(Department.SCIENCE_TECH, "科技_2024.xlsx", synthetic=True)
    for year, revenue in ((today.year - 2, 41_250_000), (today.year - 1, 52_345_678)):
        annual_report_record(
            actor=province,
            enterprise=ks,
            year=year,
            source=tax,
            source_row=12,
            values={"revenue": revenue, "rnd_expense": 3_100_000, "employees": 120},
        )
        annual_report_record(
            actor=province,
            enterprise=ks,
            year=year,
            source=sci,
            source_row=7,
            values={"revenue": revenue + 1_000_000, "tech_staff": 30, "ip_class1": 2},
        )
    certificate_record(
        actor=province,
        enterprise=ks,
        kind="hte",
        number="GR202332000123",
        issued_on=today - timedelta(days=400),
        expires_on=today + timedelta(days=700),
    )
    certificate_record(
        actor=province,
        enterprise=world["wz"],
        kind="tech_sme",
        number="2024320506A0001",
        issued_on=today - timedelta(days=30),
        expires_on=today + timedelta(days=300),
    )
    IntellectualProperty.objects.create(
        enterprise=ks,
        ip_class=1,
        kind="invention_patent",
        number="ZL202110000001.X",
        title="一种测试装置",
        granted_on=date(2022, 5, 6),
        source=sci,
    )
    return world


@pytest.fixture
def as_user():
    """as_user(user) → a test client logged in as `user`."""

    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login
