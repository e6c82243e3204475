"""Staged imports through the services: preview, commit, idempotency, revert, provenance, scope, matching."""

from __future__ import annotations

import pytest

from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.intake import services
from gaoqi.intake.models import BatchStatus, EnterpriseTag, ExtraFact, ImportBatch, RowStatus
from gaoqi.registry.models import AnnualReport, DataSource, Department, Enterprise, IntellectualProperty
from gaoqi.registry.selectors import merged_facts
from gaoqi.registry.services import annual_report_record
from tests import factories
from tests.intake.conftest import write_csv, write_xlsx

TAX = ["纳税人识别号", "纳税人名称", "所属年度", "营业收入", "研发费用"]


@pytest.fixture
def firms(officers):
    province = officers["province"]
    ks = factories.enterprise("320583", name="昆山恒瑞智能装备有限公司", actor=province)
    wz = factories.enterprise("320506", name="苏州博远电子科技有限公司", actor=province)
    nj = factories.enterprise("320115", name="南京恒瑞智能装备有限公司", actor=province)
    tax = factories.source(Department.TAX, "税务_旧.xlsx")
    sci = factories.source(Department.SCIENCE_TECH, "科技局台账.xlsx")
    annual_report_record(
        actor=province, enterprise=ks, year=2024, source=tax, values={"revenue": 100, "rnd_expense": 5}
    )
    annual_report_record(actor=province, enterprise=ks, year=2024, source=sci, values={"revenue": 120})
    return {"ks": ks, "wz": wz, "nj": nj}


def _row(batch, line):
    return batch.rows.get(line=line)


def _tax_file(tmp_path, firms, name="tax.csv"):
    return write_csv(
        tmp_path / name,
        [
            TAX,
            [firms["ks"].credit_code, firms["ks"].name, 2024, "150", "5"],  # 2: revenue 100 -> 150
            [firms["ks"].credit_code, firms["ks"].name, 2023, "80", ""],  # 3: a new year
            [
                firms["nj"].credit_code,
                firms["nj"].name,
                2024,
                "999",
                "1",
            ],  # 4: Nanjing: out of a Suzhou scope
            [factories.credit_code("320583", 777), "未登记公司", 2024, "1", "0"],  # 5: not registered
            [firms["wz"].credit_code, firms["wz"].name, 2024, "-3", "0"],  # 6: error
        ],
    )


def test_preview_lists_changes_conflicts_scope_and_errors(officers, firms, tmp_path):
    before = (AnnualReport.objects.count(), DataSource.objects.count(), Enterprise.objects.count())
    batch = services.batch_stage(actor=officers["suzhou"], path=_tax_file(tmp_path, firms), profile="tax")
    assert batch.status == BatchStatus.STAGED
    assert (AnnualReport.objects.count(), DataSource.objects.count(), Enterprise.objects.count()) == before
    changed = _row(batch, 2)
    assert changed.status == RowStatus.CHANGED
    assert {"year": 2024, "field": "revenue", "old": 100, "new": 150} in changed.changes
    assert not any(c["field"] == "rnd_expense" for c in changed.changes)  # 5 -> 5 is no change
    # The science bureau reported 120: a conflict, which tax wins by the registry's precedence table.
    assert changed.conflicts == [
        {
            "year": 2024,
            "field": "revenue",
            "new": 150,
            "other": 120,
            "department": "science_tech",
            "wins": True,
        }
    ]
    assert _row(batch, 3).changes == [{"year": 2023, "field": "revenue", "old": None, "new": 80}]
    out_of_scope = _row(batch, 4)
    assert out_of_scope.status == RowStatus.OUT_OF_SCOPE and out_of_scope.changes == []
    assert _row(batch, 5).status == RowStatus.UNKNOWN_FIRM
    assert _row(batch, 6).status == RowStatus.ERROR
    assert batch.summary["counts"] == {"changed": 2, "out_of_scope": 1, "unknown_firm": 1, "error": 1}


