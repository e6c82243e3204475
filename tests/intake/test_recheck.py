"""Commit's quick re-check: the preview's own comparison is written when nothing it compared with can have
changed since; any change of the registry in between sends the rows through the comparison again."""

from __future__ import annotations

import pytest

from gaoqi.intake import recheck, services
from gaoqi.intake.models import ExtraFact, RowStatus
from gaoqi.registry.models import AnnualReport, Department, Enterprise
from gaoqi.registry.services import annual_report_record
from tests import factories
from tests.intake.conftest import write_csv

# Two years in one row (the year in the header), and an extra fact (income tax) beside the figures.
HEAD = [
    "纳税人识别号",
    "纳税人名称",
    "2023年营业收入",
    "2024年营业收入",
    "2024年研发费用",
    "2024年应纳所得税额",
]


@pytest.fixture
def registry(officers):
    province = officers["province"]
    ks = factories.enterprise("320583", name="昆山恒瑞智能装备有限公司", actor=province)
    wz = factories.enterprise("320506", name="苏州博远电子科技有限公司", actor=province)
    tax = factories.source(Department.TAX, "税务_旧.xlsx")
    for year, revenue in ((2023, 80), (2024, 100)):
        annual_report_record(
            actor=province, enterprise=ks, year=year, source=tax, values={"revenue": revenue}
        )
    return {"ks": ks, "wz": wz, "tax": tax}


@pytest.fixture
def compared(monkeypatch):
    """The number of rows each Classifier built during a commit was given (none: the quick path)."""
    sizes: list[int] = []
    real = services.Classifier

    def spy(actor, profile, rows, *args):
        sizes.append(len(rows))
        return real(actor, profile, rows, *args)

    monkeypatch.setattr(services, "Classifier", spy)
    return sizes


def _stage(actor, registry, tmp_path):
    ks, wz = registry["ks"], registry["wz"]
    rows = [
        HEAD,
        [ks.credit_code, ks.name, 80, 150, 9, ""],  # 2023 as before, 2024 changed: only 2024 is written
        [wz.credit_code, wz.name, 10, 20, 2, 1],  # both years new
    ]
    return services.batch_stage(actor=actor, path=write_csv(tmp_path / "tax.csv", rows), profile="tax")


def _written(batch) -> dict:
    reports = {
        (r.enterprise_id, r.year): (r.revenue, r.rnd_expense, r.source_row)
        for r in AnnualReport.objects.filter(source=batch.source)
    }
    extras = {
        (e.enterprise_id, e.year, e.field): (e.value, e.source_row)
        for e in ExtraFact.objects.filter(batch=batch)
    }
    return {"reports": reports, "extras": extras}


@pytest.mark.parametrize("quick", [True, False], ids=["as-staged", "compared-again"])
def test_the_staged_comparison_writes_what_comparing_again_writes(
    officers, registry, tmp_path, monkeypatch, compared, quick
):
    actor = officers["suzhou"]
    batch = _stage(actor, registry, tmp_path)
    assert batch.registry_mark["tables"][0][0] == 2  # the two reports of the fixture
    if not quick:
        monkeypatch.setattr(recheck, "unchanged_since", lambda *args: False)
    compared.clear()
    batch = services.batch_commit(actor=actor, batch=batch)
    assert compared == ([] if quick else [2])
    ks, wz = registry["ks"].pk, registry["wz"].pk
    assert _written(batch) == {
        "reports": {(ks, 2024): (150, 9, 2), (wz, 2023): (10, None, 3), (wz, 2024): (20, 2, 3)},
        "extras": {(wz, 2024, "income_tax"): (1, 3)},
    }
    assert batch.summary["written"] == {"reports": 3, "extra_facts": 1}
    assert batch.summary["changed_since_preview"] == 0


def _replace_in_place(officers, registry):
    """An audited replacement: the same source's report, no row added (the counts stay)."""
    annual_report_record(
        actor=officers["province"],
        enterprise=registry["ks"],
        year=2024,
        source=registry["tax"],
        values={"revenue": 150, "rnd_expense": 9},
    )


def _insert_unaudited(registry):
    """Rows written outside the services (no audit event): seen by the counts."""
    later = factories.source(Department.TAX, "税务_新.xlsx")
    AnnualReport.objects.create(
        enterprise=registry["ks"], year=2024, source=later, revenue=150, rnd_expense=9
    )


def _import_committed(officers, registry, tmp_path):
    ks = registry["ks"]
    rows = [HEAD, [ks.credit_code, ks.name, 80, 150, 9, ""]]
    other = services.batch_stage(
        actor=officers["province"], path=write_csv(tmp_path / "other.csv", rows), profile="tax"
    )
    services.batch_commit(actor=officers["province"], batch=other)


@pytest.mark.parametrize("change", ["replaced", "unaudited", "imported"])
def test_a_registry_changed_since_the_preview_is_compared_again(
    officers, registry, tmp_path, compared, change
):
    actor = officers["suzhou"]
    batch = _stage(actor, registry, tmp_path)
    if change == "replaced":
        _replace_in_place(officers, registry)
    elif change == "unaudited":
        _insert_unaudited(registry)
    else:
        _import_committed(officers, registry, tmp_path)
    compared.clear()
    batch = services.batch_commit(actor=actor, batch=batch)
    assert compared == [2]
    # The tax bureau's latest figures for Kunshan's firm now say what the row says: nothing to write.
    assert batch.rows.get(line=2).status == RowStatus.UNCHANGED
    assert batch.summary["changed_since_preview"] == 1
    assert {k[0] for k in _written(batch)["reports"]} == {registry["wz"].pk}


def test_a_firm_that_left_the_officers_scope_since_the_preview_is_not_written(
    officers, registry, tmp_path, compared
):
    actor = officers["suzhou"]
    batch = _stage(actor, registry, tmp_path)
    # Moved to Nanjing behind the services' back (no audit event, no report added): the scope check sees it.
    Enterprise.objects.filter(pk=registry["wz"].pk).update(county_id="320115", city_id="320100")
    compared.clear()
    batch = services.batch_commit(actor=actor, batch=batch)
    assert compared == [2]
    assert batch.rows.get(line=3).status == RowStatus.OUT_OF_SCOPE
    assert {k[0] for k in _written(batch)["reports"]} == {registry["ks"].pk}


def test_a_batch_staged_without_a_mark_is_compared_again(officers, registry, tmp_path, compared):
    actor = officers["suzhou"]
    batch = _stage(actor, registry, tmp_path)
    type(batch).objects.filter(pk=batch.pk).update(registry_mark={})  # staged before the mark was kept
    compared.clear()
    services.batch_commit(actor=actor, batch=batch)
    assert compared == [2]
