"""A firm's evaluation holds from its date until a later one supersedes it: a re-evaluation on a new date writes
the snapshots, facts revisions and ledger entries that changed only, and the results as of any date (each firm's
latest snapshot of that date or before) are those a run into an empty database on that date stores. History is
kept: a changed result of an earlier date gets a row of the new date beside it. Both databases, both paths."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, transaction

from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger.models import EvaluatedFacts, EvaluationSnapshot, LedgerEntry
from gaoqi.ledger.services import ENTRY_RESULT, SNAPSHOT_RESULT, reevaluate
from gaoqi.ledger.store import Written
from gaoqi.registry.models import AnnualReport

D1 = date(2025, 6, 30)
D2 = date(2025, 9, 30)  # the same reporting years as D1
D3 = date(2026, 3, 31)  # a year on: the three years' window moves, many results change
N = 90
RESULT = [c for c in SNAPSHOT_RESULT if c not in ("engine_version", "param_hash")]
PATHS = [False, True] if connection.vendor == "postgresql" else [False]


@pytest.fixture
def loaded(db):
    load(generate(N, 5, D1), progress=False)


def _as_of(day: date) -> dict:
    """{(firm, policy): results} of each firm's latest snapshot of `day` or before."""
    latest = {}
    for row in (
        EvaluationSnapshot.objects.filter(as_of__lte=day)
        .order_by("as_of")
        .values("enterprise_id", "policy", "as_of", *RESULT)
    ):
        latest[(row.pop("enterprise_id"), row.pop("policy"))] = (row.pop("as_of"), row)
    return {key: values for key, (_, values) in latest.items()}


def _entries() -> dict:
    return {
        e["enterprise_id"]: e for e in LedgerEntry.objects.values("enterprise_id", "as_of", *ENTRY_RESULT)
    }


def _fresh(day: date, bulk: bool) -> tuple[dict, dict]:
    """What a run on `day` stores into an empty database (rolled back after)."""
    with transaction.atomic():
        EvaluationSnapshot.objects.all().delete()
        EvaluatedFacts.objects.all().delete()
        LedgerEntry.objects.all().delete()
        reevaluate(as_of=day, bulk=bulk)
        stored = _as_of(day), _entries()
        transaction.set_rollback(True)
    return stored


def _no_rnd(reports: list[int]) -> None:
    """An import reporting no R&D spending in these reports (the R&D criteria then fail)."""
    AnnualReport.objects.filter(pk__in=reports).update(
        rnd_expense=0, rnd_expense_domestic=0, rnd_expense_deductible=0
    )


def _without_date(entries: dict) -> dict:
    return {firm: {k: v for k, v in e.items() if k != "as_of"} for firm, e in entries.items()}


