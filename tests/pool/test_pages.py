"""The pool's pages and API: scope crossing answers 404; one firm walked from application to admission through
the real pages (Django test client) by the firm, county, city, province officers and three experts."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from gaoqi.programmes.pool import services
from gaoqi.programmes.pool.models import PoolRecord
from gaoqi.workflow.models import Application, PublicNotice
from tests.pool.conftest import at, fresh, submitted

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _ok(res, status=302):
    assert res.status_code == status, res.content.decode()[:500]
    return res


def _messages(res) -> str:
    return " ".join(str(m) for m in res.context["messages"]) if res.context else ""


@pytest.mark.parametrize("who", ["nanjing", "wz_user", "e1", "agency", "wuzhong"])
def test_an_application_outside_scope_is_not_found_on_pages_and_api(pool_world, who):
    w = pool_world
    app = submitted(w)  # Kunshan, Suzhou
    c = _client(w[who])
    assert c.get(f"/programmes/pool/applications/{app.pk}/").status_code == 404
    assert c.get(f"/programmes/applications/{app.pk}/").status_code == 404  # the generic address too
    res = c.post(
        f"/programmes/pool/applications/{app.pk}/act/", {"action": "recommend", "version": app.version}
    )
    assert res.status_code == 404
    assert c.get(f"/api/pool/applications/{app.pk}/evaluation").status_code == 404
    assert c.get(f"/api/applications/{app.pk}").status_code == 404
    res = c.post(
        f"/api/applications/{app.pk}/transitions",
        {"action": "recommend", "version": app.version},
        content_type="application/json",
    )
    assert res.status_code == 404
    assert fresh(app).phase == "submitted"


def test_queues_are_per_region_and_the_menu_has_the_pool(pool_world):
    w = pool_world
    ks, nj = submitted(w, "ks"), submitted(w, "nj")
    page = _client(w["kunshan"]).get("/programmes/pool/queue/").content.decode()
    assert w["ks"].name in page and w["nj"].name not in page and "县级推荐" in page
    res = _client(w["nanjing"]).get("/api/applications", {"programme": "pool", "phase": "submitted"})
    assert [i["id"] for i in res.json()["items"]] == [nj.pk]
    assert _client(w["ks_user"]).get("/programmes/pool/queue/").status_code == 404
    assert _client(w["e1"]).get("/programmes/pool/admissions/").status_code == 404
    inbox = _client(w["kunshan"]).get("/workflow/inbox/").content.decode()
    assert w["ks"].name in inbox
    assert "/programmes/pool/" in _client(w["ks_user"]).get("/").content.decode()
    assert "/programmes/pool/expert/" in _client(w["e1"]).get("/").content.decode()
    assert "/programmes/pool/queue/" in _client(w["suzhou"]).get("/").content.decode()
    # the generic application address (links, e-mails) leads to the pool's page
    res = _client(w["ks_user"]).get(f"/programmes/applications/{ks.pk}/")
    assert res.status_code == 302 and res["Location"] == f"/programmes/pool/applications/{ks.pk}/"


def test_one_firm_from_application_to_admission_through_the_pages(pool_world):
    w = pool_world
    firm = _client(w["ks_user"])
    # the firm: apply (pre-filled), correct a figure, see the live evaluation and gap advice, submit
    assert "填报入库申请" in firm.get("/programmes/pool/").content.decode()
    _ok(firm.post("/programmes/pool/start/"))
    app = Application.objects.get(programme="pool", enterprise=w["ks"])
    page = firm.get(f"/programmes/pool/applications/{app.pk}/").content.decode()
    assert "入库标准实时对照" in page and "符合入库标准" in page and "示例参数" in page
    _ok(
        firm.post(
            f"/programmes/pool/applications/{app.pk}/declaration/",
            {"version": app.version, "employees": "60"},
        )
    )
    app = fresh(app)
    assert app.declared["values"]["employees"] == 60
    _ok(
        firm.post(
            f"/programmes/pool/applications/{app.pk}/act/", {"action": "submit", "version": app.version}
        )
    )
    app = fresh(app)
    assert app.phase == "submitted" and app.snapshot["declared"]["employees"] == 60

    # the county returns it with a reason; the firm sees the remark and the deadline, and resubmits
    county = _client(w["kunshan"])
    _ok(county.post("/programmes/pool/queue/batch/", {"phase": "submitted", "action": "return", "reason": "请补充知识产权证明", "item": f"{app.pk}:{app.version}"}))  # fmt: skip
    page = firm.get(f"/programmes/pool/applications/{fresh(app).pk}/").content.decode()
    assert "请补充知识产权证明" in page and 'data-testid="deadline"' in page
    assert "请补充知识产权证明" in firm.get("/programmes/pool/").content.decode()
    app = fresh(app)
    _ok(
        firm.post(
            f"/programmes/pool/applications/{app.pk}/act/", {"action": "resubmit", "version": app.version}
        )
    )
    # county recommends (batch, one reason), city passes
    app = fresh(app)
    _ok(county.post("/programmes/pool/queue/batch/", {"phase": "submitted", "action": "recommend", "reason": "同意推荐", "item": f"{app.pk}:{app.version}"}))  # fmt: skip
    app = fresh(app)
    assert app.phase == "recommended"
    _ok(_client(w["suzhou"]).post(f"/programmes/pool/applications/{app.pk}/act/", {"action": "pass", "version": app.version}))  # fmt: skip
    app = fresh(app)
    assert app.phase == "expert_review"

    # the province assigns three experts; each scores on their own page
    province = _client(w["province"])
    page = province.get(f"/programmes/pool/applications/{app.pk}/").content.decode()
    assert 'data-testid="assign-form"' in page
    _ok(province.post(f"/programmes/pool/applications/{app.pk}/experts/", {"expert": [w["e1"].pk, w["e2"].pk, w["e3"].pk]}))  # fmt: skip
    for key, points in (("e1", ("28", "26", "18", "16")), ("e2", ("20", "22", "15", "13")), ("e3", ("25", "25", "16", "14"))):  # fmt: skip
        expert = _client(w[key])
        assert w["ks"].name in expert.get("/programmes/pool/expert/").content.decode()
        assert (
            'data-testid="score-form"'
            in expert.get(f"/programmes/pool/expert/applications/{app.pk}/").content.decode()
        )
        scores = dict(zip(("innovation", "rnd", "growth", "ip"), points, strict=True))
        _ok(
            expert.post(
                f"/programmes/pool/expert/applications/{app.pk}/score/", {**scores, "comment": "同意"}
            )
        )
    assert str(PoolRecord.objects.get(application=app).expert_score) == "79.33"  # (88 + 70 + 80) / 3
    page = province.get(f"/programmes/pool/applications/{app.pk}/").content.decode()
    assert 'data-testid="average"' in page and "79.33" in page
    app = fresh(app)
    _ok(
        province.post(
            f"/programmes/pool/applications/{app.pk}/act/", {"action": "expert_pass", "version": app.version}
        )
    )
    app = fresh(app)
    assert app.phase == "reviewed"

    # the notice: published from the queue, closed after its working days, then admission as batch 1
    assert (
        'data-testid="publish-form"'
        in province.get("/programmes/pool/queue/?phase=reviewed").content.decode()
    )
    res = _ok(province.post("/programmes/pool/queue/publish/", {"title": "2026年培育库拟入库企业公示", "starts_on": "2026-04-15", "working_days": "7", "item": f"{app.pk}:{app.version}"}))  # fmt: skip
    notice = PublicNotice.objects.get(programme="pool")
    assert res["Location"] == f"/workflow/notices/{notice.pk}/" and fresh(app).phase == "in_notice"
    with at(notice.ends_on + timedelta(days=1)):
        province = _client(w["province"])  # a new session: the old one expired over the notice's days
        res = _ok(province.post(f"/workflow/notices/{notice.pk}/close/"))
        assert res["Location"] == f"/workflow/notices/{notice.pk}/"
        assert PublicNotice.objects.get(pk=notice.pk).closed_at is not None
        app = fresh(app)
        page = province.get("/programmes/pool/queue/?phase=in_notice").content.decode()
        assert 'name="batch_no"' in page
        _ok(province.post("/programmes/pool/queue/batch/", {"phase": "in_notice", "action": "admit", "batch_no": "1", "item": f"{app.pk}:{app.version}"}))  # fmt: skip
    app = fresh(app)
    assert app.phase == "admitted" and app.reference_no == "PY2026-01-0001"

    # the admission list and its export; the firm sees its admission
    page = province.get("/programmes/pool/admissions/?year=2026&batch=1").content.decode()
    assert "PY2026-01-0001" in page and w["ks"].name in page
    res = province.get("/programmes/pool/admissions/export/?year=2026&batch=1")
    rows = (
        CalamineWorkbook.from_filelike(BytesIO(b"".join(res.streaming_content)))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert rows[0][:4] == ["序号", "入库编号", "统一社会信用代码", "企业名称"]
    assert rows[1][1:4] == ["PY2026-01-0001", w["ks"].credit_code, w["ks"].name]
    assert w["ks"].name not in _client(w["nanjing"]).get("/programmes/pool/admissions/").content.decode()
    page = firm.get(f"/programmes/pool/applications/{app.pk}/").content.decode()
    assert 'data-testid="membership"' in page and "PY2026-01-0001" in page
    assert (
        _client(w["suzhou"]).get("/api/pool/admissions", {"year": 2026}).json()[0]["reference_no"]
        == "PY2026-01-0001"
    )


def test_the_api_mirrors_the_pages(pool_world):
    w = pool_world
    firm = _client(w["wz_user"])
    res = firm.post("/api/pool/applications")
    assert res.status_code == 201
    app = res.json()
    assert app["programme"] == "pool" and app["declared"]["employees"] == 50 and "submit" in app["actions"]
    live = firm.get(f"/api/pool/applications/{app['id']}/evaluation").json()
    assert live["eligible"] is True and live["illustrative"] is True
    res = firm.patch(
        f"/api/pool/applications/{app['id']}/declaration",
        {"version": app["version"], "values": {"tech_staff": "2"}},
        content_type="application/json",
    )
    assert res.status_code == 200
    live = firm.get(f"/api/pool/applications/{app['id']}/evaluation").json()
    assert live["eligible"] is False and any("科技人员" in f for f in live["failed"])
    res = firm.post(
        f"/api/applications/{app['id']}/transitions",
        {"action": "submit", "version": res.json()["version"]},
        content_type="application/json",
    )
    assert res.status_code == 422 and res.json()["extra"]["guards"]
    # an expert cannot be assigned to an application not in expert review; a city officer never assigns
    res = _client(w["province"]).post(
        f"/api/pool/applications/{app['id']}/experts",
        {"expert_ids": [w["e1"].pk]},
        content_type="application/json",
    )
    assert res.status_code == 422
    assert _client(w["e1"]).post("/api/pool/admissions", {"batch_no": 1, "items": []}, content_type="application/json").json() == {"done": [], "refused": []}  # fmt: skip
    assert services.panel_size() == 3


def test_attachments_use_the_core_and_come_back_to_the_pool_page(pool_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    w = pool_world
    firm = _client(w["ks_user"])
    app = services.application_start(actor=w["ks_user"], enterprise=w["ks"])
    pdf = SimpleUploadedFile("审计报告.pdf", b"%PDF-1.4\n%demo\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    res = firm.post(
        f"/programmes/applications/{app.pk}/attachments/", {"kind": "financial", "file": pdf}, follow=True
    )
    assert res.redirect_chain[-1][0] == f"/programmes/pool/applications/{app.pk}/"
    assert "审计报告.pdf" in res.content.decode()
    assert app.attachments.count() == 1
    assert _client(w["nanjing"]).get(f"/programmes/applications/{app.pk}/attachments/{app.attachments.get().pk}/").status_code == 404  # fmt: skip


def test_an_assigned_expert_reads_the_attachments_and_no_one_else(pool_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gaoqi.workflow.attachments import attachment_add
    from tests.pool.conftest import in_expert_review

    w = pool_world
    app = in_expert_review(w)
    att = attachment_add(
        actor=w["kunshan"], application=app, kind="ip", file_name="专利证书.pdf",
        data=SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%%EOF\n").read(),
    )  # fmt: skip
    services.experts_assign(actor=w["province"], application=app, expert_ids=[w["e1"].pk])
    url = f"/programmes/pool/expert/applications/{app.pk}/attachments/{att.pk}/"
    assert (
        "专利证书.pdf"
        in _client(w["e1"]).get(f"/programmes/pool/expert/applications/{app.pk}/").content.decode()
    )
    assert _client(w["e1"]).get(url).status_code == 200
    for who in ("e2", "province", "ks_user"):
        assert _client(w[who]).get(url).status_code == 404


def test_the_exits_page_lists_ended_periods_and_exits_them(pool_world):
    from gaoqi.programmes.pool.models import PoolRecord
    from tests.pool.test_flow import _admitted

    w = pool_world
    _day, (ks,) = _admitted(w, ("ks",))
    ends = PoolRecord.objects.get(application=ks).ends_on
    with at(ends + timedelta(days=1)):
        province = _client(w["province"])
        page = province.get("/programmes/pool/exits/").content.decode()
        assert 'data-testid="due"' in page and w["ks"].name in page
        assert w["ks"].name not in _client(w["nanjing"]).get("/programmes/pool/exits/").content.decode()
        ks = fresh(ks)
        _ok(province.post("/programmes/pool/exits/expire/", {"item": f"{ks.pk}:{ks.version}"}))
        page = province.get("/programmes/pool/exits/").content.decode()
        assert 'data-testid="exited"' in page and "培育期满" in page
    assert fresh(ks).phase == "exited_expired"
    exits = _client(w["suzhou"]).get("/api/pool/exits").json()
    assert [(e["application_id"], e["exit_reason"]) for e in exits] == [(ks.pk, "period_ended")]
