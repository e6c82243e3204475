"""The statistics-bureau import: file/row/column errors, nothing written on error, idempotent, scope."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from gaoqi.errors import ValidationFailed
from gaoqi.monitoring.models import RegionalStatistic
from gaoqi.monitoring.statistics import statistics_import

GOOD = '地区,年度,指标,数值,单位,来源\n江苏省,2025,全部企业研发经费支出,"3,560.2",亿元,统计年鉴\n320500,2025,规上工业总产值,1200,万元,\n'


def _file(tmp_path, text, name="stats.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_import_and_reimport(world, tmp_path):
    p = _file(tmp_path, GOOD)
    r = statistics_import(actor=world["province"], path=p)
    assert (r.rows, r.created, r.updated) == (2, 2, 0)
    s = RegionalStatistic.objects.get(region_id="320000", year=2025, indicator="rnd_expense_all")
    assert s.value == Decimal("356020000000.00") and s.source == "统计年鉴"
    assert RegionalStatistic.objects.get(region_id="320500").value == Decimal(12_000_000)
    r = statistics_import(actor=world["province"], path=p)
    assert (r.created, r.updated, r.unchanged) == (0, 0, 2)
    p = _file(tmp_path, GOOD.replace("1200", "1300"))
    assert statistics_import(actor=world["province"], path=p).updated == 1


def test_errors_name_file_row_column_and_write_nothing(world, tmp_path):
    text = (
        "地区,年度,指标,数值,单位\n"
        "江苏省,2025,全部企业研发经费支出,abc,亿元\n"
        "鼓楼区,2025,工业总产值,1,万元\n"
        "江苏省,2099,工业总产值,1,万元\n"
        "江苏省,2025,利润,1,斤\n"
        "江苏省,2024,工业总产值,1,万元\n"
        "320000,2024,工业总产值,2,万元\n"
    )
    with pytest.raises(ValidationFailed) as exc:
        statistics_import(actor=world["province"], path=_file(tmp_path, text, "bad.csv"))
    messages = [e["message"] for e in exc.value.errors]
    assert any("bad.csv" in m and "第 2 行" in m and "数值" in m and "不是数字" in m for m in messages)
    assert any("第 3 行" in m and "不唯一" in m for m in messages)
    assert any("第 4 行" in m and "年度" in m for m in messages)
    assert any("第 5 行" in m and "无法识别指标" in m for m in messages)
    assert any("第 5 行" in m and "单位" in m for m in messages)
    assert any("第 7 行" in m and "重复" in m for m in messages)
    assert not RegionalStatistic.objects.exists()


def test_city_officer_only_its_region(world, tmp_path):
    with pytest.raises(ValidationFailed) as exc:
        statistics_import(actor=world["suzhou"], path=_file(tmp_path, GOOD))
    assert "管辖范围" in exc.value.errors[0]["message"] and not RegionalStatistic.objects.exists()
    ok = "地区,年度,指标,数值\n苏州市,2025,高新技术产业产值,5\n昆山市,2025,高新技术产业产值,1\n"
    assert statistics_import(actor=world["suzhou"], path=_file(tmp_path, ok)).created == 2


def test_cli(world, tmp_path, capsys):
    call_command("import_statistics", str(_file(tmp_path, GOOD)))
    assert RegionalStatistic.objects.count() == 2
    with pytest.raises(SystemExit) as exc:
        call_command("import_statistics", str(_file(tmp_path, "地区,年度\n江苏省,2025\n", "x.csv")))
    assert exc.value.code == 2 and "缺少必填列" in capsys.readouterr().err
