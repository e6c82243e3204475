"""What-if: counts, cities and reward cost on a small table whose answer is known by construction."""

from __future__ import annotations

from datetime import date

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from tests.policy.fixtures.firms import GOOD, credit_code, write_csv

from gaoqi.policy.loader import load_policy
from gaoqi.policy.template import read_table
from gaoqi.policy.whatif.report import write_report
from gaoqi.policy.whatif.simulate import read_reform, simulate

AS_OF = date(2024, 6, 30)


def firm(seq, region, **changes):
    return {
        **GOOD,
        "credit_code": credit_code(seq, region),
        "region_code": region,
        "name": f"企业{seq}",
        **changes,
    }


FIRMS = [
    firm(1, "320505"),  # A Suzhou: 8 IP items, passes both
    firm(2, "320506", ip_class1="0", ip_class2="2"),  # B Suzhou: 2 items, pass -> fail when 3 are needed
    firm(3, "320102", ip_class1="1", ip_class2="0"),  # C Nanjing: 1 item, pass -> fail
    firm(
        4,
        "320115",
        rnd_expense_y1="0",
        rnd_expense_y2="0",
        rnd_expense_y3="0",  # D Nanjing: no R&D, fails both
        rnd_expense_domestic_y1="0",
        rnd_expense_domestic_y2="0",
        rnd_expense_domestic_y3="0",
    ),
    firm(5, "320205", tech_staff="7"),  # E Wuxi: 7% tech staff, fail -> pass when 5% suffices
]
REFORM_YAML = """\
- {name: ip.min_count, value: 3}
- {name: tech_staff.min_ratio, value: 5, effective_from: 2024-01-01}
- {name: reward.admission_amount, value: 500000}
- {name: rnd.min_ratio, value: 50, effective_from: 2030-01-01}
"""


@pytest.fixture
def table(tmp_path):
    header = list(GOOD)
    return read_table(write_csv(tmp_path / "firms.csv", header, [[f[h] for h in header] for f in FIRMS])).df


def test_counts_cities_and_cost(tmp_path, table):
    (tmp_path / "reform.yaml").write_text(REFORM_YAML, encoding="utf-8")
    reform = read_reform(tmp_path / "reform.yaml")
    result = simulate(table, load_policy("pool", AS_OF), reform, AS_OF)
    assert result.overrides == {
        "ip.min_count": 3,
        "tech_staff.min_ratio": 5,
        "reward.admission_amount": 500000,
    }
    assert [o.name for o in result.not_in_force] == ["rnd.min_ratio"]  # dated 2030: not applied
    assert result.transitions == {
        ("pass", "pass"): 1,
        ("pass", "fail"): 2,
        ("fail", "pass"): 1,
        ("fail", "fail"): 1,
    }
    assert (result.newly_passing, result.no_longer_passing) == (1, 2)
    assert result.reward_param == "reward.admission_amount"
    assert result.cost == {
        "baseline_total": 900_000,
        "reform_total": 1_000_000,
        "added": 500_000,
        "saved": 600_000,
        "net": 100_000,
    }
    cities = {r["city_code"]: r for r in result.by_city.iter_rows(named=True)}
    assert cities["320500"]["city"] == "苏州市"
    assert (
        cities["320500"]["firms"],
        cities["320500"]["baseline_pass"],
        cities["320500"]["reform_pass"],
    ) == (2, 2, 1)
    assert (cities["320100"]["no_longer_passing"], cities["320100"]["reward_change"]) == (1, -300_000)
    assert (cities["320200"]["newly_passing"], cities["320200"]["reward_change"]) == (1, 500_000)
    changed = {r["credit_code"]: r["changed_criteria"] for r in result.changed.iter_rows(named=True)}
    assert changed == {
        credit_code(2, "320506"): "pool.ip",
        credit_code(3, "320102"): "pool.ip",
        credit_code(5, "320205"): "pool.tech_staff_ratio",
    }
    assert "新增符合 1 家，不再符合 2 家" in result.summary_text()


def test_reform_from_excel_and_report(tmp_path, table):
    path = tmp_path / "reform.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["参数", "值", "生效日期"])
    ws.write_row(1, 0, ["ip.min_count", 3.0, "2024-01-01"])
    ws.write_row(2, 0, ["reward.admission_amount", 500000.0])
    wb.close()
    reform = read_reform(path)
    assert [(o.name, o.value, o.effective_from) for o in reform.overrides] == [
        ("ip.min_count", 3, date(2024, 1, 1)),
        ("reward.admission_amount", 500000, None),
    ]
    result = simulate(table, load_policy("pool", AS_OF), reform, AS_OF)
    assert result.transitions == {("pass", "pass"): 1, ("pass", "fail"): 2, ("fail", "fail"): 2}
    out = write_report(result, tmp_path / "report.xlsx")
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["摘要", "按地市", "结果变化企业", "参数"]
    changed = book.get_sheet_by_name("结果变化企业").to_python()
    assert changed[0][:3] == ["行号", "统一社会信用代码", "企业名称"] and len(changed) == 3
    params = book.get_sheet_by_name("参数").to_python()
    assert params[1][:3] == ["ip.min_count", "1", "3"]


def test_reform_errors_are_readable(tmp_path, table):
    (tmp_path / "bad.yaml").write_text("- {value: 3}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="name"):
        read_reform(tmp_path / "bad.yaml")
    (tmp_path / "unknown.yaml").write_text("no.such.param: 3\n", encoding="utf-8")
    from gaoqi.policy.core.errors import PolicyOverrideError

    with pytest.raises(PolicyOverrideError):
        simulate(table, load_policy("pool", AS_OF), read_reform(tmp_path / "unknown.yaml"), AS_OF)
