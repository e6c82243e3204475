"""Fixtures for the R&D-institution tests: a hand-built coverage world on top of the shared `world`."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from gaoqi.registry.models import CertificateKind
from gaoqi.registry.services import certificate_record
from gaoqi.rnd.services import institution_create
from tests import factories


def hte(actor, firm, issued_on: date, years: int = 3):
    return certificate_record(
        actor=actor,
        enterprise=firm,
        kind=CertificateKind.HTE,
        number=f"GR{firm.pk:06d}{issued_on:%Y%m%d}",
        issued_on=issued_on,
        expires_on=issued_on.replace(year=issued_on.year + years) - timedelta(days=1),
    )


@pytest.fixture
def coverage_world(world):
    """Suzhou: Kunshan 3 above-scale HTEs (one with a valid institution, one whose institution was revoked,
    one without), 1 above-scale firm whose HTE certificate expired, 1 HTE below scale with no institution;
    Wuzhong 1 above-scale HTE with a city-level institution. Nanjing (Jiangning): 2 above-scale HTEs, one with
    a provincial institution."""
    p = world["province"]
    today = timezone.localdate()
    issued = today - timedelta(days=200)
    w = dict(world)
    ks_a = factories.enterprise("320583", name="昆山甲", actor=p, above_scale=True)
    ks_b = factories.enterprise("320583", name="昆山乙", actor=p, above_scale=True)
    ks_c = factories.enterprise("320583", name="昆山丙", actor=p, above_scale=True)
    ks_old = factories.enterprise("320583", name="昆山过期", actor=p, above_scale=True)
    ks_small = factories.enterprise("320583", name="昆山小", actor=p, above_scale=False)
    wz_a = factories.enterprise("320506", name="吴中甲", actor=p, above_scale=True)
    nj_a = factories.enterprise("320115", name="江宁甲", actor=p, above_scale=True)
    nj_b = factories.enterprise("320115", name="江宁乙", actor=p, above_scale=True)
    for firm in (ks_a, ks_b, ks_c, ks_small, wz_a, nj_a, nj_b):
        hte(p, firm, issued)
    hte(p, ks_old, today - timedelta(days=4 * 365))
    recognized = today - timedelta(days=100)
    w["inst_ks_a"] = institution_create(
        actor=p,
        enterprise=ks_a,
        name="昆山甲企业技术中心",
        kind="enterprise_tech_center",
        level="provincial",
        recognized_on=recognized,
    )
    w["inst_ks_b"] = institution_create(
        actor=p,
        enterprise=ks_b,
        name="昆山乙工程技术研究中心",
        kind="engineering_center",
        level="city",
        recognized_on=recognized - timedelta(days=300),
        status="revoked",
        ended_on=recognized,
    )
    w["inst_wz_a"] = institution_create(
        actor=p,
        enterprise=wz_a,
        name="吴中甲重点实验室",
        kind="key_lab",
        level="city",
        recognized_on=recognized,
    )
    w["inst_nj_a"] = institution_create(
        actor=p,
        enterprise=nj_a,
        name="江宁甲工程技术研究中心",
        kind="engineering_center",
        level="provincial",
        recognized_on=recognized,
    )
    w.update(
        ks_a=ks_a, ks_b=ks_b, ks_c=ks_c, ks_old=ks_old, ks_small=ks_small, wz_a=wz_a, nj_a=nj_a, nj_b=nj_b
    )
    w["recognized"] = recognized
    return w
