"""`gaoqi import FILE --profile P [--year Y] [--commit]`: the preview writes nothing; --commit writes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gaoqi.intake.models import ImportBatch
from gaoqi.registry.models import AnnualReport, DataSource, Enterprise
from tests import factories
from tests.intake.conftest import write_csv


def _run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_preview_then_commit(officers, samples):
    out = _run(str(samples / "market_registry.xlsx"), "--profile", "market_registry")
    assert "新企业：36" in out and "预览完毕，未写入企业库" in out
    assert "第 4 行" in out and "成立日期" in out
    assert not Enterprise.objects.exists() and not ImportBatch.objects.exists()
    out = _run(str(samples / "market_registry.xlsx"), "--profile", "market_registry", "--commit")
    assert "已导入" in out and Enterprise.objects.count() == 36
    out = _run(
        str(samples / "tax.csv"), "--profile", "tax", "--commit", "--user", officers["suzhou"].username
    )
    assert "不在管辖范围" in out  # a Suzhou officer: the Nanjing and Wuxi firms are listed, not written
    source = DataSource.objects.get(department="tax")
    assert source.imported_by == officers["suzhou"] and source.synthetic
    assert not AnnualReport.objects.filter(source=source).exclude(enterprise__city_id="320500").exists()
    out = _run(
        str(samples / "tax.csv"), "--profile", "tax", "--commit", "--user", officers["suzhou"].username
    )
    assert "完全相同" in out and "没有需要写入的变化" in out


def test_errors_are_printed_with_file_sheet_row_column(officers, tmp_path):
    code = factories.credit_code("320583", 55)
    path = write_csv(tmp_path / "bad.csv", [["纳税人识别号", "所属年度", "营业收入"], [code, 2024, "-1"]])
    errors = tmp_path / "errors.xlsx"
    out = _run(str(path), "--profile", "tax", "--errors", str(errors))
    assert "文件“bad.csv”，第 2 行，列“营业收入（C列）”：金额不能为负数" in out
    assert errors.exists() and not ImportBatch.objects.exists()


def test_unreadable_file_exits_2(officers, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(SystemExit) as caught:
        _run(str(path), "--profile", "tax")
    assert caught.value.code == 2


def test_needs_an_officer(db, samples):
    with pytest.raises(CommandError):
        _run(str(samples / "tax.csv"), "--profile", "tax")
