"""After certification: annual reports by 31 May (late ones marked), who has not filed (in scope), reminders,
cancellation candidates after two missed years, re-certification reminders at 6 and 3 months, the at-risk
flag, change reports reviewed by officers (a rename updates the registry)."""

from datetime import date

import pytest

from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.programmes.hte import after
from gaoqi.programmes.hte.models import ChangeStatus
from gaoqi.workflow.models import Notification
from tests.hte.conftest import at, certified, fresh

pytestmark = pytest.mark.django_db
FIGURES = {k: 1 for k in after.REPORT_FIELDS}


def test_annual_reports_missing_list_and_cancellation(hte_world):
    w = hte_world
    app = certified(w)
    assert app.hte_record.expires_on == date(2029, 6, 29)
    assert after.reports_due(app.hte_record, date(2027, 6, 1)) == [2026]
    with at(date(2027, 3, 1)):
        assert [a.pk for a in after.missing_reports(actor=w["suzhou"], year=2026)] == [app.pk]
        assert after.missing_reports(actor=w["nanjing"], year=2026) == []  # another city's
        with pytest.raises(PermissionDenied):
            after.annual_report_file(actor=w["suzhou"], application=app, year=2026, figures=FIGURES)
        with pytest.raises(ValidationFailed):
            after.annual_report_file(actor=w["ks_user"], application=app, year=2026, figures={})
    with at(date(2028, 6, 10)):
        (case,) = after.cancellation_candidates(actor=w["province"])
        assert case == (app, [2026, 2027])
        report = after.annual_report_file(actor=w["ks_user"], application=app, year=2027, figures=FIGURES)
        assert report.late
        assert after.cancellation_candidates(actor=w["province"]) == []
        with pytest.raises(ValidationFailed):  # once a year
            after.annual_report_file(actor=w["ks_user"], application=app, year=2027, figures=FIGURES)
        assert [a.pk for a in after.missing_reports(actor=w["province"], year=2026)] == [app.pk]
        assert after.missing_reports(actor=w["province"], year=2027) == []


def test_reminders(hte_world):
    w = hte_world
    certified(w)
    with at(date(2027, 5, 1)):
        assert after.send_report_reminders() == 1  # 30 days before 31 May
    with at(date(2027, 5, 2)):
        assert after.send_report_reminders() == 0
    assert after.send_recertification_reminders(today=date(2028, 12, 29)) == 1  # 6 months before 2029-06-29
    assert after.send_recertification_reminders(today=date(2029, 3, 29)) == 1  # 3 months
    assert after.send_recertification_reminders(today=date(2029, 3, 30)) == 0
    assert Notification.objects.filter(user=w["ks_user"], title__contains="重新认定").count() == 2


def test_change_report_reviewed_by_the_province(hte_world):
    w = hte_world
    app = certified(w)
    with pytest.raises(ValidationFailed):
        after.change_report_file(actor=w["ks_user"], application=app, kind="rename", description="更名")
    report = after.change_report_file(
        actor=w["ks_user"],
        application=app,
        kind="rename",
        description="工商变更",
        new_name="昆山新名称科技有限公司",
    )
    with pytest.raises(NotFound):
        after.change_report_review(actor=w["nanjing"], report=report, approve=True, note="x")
    with pytest.raises(PermissionDenied):
        after.change_report_review(actor=w["suzhou"], report=report, approve=True, note="x")
    with pytest.raises(ValidationFailed):
        after.change_report_review(actor=w["province"], report=report, approve=True, note="")
    after.change_report_review(actor=w["province"], report=report, approve=True, note="更名属实")
    w["ks"].refresh_from_db()
    assert report.status == ChangeStatus.APPROVED and w["ks"].name == "昆山新名称科技有限公司"


def test_at_risk_when_the_latest_facts_fail(hte_world):
    from gaoqi.registry.models import Department
    from gaoqi.registry.services import annual_report_record
    from tests import factories

    w = hte_world
    app = certified(w)
    # the registry holds no yearly facts for the firm: not enough to say (no flag rather than a false alarm)
    assert after.at_risk(actor=w["province"], application=app) == []
    src = factories.source(Department.TAX, "税务.xlsx", synthetic=True)
    values = {
        "employees": 50, "tech_staff": 20, "revenue": 10_000_000, "total_income": 10_000_000,
        "hitech_revenue": 8_000_000, "net_assets": 5_000_000, "rnd_expense": 700_000,
        "rnd_expense_domestic": 700_000, "ip_class1": 1, "ip_class2": 0, "ip_self_developed": True,
        "achievement_conversions": 2, "standards_led": 0, "major_incident": False,
    }  # fmt: skip
    with at(date(2027, 3, 1)):
        for year in (2023, 2024, 2025):
            annual_report_record(
                actor=w["province"], enterprise=w["ks"], year=year, source=src, values=values
            )
        from gaoqi.registry.services import enterprise_update

        enterprise_update(actor=w["province"], enterprise=w["ks"], reason="t", tech_field_id="101")
        app = fresh(app)  # the firm as it is now
        for year in (2024, 2025, 2026):
            annual_report_record(
                actor=w["province"], enterprise=w["ks"], year=year, source=src, values=values
            )
        assert after.at_risk(actor=w["province"], application=app) == []
        annual_report_record(
            actor=w["province"], enterprise=w["ks"], year=2026, source=src, values=values | {"tech_staff": 2}
        )
        assert after.at_risk(actor=w["province"], application=app) == ["科技人员占职工总数比例"]


def test_recertification_window_expiry_and_daily_command(hte_world):
    from io import StringIO

    from django.core.management import call_command

    from gaoqi.programmes.hte import services

    w = hte_world
    app = certified(w)
    with at(date(2028, 3, 1)), pytest.raises(ValidationFailed):  # the certificate runs to 2029
        services.application_start(actor=w["ks_user"], enterprise=w["ks"])
    with at(date(2029, 3, 1)):
        again = services.application_start(actor=w["ks_user"], enterprise=w["ks"])
        assert again.phase == "draft"
    out = StringIO()
    call_command("hte_daily", "--today", "2029-06-29", stdout=out)  # the last valid day
    assert fresh(app).phase == "certified" and "certificates expired: 0" in out.getvalue()
    call_command("hte_daily", "--today", "2029-06-30", stdout=out)
    assert fresh(app).phase == "expired"
    call_command("hte_daily", "--today", "2028-12-29", stdout=out)
    assert "re-certification reminders: 0" in out.getvalue().splitlines()[-1]  # expired: nobody to remind


def test_only_the_leader_of_this_panel_aggregates(hte_world):
    from gaoqi.accounts.models import User
    from gaoqi.errors import NotFound
    from gaoqi.programmes.hte import services
    from tests.hte.conftest import drawn

    w = hte_world
    app, draw = drawn(w)
    outsider = next(u for u in w["tech"] if u.pk not in draw.members)
    with pytest.raises(NotFound):
        services.panel_aggregate(actor=outsider, application_pk=app.pk)
    with pytest.raises(NotFound):
        services.panel_aggregate(actor=w["province"], application_pk=app.pk)
    assert User.objects.get(pk=draw.leader_id).pk in draw.technical
