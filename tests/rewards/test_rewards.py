"""Rewards and payouts: computation from the registry, the budget never exceeded silently, every decision
audited, scope crossing answered like "not found" (or refused with the reason when the object is visible)."""

from __future__ import annotations

from datetime import date

import pytest

from gaoqi.accounts.scope import scope_entitlements
from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.regions.models import Region
from gaoqi.registry.services import annual_report_record, certificate_record
from gaoqi.rewards import selectors, services
from gaoqi.rewards.facts import register_pool_source
from gaoqi.rewards.models import Budget, Entitlement, EntitlementStatus
from tests import factories

Y = 2025


def region(code: str) -> Region:
    return Region.objects.get(code=code)


@pytest.fixture
def pool(world):
    """The cultivation pool: Kunshan's firm admitted in 2024 (the platform has no pool records yet)."""
    members = {world["ks"].pk: (date(Y - 1, 3, 1), None)}
    remove = register_pool_source(lambda ids: {pk: v for pk, v in members.items() if pk in ids})
    yield members
    remove()


@pytest.fixture
def rewarded(world, pool):
    """Kunshan's and Nanjing's firms first certified in 2025; Kunshan's R&D doubled from 2023 to 2024."""
    src = factories.source()
    for firm in ("ks", "nj"):
        certificate_record(
            actor=world["province"],
            enterprise=world[firm],
            kind="hte",
            number=f"GR{Y}{world[firm].pk:06d}",
            issued_on=date(Y, 6, 1),
            expires_on=date(Y + 3, 5, 31),
        )
    for year, rnd in ((Y - 2, 1_000_000), (Y - 1, 2_000_000)):
        annual_report_record(
            actor=world["province"],
            enterprise=world["ks"],
            year=year,
            source=src,
            values={"rnd_expense": rnd},
        )
    return world


def compute(world, who: str, code: str):
    return services.entitlements_compute(actor=world[who], issuer=region(code), year=Y)


def ents(code: str, **kw):
    return Entitlement.objects.filter(issuer_id=code, year=Y, **kw)


# --- computation ----------------------------------------------------------------------------------------------


def test_compute_from_the_registry_per_issuer(rewarded):
    w = rewarded
    result = compute(w, "province", "320000")
    assert result.firms == 3 and result.created == 2 and not result.errors
    got = {(e.enterprise_id, e.kind): e.amount for e in ents("320000")}
    # the province: 10% of the 1,000,000 yuan growth, and the first certification of a pool member (fen)
    assert got == {(w["ks"].pk, "cultivation"): 100_000_00, (w["ks"].pk, "first_certification"): 100_000_00}

    compute(w, "suzhou", "320500")
    assert {(e.enterprise_id, e.kind, e.amount) for e in ents("320500")} == {
        (w["ks"].pk, "cultivation", 50_000_00),  # the city's 5%
        (w["ks"].pk, "first_certification", 100_000_00),
    }
    compute(w, "nanjing", "320100")  # the city scheme does not require pool membership
    assert {(e.enterprise_id, e.kind) for e in ents("320100")} == {(w["nj"].pk, "first_certification")}
    compute(w, "kunshan", "320583")  # the county's 20% growth threshold is met by +100%
    assert {e.kind for e in ents("320583")} == {"cultivation", "first_certification"}


def test_an_entitlement_freezes_its_explanation_inputs_and_scheme(rewarded):
    compute(rewarded, "province", "320000")
    e = ents("320000", kind="cultivation").get()
    assert e.explanation["criterion"]["id"] == "reward.cultivation"
    assert e.explanation["criterion"]["value"] == 100_000
    assert {p["name"] for p in e.explanation["criterion"]["params_used"]} >= {"cultivation.share"}
    assert {c["id"] for c in e.explanation["criteria"]} >= {"reward.in_pool", "reward.rnd_growth"}
    assert e.inputs["rnd_expense_y2"] == 1_000_000 and e.inputs["admitted_on"] == "2024-03-01"
    assert e.illustrative and len(e.param_hash) == 64 and e.explanation["scheme"]["illustrative"]
    assert (
        AuditEvent.objects.filter(
            target_type="rewards.entitlement", target_id=str(e.pk), action=AuditAction.CREATE
        ).count()
        == 1
    )


