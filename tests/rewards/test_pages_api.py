"""Reward pages, API and the finance bureau's workbook (read back with python-calamine)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from python_calamine import CalamineWorkbook

from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.rewards import services
from gaoqi.rewards.models import Entitlement, EntitlementStatus
from tests.rewards.test_rewards import Y, compute, ents, pool, region, rewarded  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def get(client, user, url, **params):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url, params)


@pytest.fixture
def open_suzhou(rewarded):  # noqa: F811
    compute(rewarded, "suzhou", "320500")
    compute(rewarded, "nanjing", "320100")
    return rewarded


# --- pages -------------------------------------------------------------------------------------------------


def test_officer_list_and_batch_approve_with_one_reason(client, open_suzhou):
    w = open_suzhou
    services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=10**9)
    res = get(client, w["suzhou"], "/rewards/", year=Y)
    html = res.content.decode()
    assert res.status_code == 200 and "奖励兑现" in html and w["ks"].name in html
    assert w["nj"].name not in html  # a Nanjing firm never shows in Suzhou
    ids = [str(e.pk) for e in ents("320500")]
    res = client.post("/rewards/decide/", {"ids": ids, "action": "approve", "reason": "经局务会研究同意"})
    assert res.status_code == 302
    assert set(ents("320500").values_list("status", flat=True)) == {EntitlementStatus.APPROVED}
    reasons = set(
        AuditEvent.objects.filter(action=AuditAction.DECISION, target_type="rewards.entitlement").values_list(
            "reason", flat=True
        )
    )
    assert reasons == {"经局务会研究同意"}


def test_batch_approval_beyond_the_budget_shows_the_figures_and_approves_nothing(client, open_suzhou):
    w = open_suzhou
    client.force_login(w["suzhou"])
    ids = [str(e.pk) for e in ents("320500")]
    res = client.post("/rewards/decide/", {"ids": ids, "action": "approve", "reason": "同意"}, follow=True)
    assert "超出预算" in res.content.decode() and "剩余 0.0 元" in res.content.decode()
    assert set(ents("320500").values_list("status", flat=True)) == {EntitlementStatus.COMPUTED}
    res = client.post(
        "/rewards/decide/",
        {"ids": ids, "action": "approve", "reason": "追加预算前先行批准", "over_commit": "1"},
    )
    assert set(ents("320500").values_list("over_commitment", flat=True)) == {True}


def test_a_nanjing_entitlement_answers_404_to_suzhou(client, open_suzhou):
    w = open_suzhou
    nj = ents("320100").get()
    assert get(client, w["suzhou"], f"/rewards/{nj.pk}/").status_code == 404
    assert get(client, w["suzhou"], "/rewards/999999/").status_code == 404
    res = client.post(
        "/rewards/decide/", {"ids": [nj.pk], "action": "approve", "reason": "x", "over_commit": "1"}
    )
    assert res.status_code == 404 and ents("320100").get().status == EntitlementStatus.COMPUTED
    assert get(client, w["nanjing"], f"/rewards/{nj.pk}/").status_code == 200


def test_detail_explains_and_records_a_payout(client, open_suzhou):
    w = open_suzhou
    e = ents("320500", kind="first_certification").get()
    services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=10**9)
    services.entitlements_approve(actor=w["suzhou"], ids=[e.pk], reason="同意")
    res = get(client, w["suzhou"], f"/rewards/{e.pk}/")
    html = res.content.decode()
    assert "首次认定奖励" in html and "示例参数" in html and "first_certification.amount" in html
    res = client.post(
        f"/rewards/{e.pk}/payout/",
        {"paid_on": date.today().isoformat(), "amount": "100,000.00", "voucher_no": "SZ-2025-001"},
    )
    assert res.status_code == 302 and Entitlement.objects.get(pk=e.pk).status == EntitlementStatus.PAID


def test_firm_sees_only_its_own_rewards_and_no_officer_page(client, open_suzhou):
    w = open_suzhou
    html = get(client, w["ks_user"], "/rewards/").content.decode()
    assert "我的奖励" in html and "首次认定奖励" in html
    assert get(client, w["ks_user"], "/rewards/budgets/").status_code == 404
    assert get(client, w["ks_user"], f"/rewards/{ents('320500').first().pk}/").status_code == 404
    assert get(client, w["ks_user"], "/rewards/export.xlsx").status_code == 404
    assert get(client, w["expert"], "/rewards/").status_code == 404
    assert get(client, w["agency"], "/rewards/").status_code == 404


def test_budget_page_sets_the_own_budget_only(client, world):
    res = get(client, world["suzhou"], "/rewards/budgets/", year=Y)
    assert res.status_code == 200
    client.post("/rewards/budgets/save/", {"issuer": "320500", "year": Y, "amount": "1,500,000.50"})
    client.post("/rewards/budgets/save/", {"issuer": "320000", "year": Y, "amount": "9"})
    from gaoqi.rewards.models import Budget

    assert list(Budget.objects.values_list("issuer_id", "amount")) == [("320500", 150_000_050)]


def test_menu_entry(client, world):
    assert "奖励兑现" in get(client, world["suzhou"], "/").content.decode()


# --- export ------------------------------------------------------------------------------------------------


def test_export_workbook_lists_the_entitlements_and_payouts_in_scope(client, open_suzhou):
    w = open_suzhou
    compute(w, "province", "320000")
    services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=10**9)
    first = ents("320500", kind="first_certification").get()
    services.entitlements_approve(actor=w["suzhou"], ids=[first.pk], reason="同意")
    services.payout_record(
        actor=w["suzhou"],
        entitlement_id=first.pk,
        paid_on=date.today(),
        amount=first.amount,
        voucher_no="V-9",
    )
    res = get(client, w["suzhou"], "/rewards/export.xlsx", year=Y)
    assert res.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(res.streaming_content)))
    assert book.sheet_names == ["奖励核定", "拨付记录"]
    rows = book.get_sheet_by_name("奖励核定").to_python()
    head, body, total = rows[0], rows[1:-1], rows[-1]
    assert head[1] == "统一社会信用代码" and head[8] == "金额（元）"
    # Suzhou's two and the province's two for the Kunshan firm; Nanjing's never
    assert len(body) == 4 and {r[1] for r in body} == {w["ks"].credit_code}
    by = {(r[5], r[7]): r for r in body}
    assert by[("苏州市", "首次认定奖励")][8] == 100_000.0 and by[("苏州市", "首次认定奖励")][9] == "已兑现"
    assert by[("苏州市", "培育奖励")][8] == 50_000.0 and by[("苏州市", "培育奖励")][9] == "待审核"
    assert "5%" in by[("苏州市", "培育奖励")][13] and "示例参数" in by[("苏州市", "培育奖励")][14]
    assert total[7] == "合计" and total[8] == sum(r[8] for r in body)
    pay = book.get_sheet_by_name("拨付记录").to_python()
    assert pay[1][1] == w["ks"].credit_code and pay[1][6] == 100_000.0 and pay[1][8] == "V-9"
    assert pay[-1][6] == 100_000.0


# --- API ---------------------------------------------------------------------------------------------------


def test_api_lists_in_scope_and_decides_with_the_same_rules(client, open_suzhou):
    w = open_suzhou
    res = get(client, w["suzhou"], "/api/rewards/entitlements", year=Y)
    assert res.status_code == 200
    items = res.json()
    assert {i["credit_code"] for i in items} == {w["ks"].credit_code}
    ids = [i["id"] for i in items]
    res = client.post(
        "/api/rewards/entitlements/approve", {"ids": ids, "reason": "同意"}, content_type="application/json"
    )
    assert res.status_code == 422 and "over_commit" in str(res.json()["extra"])
    res = client.put(
        f"/api/rewards/budgets/320500/{Y}", {"amount_fen": 150_000_00}, content_type="application/json"
    )
    assert res.status_code == 200 and res.json()["remaining_fen"] == 150_000_00
    stale = {str(i["id"]): i["version"] + 1 for i in items}
    res = client.post(
        "/api/rewards/entitlements/approve",
        {"ids": ids, "reason": "同意", "versions": stale},
        content_type="application/json",
    )
    assert res.status_code == 409
    res = client.post(
        "/api/rewards/entitlements/approve", {"ids": ids, "reason": "同意"}, content_type="application/json"
    )
    assert res.status_code == 200 and {i["status"] for i in res.json()} == {"approved"}
    budgets = {b["issuer"]: b for b in get(client, w["suzhou"], "/api/rewards/budgets", year=Y).json()}
    assert budgets["320500"]["remaining_fen"] == 0


def test_api_scope_crossing(client, open_suzhou):
    w = open_suzhou
    nj = ents("320100").get()
    client.force_login(w["suzhou"])
    assert client.get(f"/api/rewards/entitlements/{nj.pk}").status_code == 404
    res = client.post(
        "/api/rewards/entitlements/approve", {"ids": [nj.pk], "reason": "x"}, content_type="application/json"
    )
    assert res.status_code == 404
    res = client.put(f"/api/rewards/budgets/320000/{Y}", {"amount_fen": 1}, content_type="application/json")
    assert res.status_code == 403 and res.json()["message"]
    res = client.post("/api/rewards/issuers/320100/compute", {"year": Y}, content_type="application/json")
    assert res.status_code == 404
    res = get(client, w["ks_user"], "/api/rewards/entitlements")
    assert {i["credit_code"] for i in res.json()} == {w["ks"].credit_code}
    assert get(client, w["ks_user"], "/api/rewards/budgets", year=Y).status_code == 404
    assert get(client, w["expert"], "/api/rewards/entitlements").json() == []


def test_compute_button_computes_the_own_issuer_only(client, rewarded):  # noqa: F811
    w = rewarded
    client.force_login(w["nanjing"])
    res = client.post("/rewards/compute/", {"year": Y})
    assert res.status_code == 302 and "issuer=320100" in res["Location"]
    assert {e.issuer_id for e in Entitlement.objects.all()} == {"320100"}


def test_api_payout(client, open_suzhou):
    w = open_suzhou
    e = ents("320500", kind="first_certification").get()
    services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=10**9)
    services.entitlements_approve(actor=w["suzhou"], ids=[e.pk], reason="同意")
    client.force_login(w["suzhou"])
    body = {"paid_on": date.today().isoformat(), "amount_fen": e.amount + 1, "voucher_no": "V"}
    res = client.post(f"/api/rewards/entitlements/{e.pk}/payout", body, content_type="application/json")
    assert res.status_code == 422
    body["amount_fen"] = e.amount
    res = client.post(f"/api/rewards/entitlements/{e.pk}/payout", body, content_type="application/json")
    assert res.status_code == 201 and res.json()["amount_fen"] == e.amount
    assert client.get(f"/api/rewards/entitlements/{e.pk}").json()["status"] == "paid"
