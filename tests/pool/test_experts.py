"""The province's expert review: conflicts of interest refused, an expert sees only their own assignments
(404 otherwise, page and API) and never another expert's score, the average once all have scored."""

from decimal import Decimal

import pytest
from django.test import Client

from gaoqi.accounts.scope import get_assignment_for_expert, scope_expert_assignments
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.experts.models import ExpertAssignment, ExpertProfile
from gaoqi.experts.services import profile_set
from gaoqi.programmes.pool import services
from gaoqi.programmes.pool.models import PoolRecord
from gaoqi.workflow.errors import GuardFailed
from gaoqi.workflow.models import Notification
from tests.pool.conftest import act, fresh, in_expert_review, submitted

pytestmark = pytest.mark.django_db
POINTS = {"innovation": 25, "rnd": 24.5, "growth": 15, "ip": 10}  # 74.5


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _assign(w, app, *keys):
    return services.experts_assign(actor=w["province"], application=app, expert_ids=[w[k].pk for k in keys])


def test_an_expert_with_a_conflict_cannot_be_assigned(pool_world):
    w = pool_world
    app = in_expert_review(w)
    profile_set(
        actor=w["province"], expert=w["e1"], employer_name="某大学", employer_credit_code=w["ks"].credit_code
    )
    with pytest.raises(ValidationFailed) as exc:
        _assign(w, app, "e1", "e2", "e3")
    assert "回避" in exc.value.message and str(w["e1"]) in exc.value.message
    assert not ExpertAssignment.objects.exists()  # refused as a whole
    profile_set(actor=w["province"], expert=w["e2"], employer_name=w["ks"].name)  # the employer by name
    profile_set(actor=w["province"], expert=w["e3"], conflicts=[w["ks"].credit_code.lower()])  # declared list
    for key in ("e2", "e3"):
        with pytest.raises(ValidationFailed, match="回避"):
            _assign(w, app, key)
    assert ExpertProfile.objects.get(user=w["e3"]).conflict_credit_codes == [w["ks"].credit_code]
    _assign(w, app, "e4")  # no conflict
    assert list(ExpertAssignment.objects.values_list("expert_id", flat=True)) == [w["e4"].pk]


def test_only_a_province_officer_assigns_in_expert_review_and_the_panel_has_n(pool_world):
    w = pool_world
    app = submitted(w)
    with pytest.raises(ValidationFailed):  # not yet in expert review
        _assign(w, app, "e1")
    app = in_expert_review(w, "wz")
    with pytest.raises(PermissionDenied):
        services.experts_assign(actor=w["suzhou"], application=app, expert_ids=[w["e1"].pk])
    with pytest.raises(NotFound):
        services.experts_assign(actor=w["wuzhong"], application=submitted(w, "nj"), expert_ids=[w["e1"].pk])
    with pytest.raises(ValidationFailed, match="3 名专家"):
        _assign(w, app, "e1", "e2", "e3", "e4")
    _assign(w, app, "e1", "e2")
    with pytest.raises(ValidationFailed, match="已指派"):
        _assign(w, app, "e1")
    _assign(w, app, "e3")
    assert Notification.objects.filter(user=w["e3"], application=app).count() == 1
    assert AuditEvent.objects.filter(target_type="experts.expertassignment").count() == 3


def test_an_expert_sees_only_own_assignments_page_and_api(pool_world):
    w = pool_world
    ks, wz = in_expert_review(w, "ks"), in_expert_review(w, "wz")
    _assign(w, ks, "e1")
    _assign(w, wz, "e2")
    assert [a.application_id for a in scope_expert_assignments(w["e1"])] == [ks.pk]
    with pytest.raises(NotFound):
        get_assignment_for_expert(w["e1"], wz.pk)
    c = _client(w["e1"])
    assert c.get(f"/programmes/pool/expert/applications/{ks.pk}/").status_code == 200
    page = c.get("/programmes/pool/expert/").content.decode()
    assert w["ks"].name in page and w["wz"].name not in page
    for pk in (wz.pk, 99999999):
        assert c.get(f"/programmes/pool/expert/applications/{pk}/").status_code == 404
        assert c.post(f"/programmes/pool/expert/applications/{pk}/score/", POINTS).status_code == 404
        assert c.get(f"/api/pool/expert/applications/{pk}").status_code == 404
        res = c.post(
            f"/api/pool/expert/applications/{pk}/scores", {"scores": POINTS}, content_type="application/json"
        )
        assert res.status_code == 404
    assert [a["application_id"] for a in c.get("/api/pool/expert/assignments").json()] == [ks.pk]
    # the application's own pages and the core's API are not an expert's
    assert c.get(f"/programmes/pool/applications/{ks.pk}/").status_code == 404
    assert c.get(f"/api/applications/{ks.pk}").status_code == 404
    # an officer or a firm has no expert assignment to open
    for who in ("province", "ks_user"):
        assert _client(w[who]).get(f"/api/pool/expert/applications/{ks.pk}").status_code == 404
        assert _client(w[who]).get(f"/programmes/pool/expert/applications/{ks.pk}/").status_code == 404


