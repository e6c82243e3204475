"""The columnar preview (`intake.frames`) stores, row by row, what the per-row Classifier stores.

One officer stages the same file twice: once as it runs, once with the columnar path switched off; every
staged row and the batch summary must be equal, field by field, while the columnar path took most rows.
"""

from __future__ import annotations

import pytest

from gaoqi.intake import frames, services
from gaoqi.intake.models import RowStatus
from gaoqi.registry.models import Department
from gaoqi.registry.services import annual_report_record
from tests import factories
from tests.intake.conftest import write_csv, write_xlsx

HEAD = [
    "纳税人识别号",
    "纳税人名称",
    "所属年度",
    "营业收入",
    "研发费用",
    "可加计扣除研发费用",
    "应纳所得税额",
]
FIELDS = ("line", "status", "has_conflict", "credit_code", "name", "county_code", "enterprise_id")
JSON = ("values", "changes", "conflicts", "errors", "candidates", "raw")


@pytest.fixture
def registry(officers):
    """Suzhou firms with earlier tax, statistics and science figures (two tax imports: the later counts),
        a Nanjing firm (outside a Suzhou officer's scope). Statistics reported before science: the order of
    the conflicts follows the order of the reports, not the names of the departments."""
    province = officers["province"]
    firms = [factories.enterprise("320583", name=f"昆山测试{i}有限公司", actor=province) for i in range(6)]
    nanjing = factories.enterprise("320115", name="南京测试有限公司", actor=province)
    old_tax = factories.source(Department.TAX, "税务_2023.xlsx")
    stats = factories.source(Department.STATISTICS, "统计.xlsx")
    sci = factories.source(Department.SCIENCE_TECH, "科技局台账.xlsx")
    new_tax = factories.source(Department.TAX, "税务_2024.xlsx")
    for i, firm in enumerate(firms):
        values = {"revenue": 1000 + i, "rnd_expense": 50}
        annual_report_record(actor=province, enterprise=firm, year=2024, source=old_tax, values=values)
        if i % 2:
            annual_report_record(
                actor=province, enterprise=firm, year=2024, source=new_tax, values={"revenue": 2000 + i}
            )
        annual_report_record(
            actor=province, enterprise=firm, year=2024, source=stats, values={"revenue": 1000 + i + i % 3}
        )
        annual_report_record(
            actor=province,
            enterprise=firm,
            year=2024,
            source=sci,
            values={"rnd_expense": 40 + i, "revenue": 900 + i},
        )
    return {"firms": firms, "nanjing": nanjing}


def _staged(batch) -> tuple[dict, list[dict]]:
    rows = list(batch.rows.order_by("line").values(*FIELDS, *JSON))
    return batch.summary, rows


def _both(monkeypatch, actor, path) -> tuple[tuple, tuple, set]:
    taken: set[int] = set()
    real = frames.preview

    def spy(*args):
        staged, lines = real(*args)
        taken.update(lines)
        return staged, lines

    monkeypatch.setattr(frames, "preview", spy)
    columnar = _staged(services.batch_stage(actor=actor, path=path, profile="tax"))
    monkeypatch.setattr(frames, "preview", lambda *args: (None, set()))
    per_row = _staged(services.batch_stage(actor=actor, path=path, profile="tax"))
    return columnar, per_row, taken


def test_the_columnar_preview_stores_what_the_per_row_one_does(officers, registry, tmp_path, monkeypatch):
    firms, nanjing = registry["firms"], registry["nanjing"]
    code = [f.credit_code for f in firms]
    name = [f.name for f in firms]
    rows = [
        HEAD,
        [code[0], name[0], 2024, 1000, 50, 40, 7],  # unchanged figures, a new extra (income tax)
        [code[1], name[1], 2024, 2001, 50, "", ""],  # the later tax import's revenue: unchanged
        [code[2], name[2], 2024, "1,500", 60, 50, 3],  # changed; conflicts with statistics and science
        [code[3], "", 2024, 900, "", "", ""],  # no name: still this firm
        [code[3], name[3], 2023, 10, 1, 1, 0],  # another year of the same firm: all new
        [code[4], name[4] + "（新）", 2024, 1, 2, 1, 0],  # another name: the per-row path decides
        [code[5], name[5], 2024, 7, 8, 9, 0],  # deduction base above the R&D expense: an error
        [nanjing.credit_code, nanjing.name, 2024, 5, 5, 5, 5],  # outside a Suzhou officer's scope
        [factories.credit_code("320583", 4242), "未登记公司", 2024, 1, 1, 1, 1],  # not registered
        [code[0], name[0], 2023, 3, 2, 1, 0],
        [code[0], name[0], 2023, 3, 2, 1, 0],  # a duplicate of the row above
        [code[5], name[5], 2023, -5, 1, 1, 1],  # negative money: an error
    ]
    path = write_xlsx(tmp_path / "tax.xlsx", rows)
    columnar, per_row, taken = _both(monkeypatch, officers["suzhou"], path)
    assert columnar == per_row
    assert taken == {2, 3, 4, 5, 6, 11}  # the plain rows (12 repeats 11); the others went per row
    summary, staged = columnar
    by_line = {r["line"]: r for r in staged}
    assert by_line[2]["status"] == RowStatus.CHANGED and by_line[3]["status"] == RowStatus.UNCHANGED
    # Revenue differs from statistics' and science's (listed in the order they reported), R&D from science's.
    assert [(c["field"], c["department"]) for c in by_line[4]["conflicts"]] == [
        ("revenue", "statistics"), ("revenue", "science_tech"), ("rnd_expense", "science_tech"),
    ]  # fmt: skip
    assert [r["status"] for r in staged] == [
        "changed", "unchanged", "changed", "changed", "changed", "changed",
        "error", "out_of_scope", "unknown_firm", "changed", "duplicate", "error",
    ]  # fmt: skip
    assert summary["conflicts"] == 5


def test_a_file_with_a_nameless_row_goes_through_the_classifier(officers, registry, tmp_path, monkeypatch):
    """A row naming its firm only by name may be the same firm as a row with a code: all rows go per row."""
    firms = registry["firms"]
    rows = [
        HEAD,
        [firms[0].credit_code, firms[0].name, 2024, 1, 1, 1, 1],
        ["", firms[0].name, 2024, 2, 1, 1, 1],
    ]
    path = write_csv(tmp_path / "tax.csv", rows)
    columnar, per_row, taken = _both(monkeypatch, officers["province"], path)
    assert columnar == per_row and taken == set()
    assert [r["status"] for r in columnar[1]] == [RowStatus.ERROR, RowStatus.ERROR]
