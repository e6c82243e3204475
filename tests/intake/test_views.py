"""The import pages as an officer through Django's test client: upload, preview, commit, error workbook."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from gaoqi.intake.models import BatchStatus, ImportBatch
from gaoqi.registry.models import Enterprise
from tests import factories
from tests.intake.conftest import write_csv


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client, path, profile, **extra):
    with open(path, "rb") as fh:
        return client.post(reverse("intake:batch_list"), {"profile": profile, "file": fh, **extra})


def test_upload_preview_commit(officers, samples):
    client = _client(officers["suzhou"])
    page = client.get(reverse("intake:batch_list"))
    assert page.status_code == 200 and "市场监管 · 企业登记名单" in page.content.decode()
    response = _upload(client, samples / "market_registry.xlsx", "market_registry")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("intake:batch_detail", args=[batch.pk])
    html = client.get(response.url).content.decode()
    assert "新企业 21" in html and "不在管辖范围 15" in html and "成立日期" in html
    assert not Enterprise.objects.exists()
    out_of_scope = client.get(response.url + "?view=out_of_scope").content.decode()
    assert "南京" in out_of_scope
    response = client.post(reverse("intake:batch_commit", args=[batch.pk]), {"reason": "月度登记名单"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.COMMITTED and Enterprise.objects.count() == 21
    html = client.get(reverse("intake:batch_detail", args=[batch.pk])).content.decode()
    assert "已导入企业库" in html and "整批撤销" in html
    client.post(reverse("intake:batch_revert", args=[batch.pk]), {"reason": "测试撤销"})
    assert not Enterprise.objects.exists()


def test_error_workbook_download(officers, tmp_path):
    code = factories.credit_code("320583", 66)
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["纳税人识别号", "纳税人名称", "所属年度", "营业收入"],
            [code, "甲", 2024, "约100万"],
            [code, "甲", 2023, "1"],
        ],
    )
    client = _client(officers["suzhou"])
    _upload(client, path, "tax")
    batch = ImportBatch.objects.get()
    html = client.get(reverse("intake:batch_detail", args=[batch.pk]) + "?view=error").content.decode()
    assert "不是数字" in html and "下载错误清单" in html
    response = client.get(reverse("intake:error_workbook", args=[batch.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_name("错误行").to_python()
    assert rows[0][:3] == ["错误说明", "原行号", "纳税人识别号"]
    assert "营业收入（D列）：不是数字" in rows[1][0] and rows[1][1] == 2 and rows[1][5] == "约100万"
    listing = book.get_sheet_by_name("错误清单").to_python()
    assert listing[1][:4] == ["bad.csv", "CSV", 2.0, "营业收入（D列）"] or listing[1][2] == 2
    assert b"FFC7CE" in _styles(response.content)  # the offending cell is highlighted


def _styles(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("xl/styles.xml")


def test_bad_upload_shows_the_reason(officers, tmp_path):
    client = _client(officers["suzhou"])
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    response = _upload(client, path, "tax")
    assert response.status_code == 302 and not ImportBatch.objects.exists()
    html = client.get(response.url).content.decode()
    assert "文件“empty.csv”：文件为空" in html


@pytest.mark.parametrize("who", ["enterprise", "nanjing"])
def test_others_cannot_see_a_batch(who, officers, samples):
    _upload(_client(officers["suzhou"]), samples / "tax.csv", "tax")
    batch = ImportBatch.objects.get()
    if who == "enterprise":
        user = factories.enterprise_user(factories.enterprise("320583", actor=officers["province"]))
    else:
        user = officers["nanjing"]
    client = _client(user)
    assert client.get(reverse("intake:batch_detail", args=[batch.pk])).status_code == 404
    assert client.post(reverse("intake:batch_commit", args=[batch.pk])).status_code == 404
    assert client.get(reverse("intake:error_workbook", args=[batch.pk])).status_code == 404


def test_officer_menu_has_imports(officers):
    html = _client(officers["kunshan"]).get(reverse("web:home")).content.decode()
    assert reverse("intake:batch_list") in html
