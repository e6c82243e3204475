"""Fixtures of the cultivation pool tests: `world` firms with three years of facts that pass the pool's entry
standard, the county officers of their counties, four experts; helpers walking an application along the table.
Tests run on a fixed day inside the year's application window (the window is a dated parameter)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gaoqi.accounts.models import Role
from gaoqi.programmes.pool import services
from gaoqi.registry.models import Department
from gaoqi.registry.services import annual_report_record
from gaoqi.workflow.models import Application
from gaoqi.workflow.notices import notice_close, notice_publish
from gaoqi.workflow.services import transition
from tests import factories
from tests.workflow.conftest import PASSING

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 4, 15)  # a Wednesday inside the illustrative window (1 March – 30 June)


def at(day: date, hour: int = 10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SH), tick=False)


@pytest.fixture
def today():
    with at(DAY):
        yield DAY


def record_facts(actor, firm, values=None):
    src = factories.source(Department.TAX, f"税务_{firm.pk}.xlsx", synthetic=True)
    for year in (DAY.year - 3, DAY.year - 2, DAY.year - 1):
        annual_report_record(actor=actor, enterprise=firm, year=year, source=src, values=values or PASSING)


@pytest.fixture
def pool_world(world, today):
    """`world` + passing facts for ks, wz, nj; a user per firm; county officers; experts e1–e4."""
    w = world
    for key in ("ks", "wz", "nj"):
        record_facts(w["province"], w[key])
    w["wz_user"] = factories.enterprise_user(w["wz"])
    w["nj_user"] = factories.enterprise_user(w["nj"])
    w["wuzhong"] = factories.officer(Role.COUNTY_OFFICER, "320506")
    w["jiangning"] = factories.officer(Role.COUNTY_OFFICER, "320115")
    w["nj_province"] = factories.officer(Role.PROVINCE_OFFICER, "320000")
    for i in range(1, 5):
        w[f"e{i}"] = factories.expert_user()
    w["today"] = today
    return w


COUNTY_OF = {"ks": "kunshan", "wz": "wuzhong", "nj": "jiangning"}
CITY_OF = {"ks": "suzhou", "wz": "suzhou", "nj": "nanjing"}


def fresh(app) -> Application:
    return Application.objects.get(pk=app.pk)


def act(actor, app, action, reason="", **extra):
    app = fresh(app)
    return transition(
        actor=actor, application=app, action=action, reason=reason, version=app.version, extra=extra
    )


def submitted(w, key="ks"):
    user = w[f"{key}_user"]
    app = services.application_start(actor=user, enterprise=w[key])
    return act(user, app, "submit")


def in_expert_review(w, key="ks"):
    app = submitted(w, key)
    act(w[COUNTY_OF[key]], app, "recommend")
    act(w[CITY_OF[key]], app, "pass")
    return fresh(app)


def scored(w, key="ks", totals=((30, 30, 20, 20), (20, 20, 10, 10), (25, 25, 15, 15))):
    app = in_expert_review(w, key)
    experts = [w["e1"], w["e2"], w["e3"]]
    services.experts_assign(actor=w["province"], application=app, expert_ids=[e.pk for e in experts])
    for expert, points in zip(experts, totals, strict=True):
        services.expert_score(
            actor=expert,
            application_pk=app.pk,
            scores=dict(zip(("innovation", "rnd", "growth", "ip"), points, strict=True)),
        )
    return fresh(app)


def noticed(w, keys=("ks",)):
    apps = []
    for key in keys:
        app = scored(w, key)
        act(w["province"], app, "expert_pass")
        apps.append(fresh(app))
    notice, result = notice_publish(
        actor=w["province"],
        programme_code="pool",
        title="2026年培育库拟入库企业公示",
        starts_on=DAY,
        working_days=7,
        items=[(a.pk, a.version) for a in apps],
    )
    assert result.done == [a.pk for a in apps]
    return notice, [fresh(a) for a in apps]


def close(w, notice):
    """Move past the notice's end (the caller's clock) and close it."""
    notice_close(actor=w["province"], notice=notice)
