"""A hand-built KPI world on top of the shared `world`, at a frozen date (2026-11-20, Asia/Shanghai).

Suzhou, Kunshan (320583): A above-scale HTE in the Kunshan zone with a valid institution, two valid invention
patents (plus an expired one and a utility model), R&D 2025 5,000,000 (tax) and 9,999,999 (self-reported,
less trusted); B above-scale HTE outside zones, no institution, no patent, R&D 3,000,000 (statistics);
C whose HTE certificate expired in 2025 (lapsed); D a tech SME. Wuzhong (320506): E an HTE below scale with
the zone flag only, one patent, no R&D figure. Nanjing, Jiangning (320115): F above-scale HTE in a zone with an
institution, one patent, R&D 1,000,000. Statistics 2025: province R&D 15,000,000 yuan, high-tech output
450 亿元 of industrial output 1,000 亿元; Suzhou R&D 10,000,000.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from gaoqi.monitoring.models import RegionalStatistic
from gaoqi.registry.models import CertificateKind, Department, IntellectualProperty
from gaoqi.registry.services import annual_report_record, certificate_record
from gaoqi.rnd.services import institution_create
from tests import factories

TODAY = date(2026, 11, 20)


def cert(actor, firm, kind, issued_on: date, years: int = 3):
    return certificate_record(
        actor=actor,
        enterprise=firm,
        kind=kind,
        number=f"{kind}-{firm.pk:06d}-{issued_on:%Y%m%d}",
        issued_on=issued_on,
        expires_on=issued_on.replace(year=issued_on.year + years) - timedelta(days=1),
    )


def patent(firm, number: str, granted_on: date, expires_on=None, kind="invention_patent", ip_class=1):
    return IntellectualProperty.objects.create(
        enterprise=firm,
        ip_class=ip_class,
        kind=kind,
        number=number,
        granted_on=granted_on,
        expires_on=expires_on,
    )


@pytest.fixture
def kpi_world(world, time_machine):
    time_machine.move_to(datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
    p = world["province"]
    w = dict(world)
    a = factories.enterprise("320583", name="昆山甲", actor=p, above_scale=True, hitech_zone="kunshan")
    b = factories.enterprise("320583", name="昆山乙", actor=p, above_scale=True)
    c = factories.enterprise("320583", name="昆山丙", actor=p, above_scale=True)
    d = factories.enterprise("320583", name="昆山丁", actor=p)
    e = factories.enterprise("320506", name="吴中戊", actor=p, in_hitech_zone=True)
    f = factories.enterprise("320115", name="江宁己", actor=p, above_scale=True, hitech_zone="nanjing")
    issued = date(2026, 3, 10)
    for firm in (a, b, e, f):
        cert(p, firm, CertificateKind.HTE, issued)
    cert(p, c, CertificateKind.HTE, date(2022, 6, 1))  # expired 2025-05-31
    cert(p, d, CertificateKind.TECH_SME, date(2026, 5, 1), years=1)
    for firm, name in ((a, "昆山甲技术中心"), (f, "江宁己工程中心")):
        institution_create(
            actor=p, enterprise=firm, name=name, kind="enterprise_tech_center", level="provincial",
            recognized_on=date(2025, 1, 1),
        )  # fmt: skip
    patent(a, "ZL1", date(2020, 1, 1))
    patent(a, "ZL2", date(2021, 1, 1), date(2041, 1, 1))
    patent(a, "ZL3", date(2000, 1, 1), date(2020, 1, 1))  # expired
    patent(a, "UM1", date(2021, 1, 1), kind="utility_model", ip_class=2)
    patent(e, "ZL4", date(2022, 1, 1))
    patent(f, "ZL5", date(2023, 1, 1))
    tax = factories.source(Department.TAX)
    stats_dept = factories.source(Department.STATISTICS)
    self_reported = factories.source(Department.ENTERPRISE_SELF)
    annual_report_record(actor=p, enterprise=a, year=2025, source=tax, values={"rnd_expense": 5_000_000})
    annual_report_record(  # self-declared figures are the firm's own (scope.can_write_source)
        actor=factories.enterprise_user(a),
        enterprise=a,
        year=2025,
        source=self_reported,
        values={"rnd_expense": 9_999_999},
    )
    annual_report_record(
        actor=p, enterprise=b, year=2025, source=stats_dept, values={"rnd_expense": 3_000_000}
    )
    annual_report_record(actor=p, enterprise=f, year=2025, source=tax, values={"rnd_expense": 1_000_000})
    annual_report_record(actor=p, enterprise=f, year=2024, source=tax, values={"rnd_expense": 7_000_000})
    now = timezone.now()
    for code, indicator, value in (
        ("320000", "rnd_expense_all", Decimal(15_000_000)),
        ("320000", "hitech_output", Decimal(45_000_000_000)),
        ("320000", "industrial_output", Decimal(100_000_000_000)),
        ("320500", "rnd_expense_all", Decimal(10_000_000)),
    ):
        RegionalStatistic.objects.create(
            region_id=code, year=2025, indicator=indicator, value=value, source="统计年鉴", updated_at=now
        )
    w.update(a=a, b=b, c=c, d=d, e=e, f=f, today=TODAY)
    return w
