"""R&D institutions: scope, audit, coverage on a hand-built world, the engine's grades, ranking, import."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import get_rnd_institution_for_actor
from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.policy import RndInstitutionFacts, evaluate, load_policy
from gaoqi.rnd import selectors, services
from gaoqi.rnd.models import InstitutionPerformance, RndActionTag, RndInstitution
from tests import factories
from tests.htmx import list_after_load

pytestmark = pytest.mark.django_db


# --- scope -----------------------------------------------------------------------------------------------------


def test_suzhou_officer_never_sees_a_nanjing_institution(coverage_world):
    w = coverage_world
    names = set(selectors.institutions(actor=w["suzhou"]).values_list("name", flat=True))
    assert names == {"昆山甲企业技术中心", "昆山乙工程技术研究中心", "吴中甲重点实验室"}
    with pytest.raises(NotFound):
        get_rnd_institution_for_actor(w["suzhou"], w["inst_nj_a"].pk)
    # the same answer as for an id that does not exist
    with pytest.raises(NotFound):
        get_rnd_institution_for_actor(w["suzhou"], 10**9)


def test_county_officer_sees_only_its_county(coverage_world):
    w = coverage_world
    names = set(selectors.institutions(actor=w["kunshan"]).values_list("name", flat=True))
    assert names == {"昆山甲企业技术中心", "昆山乙工程技术研究中心"}
    province = set(selectors.institutions(actor=w["province"]).values_list("name", flat=True))
    assert len(province) == 4


def test_firm_and_expert_see_nothing_beyond_their_own(coverage_world):
    w = coverage_world
    assert not selectors.institutions(actor=w["expert"]).exists()
    user = factories.enterprise_user(w["ks_a"])
    assert list(selectors.institutions(actor=user).values_list("name", flat=True)) == ["昆山甲企业技术中心"]


def test_suzhou_officer_cannot_register_an_institution_in_nanjing(coverage_world):
    w = coverage_world
    with pytest.raises(NotFound):
        services.institution_create(
            actor=w["suzhou"],
            enterprise=w["nj_b"],
            name="越权中心",
            kind="key_lab",
            level="city",
            recognized_on=date(2024, 1, 1),
        )
    user = factories.enterprise_user(w["nj_b"])
    with pytest.raises(PermissionDenied):
        services.institution_create(
            actor=user,
            enterprise=w["nj_b"],
            name="自报中心",
            kind="key_lab",
            level="city",
            recognized_on=date(2024, 1, 1),
        )
    assert not RndInstitution.objects.filter(name__in=["越权中心", "自报中心"]).exists()


def test_pages_answer_404_across_regions(client, coverage_world):
    w = coverage_world
    client.force_login(w["suzhou"])
    assert client.get(f"/rnd/{w['inst_ks_a'].pk}/").status_code == 200
    assert client.get(f"/rnd/{w['inst_nj_a'].pk}/").status_code == 404
    assert client.get("/rnd/coverage/?region=320100").status_code == 404
    assert client.get("/rnd/coverage/missing/?region=320100").status_code == 404
    assert client.get("/rnd/coverage/missing/?region=320000", HTTP_HX_REQUEST="true").status_code == 404
    res = client.get("/rnd/")
    assert res.status_code == 200
    body = res.content.decode()
    assert "昆山甲企业技术中心" in body and "江宁甲工程技术研究中心" not in body
    assert client.get(f"/api/rnd/institutions/{w['inst_nj_a'].pk}").status_code == 404
    assert client.get("/api/rnd/coverage?region=320100").status_code == 404
    client.force_login(factories.enterprise_user(w["ks_a"]))
    assert client.get(f"/rnd/{w['inst_ks_a'].pk}/").status_code == 404  # officer pages only


# --- audit -----------------------------------------------------------------------------------------------------


def test_create_and_status_change_are_audited(coverage_world):
    w = coverage_world
    inst = w["inst_ks_a"]
    created = AuditEvent.objects.get(
        target_type="rnd.rndinstitution", target_id=str(inst.pk), action="create"
    )
    assert created.new["name"] == "昆山甲企业技术中心" and created.enterprise_id == w["ks_a"].pk
    with pytest.raises(ValidationFailed) as exc:
        services.institution_set_status(
            actor=w["suzhou"], institution=inst, status="revoked", ended_on=None, reason="x"
        )
    assert {e["field"] for e in exc.value.errors} == {"ended_on"}
    with pytest.raises(ValidationFailed) as exc:
        services.institution_set_status(
            actor=w["suzhou"], institution=inst, status="revoked", ended_on=timezone.localdate(), reason=""
        )
    assert {e["field"] for e in exc.value.errors} == {"reason"}
    services.institution_set_status(
        actor=w["suzhou"],
        institution=inst,
        status="revoked",
        ended_on=timezone.localdate(),
        reason="年度考核不合格",
    )
    event = AuditEvent.objects.get(target_id=str(inst.pk), target_type="rnd.rndinstitution", action="update")
    assert event.actor_id == w["suzhou"].pk
    assert event.old["status"] == "valid" and event.new["status"] == "revoked"
    assert event.reason == "年度考核不合格"


def test_action_tag_set_change_remove_audited(coverage_world):
    w = coverage_world
    firm = w["ks_c"]
    services.action_tag_set(actor=w["kunshan"], enterprise=firm, tier="thousand_pilot", year=2024)
    services.action_tag_set(
        actor=w["kunshan"], enterprise=firm, tier="thousand_pilot", year=2024
    )  # no change
    services.action_tag_set(actor=w["kunshan"], enterprise=firm, tier="hundred_demo", year=2025)
    assert RndActionTag.objects.get(enterprise=firm).tier == "hundred_demo"
    services.action_tag_set(actor=w["kunshan"], enterprise=firm, tier=None)
    assert not RndActionTag.objects.filter(enterprise=firm).exists()
    actions = list(
        AuditEvent.objects.filter(target_type="rnd.rndactiontag", enterprise=firm)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]
    with pytest.raises(NotFound):
        services.action_tag_set(actor=w["nanjing"], enterprise=firm, tier="hundred_demo")


# --- coverage --------------------------------------------------------------------------------------------------


def test_coverage_counts_on_the_hand_built_world(coverage_world):
    w = coverage_world
    today = timezone.localdate()
    cov = selectors.coverage(actor=w["province"], as_of=today)
    by_city = {r.region.code: r for r in cov.rows}
    assert len(cov.rows) == 13
    # Suzhou: ks_a (valid inst), ks_b (revoked), ks_c (none), wz_a (valid); ks_old expired, ks_small below scale
    assert (by_city["320500"].total, by_city["320500"].covered, by_city["320500"].missing) == (4, 2, 2)
    assert str(by_city["320500"].rate) == "50.0"
    assert (by_city["320100"].total, by_city["320100"].covered) == (2, 1)
    assert by_city["320200"].total == 0 and by_city["320200"].rate is None
    assert (cov.total.total, cov.total.covered) == (6, 3)
    # Drill down: Suzhou by county
    city = selectors.coverage(actor=w["suzhou"], as_of=today, region_code="320500")
    by_county = {r.region.code: r for r in city.rows}
    assert (by_county["320583"].total, by_county["320583"].covered) == (3, 1)
    assert (by_county["320506"].total, by_county["320506"].covered) == (1, 1)
    missing = selectors.missing_firms(actor=w["suzhou"], as_of=today, region_code="320500")
    assert {e.name for e in missing.object_list} == {"昆山乙", "昆山丙"}


def test_coverage_as_of_a_past_date(coverage_world):
    """Before the revocation ks_b's institution counted; before the recognitions nothing did."""
    w = coverage_world
    before_revocation = w["recognized"] - timedelta(days=1)
    cov = selectors.coverage(actor=w["kunshan"], as_of=before_revocation, region_code="320583")
    assert (cov.total.total, cov.total.covered) == (3, 1)  # ks_b's only: ks_a's not yet recognised
    assert cov.rows == []  # a county has no children


