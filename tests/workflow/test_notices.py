"""Public notices: the end in working days, objections resolved before closing, registration after it."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.registry.models import Certificate
from gaoqi.workflow.errors import GuardFailed
from gaoqi.workflow.models import Application
from gaoqi.workflow.notices import notice_close, notice_publish, objection_record, objection_resolve
from gaoqi.workflow.services import transition, transition_batch
from tests.workflow.conftest import submitted

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _at(y, m, d):
    return time_machine.travel(datetime(y, m, d, 10, 0, tzinfo=SH), tick=False)


def _accepted(world, keys=("ks", "wz")):
    apps = [submitted(world, k) for k in keys]
    transition_batch(actor=world["province"], items=[(a.pk, a.version) for a in apps], action="accept")
    return [Application.objects.get(pk=a.pk) for a in apps]


def _publish(world, apps, start=date(2026, 9, 28), days=6):
    return notice_publish(
        actor=world["province"],
        programme_code="tech_sme",
        title="2026年第5批科技型中小企业入库公示",
        starts_on=start,
        working_days=days,
        items=[(a.pk, a.version) for a in apps],
    )


def test_a_notice_runs_in_working_days_and_closes_only_after_its_end(sme_world):
    with _at(2026, 9, 28):
        apps = _accepted(sme_world)
        notice, result = _publish(sme_world, apps)
    assert notice.ends_on == date(2026, 10, 10)  # across National Day, the adjusted Saturday included
    assert result.done == [a.pk for a in apps]
    assert {a.phase for a in Application.objects.filter(pk__in=result.done)} == {"in_notice"}
    with _at(2026, 10, 10), pytest.raises(ValidationFailed, match="期满"):
        notice_close(actor=sme_world["province"], notice=notice)
    with _at(2026, 10, 12):
        notice_close(actor=sme_world["province"], notice=notice)
    notice.refresh_from_db()
    assert notice.closed_at is not None


def test_an_open_objection_blocks_closing_and_an_upheld_one_blocks_registration(sme_world):
    with _at(2026, 9, 28):
        ks_app, wz_app = _accepted(sme_world)
        notice, _ = _publish(sme_world, [ks_app, wz_app])
        objection = objection_record(
            actor=sme_world["province"],
            notice=notice,
            application_id=ks_app.pk,
            filed_by="匿名来信",
            content="该企业研发人员与另一企业重复申报",
        )
    with _at(2026, 10, 12):
        with pytest.raises(ValidationFailed, match="1 条异议未处理"):
            notice_close(actor=sme_world["province"], notice=notice)
        ks_app = Application.objects.get(pk=ks_app.pk)
        with pytest.raises(GuardFailed, match="公示尚未结束"):
            transition(
                actor=sme_world["province"], application=ks_app, action="register", version=ks_app.version
            )
        objection_resolve(
            actor=sme_world["province"], objection=objection, upheld=True, resolution="经核实属实"
        )
        notice_close(actor=sme_world["province"], notice=notice)
        result = transition_batch(
            actor=sme_world["province"],
            items=[(a.pk, a.version) for a in Application.objects.filter(pk__in=[ks_app.pk, wz_app.pk])],
            action="register",
        )
    assert result.done == [wz_app.pk]
    assert result.refused == [{"id": ks_app.pk, "status": 422, "message": "公示期间异议成立，不能入库登记"}]
    wz_app = Application.objects.get(pk=wz_app.pk)
    assert wz_app.phase == "registered" and wz_app.reference_no == "2026320506A0001"
    assert wz_app.valid_until == date(2027, 3, 31)
    cert = Certificate.objects.get(enterprise=sme_world["wz"], kind="tech_sme")
    assert cert.number == wz_app.reference_no and cert.expires_on == date(2027, 3, 31)
    with _at(2026, 10, 12):
        ks_app = Application.objects.get(pk=ks_app.pk)
        transition(
            actor=sme_world["province"],
            application=ks_app,
            action="reject",
            reason="异议成立",
            version=ks_app.version,
        )
    assert Application.objects.get(pk=ks_app.pk).phase == "rejected"


def test_objections_are_for_officers_and_entries_of_the_notice(sme_world):
    with _at(2026, 9, 28):
        (ks_app,) = _accepted(sme_world, ("ks",))
        notice, _ = _publish(sme_world, [ks_app])
        other = submitted(sme_world, "nj")
        with pytest.raises(PermissionDenied):
            objection_record(
                actor=sme_world["ks_user"], notice=notice, application_id=ks_app.pk, filed_by="x", content="y"
            )
        with pytest.raises(NotFound):
            objection_record(
                actor=sme_world["province"], notice=notice, application_id=other.pk, filed_by="x", content="y"
            )
        with pytest.raises(ValidationFailed):
            objection_record(
                actor=sme_world["province"], notice=notice, application_id=ks_app.pk, filed_by="", content=""
            )


def test_serial_numbers_count_per_county_and_year(sme_world):
    from tests import factories
    from tests.workflow.conftest import record_facts

    ks2 = factories.enterprise("320583", name="昆山第二测试科技有限公司", actor=sme_world["province"])
    record_facts(sme_world["province"], ks2)
    sme_world["ks2"], sme_world["ks2_user"] = ks2, factories.enterprise_user(ks2)
    with _at(2026, 9, 28):
        apps = _accepted(sme_world, ("ks", "ks2", "nj"))
        notice, _ = _publish(sme_world, apps)
    with _at(2026, 10, 12):
        notice_close(actor=sme_world["province"], notice=notice)
        items = [
            (a.pk, a.version) for a in Application.objects.filter(pk__in=[a.pk for a in apps]).order_by("pk")
        ]
        transition_batch(actor=sme_world["province"], items=items, action="register")
    numbers = list(
        Application.objects.filter(pk__in=[a.pk for a in apps])
        .order_by("pk")
        .values_list("reference_no", flat=True)
    )
    assert numbers == ["2026320583A0001", "2026320583A0002", "2026320115A0001"]
