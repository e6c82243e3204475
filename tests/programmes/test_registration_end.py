"""A tech-SME registration's number and its end: serials count synthetic (SYN-) numbers too; revocation and lapse
end the firm's tech-SME status in the registry (Certificate.ended_on), and every reader of "valid tech-SME
registration" follows (status dates, enterprise list, targets, KPIs, alerts)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from gaoqi.alerts.checks import tech_sme_unrenewed
from gaoqi.audit.models import AuditEvent
from gaoqi.audit.services import chain_verify
from gaoqi.monitoring.kpis import compute_cells
from gaoqi.programmes.tech_sme import services
from gaoqi.regions.models import Region
from gaoqi.registry.models import Certificate, CertificateKind, Enterprise, certificate_valid_q
from gaoqi.registry.selectors import enterprise_status
from gaoqi.registry.services import certificate_record
from gaoqi.targets.selectors import progress
from gaoqi.workflow.models import Application
from gaoqi.workflow.notices import notice_close, notice_publish
from gaoqi.workflow.services import transition, transition_batch
from tests import factories
from tests.workflow.conftest import record_facts, submitted

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _at(y, m, d):
    return time_machine.travel(datetime(y, m, d, 10, 0, tzinfo=SH), tick=False)


def _fresh(app):
    return Application.objects.select_related("enterprise").get(pk=app.pk)


def _in_notice_closed(world, keys):
    """Applications accepted, published on 2026-09-28 for 6 working days, the notice closed on 2026-10-12."""
    with _at(2026, 9, 28):
        apps = [submitted(world, k) for k in keys]
        transition_batch(actor=world["province"], items=[(a.pk, a.version) for a in apps], action="accept")
        apps = [_fresh(a) for a in apps]
        notice, _ = notice_publish(
            actor=world["province"],
            programme_code="tech_sme",
            title="2026年第5批科技型中小企业入库公示",
            starts_on=date(2026, 9, 28),
            working_days=6,
            items=[(a.pk, a.version) for a in apps],
        )
    with _at(2026, 10, 12):
        notice_close(actor=world["province"], notice=notice)
    return [_fresh(a) for a in apps]


def _register(world, apps, **extra):
    with _at(2026, 10, 12):
        result = transition_batch(
            actor=world["province"],
            items=[(a.pk, _fresh(a).version) for a in apps],
            action="register",
            extra=extra or None,
        )
    assert result.refused == []
    return [_fresh(a) for a in apps]


def _kunshan_firms(world, n):
    keys = []
    for i in range(n):
        firm = factories.enterprise("320583", name=f"昆山编号测试{i}科技有限公司", actor=world["province"])
        record_facts(world["province"], firm)
        world[f"k{i}"], world[f"k{i}_user"] = firm, factories.enterprise_user(firm)
        keys.append(f"k{i}")
    return keys


# --- Numbering ------------------------------------------------------------------------------------------


def test_a_second_synthetic_registration_in_a_county_and_year_gets_the_next_serial(sme_world):
    k0, k1, k2 = _kunshan_firms(sme_world, 3)
    a0, a1, a2 = _in_notice_closed(sme_world, (k0, k1, k2))
    # Separate decisions: the second one must find the first's SYN- number (the defect: it looked for the
    # unprefixed number, found none, and issued A0001 again — a unique-constraint failure).
    (a0,) = _register(sme_world, [a0], synthetic=True)
    (a1,) = _register(sme_world, [a1], synthetic=True)
    assert (a0.reference_no, a1.reference_no) == ("SYN-2026320583A0001", "SYN-2026320583A0002")
    assert a0.synthetic and a1.synthetic
    (a2,) = _register(sme_world, [a2])  # a real number after synthetic ones continues the serial
    assert (a2.reference_no, a2.synthetic) == ("2026320583A0003", False)
    assert set(
        Certificate.objects.filter(kind=CertificateKind.TECH_SME).values_list("number", flat=True)
    ) == {"SYN-2026320583A0001", "SYN-2026320583A0002", "2026320583A0003"}


def test_the_pool_numbers_use_the_same_helper():
    from gaoqi.workflow import numbering

    assert numbering.mark("PY2026-01-0001", synthetic=True) == "SYN-PY2026-01-0001"
    assert numbering.mark("PY2026-01-0001", synthetic=False) == "PY2026-01-0001"


def test_next_serial_reads_both_forms_and_ignores_other_prefixes(sme_world):
    from gaoqi.workflow import numbering

    apps = [submitted(sme_world, k) for k in ("ks", "wz", "nj")]
    for app, ref in zip(apps, ("SYN-2026320583A0007", "2026320583A0003", "2026320583A00x9"), strict=True):
        Application.objects.filter(pk=app.pk).update(reference_no=ref)
    assert numbering.next_serial(programme="tech_sme", prefix="2026320583A") == 8
    assert numbering.next_serial(programme="tech_sme", prefix="2026320506A") == 1
    assert numbering.next_serial(programme="pool", prefix="2026320583A") == 1  # per programme


# --- Revocation and lapse end the registry's status -------------------------------------------------------


def _registered_ks(world):
    (app,) = _register(world, _in_notice_closed(world, ("ks",)))
    firm = Enterprise.objects.get(pk=world["ks"].pk)
    assert firm.tech_sme_valid_until == date(2027, 3, 31)
    return app


def _tech_sme_actual(world, as_of):
    p = progress(actor=world["province"], year=as_of.year, as_of=as_of, region_code="320500")
    return p.own.cells["tech_sme"].actual


def _kpi_tech_sme(as_of):
    cells = compute_cells(Region.objects.get(code="320500"), as_of)
    return sum(c.tech_sme for c in cells.values())


def test_revocation_ends_the_firms_tech_sme_status_from_that_day(sme_world):
    app = _registered_ks(sme_world)
    province = sme_world["province"]
    assert _tech_sme_actual(sme_world, date(2026, 11, 1)) == 1 and _kpi_tech_sme(date(2026, 11, 1)) == 1
    with _at(2026, 11, 2):
        transition(
            actor=province, application=app, action="revoke", reason="提供虚假材料", version=app.version
        )
    cert = Certificate.objects.get(enterprise=sme_world["ks"], kind=CertificateKind.TECH_SME)
    assert (cert.ended_on, cert.end_reason, cert.end_note) == (date(2026, 11, 2), "revoked", "提供虚假材料")
    assert cert.expires_on == date(2027, 3, 31)  # the record of what was issued is kept
    assert cert.valid_until == date(2026, 11, 1)
    assert cert.is_valid_on(date(2026, 11, 1)) and not cert.is_valid_on(date(2026, 11, 2))
    firm = Enterprise.objects.get(pk=sme_world["ks"].pk)
    assert firm.tech_sme_valid_until == date(2026, 11, 1)
    assert enterprise_status(firm, date(2026, 11, 1)) == "tech_sme"
    assert enterprise_status(firm, date(2026, 11, 2)) == "candidate"
    # Targets (the tech_sme indicator) and the monitoring KPIs count it until the day before only.
    assert _tech_sme_actual(sme_world, date(2026, 11, 1)) == 1
    assert _tech_sme_actual(sme_world, date(2026, 11, 2)) == 0
    assert _kpi_tech_sme(date(2026, 11, 2)) == 0
    assert not Certificate.objects.filter(certificate_valid_q(date(2026, 12, 1)), pk=cert.pk).exists()
    # Audited on the certificate: who, old → new, why.
    event = AuditEvent.objects.get(
        target_type="registry.certificate", target_id=str(cert.pk), action="update"
    )
    assert event.actor == province and event.reason == "提供虚假材料"
    assert event.new == {"ended_on": "2026-11-02", "end_reason": "revoked"}
    # A revocation is no missed annual update: the unrenewed alert leaves it out.
    assert tech_sme_unrenewed(date(2026, 11, 20), lapsed_within_months=3) == []


def test_the_enterprise_list_status_filter_follows_the_end(sme_world, client):
    app = _registered_ks(sme_world)
    client.force_login(sme_world["suzhou"])
    with _at(2026, 11, 1):
        assert sme_world["ks"].name in client.get("/enterprises/?status=tech_sme").content.decode()
    with _at(2026, 11, 2):
        transition(
            actor=sme_world["province"], application=app, action="revoke", reason="x", version=app.version
        )
        page = client.get("/enterprises/?status=tech_sme").content.decode()
    assert sme_world["ks"].name not in page


def test_lapse_ends_every_tech_sme_certificate_of_the_firm_the_day_after_the_deadline(sme_world):
    app = _registered_ks(sme_world)
    # A department's file also recorded a registration with a later expiry: the lapse ends it as well.
    with _at(2026, 10, 20):
        other = certificate_record(
            actor=sme_world["province"],
            enterprise=sme_world["ks"],
            kind=CertificateKind.TECH_SME,
            number="DEPT-2026-1",
            issued_on=date(2026, 10, 20),
            expires_on=date(2027, 6, 30),
        )
    old = certificate_record(  # long expired before: untouched
        actor=sme_world["province"],
        enterprise=sme_world["ks"],
        kind=CertificateKind.TECH_SME,
        number="DEPT-2024-1",
        issued_on=date(2024, 5, 1),
        expires_on=date(2025, 3, 31),
    )
    assert Enterprise.objects.get(pk=sme_world["ks"].pk).tech_sme_valid_until == date(2027, 6, 30)
    with _at(2027, 4, 1):
        result = services.lapse_unrenewed(today=date(2027, 4, 1))
    assert result.done == [app.pk]
    own = Certificate.objects.get(number=app.reference_no)
    other.refresh_from_db()
    old.refresh_from_db()
    assert (own.ended_on, own.end_reason) == (date(2027, 4, 1), "lapsed")
    assert (other.ended_on, other.end_reason) == (date(2027, 4, 1), "lapsed")
    assert old.ended_on is None and old.end_reason == ""
    firm = Enterprise.objects.get(pk=sme_world["ks"].pk)
    assert firm.tech_sme_valid_until == date(2027, 3, 31)
    system_events = AuditEvent.objects.filter(
        target_type="registry.certificate", action="update", actor__isnull=True
    )
    assert system_events.count() == 2
    assert chain_verify().ok  # the lapse's batch and the certificates' events, one unbroken chain
    # The lapse is what the unrenewed alert reports.
    findings = tech_sme_unrenewed(date(2027, 4, 10), lapsed_within_months=3)
    assert [f.enterprise_id for f in findings] == [sme_world["ks"].pk]


def test_an_end_needs_a_reason_and_not_before_issue(sme_world):
    cert = certificate_record(
        actor=sme_world["province"],
        enterprise=sme_world["ks"],
        kind=CertificateKind.TECH_SME,
        number="X-1",
        issued_on=date(2025, 5, 1),
        expires_on=date(2026, 3, 31),
    )
    for ended_on, reason in ((date(2025, 6, 1), ""), (None, "revoked"), (date(2025, 4, 30), "revoked")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Certificate.objects.filter(pk=cert.pk).update(ended_on=ended_on, end_reason=reason)
