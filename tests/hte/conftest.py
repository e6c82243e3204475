"""Fixtures of the HTE certification tests: `world` firms, an IP item, a document that passes the hard
conditions, a registry of 20 experts (field 10 technical, financial), and helpers walking the table."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gaoqi.accounts.models import Role
from gaoqi.experts.models import ExpertKind, ExpertProfile
from gaoqi.programmes.hte import services
from gaoqi.registry.models import IntellectualProperty, IpClass, IpKind
from gaoqi.workflow.models import Application
from gaoqi.workflow.services import transition
from tests import factories
from tests.web.browser import browser, walk_settings  # noqa: F401 (fixtures, used by name)

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 10)  # a Wednesday
AGENCY = "91320500MA1AUDIT01"


def at(day: date, hour: int = 10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SH), tick=False)


@pytest.fixture
def today():
    with at(DAY):
        yield DAY


def document(ip_ids) -> dict:
    figures = {}
    for k, (rev, na) in enumerate(
        ((8_000_000, 5_000_000), (9_000_000, 6_000_000), (10_000_000, 7_000_000)), 1
    ):
        figures |= {
            f"revenue_y{k}": rev,
            f"net_assets_y{k}": na,
            f"rnd_expense_y{k}": 700_000,
            f"rnd_expense_domestic_y{k}": 700_000,
        }
    figures |= {
        "employees": 50,
        "tech_staff": 20,
        "total_income": 10_000_000,
        "hitech_revenue": 8_000_000,
        "achievement_conversions": 6,
        "standards_led": 0,
        "major_incident": False,
    }
    return {
        "tech_field": "101",
        "figures": figures,
        "audit": {"agency_name": "某会计师事务所", "agency_credit_code": AGENCY, "report_no": "审字〔2026〕1号"},
        "projects": [{"name": f"项目{y}", "year": y, "expense": 700_000} for y in (2023, 2024, 2025)],
        "products": [{"name": "智能网关", "revenue": 5_000_000}, {"name": "边缘软件", "revenue": 3_000_000}],
        "ip_items": list(ip_ids),
    }  # fmt: skip


def ip_item(firm, ip_class=IpClass.CLASS1, used=False, number=None):
    return IntellectualProperty.objects.create(
        enterprise=firm,
        ip_class=ip_class,
        kind=IpKind.INVENTION_PATENT if ip_class == IpClass.CLASS1 else IpKind.UTILITY_MODEL,
        number=number or f"ZL{firm.pk}{ip_class}{IntellectualProperty.objects.count():04d}",
        granted_on=date(2022, 5, 1),
        self_developed=True,
        used_in_hte_application=used,
    )


def expert(kind, fields=("10", "101"), employer="", conflicts=(), **kw):
    user = factories.expert_user()
    ExpertProfile.objects.create(
        user=user,
        kind=kind,
        tech_fields=list(fields) if kind == ExpertKind.TECHNICAL else [],
        employer_credit_code=employer,
        conflict_credit_codes=list(conflicts),
        financial_qualification="cpa" if kind == ExpertKind.FINANCIAL else "",
        **kw,
    )
    return user


@pytest.fixture
def hte_world(world, today):
    w = world
    w["nj_user"] = factories.enterprise_user(w["nj"])
    w["ip"] = ip_item(w["ks"])
    w["nj_ip"] = ip_item(w["nj"])
    w["tech"] = [expert(ExpertKind.TECHNICAL, employer=f"EMP{i:014d}") for i in range(14)]
    w["fin"] = [expert(ExpertKind.FINANCIAL, employer=f"CPA{i:014d}") for i in range(4)]
    # excluded: the firm's own employee, a declared conflict, the intermediary's, another field
    w["own"] = expert(ExpertKind.TECHNICAL, employer=w["ks"].credit_code)
    w["conflicted"] = expert(ExpertKind.TECHNICAL, conflicts=[w["ks"].credit_code])
    w["agency_fin"] = expert(ExpertKind.FINANCIAL, employer=AGENCY)
    w["bio"] = expert(ExpertKind.TECHNICAL, fields=("20",))
    w["nj_province"] = factories.officer(Role.PROVINCE_OFFICER, "320000")
    w["today"] = today
    return w


def fresh(app) -> Application:
    return Application.objects.get(pk=app.pk)


def act(actor, app, action, reason="", **extra):
    app = fresh(app)
    return transition(
        actor=actor, application=app, action=action, reason=reason, version=app.version, extra=extra
    )


def prepared(w, key="ks", actor=None):
    actor = actor or w[f"{key}_user"]
    app = services.application_start(actor=actor, enterprise=w[key])
    ip = w["ip"] if key == "ks" else w["nj_ip"]
    return services.declaration_update(
        actor=actor, application=app, version=app.version, document=document([ip.pk])
    )


def submitted(w, key="ks"):
    app = prepared(w, key)
    return act(w[f"{key}_user"], app, "submit")


def accepted(w, key="ks"):
    app = submitted(w, key)
    act(w["suzhou" if key == "ks" else "nanjing"], app, "recommend")
    act(w["province"], app, "accept")
    return fresh(app)


def drawn(w, key="ks", seed=11):
    app = accepted(w, key)
    draw = services.panel_draw(actor=w["province"], application=app, seed=seed)
    return fresh(app), draw


def full_marks(app, kind):
    return {i["code"]: i["max"] for i in services.items_for(app, kind)}


def scored_and_aggregated(w, key="ks"):
    from gaoqi.accounts.models import User

    app, draw = drawn(w, key)
    for member in draw.members:
        user = User.objects.get(pk=member)
        services.expert_score(
            actor=user, application_pk=app.pk, scores=full_marks(app, services.member_kind(draw, member))
        )
    services.panel_aggregate(actor=User.objects.get(pk=draw.leader_id), application_pk=app.pk)
    return fresh(app), draw


CERTIFIED_ON = date(2026, 6, 30)


def reported(w, *apps):
    """The applications put in a report list (认定报备) marked reported today."""
    from gaoqi.programmes.hte import decisions

    batch = decisions.report_batch_create(
        actor=w["province"], year=2026, title="2026年第一批报备名单", application_ids=[a.pk for a in apps]
    )
    return decisions.report_batch_mark_reported(actor=w["province"], batch=batch, reported_on=DAY)


def certified(w, key="ks"):
    """An application walked to its certificate, issued on CERTIFIED_ON (the caller's clock is DAY)."""
    from gaoqi.workflow.notices import notice_close, notice_publish

    app, _draw = scored_and_aggregated(w, key)
    act(w["province"], app, "expert_pass")
    act(w["province"], app, "approve")
    reported(w, app)
    notice, _r = notice_publish(
        actor=w["province"], programme_code="hte", title="公示", starts_on=DAY, working_days=10,
        items=[(app.pk, fresh(app).version)],
    )  # fmt: skip
    with at(CERTIFIED_ON):
        notice_close(actor=w["province"], notice=notice)
        act(w["province"], app, "certify")
    return fresh(app)