def test_coverage_tags_counted(coverage_world):
    w = coverage_world
    services.action_tag_set(actor=w["province"], enterprise=w["ks_c"], tier="ten_thousand_action", year=2024)
    services.action_tag_set(actor=w["province"], enterprise=w["nj_b"], tier="hundred_demo", year=2024)
    cov = selectors.coverage(actor=w["suzhou"], as_of=timezone.localdate(), region_code="320500")
    assert cov.total.tags == {"hundred_demo": 0, "thousand_pilot": 0, "ten_thousand_action": 1}


def test_coverage_page_and_api(client, coverage_world):
    w = coverage_world
    client.force_login(w["suzhou"])
    res = client.get("/rnd/coverage/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "昆山丙" not in html  # the table first; the list is loaded after the page
    missing = list_after_load(client, html)
    assert "昆山丙" in missing and "江宁乙" not in missing and "<html" not in missing
    page = client.get("/rnd/coverage/missing/").content.decode()  # without script: a page of its own
    assert "<html" in page and "昆山丙" in page and 'href="/rnd/coverage/?region=320500&amp;as_of=' in page
    data = client.get("/api/rnd/coverage").json()
    assert data["total"]["above_scale_htes"] == 4 and data["total"]["without_institution"] == 2
    res = client.get("/rnd/coverage/missing.xlsx")
    assert res.status_code == 200 and res["Content-Disposition"].endswith('.xlsx"')


# --- performance evaluation (the engine) ------------------------------------------------------------------------

INPUTS = dict(
    rnd_spend=4_000_000,
    revenue=100_000_000,
    rnd_staff=30,
    employees=200,
    invention_patents=2,
    other_ip=3,
    key_breakthroughs=1,
)


def test_performance_grade_comes_from_the_engine(coverage_world):
    w = coverage_world
    year = timezone.localdate().year - 1
    inst = w["inst_ks_a"]
    inst.recognized_on = date(year, 1, 1)  # valid during the year evaluated
    inst.save()
    row = services.performance_record(actor=w["suzhou"], institution=inst, year=year, **INPUTS)
    policy = load_policy("rnd_institution", date(year, 12, 31))
    ev = evaluate(RndInstitutionFacts(institution_id=str(inst.pk), **INPUTS), policy, date(year, 12, 31))
    assert row.grade == ev.to_dict()["grade"] == "良好"
    assert row.total == 82 and row.outcome == "pass" and row.grade_rank == 3
    assert row.param_hash == policy.param_hash
    assert {c["id"] for c in row.criteria} >= {"rnd_institution.funding", "rnd_institution.total"}
    # the same inputs again: no new event; a change: audited old -> new
    services.performance_record(actor=w["suzhou"], institution=inst, year=year, **INPUTS)
    services.performance_record(
        actor=w["suzhou"], institution=inst, year=year, **(INPUTS | {"key_breakthroughs": 3})
    )
    events = AuditEvent.objects.filter(target_type="rnd.institutionperformance", target_id=str(row.pk))
    assert sorted(events.values_list("action", flat=True)) == ["create", "update"]
    update = events.get(action="update")
    assert update.old == {"key_breakthroughs": 1, "grade": "良好"} and update.new["key_breakthroughs"] == 3
    assert InstitutionPerformance.objects.get(pk=row.pk).total == 88  # 0.3*85+0.2*85+0.3*85+0.2*100


def test_performance_rejects_bad_inputs_and_non_provincial(coverage_world):
    w = coverage_world
    year = timezone.localdate().year - 1
    inst = w["inst_ks_a"]
    inst.recognized_on = date(year, 1, 1)
    inst.save()
    with pytest.raises(ValidationFailed) as exc:
        services.performance_record(
            actor=w["suzhou"], institution=inst, year=year, **(INPUTS | {"rnd_staff": 300})
        )
    assert "研发人员数不能超过职工总数" in exc.value.errors[0]["reason"]
    with pytest.raises(ValidationFailed) as exc:
        services.performance_record(actor=w["suzhou"], institution=w["inst_wz_a"], year=year, **INPUTS)
    assert exc.value.errors[0]["field"] == "institution"
    with pytest.raises(NotFound):
        services.performance_record(actor=w["suzhou"], institution=w["inst_nj_a"], year=year, **INPUTS)
    assert not InstitutionPerformance.objects.exists()


def test_ranking_order_ties_and_scope(coverage_world):
    w = coverage_world
    p = w["province"]
    year = timezone.localdate().year - 1
    insts = []
    for i, firm in enumerate((w["ks_c"], w["wz_a"], w["nj_b"])):
        insts.append(
            services.institution_create(
                actor=p,
                enterprise=firm,
                name=f"省级中心{i}",
                kind="key_lab",
                level="provincial",
                recognized_on=date(year - 1, 6, 1),
            )
        )
    low = INPUTS | {"key_breakthroughs": 0, "invention_patents": 0, "other_ip": 0}  # 0.3*85+0.2*85 = 42.5
    services.performance_record(actor=p, institution=insts[0], year=year, **INPUTS)  # 82
    services.performance_record(actor=p, institution=insts[1], year=year, **low)  # 42.5
    services.performance_record(actor=p, institution=insts[2], year=year, **INPUTS)  # 82 (Nanjing)
    rows = selectors.ranking(actor=p, year=year)
    assert [(r.rank, r.performance.institution.name) for r in rows] == [
        (1, "省级中心0"),
        (1, "省级中心2"),
        (3, "省级中心1"),
    ]
    assert rows[2].performance.grade == "不合格" and str(rows[2].performance.total) == "42.50"
    suzhou = selectors.ranking(actor=w["suzhou"], year=year)
    assert [r.performance.institution.name for r in suzhou] == ["省级中心0", "省级中心1"]


def test_ranking_export_is_xlsx(client, coverage_world):
    from python_calamine import CalamineWorkbook

    w = coverage_world
    year = timezone.localdate().year - 1
    inst = services.institution_create(
        actor=w["province"],
        enterprise=w["ks_c"],
        name="省级中心",
        kind="key_lab",
        level="provincial",
        recognized_on=date(year - 1, 6, 1),
    )
    services.performance_record(actor=w["province"], institution=inst, year=year, **INPUTS)
    client.force_login(w["suzhou"])
    res = client.get(f"/rnd/evaluation/export.xlsx?year={year}")
    assert res.status_code == 200
    data = b"".join(res.streaming_content)
    book = CalamineWorkbook.from_filelike(__import__("io").BytesIO(data))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[2][0] == "排名" and rows[3][1] == "省级中心" and rows[3][-2] == "良好"
    page = client.get(f"/rnd/evaluation/?year={year}")
    assert "省级中心" in page.content.decode()


def test_officer_roles_only_for_pages(client, coverage_world):
    w = coverage_world
    for role in ("expert", "agency"):
        client.force_login(w[role])
        assert client.get("/rnd/").status_code == 404
    assert Role.EXPERT == w["expert"].role


def test_coverage_query_count_does_not_grow_with_regions(coverage_world, django_assert_num_queries):
    w = coverage_world
    # region, children, the KPI snapshot of the day (none here), grouped counts, grouped tags
    with django_assert_num_queries(5):
        selectors.coverage(actor=w["province"], as_of=timezone.localdate())


def test_new_institution_page_and_performance_form(client, coverage_world):
    w = coverage_world
    client.force_login(w["suzhou"])
    base = {"name": "新中心", "kind": "key_lab", "level": "provincial", "recognized_on": "2023-03-01"}
    res = client.post("/rnd/new/", base | {"credit_code": w["nj_b"].credit_code})
    assert res.status_code == 422 and "企业未登记或不在您的管辖范围内" in res.content.decode()
    res = client.post("/rnd/new/", base | {"credit_code": w["ks_c"].credit_code})
    inst = RndInstitution.objects.get(name="新中心")
    assert res.status_code == 302 and res["Location"] == f"/rnd/{inst.pk}/"
    year = timezone.localdate().year - 1
    form = {k: str(v) for k, v in INPUTS.items()} | {"year": str(year)}
    res = client.post(f"/rnd/{inst.pk}/performance/", form)
    assert res.status_code == 302
    assert InstitutionPerformance.objects.get(institution=inst, year=year).grade == "良好"
    res = client.post(f"/rnd/{inst.pk}/performance/", form | {"rnd_staff": "900"})
    assert res.status_code == 422 and "研发人员数不能超过职工总数" in res.content.decode()
    assert client.post(f"/rnd/{w['inst_nj_a'].pk}/performance/", form).status_code == 404


def test_api_create_and_evaluate(client, coverage_world):
    w = coverage_world
    client.force_login(w["suzhou"])
    payload = {
        "credit_code": w["ks_c"].credit_code,
        "name": "接口中心",
        "kind": "key_lab",
        "level": "provincial",
        "recognized_on": "2023-03-01",
    }
    res = client.post("/api/rnd/institutions", payload, content_type="application/json")
    assert res.status_code == 201, res.content
    pk = res.json()["id"]
    res = client.post(
        "/api/rnd/institutions",
        payload | {"credit_code": w["nj_b"].credit_code},
        content_type="application/json",
    )
    assert res.status_code == 404
    year = timezone.localdate().year - 1
    res = client.put(
        f"/api/rnd/institutions/{pk}/performance", INPUTS | {"year": year}, content_type="application/json"
    )
    assert res.status_code == 200 and res.json()["grade"] == "良好" and res.json()["total"] == "82.00"
    ranking = client.get(f"/api/rnd/evaluations/{year}").json()
    assert [(r["rank"], r["institution"]) for r in ranking] == [(1, "接口中心")]
    items = client.get("/api/rnd/institutions?level=provincial").json()["items"]
    assert {i["name"] for i in items} == {"接口中心", "昆山甲企业技术中心"}
