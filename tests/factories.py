"""Test data built through the real services (not raw ORM writes), so tests exercise what users do."""

from __future__ import annotations

import itertools
from datetime import date

from django.utils import timezone
from stdnum.cn import uscc

from gaoqi.accounts.models import AgencyAssignment, Role, ServiceAgency, User
from gaoqi.registry.models import DataSource, Department
from gaoqi.registry.services import enterprise_create

_serial = itertools.count(1)
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(region_code: str = "320583", serial: int | None = None) -> str:
    """A valid 18-character credit code whose positions 3-8 hold `region_code`."""
    n = next(_serial) if serial is None else serial
    body, digits = "", n
    for _ in range(9):
        body = _ALPHABET[digits % 31] + body
        digits //= 31
    stem = "91" + region_code + body
    return stem + uscc.calc_check_digit(stem)


def officer(role: Role, region_code: str, username: str | None = None) -> User:
    return User.objects.create_user(
        username=username or f"{role}-{region_code}-{next(_serial)}",
        password="pw-test-123",
        role=role,
        region_id=region_code,
    )


def province_admin() -> User:
    return officer(Role.PROVINCE_OFFICER, "320000")


def enterprise(county: str = "320583", name: str | None = None, actor: User | None = None, **kwargs):
    actor = actor or User.objects.filter(role=Role.PROVINCE_OFFICER).first() or province_admin()
    return enterprise_create(
        actor=actor,
        credit_code=kwargs.pop("credit_code", None) or credit_code(county),
        name=name or f"测试企业{next(_serial)}",
        region_code=county,
        founded_on=kwargs.pop("founded_on", date(2015, 3, 1)),
        **kwargs,
    )


def enterprise_user(firm) -> User:
    return User.objects.create_user(
        username=f"firm-{firm.pk}-{next(_serial)}",
        password="pw-test-123",
        role=Role.ENTERPRISE,
        enterprise=firm,
    )


def expert_user() -> User:
    return User.objects.create_user(
        username=f"expert-{next(_serial)}", password="pw-test-123", role=Role.EXPERT
    )


def agency_user(firms=(), region_code: str = "320500") -> User:
    agency = ServiceAgency.objects.create(name=f"服务机构{next(_serial)}", region_id=region_code)
    for firm in firms:
        AgencyAssignment.objects.create(agency=agency, enterprise=firm, assigned_on=date(2024, 1, 1))
    return User.objects.create_user(
        username=f"agency-{next(_serial)}", password="pw-test-123", role=Role.SERVICE_AGENCY, agency=agency
    )


def source(department: str = Department.SCIENCE_TECH, file_name: str = "test.xlsx", **kwargs) -> DataSource:
    return DataSource.objects.create(
        department=department,
        file_name=file_name,
        imported_at=kwargs.pop("imported_at", timezone.now()),
        **kwargs,
    )
