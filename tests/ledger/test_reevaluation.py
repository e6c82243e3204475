"""Re-evaluation: the bulk facts equal the per-firm facts, and the stored snapshots equal per-firm evaluation."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db.models import OuterRef, Subquery

from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger.facts import facts_table
from gaoqi.ledger.models import EvaluatedFacts, EvaluationSnapshot
from gaoqi.ledger.services import facts_revisions, reevaluate
from gaoqi.ledger.store import Written
from gaoqi.policy import ENTERPRISE_POLICIES, evaluate, load_policy
from gaoqi.policy.policies.ledger_tier.facts import LedgerFacts
from gaoqi.registry.models import AnnualReport, Enterprise
from gaoqi.registry.selectors import facts_for_policy
from tests import factories

AS_OF = date(2025, 6, 30)
N = 150


@pytest.fixture
def loaded(db):
    ds = generate(N, 7, AS_OF)
    load(ds, progress=False)
    return factories.province_admin()


def test_bulk_facts_equal_the_per_firm_facts(loaded):
    table = facts_table(AS_OF)
    assert table.height == N
    for row in table.iter_rows(named=True):
        firm = Enterprise.objects.get(pk=row.pop("enterprise_id"))
        assert row == facts_for_policy(actor=loaded, enterprise=firm, as_of=AS_OF).as_dict(), firm.credit_code


def test_snapshots_equal_per_firm_evaluation_and_a_second_run_replaces_them(loaded):
    result = reevaluate(as_of=AS_OF)
    assert result.firms == N and result.snapshots == N * (len(ENTERPRISE_POLICIES) + 1)
    assert sum(result.by_grade.values()) == N
    policies = {name: load_policy(name, AS_OF) for name in (*ENTERPRISE_POLICIES, "ledger_tier")}
    hard = policies["hte"].rules.groups["hard"]
    for firm in Enterprise.objects.all()[:60]:
        facts = facts_for_policy(actor=loaded, enterprise=firm, as_of=AS_OF)
        evs = {
            n: evaluate(facts, policies[n], AS_OF, on_error="report", with_gaps=False)
            for n in ENTERPRISE_POLICIES
        }
        for name, ev in evs.items():
            snap = EvaluationSnapshot.objects.get(enterprise=firm, policy=name, as_of=AS_OF)
            assert (snap.outcome, snap.eligible, snap.score_min, snap.score_max) == (
                ev.outcome,
                ev.eligible,
                ev.score_min,
                ev.score_max,
            )
            assert snap.param_hash == policies[name].param_hash
            if ev.errors:
                assert set(snap.errors.split(",")) == {e.field for e in ev.errors}
            else:
                stored = snap.criteria(list(policies[name].criteria))
                assert stored == {
                    c.id: {"passed": c.passed, "points_min": c.points_min, "points_max": c.points_max}
                    for c in ev.criteria
                }
        hte = evs["hte"]
        ledger_facts = LedgerFacts(
            credit_code=firm.credit_code,
            has_hte_certificate=facts.has_hte_certificate,
            tech_sme_registered=bool(firm.tech_sme_valid_until and firm.tech_sme_valid_until >= AS_OF),
            hte_hard_failed=None
            if hte.errors
            else sum(1 for c in hte.criteria if c.id in hard and not c.passed),
            tech_sme_eligible=evs["tech_sme"].eligible,
            rnd_expense_y3=facts.rnd_expense_y3,
            ip_count=None
            if facts.ip_class1 is None and facts.ip_class2 is None
            else (facts.ip_class1 or 0) + (facts.ip_class2 or 0),
        )
        tier = evaluate(ledger_facts, policies["ledger_tier"], AS_OF)
        assert EvaluationSnapshot.objects.get(enterprise=firm, policy="ledger_tier").grade == tier.grade
    before = EvaluationSnapshot.objects.count()
    reevaluate(as_of=AS_OF, enterprise_ids=list(Enterprise.objects.values_list("pk", flat=True)[:10]))
    assert EvaluationSnapshot.objects.count() == before  # replaced, not added


def test_progress_is_reported(loaded):
    seen = []
    reevaluate(as_of=AS_OF, progress=lambda done, total, message: seen.append((done, total, message)))
    assert seen[-1][0] == seen[-1][1] and seen[-1][1] == N * 4
    assert all(b[0] >= a[0] or b[1] != a[1] for a, b in zip(seen, seen[1:], strict=False))


def test_a_second_run_writes_only_what_changed(loaded):
    first = reevaluate(as_of=AS_OF)
    assert first.written == Written(inserted=N * 4) and first.entries == Written(inserted=N)
    again = reevaluate(as_of=AS_OF)
    assert again.written == Written(unchanged=N * 4) and again.entries == Written(unchanged=N)

    report = AnnualReport.objects.filter(year=AS_OF.year - 1, employees__isnull=False).first()
    firm = report.enterprise
    other = EvaluationSnapshot.objects.exclude(enterprise=firm).filter(policy="hte").first()
    too_big = report.employees + 5_000  # for a tech SME
    AnnualReport.objects.filter(pk=report.pk).update(employees=too_big)
    third = reevaluate(as_of=AS_OF)
    assert third.written.inserted == 0 and third.written.unchanged == N * 4 - 4
    assert third.written.rewritten + third.written.touched == 4  # the firm's four snapshots, nothing else
    assert third.written.rewritten >= 1  # the tech-SME size limit fails now
    snap = EvaluationSnapshot.objects.get(enterprise=firm, policy="tech_sme", as_of=AS_OF)
    facts = facts_for_policy(actor=loaded, enterprise=firm, as_of=AS_OF)
    ev = evaluate(facts, load_policy("tech_sme", AS_OF), AS_OF, on_error="report", with_gaps=False)
    assert (snap.outcome, snap.eligible, snap.score) == (ev.outcome, ev.eligible, ev.score)
    kept = EvaluationSnapshot.objects.get(pk=other.pk).evaluated_at  # the others kept theirs
    assert snap.evaluated_at > kept and kept == other.evaluated_at
    assert EvaluationSnapshot.objects.count() == N * 4


def test_new_facts_with_the_same_verdicts_write_the_firm_s_revision_once(loaded):
    """An import that changes a figure but not a verdict: the firm's snapshots are touched (counted), keep
    their rows (result and time), and say the new facts revision through the firm's one EvaluatedFacts row."""
    reevaluate(as_of=AS_OF)
    report = AnnualReport.objects.filter(year=AS_OF.year - 1, revenue__isnull=False).order_by("pk").first()
    firm = report.enterprise
    fields = [f.attname for f in EvaluationSnapshot._meta.fields]
    before = {s["policy"]: s for s in EvaluationSnapshot.objects.filter(enterprise=firm).values(*fields)}
    facts_before = EvaluatedFacts.objects.get(enterprise=firm, as_of=AS_OF)
    others = set(
        EvaluatedFacts.objects.exclude(enterprise=firm).values_list("pk", "facts_revision", "evaluated_at")
    )
    AnnualReport.objects.filter(pk=report.pk).update(revenue=report.revenue + 1_000)

    result = reevaluate(as_of=AS_OF)
    assert result.written.inserted == 0 and result.written.unchanged == N * 4 - 4
    assert result.written.touched >= 1 and result.written.rewritten + result.written.touched == 4
    (revision,) = facts_revisions(facts_table(AS_OF, [firm.pk])).get_column("facts_revision")
    facts = EvaluatedFacts.objects.get(enterprise=firm, as_of=AS_OF)
    assert facts.pk == facts_before.pk and facts.facts_revision == revision != facts_before.facts_revision
    assert facts.evaluated_at > facts_before.evaluated_at
    after = {s["policy"]: s for s in EvaluationSnapshot.objects.filter(enterprise=firm).values(*fields)}
    kept = [p for p in after if after[p] == before[p]]  # the touched ones: row and time as they were
    assert len(kept) == result.written.touched
    for snapshot in EvaluationSnapshot.objects.filter(enterprise=firm):
        assert snapshot.facts_revision == revision  # the facts that produced each snapshot
    assert (
        set(
            EvaluatedFacts.objects.exclude(enterprise=firm).values_list(
                "pk", "facts_revision", "evaluated_at"
            )
        )
        == others
    )
    assert EvaluatedFacts.objects.count() == N


