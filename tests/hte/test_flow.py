"""The HTE certification through its services and the core: preparation (firm or city officer), the live
evaluation, the frozen snapshot, city recommendation, province review, the random panel (exclusions, seed,
re-draw with a reason), independent scoring within the engine's bands, the leader's aggregation, decision,
notice, certificate; scope crossing at each step."""

from datetime import timedelta
from decimal import Decimal

import pytest

from gaoqi.accounts.models import User
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.experts.models import ExpertAssignment
from gaoqi.programmes.hte import evaluation, panels, services
from gaoqi.programmes.hte.models import HteRecord, PanelDraw
from gaoqi.registry.models import Certificate, CertificateKind, IpClass
from gaoqi.workflow.errors import GuardFailed
from gaoqi.workflow.notices import notice_close, notice_publish, objection_record, objection_resolve
from tests.hte.conftest import (
    DAY,
    act,
    at,
    document,
    drawn,
    fresh,
    full_marks,
    ip_item,
    prepared,
    reported,
    scored_and_aggregated,
    submitted,
)

pytestmark = pytest.mark.django_db


def test_prepare_live_evaluation_and_document_checks(hte_world):
    w = hte_world
    app = services.application_start(actor=w["ks_user"], enterprise=w["ks"])
    assert app.programme == "hte" and app.phase == "draft" and app.declared["years"] == [2023, 2024, 2025]
    with pytest.raises(ValidationFailed):  # one open application
        services.application_start(actor=w["ks_user"], enterprise=w["ks"])
    live = evaluation.live(actor=w["ks_user"], application=app)
    assert live["document_errors"]  # no projects, products, audit yet
    with pytest.raises(GuardFailed):
        act(w["ks_user"], app, "submit")
    doc = document([w["ip"].pk])
    doc["projects"][0]["expense"] = 600_000  # no longer the audited 700,000 of 2023
    app = services.declaration_update(
        actor=w["ks_user"], application=fresh(app), version=app.version, document=doc
    )
    assert [p["code"] for p in app.declared["projects"]] == ["RD01", "RD02", "RD03"]
    assert [p["code"] for p in app.declared["products"]] == ["PS01", "PS02"]
    live = evaluation.live(actor=w["ks_user"], application=app)
    assert any("2023" in e and "不一致" in e for e in live["document_errors"])
    doc["projects"][0]["expense"] = 700_000
    app = services.declaration_update(actor=w["ks_user"], application=app, version=app.version, document=doc)
    live = evaluation.live(actor=w["ks_user"], application=app)
    assert live["document_errors"] == [] and live["hard_ok"] and live["outcome"] in {"pass", "undetermined"}
    assert live["bands"]["hte.ip_quantity"] == {
        "label": "知识产权数量",
        "min": 7,
        "max": 8,
        "band": live["bands"]["hte.ip_quantity"]["band"],
    }
    with pytest.raises(ValidationFailed):  # another firm's IP item
        services.declaration_update(
            actor=w["ks_user"], application=app, version=app.version, document={"ip_items": [w["nj_ip"].pk]}
        )
    with pytest.raises(ValidationFailed):  # negative amount, year outside the three
        services.declaration_update(
            actor=w["ks_user"], application=app, version=app.version,
            document={"projects": [{"name": "x", "year": 2019, "expense": -1}]},
        )  # fmt: skip


def test_class_two_ip_usable_once(hte_world):
    w = hte_world
    used = ip_item(w["ks"], IpClass.CLASS2, used=True, number="ZL-USED")
    app = prepared(w)
    app = services.declaration_update(
        actor=w["ks_user"], application=app, version=app.version, document={"ip_items": [w["ip"].pk, used.pk]}
    )
    live = evaluation.live(actor=w["ks_user"], application=app)
    assert any("ZL-USED" in e for e in live["document_errors"])
    with pytest.raises(GuardFailed):
        act(w["ks_user"], app, "submit")