def test_recompute_updates_open_entitlements_and_never_rewrites_decided_ones(rewarded):
    w = rewarded
    compute(w, "province", "320000")
    services.budget_set(actor=w["province"], issuer=region("320000"), year=Y, amount=10**9)
    first = ents("320000", kind="first_certification").get()
    services.entitlements_approve(actor=w["province"], ids=[first.pk], reason="同意")
    annual_report_record(  # a correction: R&D of 2024 from a more trusted department
        actor=w["province"],
        enterprise=w["ks"],
        year=Y - 1,
        source=factories.source(department="tax"),
        values={"rnd_expense": 1_500_000},
    )
    again = compute(w, "province", "320000")
    assert (again.updated, again.decided, again.created) == (1, 1, 0)
    assert ents("320000", kind="cultivation").get().amount == 50_000_00
    assert ents("320000", kind="first_certification").get().status == EntitlementStatus.APPROVED
    update = AuditEvent.objects.filter(action=AuditAction.UPDATE, target_type="rewards.entitlement").get()
    assert update.old["amount"] == 100_000_00 and update.new["amount"] == 50_000_00
    assert compute(w, "province", "320000").unchanged == 1


def test_an_open_entitlement_no_longer_due_is_removed_and_audited(rewarded, pool):
    w = rewarded
    compute(w, "province", "320000")
    pool.clear()  # the firm turns out never to have been in the pool
    result = compute(w, "province", "320000")
    assert result.removed == 2 and not ents("320000").exists()
    assert (
        AuditEvent.objects.filter(action=AuditAction.DELETE, target_type="rewards.entitlement").count() == 2
    )


# --- the budget is never exceeded silently ---------------------------------------------------------------------


def _open(world):
    compute(world, "suzhou", "320500")
    return {e.kind: e for e in ents("320500")}  # cultivation 50,000 yuan, first certification 100,000 yuan


def test_approval_beyond_the_remaining_budget_is_refused_and_changes_nothing(rewarded):
    w = rewarded
    items = _open(w)
    ids = [e.pk for e in items.values()]
    with pytest.raises(services.BudgetExceeded) as no_budget:  # no budget at all: nothing remains
        services.entitlements_approve(actor=w["suzhou"], ids=ids, reason="同意")
    assert "剩余 0.0 元" in str(no_budget.value.errors)
    services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=149_999_99)
    with pytest.raises(services.BudgetExceeded):  # one fen short for the two
        services.entitlements_approve(actor=w["suzhou"], ids=ids, reason="同意")
    assert set(ents("320500").values_list("status", flat=True)) == {EntitlementStatus.COMPUTED}
    assert not AuditEvent.objects.filter(action=AuditAction.DECISION).exists()
    services.entitlements_approve(actor=w["suzhou"], ids=[items["first_certification"].pk], reason="同意")
    assert services.committed_fen("320500", Y) == 100_000_00
    with pytest.raises(services.BudgetExceeded):  # 49,999.99 remain for 50,000
        services.entitlements_approve(actor=w["suzhou"], ids=[items["cultivation"].pk], reason="同意")


def test_exactly_the_remaining_budget_is_approved(rewarded):
    w = rewarded
    items = _open(w)
    services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=150_000_00)
    done = services.entitlements_approve(actor=w["suzhou"], ids=[e.pk for e in items.values()], reason="同意")
    assert {e.status for e in done} == {EntitlementStatus.APPROVED}
    assert not any(e.over_commitment for e in done)
    row = next(r for r in selectors.budget_overview(actor=w["suzhou"], year=Y) if r.issuer.code == "320500")
    assert (row.remaining, row.committed, row.over) == (0, 150_000_00, False)


def test_over_commitment_needs_an_explicit_decision_with_a_reason_and_is_audited(rewarded):
    w = rewarded
    items = _open(w)
    services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=120_000_00)
    ids = [e.pk for e in items.values()]
    with pytest.raises(ValidationFailed):  # the flag without a reason
        services.entitlements_approve(actor=w["suzhou"], ids=ids, reason=" ", over_commit=True)
    done = services.entitlements_approve(
        actor=w["suzhou"], ids=ids, reason="市政府常务会议同意追加", over_commit=True
    )
    assert all(e.over_commitment for e in done)
    events = AuditEvent.objects.filter(action=AuditAction.DECISION, target_type="rewards.entitlement")
    assert events.count() == 2
    for ev in events:
        assert ev.actor == w["suzhou"] and ev.reason == "市政府常务会议同意追加"
        assert ev.old == {"status": "computed"} and ev.new["status"] == "approved"
        assert ev.new["over_commitment"] is True and ev.new["exceeded_by"] == 30_000_00
        assert ev.new["budget"] == 120_000_00
    row = next(r for r in selectors.budget_overview(actor=w["suzhou"], year=Y) if r.issuer.code == "320500")
    assert row.over and row.remaining == -30_000_00
    with pytest.raises(ValidationFailed):  # the budget cannot be cut below what is committed
        services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=100_000_00)