@pytest.mark.parametrize("bulk", PATHS)
def test_a_new_date_writes_what_changed_and_every_date_reads_as_a_fresh_run(loaded, bulk):
    first = reevaluate(as_of=D1, bulk=bulk)
    assert first.written.inserted == first.snapshots and first.entries.inserted == N
    d1 = _as_of(D1), _entries()
    d1_rows = set(EvaluationSnapshot.objects.values_list("id", "as_of", *RESULT))

    # The next date, no figure changed: only the results the date itself changes (a certificate lapsed, a
    # firm a year older) get rows of D2; every other result holds, and D2 reads as a fresh run on D2.
    again = reevaluate(as_of=D2, bulk=bulk)
    assert again.written.rewritten == 0 and again.written.inserted < first.snapshots // 10
    assert again.written.inserted + again.written.touched + again.written.unchanged == first.snapshots
    assert EvaluationSnapshot.objects.filter(as_of=D2).count() == again.written.inserted
    assert set(EvaluationSnapshot.objects.filter(as_of=D1).values_list("id", "as_of", *RESULT)) == d1_rows
    assert _as_of(D2) == _fresh(D2, bulk)[0]
    assert _as_of(D1) == d1[0]
    d2_before = _entries()

    # An import changes some firms' latest figures: on D2 their changed snapshots get rows of D2, the D1 rows
    # stay as they were (history), and D2 reads as a fresh run on D2.
    changed = list(AnnualReport.objects.filter(year=2024).order_by("pk").values_list("pk", flat=True)[::7])
    _no_rnd(changed)
    d2_rows = EvaluationSnapshot.objects.filter(as_of=D2).count()
    after = reevaluate(as_of=D2, bulk=bulk)
    assert after.written.inserted > 0 and after.written.rewritten <= d2_rows  # those of D2, in place
    assert set(EvaluationSnapshot.objects.filter(as_of=D1).values_list("id", "as_of", *RESULT)) == d1_rows
    assert EvaluationSnapshot.objects.filter(as_of=D2).count() == d2_rows + after.written.inserted
    fresh = _fresh(D2, bulk)
    assert _as_of(D2) == fresh[0] and _as_of(D1) == d1[0]
    entries = _entries()
    assert _without_date(entries) == _without_date(fresh[1])
    # An entry's date is that of the run that last changed its values.
    for firm, entry in entries.items():
        if _without_date(entries)[firm] != _without_date(d2_before)[firm]:
            assert entry["as_of"] == D2, firm
        else:
            assert entry["as_of"] == d2_before[firm]["as_of"], firm
    assert {e["as_of"] for e in d2_before.values()} <= {D1, D2}
    assert any(e["as_of"] == D2 for e in entries.values())
    # every firm whose results changed has its facts revision of D2
    d2_facts = set(EvaluatedFacts.objects.filter(as_of=D2).values_list("enterprise_id", flat=True))
    now = _as_of(D2)
    assert {firm for (firm, policy), values in now.items() if d1[0][(firm, policy)] != values} <= d2_facts

    # The same date again: the rows of D2 are rewritten in place where they change, not duplicated.
    rerun = reevaluate(as_of=D2, bulk=bulk)
    assert rerun.written.inserted == 0 and rerun.entries == Written(unchanged=N)

    # A year on, then back to D2: each date still reads as a fresh run on it.
    reevaluate(as_of=D3, bulk=bulk)
    assert _as_of(D3) == _fresh(D3, bulk)[0]
    assert _without_date(_entries()) == _without_date(_fresh(D3, bulk)[1])
    assert _as_of(D2) == fresh[0] and _as_of(D1) == d1[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's")
def test_both_paths_store_the_same_dated_rows(loaded):
    def run(bulk: bool) -> tuple:
        with transaction.atomic():
            for day in (D1, D2, D3, D2):
                if day == D2:
                    _no_rnd(picked)
                reevaluate(as_of=day, bulk=bulk)
            stored = (
                set(EvaluationSnapshot.objects.values_list("enterprise_id", "policy", "as_of", *RESULT)),
                set(EvaluatedFacts.objects.values_list("enterprise_id", "as_of", "facts_revision")),
                _entries(),
            )
            transaction.set_rollback(True)
        return stored

    picked = list(AnnualReport.objects.filter(year=2024).order_by("pk").values_list("pk", flat=True)[::5])
    assert run(False) == run(True)


def test_the_ledger_is_dated_by_the_latest_run_over_its_region(loaded):
    from gaoqi.accounts.models import Role
    from gaoqi.ledger.models import LedgerRun
    from gaoqi.ledger.selectors import LedgerFilter, ledger_summary
    from gaoqi.ledger.services import reevaluate_region
    from gaoqi.registry.models import Enterprise
    from tests import factories

    province = factories.province_admin()
    suzhou = factories.officer(Role.CITY_OFFICER, "320500")
    nanjing = factories.officer(Role.CITY_OFFICER, "320100")
    assert Enterprise.objects.filter(city_id="320500").exists()
    assert Enterprise.objects.filter(city_id="320100").exists()

    def dated(actor, **filters) -> date:
        return ledger_summary(actor=actor, filters=LedgerFilter(**filters)).as_of

    reevaluate(as_of=D1)
    assert {dated(a) for a in (province, suzhou, nanjing)} == {D1}
    # The next day few entries change, and those keep their date: the ledger is the day's all the same.
    reevaluate(as_of=D2)
    assert LedgerEntry.objects.filter(as_of=D1).exists()
    assert {dated(a) for a in (province, suzhou, nanjing)} == {D2}
    # A run over Suzhou's firms dates Suzhou's ledger (and its counties'), not Nanjing's.
    reevaluate_region(region="320500", as_of=D3.isoformat())
    county = Enterprise.objects.filter(city_id="320500").values_list("county_id", flat=True).first()
    assert dated(suzhou) == dated(suzhou, county=county) == dated(province, city="320500") == D3
    assert dated(nanjing) == D2
    assert list(LedgerRun.objects.order_by("pk").values_list("as_of", "region_id")) == [
        (D1, None),
        (D2, None),
        (D3, "320500"),
    ]