def test_city_officer_prepares_for_a_firm_of_its_city_only(hte_world):
    w = hte_world
    app = prepared(w, "ks", actor=w["suzhou"])
    assert app.phase == "draft"
    with pytest.raises(NotFound):  # Nanjing never sees a Suzhou firm
        services.application_start(actor=w["nanjing"], enterprise=w["wz"])
    with pytest.raises(PermissionDenied):  # a county officer does not prepare
        services.application_start(actor=w["kunshan"], enterprise=w["ks"])
    with pytest.raises(NotFound):  # a firm for another firm
        services.application_start(actor=w["ks_user"], enterprise=w["nj"])
    app = act(w["suzhou"], app, "submit")
    assert app.phase == "submitted"


def test_submission_freezes_and_review_path(hte_world):
    w = hte_world
    app = submitted(w)
    assert app.snapshot["hard_ok"] and app.snapshot["facts_revision"] and app.snapshot["bands"]
    frozen = dict(app.snapshot)
    with pytest.raises(ValidationFailed):  # no longer editable
        services.declaration_update(
            actor=w["ks_user"], application=app, version=app.version, document={"tech_field": "20"}
        )
    with pytest.raises(NotFound):
        act(w["nanjing"], app, "recommend")
    with pytest.raises(PermissionDenied):
        act(w["province"], app, "recommend")
    act(w["suzhou"], app, "return", "请补充专项审计报告")
    app = fresh(app)
    assert app.phase == "returned" and app.remarks == "请补充专项审计报告"
    act(w["ks_user"], app, "resubmit")
    act(w["suzhou"], app, "recommend")
    with pytest.raises(ValidationFailed):  # needs a reason
        act(w["province"], app, "return")
    act(w["province"], app, "return", "知识产权证明不清晰")
    act(w["ks_user"], app, "resubmit")
    act(w["suzhou"], app, "recommend")
    app = act(w["province"], app, "accept")
    assert fresh(app).phase == "accepted"
    assert fresh(app).snapshot["facts_revision"] == frozen["facts_revision"]


def test_panel_draw_rules_exclusions_and_redraw(hte_world):
    w = hte_world
    app, draw = drawn(w)
    members = draw.members
    assert len(members) == 5 and len(draw.financial) == 1 and draw.leader_id in draw.technical
    excluded = {int(k): v for k, v in draw.excluded.items()}
    assert excluded[w["own"].pk] == panels.OWN_EMPLOYEE
    assert excluded[w["conflicted"].pk] == panels.DECLARED_CONFLICT
    assert excluded[w["agency_fin"].pk] == panels.INTERMEDIARY_EMPLOYER
    for key in ("own", "conflicted", "agency_fin", "bio"):
        assert w[key].pk not in members
    assert draw.eligible_technical == 14 and draw.eligible_financial == 4
    assert ExpertAssignment.objects.filter(application=app).count() == 5
    assert AuditEvent.objects.filter(target_type="hte.paneldraw", target_id=str(draw.pk)).exists()
    # reproducible: the same seed over the same registry gives the same panel
    again = panels.draw(panels.Registry(services.candidates(exclude_application=app)),
                        panels.Request("10", w["ks"].credit_code, "91320500MA1AUDIT01"), seed=11,
                        rules=panels.Rules())  # fmt: skip
    assert (again.technical, again.financial, again.leader) == (
        draw.technical,
        draw.financial,
        draw.leader_id,
    )
    with pytest.raises(ValidationFailed):  # re-draw only with a reason
        services.panel_draw(actor=w["province"], application=app)
    with pytest.raises(PermissionDenied):
        services.panel_draw(actor=w["suzhou"], application=app, reason="x")
    with pytest.raises(NotFound):  # an expert, or nobody's business
        services.panel_draw(actor=w["tech"][0], application=app, reason="x")
    second = services.panel_draw(actor=w["province"], application=app, reason="专家临时无法参加", seed=12)
    assert PanelDraw.objects.filter(application=app).count() == 2
    assert PanelDraw.objects.get(pk=draw.pk).current is False and second.current
    assert set(ExpertAssignment.objects.filter(application=app).values_list("expert_id", flat=True)) == set(
        second.members
    )