def test_commit_writes_with_provenance_and_audit(officers, firms, tmp_path):
    actor = officers["suzhou"]
    batch = services.batch_stage(actor=actor, path=_tax_file(tmp_path, firms), profile="tax")
    batch = services.batch_commit(actor=actor, batch=batch, reason="2024年度税务数据")
    assert batch.status == BatchStatus.COMMITTED
    source = batch.source
    assert (source.department, source.file_name, source.imported_by) == (Department.TAX, "tax.csv", actor)
    reports = {(r.year, r.source_row): r for r in AnnualReport.objects.filter(source=source)}
    assert set(reports) == {(2024, 2), (2023, 3)}
    assert reports[(2024, 2)].revenue == 150 and reports[(2024, 2)].rnd_expense == 5
    assert not AnnualReport.objects.filter(source=source, enterprise=firms["nj"]).exists()  # out of scope
    merged = merged_facts(actor=actor, enterprise=firms["ks"])
    assert merged[2024]["revenue"].value == 150 and merged[2024]["revenue"].source == source
    assert merged[2024]["revenue"].source_row == 2
    staged, event = AuditEvent.objects.filter(
        target_type="intake.importbatch", target_id=str(batch.pk)
    ).order_by("seq")
    assert (staged.actor, staged.action, staged.new["status"]) == (actor, AuditAction.CREATE, "staged")
    assert (event.actor, event.action, event.reason) == (actor, AuditAction.IMPORT, "2024年度税务数据")
    assert event.new["written"]["reports"] == 2


def test_the_same_file_again_changes_nothing_and_says_so(officers, firms, tmp_path):
    actor = officers["suzhou"]
    path = _tax_file(tmp_path, firms)
    first = services.batch_commit(
        actor=actor, batch=services.batch_stage(actor=actor, path=path, profile="tax")
    )
    counts = (AnnualReport.objects.count(), DataSource.objects.count())
    again = services.batch_stage(actor=actor, path=path, profile="tax")
    assert again.same_file_as == first
    assert "完全相同" in again.notes[0]
    assert again.summary["counts"]["unchanged"] == 2 and "changed" not in again.summary["counts"]
    again = services.batch_commit(actor=actor, batch=again)
    assert again.summary["written"] == {} and again.source is None
    assert (AnnualReport.objects.count(), DataSource.objects.count()) == counts
    # Another file (an xlsx export of the same rows) is compared by content: unchanged as well.
    rows = [TAX, [firms["ks"].credit_code, firms["ks"].name, 2024, 150, 5]]
    other = services.batch_stage(actor=actor, path=write_xlsx(tmp_path / "again.xlsx", rows), profile="tax")
    assert other.same_file_as is None and other.summary["counts"] == {"unchanged": 1}


def test_revert_restores_the_values_it_replaced(officers, firms, tmp_path):
    actor = officers["suzhou"]
    ks = firms["ks"]
    batch = services.batch_commit(
        actor=actor, batch=services.batch_stage(actor=actor, path=_tax_file(tmp_path, firms), profile="tax")
    )
    with pytest.raises(ValidationFailed):
        services.batch_revert(actor=actor, batch=batch, reason="")
    batch = services.batch_revert(actor=actor, batch=batch, reason="文件年度错了")
    assert batch.status == BatchStatus.REVERTED
    assert not AnnualReport.objects.filter(source=batch.source).exists()
    assert merged_facts(actor=actor, enterprise=ks)[2024]["revenue"].value == 100
    assert 2023 not in merged_facts(actor=actor, enterprise=ks)
    event = AuditEvent.objects.filter(target_id=str(batch.pk), action=AuditAction.DELETE).get()
    assert event.reason == "文件年度错了" and event.actor == actor
    # A reverted file may be imported again.
    assert services.batch_stage(actor=actor, path=tmp_path / "tax.csv", profile="tax").same_file_as is None


def _registry_file(tmp_path, name, rows):
    return write_csv(
        tmp_path / name, [["统一社会信用代码", "企业名称", "所属区县", "成立日期", "注册资本（万元）"], *rows]
    )


