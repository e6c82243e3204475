"""The results digest (`ledger.digest`, `EvaluatedFacts.results_digest`): deterministic, changed by any stored
value, and a re-evaluation builds and compares the snapshots of the firms whose digest changed only — with the
same stored rows and counts as comparing them all. Both databases (the default path of each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger import facts as facts_module
from gaoqi.ledger import services
from gaoqi.ledger.digest import FEW_COMPARED, NULL, _mix, _string_words, _words, results_digests, string_word
from gaoqi.ledger.facts import facts_table
from gaoqi.ledger.models import EvaluatedFacts, EvaluationSnapshot, LedgerEntry
from gaoqi.ledger.services import reevaluate
from gaoqi.ledger.store import Written
from gaoqi.registry.models import AnnualReport

AS_OF = date(2025, 6, 30)
N = 120


@dataclass
class _Policy:
    name: str
    param_hash: str
    criteria: tuple[str, ...]


POLICY = _Policy("p", "h1", ("p.a", "p.b"))


def _table(**changes) -> pl.DataFrame:
    row = {
        "enterprise_id": [1, 2],
        "outcome": ["eligible", None],
        "eligible": [True, None],
        "score": [70, None],
        "score_min": [70, None],
        "score_max": [70, None],
        "grade": [None, None],
        "direct_pass_reason": [None, None],
        "errors": [None, "revenue_y1"],
        "p.a__passed": [True, False],
        "p.a__value": [0.5, 0.1],  # shown, not stored: not digested
        "p.b__points_min": [3, 1],
        "p.b__points_max": [5, 1],
    }
    row.update(changes)
    return pl.DataFrame(row, schema_overrides={"grade": pl.String, "direct_pass_reason": pl.String})


def _digests(table: pl.DataFrame, policy=POLICY, engine="1") -> list[int]:
    return (
        results_digests([(table, policy)], engine)
        .sort("enterprise_id")
        .get_column("results_digest")
        .to_list()
    )


def test_the_digest_is_fixed_by_the_code_not_by_a_library_version():
    # The same values give the same digest in every process and version (a regression guard: changing the
    # digest's definition changes these numbers, and makes every stored digest compare in full once).
    assert _digests(_table()) == _digests(_table())
    assert _digests(_table()) == [7949433316253834844, 8344673442842137134]


def _string_word_one_by_one(text: str) -> int:
    # The definition, word by word for one string (the vectorised code must agree with it).
    data = text.encode()
    h = _mix(np.array([0x2545F4914F6CDD1D ^ len(data)], dtype=np.uint64))
    for start in range(0, len(data), 8):
        word = int.from_bytes(data[start : start + 8], "little")
        h = _mix(h ^ np.array([word], dtype=np.uint64))
    return int(h[0])


@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=30), st.integers(0, 5))
def test_a_string_word_is_its_definition_whatever_the_column(texts, cut):
    # Vectorised over a column (sliced: Arrow's offset), each string gets the word its bytes define.
    column = pl.Series(["padding"] * cut + texts, dtype=pl.String).slice(cut)
    words = _string_words(column).tolist()
    assert words == [int(NULL) if t is None else _string_word_one_by_one(t) for t in texts]
    assert all(string_word(t) == w for t, w in zip(texts, words, strict=True) if t is not None)


@given(st.lists(st.text(min_size=8, max_size=40), min_size=1, max_size=30))
def test_strings_all_a_word_long_get_their_definition(texts):
    # Every string at least 8 bytes: the first words are read for all of them at once, unmasked.
    assert _string_words(pl.Series(texts, dtype=pl.String)).tolist() == [
        _string_word_one_by_one(t) for t in texts
    ]


@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["", "A", "pass", "未通过", "x" * 17])), max_size=80),
    st.integers(0, 5),
)
def test_a_column_of_few_strings_gets_each_strings_word(texts, cut):
    # Few distinct strings (a grade, an outcome): each one's word computed once and looked up for the rest.
    column = pl.Series(["padding"] * cut + texts, dtype=pl.String).slice(cut)
    assert _words(column).tolist() == _string_words(column).tolist()
    assert _words(column.cast(pl.Categorical)).tolist() == _string_words(column).tolist()


REGIONS = [f"32{city:02d}00" for city in range(1, 14)] + ["苏州工业园区", "x" * 17]


@given(
    st.lists(st.one_of(st.none(), st.sampled_from(REGIONS)), min_size=160, max_size=400), st.integers(0, 5)
)
def test_a_column_of_more_than_a_few_strings_gets_each_strings_word(texts, cut):
    # More distinct strings than are compared one by one (a region code): each picked by its code in an Enum.
    column = pl.Series(["padding"] * cut + texts + REGIONS, dtype=pl.String).slice(cut)
    assert column.n_unique() > FEW_COMPARED and 8 * column.n_unique() < len(column)  # the Enum's path
    assert _words(column).tolist() == _string_words(column).tolist()
    assert _words(column.cast(pl.Categorical)).tolist() == _string_words(column).tolist()


def test_strings_differing_in_any_byte_or_length_have_other_words():
    texts = ["", "a", "a\x00", "abcdefgh", "abcdefgh\x00", "abcdefgi", "bbcdefgh", "苏州恒瑞", "苏州恒瑞科技"]
    assert len({int(w) for w in _string_words(pl.Series(texts))}) == len(texts)


@pytest.mark.parametrize(
    "change",
    [
        {"score": [71, None]},
        {"score_max": [None, None]},
        {"outcome": ["ineligible", None]},
        {"eligible": [False, None]},
        {"grade": ["A", None]},
        {"p.a__passed": [None, False]},
        {"p.b__points_min": [4, 1]},
        {"errors": ["x", "revenue_y1"]},
    ],
)
def test_every_stored_value_changes_the_digest(change):
    before, after = _digests(_table()), _digests(_table(**change))
    assert after[0] != before[0] and after[1] == before[1]


def test_what_is_not_stored_does_not_change_the_digest_and_the_policy_does():
    base = _digests(_table())
    assert _digests(_table(**{"p.a__value": [0.9, 0.2]})) == base  # a displayed value
    assert _digests(_table(**{"p.a__passed": [True, True]}))[1] == base[1]  # criteria of a firm with errors
    assert _digests(_table(), _Policy("p", "h2", POLICY.criteria)) != base  # parameters
    assert _digests(_table(), engine="2") != base  # engine version
    # The same rows in another order: each firm keeps its digest.
    assert _digests(_table().reverse()) == base


@pytest.fixture
def loaded(db):
    load(generate(N, 11, AS_OF), progress=False)


def _entries_but_digests() -> set:
    return set(
        LedgerEntry.objects.values_list(
            *[f.attname for f in LedgerEntry._meta.fields if f.attname != "results_digest"]
        )
    )


def _stored() -> tuple[set, set, dict]:
    snaps = set(
        EvaluationSnapshot.objects.values_list(
            *[f.attname for f in EvaluationSnapshot._meta.fields if f.attname != "id"]
        )
    )
    entries = set(LedgerEntry.objects.values_list(*[f.attname for f in LedgerEntry._meta.fields]))
    facts = {
        f.enterprise_id: (f.facts_revision, f.results_digest, f.evaluated_at)
        for f in EvaluatedFacts.objects.all()
    }
    return snaps, entries, facts


def test_unchanged_results_are_neither_built_nor_compared(loaded, monkeypatch):
    first = reevaluate(as_of=AS_OF)
    assert first.written == Written(inserted=N * 4)
    assert not EvaluatedFacts.objects.filter(results_digest__isnull=True).exists()
    before = _stored()
    built = []
    real_rows = services._rows
    monkeypatch.setattr(
        services, "_rows", lambda table, *a: built.append(table.height) or real_rows(table, *a)
    )

    again = reevaluate(as_of=AS_OF)
    assert again.written == Written(unchanged=N * 4) and again.entries == Written(unchanged=N)
    assert built == [] and _stored() == before  # nothing built, nothing written (not even a time)

    # New facts, the same verdicts (a revenue up by 1 yuan): touched, counted, nothing built.
    report = AnnualReport.objects.filter(year=AS_OF.year - 1, revenue__isnull=False).order_by("pk").first()
    AnnualReport.objects.filter(pk=report.pk).update(revenue=report.revenue + 1)
    touched = reevaluate(as_of=AS_OF)
    assert touched.written == Written(touched=4, unchanged=N * 4 - 4) and built == []
    snaps, entries, facts = _stored()
    assert (snaps, entries) == before[:2]
    firm = report.enterprise_id
    assert facts[firm][0] != before[2][firm][0] and facts[firm][1] == before[2][firm][1]
    assert {k: v for k, v in facts.items() if k != firm} == {k: v for k, v in before[2].items() if k != firm}

    # A verdict changes (too many employees for a tech SME): that firm's four rows are built and compared.
    report = AnnualReport.objects.filter(year=AS_OF.year - 1, employees__isnull=False).order_by("pk").first()
    AnnualReport.objects.filter(pk=report.pk).update(employees=report.employees + 5_000)
    changed = reevaluate(as_of=AS_OF)
    assert built == [1, 1, 1, 1]
    assert changed.written.rewritten >= 1 and changed.written.rewritten + changed.written.touched == 4
    assert changed.written.unchanged == N * 4 - 4
    digest = EvaluatedFacts.objects.get(enterprise_id=report.enterprise_id).results_digest
    assert digest is not None and digest != before[2][report.enterprise_id][1]


def test_a_missing_or_wrong_digest_compares_in_full_and_stores_the_same_rows(loaded):
    reevaluate(as_of=AS_OF)
    expected = _stored()
    firms = list(EvaluatedFacts.objects.order_by("enterprise_id").values_list("enterprise_id", flat=True))
    EvaluatedFacts.objects.filter(enterprise_id__in=firms[:30]).update(
        results_digest=None
    )  # after the migration
    EvaluatedFacts.objects.filter(enterprise_id__in=firms[30:40]).update(results_digest=12345)
    again = reevaluate(as_of=AS_OF, slice_size=50)
    assert again.written == Written(unchanged=N * 4) and again.entries == Written(unchanged=N)
    snaps, entries, facts = _stored()
    assert (snaps, entries) == expected[:2]
    assert {k: v[:2] for k, v in facts.items()} == {k: v[:2] for k, v in expected[2].items()}  # restored


def test_the_side_by_side_merge_equals_the_sorted_one(loaded, monkeypatch):
    """Few sources: merged side by side by the database (both paths: the rows through Python or COPY);
    many: sorted by priority (WIDE_SOURCES lowered to force it). Also with a newer import of a
    department (ties: the latest) and a less trusted one, checked against the per-firm merge."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from gaoqi.registry.models import DataSource, Enterprise
    from gaoqi.registry.selectors import facts_for_policy
    from tests import factories

    years = [AS_OF.year - 3, AS_OF.year - 2, AS_OF.year - 1]
    reports = list(AnnualReport.objects.filter(source__department="tax").order_by("pk")[:40])
    newer = DataSource.objects.create(
        department="tax", file_name="t2.xlsx", imported_at=timezone.now() + timedelta(days=1)
    )
    stats = DataSource.objects.create(department="statistics", file_name="s.xlsx", imported_at=timezone.now())
    for i, report in enumerate(reports):
        for source, bump in ((newer, 7), (stats, 11)):
            report.pk, report.source = None, source
            report.revenue = None if i % 5 == 0 else (report.revenue or 0) + bump
            report.employees = None if i % 3 == 0 else (report.employees or 0) + bump
            report.save()

    def tables():
        out = [facts_table(AS_OF).sort("enterprise_id")]
        if connection.vendor == "postgresql":
            out.append(facts_table(AS_OF, bulk=True).sort("enterprise_id"))
        return out, facts_module.merged_reports(years).sort("enterprise_id", "year")

    wide, wide_merged = tables()
    monkeypatch.setattr(facts_module, "WIDE_SOURCES", 0)
    sorted_, sorted_merged = tables()
    assert all(t.equals(sorted_[0]) for t in [*wide, *sorted_]) and wide_merged.equals(sorted_merged)
    actor = factories.province_admin()
    for firm_id in {r.enterprise_id for r in reports}:
        row = sorted_[0].filter(pl.col("enterprise_id") == firm_id).drop("enterprise_id").to_dicts()[0]
        firm = Enterprise.objects.get(pk=firm_id)
        assert row == facts_for_policy(actor=actor, enterprise=firm, as_of=AS_OF).as_dict()