def test_pool_under_three_times_is_a_clear_error(hte_world):
    w = hte_world
    app, _draw = drawn(w)
    User.objects.filter(pk__in=[u.pk for u in w["tech"][:4]]).update(is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        services.panel_draw(actor=w["province"], application=app, reason="重抽")
    assert "不足" in exc.value.message and "3 倍" in exc.value.message


def test_independent_scoring_within_bands_and_aggregation(hte_world):
    w = hte_world
    app, draw = drawn(w)
    tech = User.objects.get(pk=draw.technical[0])
    fin = User.objects.get(pk=draw.financial[0])
    outsider = next(u for u in w["tech"] if u.pk not in draw.members)
    leader = User.objects.get(pk=draw.leader_id)
    # an expert not on the panel: not found; an officer: not found
    with pytest.raises(NotFound):
        services.expert_score(actor=outsider, application_pk=app.pk, scores={})
    with pytest.raises(NotFound):
        services.expert_score(actor=w["province"], application_pk=app.pk, scores={})
    tech_items = {i["code"]: i for i in services.items_for(app, panels.TECHNICAL)}
    assert set(tech_items) == set(evaluation.TECHNICAL_ITEMS)
    assert set(i["code"] for i in services.items_for(app, panels.FINANCIAL)) == set(
        evaluation.FINANCIAL_ITEMS
    )
    below = full_marks(app, panels.TECHNICAL) | {"hte.ip_quantity": tech_items["hte.ip_quantity"]["min"] - 1}
    with pytest.raises(ValidationFailed):  # under the engine's band for this firm
        services.expert_score(actor=tech, application_pk=app.pk, scores=below)
    above = full_marks(app, panels.TECHNICAL) | {
        "hte.rnd_management_score": tech_items["hte.rnd_management_score"]["max"] + 1
    }
    with pytest.raises(ValidationFailed):
        services.expert_score(actor=tech, application_pk=app.pk, scores=above)
    services.expert_score(actor=tech, application_pk=app.pk, scores=full_marks(app, panels.TECHNICAL))
    with pytest.raises(ValidationFailed):  # once
        services.expert_score(actor=tech, application_pk=app.pk, scores=full_marks(app, panels.TECHNICAL))
    with pytest.raises(ValidationFailed):  # the leader waits for everyone
        services.panel_aggregate(actor=leader, application_pk=app.pk)
    for m in draw.members:
        if m != tech.pk:
            u = User.objects.get(pk=m)
            services.expert_score(
                actor=u, application_pk=app.pk, scores=full_marks(app, services.member_kind(draw, m))
            )
    not_leader = next(User.objects.get(pk=m) for m in draw.technical if m != draw.leader_id)
    with pytest.raises(PermissionDenied):
        services.panel_aggregate(actor=not_leader, application_pk=app.pk)
    record = services.panel_aggregate(actor=leader, application_pk=app.pk)
    bands = app.snapshot["bands"]
    ip = min(30, sum(bands[c]["max"] for c in evaluation.IP_ITEMS))
    expected = ip + bands["hte.conversion_score"]["max"] + bands["hte.rnd_management_score"]["max"]
    expected += bands["hte.growth_net_assets_score"]["max"] + bands["hte.growth_revenue_score"]["max"]
    assert record.panel_score == Decimal(expected)
    assert fin.pk in draw.financial


def test_panel_average(hte_world):
    w = hte_world
    app, draw = drawn(w)
    totals = iter([Decimal("0"), Decimal("2"), Decimal("4"), Decimal("6")])
    for m in draw.technical:
        marks = full_marks(app, panels.TECHNICAL)
        marks["hte.rnd_management_score"] = next(totals)
        services.expert_score(actor=User.objects.get(pk=m), application_pk=app.pk, scores=marks)
    services.expert_score(actor=User.objects.get(pk=draw.financial[0]), application_pk=app.pk,
                          scores={c: 0 for c in evaluation.FINANCIAL_ITEMS} | {
                              c: i["min"] for c, i in ((i["code"], i) for i in services.items_for(app, panels.FINANCIAL))})  # fmt: skip
    record = services.panel_aggregate(actor=User.objects.get(pk=draw.leader_id), application_pk=app.pk)
    bands = app.snapshot["bands"]
    ip = min(30, sum(bands[c]["max"] for c in evaluation.IP_ITEMS))
    tech = ip + bands["hte.conversion_score"]["max"] + Decimal(3)  # mean of 0, 2, 4, 6
    fin = bands["hte.growth_net_assets_score"]["min"] + bands["hte.growth_revenue_score"]["min"]
    assert record.panel_score == tech + fin


def test_decision_notice_and_certificate(hte_world):
    w = hte_world
    app, _ = scored_and_aggregated(w)
    act(w["province"], app, "expert_pass")
    with pytest.raises(NotFound):
        act(w["nanjing"], app, "approve")
    act(w["province"], app, "approve")
    notice, result = notice_publish(
        actor=w["province"], programme_code="hte", title="2026年第一批拟认定高新技术企业名单公示",
        starts_on=DAY, working_days=10, items=[(app.pk, fresh(app).version)],
    )  # fmt: skip
    assert result.done == [app.pk]
    objection = objection_record(
        actor=w["province"],
        notice=notice,
        application_id=app.pk,
        filed_by="某公司",
        content="知识产权权属存疑",
    )
    with pytest.raises(GuardFailed):
        act(w["province"], app, "certify")  # the notice is still open
    with at(DAY + timedelta(days=20)):
        with pytest.raises(ValidationFailed):  # an open objection keeps the notice open
            notice_close(actor=w["province"], notice=notice)
        objection_resolve(actor=w["province"], objection=objection, upheld=False, resolution="经核实权属清晰")
        notice_close(actor=w["province"], notice=notice)
        with pytest.raises(GuardFailed) as exc:  # not in a reported list (认定报备)
            act(w["province"], app, "certify", synthetic=True)
        assert "报备" in exc.value.message
        reported(w, app)
        app = act(w["province"], app, "certify", synthetic=True)
        app = fresh(app)
        assert app.phase == "certified" and app.reference_no.startswith("SYN-GR202632")
        record = HteRecord.objects.get(application=app)
        assert record.issued_on == DAY + timedelta(days=20)
        assert record.expires_on == record.issued_on.replace(year=record.issued_on.year + 3) - timedelta(
            days=1
        )
        cert = Certificate.objects.get(enterprise=w["ks"], kind=CertificateKind.HTE)
        assert cert.number == app.reference_no and cert.expires_on == record.expires_on
        w["ks"].refresh_from_db()
        assert w["ks"].hte_valid_until == record.expires_on
        with pytest.raises(ValidationFailed):  # no direct cancellation: a case with its own notice
            act(w["province"], app, "cancel", "发现弄虚作假（32号第十九条）")


def test_upheld_objection_blocks_the_certificate(hte_world):
    w = hte_world
    app, _ = scored_and_aggregated(w)
    act(w["province"], app, "expert_pass")
    act(w["province"], app, "approve")
    notice, _r = notice_publish(
        actor=w["province"], programme_code="hte", title="公示", starts_on=DAY, working_days=10,
        items=[(app.pk, fresh(app).version)],
    )  # fmt: skip
    objection = objection_record(
        actor=w["province"], notice=notice, application_id=app.pk, filed_by="匿名", content="研发费用归集不实"
    )
    with at(DAY + timedelta(days=20)):
        objection_resolve(actor=w["province"], objection=objection, upheld=True, resolution="经核查属实")
        notice_close(actor=w["province"], notice=notice)
        with pytest.raises(GuardFailed):
            act(w["province"], app, "certify")
        act(w["province"], app, "reject", "异议成立")
        assert fresh(app).phase == "rejected"
        assert not Certificate.objects.filter(enterprise=w["ks"]).exists()


def test_panel_below_the_bar_cannot_be_approved(hte_world):
    w = hte_world
    app, draw = drawn(w)
    for m in draw.members:
        kind = services.member_kind(draw, m)
        low = {i["code"]: i["min"] for i in services.items_for(app, kind)}
        services.expert_score(actor=User.objects.get(pk=m), application_pk=app.pk, scores=low)
    record = services.panel_aggregate(actor=User.objects.get(pk=draw.leader_id), application_pk=app.pk)
    act(w["province"], app, "expert_pass")
    assert record.panel_score <= 70  # every item at the bottom of its band
    with pytest.raises(GuardFailed) as exc:
        act(w["province"], app, "approve")
    assert "须高于 70 分" in exc.value.message
    with pytest.raises(NotFound):  # a Nanjing city officer never sees the Suzhou application
        act(w["nanjing"], app, "reject", "x")
    act(w["province"], app, "reject", "创新能力评价得分未超过 70 分")
    assert fresh(app).phase == "rejected"