def test_budget_changes_are_audited(world):
    b = services.budget_set(
        actor=world["suzhou"], issuer=region("320500"), year=Y, amount=5_00, note="年初预算"
    )
    services.budget_set(actor=world["suzhou"], issuer=region("320500"), year=Y, amount=7_00, note="追加")
    events = AuditEvent.objects.filter(target_type="rewards.budget", target_id=str(b.pk)).order_by("seq")
    assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert events[1].old["amount"] == 5_00 and events[1].new["amount"] == 7_00
    with pytest.raises(ValidationFailed):
        services.budget_set(actor=world["suzhou"], issuer=region("320500"), year=Y, amount=-1)


# --- decisions: reject, stale versions, payout -------------------------------------------------------------


def test_reject_needs_a_reason_and_a_decided_one_cannot_be_decided_again(rewarded):
    w = rewarded
    items = _open(w)
    e = items["cultivation"]
    with pytest.raises(ValidationFailed):
        services.entitlement_reject(actor=w["suzhou"], ids=[e.pk], reason="")
    services.entitlement_reject(actor=w["suzhou"], ids=[e.pk], reason="研发费用口径存疑")
    assert Entitlement.objects.get(pk=e.pk).status == EntitlementStatus.REJECTED
    with pytest.raises(ValidationFailed):
        services.entitlements_approve(actor=w["suzhou"], ids=[e.pk], reason="改为同意", over_commit=True)


def test_a_stale_decision_is_a_conflict_and_overwrites_nothing(rewarded):
    w = rewarded
    e = _open(w)["first_certification"]
    services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=10**9)
    with pytest.raises(services.Conflict):
        services.entitlements_approve(
            actor=w["suzhou"], ids=[e.pk], reason="同意", versions={e.pk: e.version - 1}
        )
    assert Entitlement.objects.get(pk=e.pk).status == EntitlementStatus.COMPUTED


def test_payout_of_the_approved_amount_with_a_voucher(rewarded):
    w = rewarded
    e = _open(w)["first_certification"]
    services.budget_set(actor=w["suzhou"], issuer=region("320500"), year=Y, amount=10**9)
    with pytest.raises(ValidationFailed):  # not approved yet
        services.payout_record(
            actor=w["suzhou"], entitlement_id=e.pk, paid_on=date.today(), amount=e.amount, voucher_no="V1"
        )
    services.entitlements_approve(actor=w["suzhou"], ids=[e.pk], reason="同意")
    with pytest.raises(ValidationFailed) as bad:
        services.payout_record(
            actor=w["suzhou"], entitlement_id=e.pk, paid_on=date.today(), amount=e.amount - 1, voucher_no=""
        )
    assert {x["field"] for x in bad.value.errors} == {"amount", "voucher_no"}
    p = services.payout_record(
        actor=w["suzhou"],
        entitlement_id=e.pk,
        paid_on=date.today(),
        amount=e.amount,
        voucher_no="苏财拨〔2025〕12号",
    )
    assert Entitlement.objects.get(pk=e.pk).status == EntitlementStatus.PAID and p.amount == 100_000_00
    ev = (
        AuditEvent.objects.filter(
            target_type="rewards.entitlement", target_id=str(e.pk), action=AuditAction.DECISION
        )
        .order_by("seq")
        .last()
    )
    assert ev.new["voucher_no"] == "苏财拨〔2025〕12号" and ev.old == {"status": "approved"}


# --- scope crossing ------------------------------------------------------------------------------------------