def test_a_sliced_run_stores_what_the_whole_run_stores(loaded):
    """Four slices of at most 40 firms: the same snapshots, ledger rows and counts as one slice."""
    from gaoqi.ledger.models import LedgerEntry

    def stored():
        revision = EvaluatedFacts.objects.filter(
            enterprise_id=OuterRef("enterprise_id"), as_of=OuterRef("as_of")
        )
        snaps = EvaluationSnapshot.objects.annotate(
            revision=Subquery(revision.values("facts_revision")[:1])
        ).values_list(
            *[f.attname for f in EvaluationSnapshot._meta.fields if f.attname not in ("id", "evaluated_at")],
            "revision",
        )
        entries = LedgerEntry.objects.values_list(
            *[f.attname for f in LedgerEntry._meta.fields if f.attname not in ("id", "updated_at")]
        )
        return set(snaps), set(entries)

    whole = reevaluate(as_of=AS_OF, slice_size=1_000)
    expected = stored()
    EvaluationSnapshot.objects.all().delete()
    LedgerEntry.objects.all().delete()
    EvaluatedFacts.objects.all().delete()
    sliced = reevaluate(as_of=AS_OF, slice_size=40)
    assert stored() == expected and len(expected[0]) == N * 4
    assert (sliced.firms, sliced.written, sliced.entries, sliced.by_grade) == (
        whole.firms,
        whole.written,
        whole.entries,
        whole.by_grade,
    )
    ids = list(Enterprise.objects.order_by("-pk").values_list("pk", flat=True)[:90])
    assert reevaluate(as_of=AS_OF, enterprise_ids=ids, slice_size=25).entries == Written(unchanged=90)


def test_the_command_takes_a_slice_size(loaded):
    from django.core.management import call_command

    from gaoqi.audit.models import AuditEvent

    call_command(
        "reevaluate", "--as-of", AS_OF.isoformat(), "--slice", "40", "--no-progress", stdout=io.StringIO()
    )
    event = AuditEvent.objects.get(target_type="ledger.reevaluation", target_id=AS_OF.isoformat())
    assert event.new["slices"] == 4 and event.new["firms"] == N
    assert EvaluationSnapshot.objects.count() == N * 4