def test_market_registry_creates_updates_and_reverts_firms(officers, firms, tmp_path):
    actor = officers["suzhou"]
    ks = firms["ks"]
    new_code = factories.credit_code("320506", 9001)
    path = _registry_file(
        tmp_path,
        "reg.csv",
        [
            [ks.credit_code, "昆山恒瑞智能科技有限公司", "昆山市", "2015-03-01", "500"],  # renamed
            [new_code, "苏州新设科技有限公司", "吴中区", "2024年5月6日", "100"],  # new firm
            [
                factories.credit_code("320115", 9002),
                "南京新设有限公司",
                "江宁区",
                "2024-01-01",
                "100",
            ],  # Nanjing
        ],
    )
    batch = services.batch_stage(actor=actor, path=path, profile="market_registry")
    assert [_row(batch, n).status for n in (2, 3, 4)] == [
        RowStatus.CHANGED,
        RowStatus.NEW_FIRM,
        RowStatus.OUT_OF_SCOPE,
    ]
    assert {"year": None, "field": "name", "old": ks.name, "new": "昆山恒瑞智能科技有限公司"} in _row(
        batch, 2
    ).changes
    batch = services.batch_commit(actor=actor, batch=batch)
    ks.refresh_from_db()
    created = Enterprise.objects.get(credit_code=new_code)
    assert ks.name == "昆山恒瑞智能科技有限公司"
    assert (created.county_id, created.city_id, str(created.founded_on)) == ("320506", "320500", "2024-05-06")
    assert ExtraFact.objects.get(enterprise=created, field="registered_capital").value == 1_000_000
    assert not Enterprise.objects.filter(name="南京新设有限公司").exists()
    trail = AuditEvent.objects.filter(enterprise=ks, action=AuditAction.UPDATE).latest("id")
    assert trail.new == {"name": "昆山恒瑞智能科技有限公司"} and f"#{batch.pk}" in trail.reason
    services.batch_revert(actor=actor, batch=batch, reason="误导入")
    ks.refresh_from_db()
    assert ks.name == "昆山恒瑞智能装备有限公司"
    assert not Enterprise.objects.filter(credit_code=new_code).exists()
    assert not ExtraFact.objects.filter(batch=batch).exists()


def test_revert_is_refused_while_a_later_import_depends_on_it(officers, firms, tmp_path):
    actor = officers["suzhou"]
    ks = firms["ks"]
    first = services.batch_commit(
        actor=actor,
        batch=services.batch_stage(
            actor=actor,
            path=_registry_file(tmp_path, "a.csv", [[ks.credit_code, "甲名", "昆山市", "2015-03-01", ""]]),
            profile="market_registry",
        ),
    )
    second = services.batch_commit(
        actor=actor,
        batch=services.batch_stage(
            actor=actor,
            path=_registry_file(tmp_path, "b.csv", [[ks.credit_code, "乙名", "昆山市", "2015-03-01", ""]]),
            profile="market_registry",
        ),
    )
    with pytest.raises(ValidationFailed) as caught:
        services.batch_revert(actor=actor, batch=first, reason="x")
    assert f"#{second.pk}" in str(caught.value.errors)
    ks.refresh_from_db()
    assert ks.name == "乙名"  # nothing changed by the refused revert
    services.batch_revert(actor=actor, batch=second, reason="x")
    services.batch_revert(actor=actor, batch=first, reason="x")
    ks.refresh_from_db()
    assert ks.name == "昆山恒瑞智能装备有限公司"


def test_scope_crossing_suzhou_officer_importing_a_nanjing_firm(officers, firms, tmp_path):
    nj = firms["nj"]
    path = write_csv(tmp_path / "nj.csv", [TAX, [nj.credit_code, nj.name, 2024, "500", "10"]])
    batch = services.batch_stage(actor=officers["suzhou"], path=path, profile="tax")
    assert batch.summary["counts"] == {"out_of_scope": 1}
    services.batch_commit(actor=officers["suzhou"], batch=batch)
    assert not AnnualReport.objects.filter(enterprise=nj).exists()
    # The Nanjing officer may import the same row; the Suzhou officer cannot even see that batch.
    mine = services.batch_stage(actor=officers["nanjing"], path=path, profile="tax")
    assert mine.summary["counts"] == {"changed": 1}
    with pytest.raises(NotFound):
        services.batch_commit(actor=officers["suzhou"], batch=mine)
    services.batch_commit(actor=officers["nanjing"], batch=mine)
    assert AnnualReport.objects.get(enterprise=nj).revenue == 500


