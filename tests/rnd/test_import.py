"""Importing an institution list: errors name file/row/column, nothing is written on error, idempotent."""

import pytest
import xlsxwriter

from gaoqi.audit.models import AuditEvent
from gaoqi.errors import ValidationFailed
from gaoqi.rnd.imports import institutions_import
from gaoqi.rnd.models import RndInstitution

pytestmark = pytest.mark.django_db

HEADER = [
    "依托企业统一社会信用代码",
    "研发机构名称",
    "研发机构类型",
    "级别",
    "认定日期",
    "状态",
    "撤销或失效日期",
]


def write(path, rows, header=HEADER):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("研发机构名单")
    sheet.write(0, 0, "2024年度省级企业研发机构名单（合成数据）")
    sheet.write_row(2, 0, header)
    for i, row in enumerate(rows, start=3):
        sheet.write_row(i, 0, row)
    book.close()
    return path


def test_import_creates_then_is_idempotent(coverage_world, tmp_path):
    w = coverage_world
    rows = [
        [w["ks_c"].credit_code, "昆山丙企业技术中心", "企业技术中心", "省级", "2023-05-01", "", ""],
        [
            w["wz_a"].credit_code,
            "吴中甲工程中心",
            "工程技术研究中心",
            "市",
            "2022-03-01",
            "撤销",
            "2024-01-01",
        ],
    ]
    path = write(tmp_path / "list.xlsx", rows)
    before = RndInstitution.objects.count()
    result = institutions_import(actor=w["suzhou"], path=path)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert RndInstitution.objects.count() == before + 2
    revoked = RndInstitution.objects.get(name="吴中甲工程中心")
    assert revoked.status == "revoked" and revoked.level == "city" and str(revoked.ended_on) == "2024-01-01"
    events = AuditEvent.objects.filter(target_type="rnd.rndinstitution", action="import")
    assert events.count() == 2 and all("list.xlsx" in e.reason for e in events)
    again = institutions_import(actor=w["suzhou"], path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert RndInstitution.objects.count() == before + 2
    assert AuditEvent.objects.filter(target_type="rnd.rndinstitution", action="import").count() == 2
    # a changed status updates the known institution, audited old -> new
    rows[0][5], rows[0][6] = "失效", "2024-06-30"
    third = institutions_import(actor=w["suzhou"], path=write(tmp_path / "list.xlsx", rows))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    event = (
        AuditEvent.objects.filter(target_type="rnd.rndinstitution", action="import").order_by("-id").first()
    )
    assert event.old["status"] == "valid" and event.new["status"] == "lapsed"


def test_errors_name_row_and_column_and_nothing_is_written(coverage_world, tmp_path):
    w = coverage_world
    rows = [
        [w["ks_c"].credit_code, "好的一行", "企业技术中心", "省级", "2023-05-01", "", ""],
        [w["ks_c"].credit_code, "坏类型", "研究所", "省级", "2023-05-01", "", ""],
        [w["nj_b"].credit_code, "南京的", "企业技术中心", "省级", "2023-05-01", "", ""],  # outside Suzhou
        [w["ks_c"].credit_code, "坏日期", "企业技术中心", "省级", "2023-02-30", "", ""],
        [w["ks_c"].credit_code, "", "企业技术中心", "省级", "2023-05-01", "", ""],
        [
            w["ks_c"].credit_code,
            "好的一行",
            "企业技术中心",
            "省级",
            "2023-05-01",
            "",
            "",
        ],  # duplicate of row 4
    ]
    path = write(tmp_path / "bad.xlsx", rows)
    before = RndInstitution.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        institutions_import(actor=w["suzhou"], path=path)
    found = {(e["row"], e["column"].split("（")[0]) for e in exc.value.errors}
    assert found == {
        (5, "研发机构类型"),
        (6, "依托企业统一社会信用代码"),
        (7, "认定日期"),
        (8, "研发机构名称"),
        (9, "研发机构名称"),
    }
    assert all(e["file"] == "bad.xlsx" for e in exc.value.errors)
    by_row = {e["row"]: e for e in exc.value.errors}
    assert "C列" in by_row[5]["column"] and "研究所" in by_row[5]["reason"]
    assert by_row[6]["reason"] == "企业未登记或不在您的管辖范围内"
    assert "第 4 行" in by_row[9]["reason"]
    assert "第 7 行" in by_row[7]["message"] and "bad.xlsx" in by_row[7]["message"]
    assert RndInstitution.objects.count() == before  # atomic: the good row was not written either


def test_missing_required_column_and_unreadable_file(coverage_world, tmp_path):
    w = coverage_world
    path = write(
        tmp_path / "nolevel.xlsx",
        [[w["ks_c"].credit_code, "x", "企业技术中心", "2023-05-01"]],
        header=["统一社会信用代码", "研发机构名称", "类型", "认定日期"],
    )
    with pytest.raises(ValidationFailed) as exc:
        institutions_import(actor=w["suzhou"], path=path)
    assert [(e["row"], e["column"], e["reason"]) for e in exc.value.errors] == [(3, "级别", "缺少必填列")]
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook at all")
    with pytest.raises(ValidationFailed) as exc:
        institutions_import(actor=w["suzhou"], path=junk)
    assert exc.value.errors[0]["file"] == "junk.xlsx"


def test_csv_gbk_is_read(coverage_world, tmp_path):
    w = coverage_world
    text = (
        "统一社会信用代码,研发机构名称,类型,级别,认定日期\n"
        + f"{w['ks_c'].credit_code},昆山丙重点实验室,重点实验室,国家级,2021/7/1\n"
    )
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode("gbk"))
    result = institutions_import(actor=w["kunshan"], path=path)
    assert result.created == 1
    inst = RndInstitution.objects.get(name="昆山丙重点实验室")
    assert (inst.kind, inst.level, str(inst.recognized_on)) == ("key_lab", "national", "2021-07-01")


def test_import_page_shows_errors(client, coverage_world, tmp_path):
    w = coverage_world
    path = write(
        tmp_path / "bad.xlsx", [[w["nj_b"].credit_code, "南京的", "企业技术中心", "省级", "2023-05-01"]]
    )
    client.force_login(w["suzhou"])
    with open(path, "rb") as fh:
        res = client.post("/rnd/import/", {"file": fh})
    assert res.status_code == 422
    body = res.content.decode()
    assert "企业未登记或不在您的管辖范围内" in body and "bad.xlsx" in body