def test_a_suzhou_officer_cannot_touch_a_nanjing_entitlement_or_the_provincial_budget(rewarded):
    w = rewarded
    compute(w, "nanjing", "320100")
    compute(w, "province", "320000")
    nj = ents("320100").get()
    for call in (
        lambda: services.entitlements_approve(actor=w["suzhou"], ids=[nj.pk], reason="x", over_commit=True),
        lambda: services.entitlement_reject(actor=w["suzhou"], ids=[nj.pk], reason="x"),
        lambda: services.payout_record(
            actor=w["suzhou"], entitlement_id=nj.pk, paid_on=date.today(), amount=1, voucher_no="V"
        ),
        lambda: selectors.get_entitlement_for_actor(w["suzhou"], nj.pk),
    ):
        with pytest.raises(NotFound):  # like a missing one
            call()
    with pytest.raises(NotFound):
        services.entitlements_compute(actor=w["suzhou"], issuer=region("320100"), year=Y)
    # the provincial budget and a provincial entitlement of a Suzhou firm: visible, not theirs to decide
    with pytest.raises(PermissionDenied):
        services.budget_set(actor=w["suzhou"], issuer=region("320000"), year=Y, amount=1)
    prov = ents("320000").first()
    with pytest.raises(PermissionDenied):
        services.entitlements_approve(actor=w["suzhou"], ids=[prov.pk], reason="x", over_commit=True)
    with pytest.raises(PermissionDenied):  # a county officer cannot decide its city's rewards either
        services.budget_set(actor=w["kunshan"], issuer=region("320500"), year=Y, amount=1)
    with pytest.raises(PermissionDenied):  # nor the province a city's: only the issuer's own officers
        services.budget_set(actor=w["province"], issuer=region("320500"), year=Y, amount=1)
    assert not Budget.objects.exists()


@pytest.mark.parametrize(
    "actor,visible",
    [
        ("province", {"ks", "nj"}),
        ("suzhou", {"ks"}),
        ("nanjing", {"nj"}),
        ("kunshan", {"ks"}),
        ("ks_user", {"ks"}),
        ("expert", set()),
        ("agency", set()),
    ],
)
def test_who_sees_which_entitlements(rewarded, actor, visible):
    w = rewarded
    for who, code in (("province", "320000"), ("suzhou", "320500"), ("nanjing", "320100")):
        compute(w, who, code)
    pks = {w[f].pk: f for f in ("ks", "wz", "nj")}
    seen = {pks[pk] for pk in scope_entitlements(w[actor]).values_list("enterprise_id", flat=True)}
    assert seen == visible


def test_budgets_seen_are_own_above_and_below_never_a_sibling(world):
    for who, code in (
        ("province", "320000"),
        ("suzhou", "320500"),
        ("nanjing", "320100"),
        ("kunshan", "320583"),
    ):
        services.budget_set(actor=world[who], issuer=region(code), year=Y, amount=1_00)
    seen = {r.issuer.code for r in selectors.budget_overview(actor=world["suzhou"], year=Y)}
    assert seen == {"320000", "320500", "320583"}
    seen = {r.issuer.code for r in selectors.budget_overview(actor=world["kunshan"], year=Y)}
    assert seen == {"320000", "320500", "320583"}
    assert {r.issuer.code for r in selectors.budget_overview(actor=world["nanjing"], year=Y)} == {
        "320000",
        "320100",
    }


def test_facts_merge_sources_like_the_registry(world):
    """The rewards read R&D and the credit record with the registry's source priority (selectors.merge_reports)."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    from gaoqi.registry.models import Enterprise
    from gaoqi.registry.selectors import merged_facts
    from gaoqi.rewards.facts import reward_facts

    e, p = world["ks"], world["province"]
    now = timezone.make_aware(datetime(2026, 1, 5, 9))
    sources = [
        factories.source(department="science_tech", imported_at=now - timedelta(days=2)),
        factories.source(department="science_tech", imported_at=now),  # newer, same department
        factories.source(department="tax", imported_at=now - timedelta(days=9)),  # trusted first for money
    ]
    for src, rnd, bad in zip(sources, (10, 20, 30), (True, False, None), strict=True):
        annual_report_record(
            actor=p, enterprise=e, year=Y - 1, source=src, values={"rnd_expense": rnd, "bad_credit": bad}
        )
    annual_report_record(actor=p, enterprise=e, year=Y - 2, source=sources[0], values={"rnd_expense": 5})
    f = reward_facts(Enterprise.objects.filter(pk=e.pk), Y)[e.pk]
    merged = merged_facts(actor=p, enterprise=e)
    assert f.rnd_expense_y3 == merged[Y - 1]["rnd_expense"].value == 30
    assert f.bad_credit is merged[Y - 1]["bad_credit"].value is False
    assert f.rnd_expense_y2 == 5 and f.first_hte_issued_on is None and f.admitted_on is None