def test_only_officers_import(officers, firms, tmp_path):
    user = factories.enterprise_user(firms["ks"])
    with pytest.raises(PermissionDenied):
        services.batch_stage(actor=user, path=_tax_file(tmp_path, firms), profile="tax")
    assert not ImportBatch.objects.exists()


def test_rows_without_credit_code_match_by_exact_name_or_wait_for_confirmation(officers, firms, tmp_path):
    actor = officers["suzhou"]
    ks = firms["ks"]
    header = ["纳税人名称", "所属年度", "营业收入"]
    path = write_csv(
        tmp_path / "names.csv",
        [
            header,
            ["昆山恒瑞智能装备有限公司", 2024, "300"],  # exact (unique in Suzhou's scope)
            ["昆山恒瑞智能装备公司", 2024, "300"],  # close: candidates, never guessed
            ["完全不同的名字", 2024, "1"],
        ],
    )
    batch = services.batch_stage(actor=actor, path=path, profile="tax")
    assert _row(batch, 2).status == RowStatus.CHANGED and _row(batch, 2).enterprise_id == ks.pk
    fuzzy = _row(batch, 3)
    assert fuzzy.status == RowStatus.UNMATCHED and fuzzy.enterprise_id is None
    assert [c["id"] for c in fuzzy.candidates] == [ks.pk]  # the Nanjing namesake is outside the scope
    assert _row(batch, 4).status == RowStatus.UNKNOWN_FIRM
    with pytest.raises(ValidationFailed):
        services.row_confirm_match(actor=actor, row=fuzzy, enterprise_id=firms["nj"].pk)
    confirmed = services.row_confirm_match(actor=actor, row=fuzzy, enterprise_id=ks.pk)
    assert confirmed.status == RowStatus.CHANGED and confirmed.confirmed_by == actor
    batch = services.batch_commit(actor=actor, batch=batch)
    assert AnnualReport.objects.filter(source=batch.source).count() == 1  # rows 2 and 3 are one firm-year


def test_same_firm_and_year_twice_in_a_file(officers, firms, tmp_path):
    ks = firms["ks"]
    same = [ks.credit_code, ks.name, 2024, "150", "5"]
    batch = services.batch_stage(
        actor=officers["suzhou"], path=write_csv(tmp_path / "d.csv", [TAX, same, same]), profile="tax"
    )
    assert _row(batch, 3).status == RowStatus.DUPLICATE and _row(batch, 2).status == RowStatus.CHANGED


def test_discard_keeps_the_record_and_the_audit(officers, firms, tmp_path):
    actor = officers["suzhou"]
    batch = services.batch_stage(actor=actor, path=_tax_file(tmp_path, firms), profile="tax")
    batch = services.batch_discard(actor=actor, batch=batch, reason="选错模板")
    assert batch.status == BatchStatus.DISCARDED and not batch.rows.exists()
    assert AuditEvent.objects.filter(
        target_id=str(batch.pk), action=AuditAction.DECISION, reason="选错模板"
    ).exists()
    with pytest.raises(ValidationFailed):
        services.batch_commit(actor=actor, batch=batch)