def test_an_unchanged_entry_is_not_compared_and_a_changed_one_is(loaded, monkeypatch):
    from datetime import timedelta

    from gaoqi.ledger.names import follow_renames
    from gaoqi.registry.models import Enterprise

    reevaluate(as_of=AS_OF)
    assert not LedgerEntry.objects.filter(results_digest__isnull=True).exists()
    given = []
    real_add = services._Writer.add
    monkeypatch.setattr(
        services._Writer,
        "add",
        lambda self, new, *a, **k: (given.append((self.table, new.height)), real_add(self, new, *a, **k))[1],
    )
    entries = LedgerEntry._meta.db_table
    before = _stored()[1]
    assert reevaluate(as_of=AS_OF).entries == Written(unchanged=N)
    assert [g for g in given if g[0] == entries] == [] and _stored()[1] == before

    # A rename followed on the entry (name and key, not the digest): compared, the same values: its digest
    # alone is written (not its time), and the next run sets it aside again.
    firm = Enterprise.objects.order_by("pk")[5]
    Enterprise.objects.filter(pk=firm.pk).update(name="无锡蠡湖动力有限公司", name_pinyin="wu2 xi1 li2 hu2")
    follow_renames([firm.pk])
    renamed, stale = _entries_but_digests(), LedgerEntry.objects.get(enterprise=firm).results_digest
    assert reevaluate(as_of=AS_OF).entries == Written(unchanged=N)
    assert [g for g in given if g[0] == entries] == [(entries, 1)] and _entries_but_digests() == renamed
    assert LedgerEntry.objects.get(enterprise=firm).results_digest != stale
    given.clear()
    assert reevaluate(as_of=AS_OF).entries == Written(unchanged=N)
    assert [g for g in given if g[0] == entries] == []

    # Another date with the same values writes no entry (an entry's date is that of the evaluation that wrote
    # its values, which hold: the digest is the values', not the date's), nor does going back.
    assert reevaluate(as_of=AS_OF + timedelta(days=1)).entries == Written(unchanged=N)
    assert reevaluate(as_of=AS_OF).entries == Written(unchanged=N)
    assert set(LedgerEntry.objects.values_list("as_of", flat=True)) == {AS_OF}

    # No digest (an entry written before the digests) or a wrong one: compared in full once, the values kept
    # and the digest written (no time: nothing changed); then set aside. A changed value writes the row.
    digests = dict(LedgerEntry.objects.values_list("enterprise_id", "results_digest"))
    LedgerEntry.objects.filter(enterprise=firm).update(results_digest=1)
    LedgerEntry.objects.exclude(enterprise=firm).update(results_digest=None)
    given.clear()
    before = _entries_but_digests()
    assert reevaluate(as_of=AS_OF).entries == Written(unchanged=N)
    assert given[-1] == (entries, N) and _entries_but_digests() == before
    assert dict(LedgerEntry.objects.values_list("enterprise_id", "results_digest")) == digests
    given.clear()
    assert reevaluate(as_of=AS_OF).entries == Written(unchanged=N) and given == []
    # (A value changed behind the writer's back is not seen while the digest is the writer's: with a stale
    # digest it is compared, found and rewritten.)
    LedgerEntry.objects.filter(enterprise=firm).update(
        grade="E" if firm.ledger_entry.grade != "E" else "A", results_digest=1
    )
    assert reevaluate(as_of=AS_OF).entries == Written(rewritten=1, unchanged=N - 1)
    assert LedgerEntry.objects.get(enterprise=firm).results_digest not in (1, None)


def _word_one_by_one(value) -> int:
    # The definition of a non-string value's word: an integer's or a boolean's two's-complement bits, a
    # float's IEEE bits, a missing value NULL.
    if value is None:
        return int(NULL)
    if isinstance(value, float):
        return int(np.array([value], dtype=np.float64).view(np.uint64)[0])
    return int(value) & (2**64 - 1)


@given(
    st.one_of(
        st.lists(st.one_of(st.none(), st.booleans()), max_size=30).map(
            lambda v: pl.Series(v, dtype=pl.Boolean)
        ),
        st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=30).map(
            lambda v: pl.Series(v, dtype=pl.Int64)
        ),
        st.lists(st.one_of(st.none(), st.integers(0, 2**31 - 1)), max_size=30).map(
            lambda v: pl.Series(v, dtype=pl.UInt32)
        ),
        st.lists(st.one_of(st.none(), st.floats(allow_nan=False)), max_size=30).map(
            lambda v: pl.Series(v, dtype=pl.Float64)
        ),
    )
)
def test_a_value_word_is_its_definition(column):
    assert _words(column).tolist() == [_word_one_by_one(v) for v in column.to_list()]