def test_scores_are_independent_until_all_have_scored_then_the_average(pool_world):
    w = pool_world
    app = in_expert_review(w)
    _assign(w, app, "e1", "e2", "e3")
    services.expert_score(actor=w["e1"], application_pk=app.pk, scores=POINTS, comment="创新性较强")
    # e2 sees neither e1's score nor an average, on the page or in the API
    c2 = _client(w["e2"])
    page = c2.get(f"/programmes/pool/expert/applications/{app.pk}/").content.decode()
    assert "74.5" not in page and "创新性较强" not in page and 'data-testid="panel-average"' not in page
    mine = c2.get(f"/api/pool/expert/applications/{app.pk}").json()
    assert mine["total"] is None and mine["scores"] == {} and mine["panel_average"] is None
    # the province officer sees who has scored, not the score, before the panel is complete
    panel = _client(w["province"]).get(f"/api/pool/applications/{app.pk}/panel").json()
    assert (panel["assigned"], panel["scored"], panel["complete"], panel["average"]) == (3, 1, False, None)
    assert [m["total"] for m in panel["members"]] == [None, None, None]
    assert _client(w["suzhou"]).get(f"/api/pool/applications/{app.pk}/panel").status_code == 403
    assert _client(w["e1"]).get(f"/api/pool/applications/{app.pk}/panel").status_code == 404
    with pytest.raises(GuardFailed, match="评分未完成"):
        act(w["province"], app, "expert_pass")

    services.expert_score(actor=w["e2"], application_pk=app.pk, scores={**POINTS, "ip": 20})  # 84.5
    services.expert_score(actor=w["e3"], application_pk=app.pk, scores={k: 10 for k in POINTS})  # 40
    assert PoolRecord.objects.get(application=app).expert_score == Decimal("66.33")  # 199 / 3
    mine = c2.get(f"/api/pool/expert/applications/{app.pk}").json()
    assert Decimal(str(mine["panel_average"])) == Decimal("66.33") and Decimal(str(mine["total"])) == Decimal(
        "84.5"
    )
    assert "74.5" not in c2.get(f"/programmes/pool/expert/applications/{app.pk}/").content.decode()
    panel = _client(w["province"]).get(f"/api/pool/applications/{app.pk}/panel").json()
    assert sorted(Decimal(str(m["total"])) for m in panel["members"]) == [
        40,
        Decimal("74.5"),
        Decimal("84.5"),
    ]
    act(w["province"], app, "expert_pass")
    assert fresh(app).phase == "reviewed"


def test_score_validation_and_no_second_score(pool_world):
    w = pool_world
    app = in_expert_review(w)
    _assign(w, app, "e1")
    with pytest.raises(ValidationFailed) as exc:
        services.expert_score(actor=w["e1"], application_pk=app.pk, scores={**POINTS, "growth": 21})
    assert exc.value.extra["errors"][0]["field"] == "growth"
    with pytest.raises(ValidationFailed):
        services.expert_score(actor=w["e1"], application_pk=app.pk, scores={**POINTS, "rnd": 10.3})
    with pytest.raises(ValidationFailed):
        services.expert_score(actor=w["e1"], application_pk=app.pk, scores={"innovation": 5})
    services.expert_score(actor=w["e1"], application_pk=app.pk, scores=POINTS)
    with pytest.raises(ValidationFailed, match="不能修改"):
        services.expert_score(actor=w["e1"], application_pk=app.pk, scores=POINTS)
    a = ExpertAssignment.objects.get()
    assert a.total == Decimal("74.5") and [i["code"] for i in a.items] == [
        "innovation",
        "rnd",
        "growth",
        "ip",
    ]


def test_scope_functions_cross_role_and_region(pool_world):
    from gaoqi.accounts.scope import can_assign_experts, scope_pool_records

    w = pool_world
    ks = in_expert_review(w, "ks")
    _assign(w, ks, "e1")
    for who in ("suzhou", "kunshan", "ks_user", "agency", "e2"):
        assert not scope_expert_assignments(w[who]).exists()
    assert scope_expert_assignments(w["province"]).count() == 1
    assert not can_assign_experts(w["suzhou"], ks) and not can_assign_experts(w["suzhou"], ks).hidden
    assert can_assign_experts(w["nanjing"], ks).hidden and can_assign_experts(w["e1"], ks).hidden
    assert [r.application_id for r in scope_pool_records(w["ks_user"])] == [ks.pk]
    for who in ("nanjing", "wz_user", "e1", "agency"):
        assert not scope_pool_records(w[who]).exists()