def test_lists_and_ip_items(officers, firms, tmp_path):
    actor = officers["province"]
    ks, wz = firms["ks"], firms["wz"]
    tags = write_csv(
        tmp_path / "tags.csv",
        [
            ["统一社会信用代码", "企业名称", "认定类别", "认定年度"],
            [ks.credit_code, ks.name, "专精特新“小巨人”企业", 2024],
        ],
    )
    batch = services.batch_commit(
        actor=actor, batch=services.batch_stage(actor=actor, path=tags, profile="industry_it_lists")
    )
    assert EnterpriseTag.objects.get(enterprise=ks).tag == "little_giant"
    assert services.batch_stage(actor=actor, path=tags, profile="industry_it_lists").summary["counts"] == {
        "unchanged": 1
    }
    ip = write_csv(
        tmp_path / "ip.csv",
        [
            ["专利号", "专利类型", "专利名称", "授权公告日", "权利人统一社会信用代码"],
            ["ZL202110000001.X", "发明", "一种装置", "2022年5月6日", ks.credit_code],
            ["2023SR100001", "软件著作权", "管理系统", "2023.01.09", wz.credit_code],
        ],
    )
    batch = services.batch_commit(
        actor=actor, batch=services.batch_stage(actor=actor, path=ip, profile="ip_office")
    )
    item = IntellectualProperty.objects.get(number="ZL202110000001.X")
    assert (item.enterprise, item.ip_class, item.kind, str(item.granted_on), item.source) == (
        ks,
        1,
        "invention_patent",
        "2022-05-06",
        batch.source,
    )
    # The same patent claimed for another firm is an error, not a silent transfer.
    clash = write_csv(
        tmp_path / "clash.csv",
        [
            ["专利号", "专利类型", "授权公告日", "权利人统一社会信用代码"],
            ["ZL202110000001.X", "发明", "2022-05-06", wz.credit_code],
        ],
    )
    row = services.batch_stage(actor=actor, path=clash, profile="ip_office").rows.get()
    assert row.status == RowStatus.ERROR and "另一家企业" in row.errors[0]["reason"]
    services.batch_revert(actor=actor, batch=batch, reason="测试")
    assert not IntellectualProperty.objects.exists()


def test_a_commit_queues_the_reevaluation_of_the_firms_it_wrote(
    officers, firms, tmp_path, django_capture_on_commit_callbacks
):
    from gaoqi.jobs.models import Job
    from gaoqi.jobs.testing import run_queued_jobs
    from gaoqi.ledger.models import EvaluationSnapshot, LedgerEntry

    actor = officers["suzhou"]
    batch = services.batch_stage(actor=actor, path=_tax_file(tmp_path, firms), profile="tax")
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_commit(actor=actor, batch=batch)
    job = Job.objects.get(kind="ledger.reevaluate")
    assert job.kwargs["batch_id"] == batch.pk
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    # only the firm the import wrote (Kunshan); Nanjing was out of scope and Wuzhong's row an error
    assert set(LedgerEntry.objects.values_list("enterprise_id", flat=True)) == {firms["ks"].pk}
    assert EvaluationSnapshot.objects.filter(enterprise=firms["ks"]).count() == 4
    from gaoqi.ledger import tally

    assert tally.current()  # the ledger summary reads its tally again, not a live count


def test_the_tax_bureaus_deduction_base_reaches_the_engine(officers, firms, tmp_path):
    """可加计扣除研发费用 is an annual-report figure (with provenance), read by the tech-SME rule as
    rnd_expense_deductible_y3, within the year's R&D spending like the database requires."""
    from datetime import date

    from gaoqi.registry.selectors import facts_for_policy

    actor = officers["suzhou"]
    header = [*TAX, "可加计扣除研发费用"]
    ks = firms["ks"]
    path = write_csv(
        tmp_path / "tax_deduction.csv",
        [
            header,
            [ks.credit_code, ks.name, 2024, "150", "5", "4"],
            [firms["wz"].credit_code, firms["wz"].name, 2024, "10", "2", "3"],  # above its R&D: an error
        ],
    )
    batch = services.batch_stage(actor=actor, path=path, profile="tax")
    bad = _row(batch, 3)
    assert bad.status == RowStatus.ERROR and "研发" in str(bad.errors)
    batch = services.batch_commit(actor=actor, batch=batch)
    report = AnnualReport.objects.get(source=batch.source, enterprise=ks, year=2024)
    assert report.rnd_expense_deductible == 4
    assert not ExtraFact.objects.filter(batch=batch).exists()
    facts = facts_for_policy(actor=actor, enterprise=ks, as_of=date(2025, 6, 30))
    assert facts.rnd_expense_deductible_y3 == 4 and facts.rnd_expense_y3 == 5
