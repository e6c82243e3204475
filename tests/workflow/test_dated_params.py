"""The one reader of the programmes' dated parameters (gaoqi.workflow.params): the entry in force on a day, bad
entries refused, and the three programmes reading their own files through it."""

from datetime import date

import pytest

from gaoqi.programmes.hte import params as hte_params
from gaoqi.programmes.pool import params as pool_params
from gaoqi.programmes.tech_sme import params as sme_params
from gaoqi.workflow.params import DatedParams, Param

YAML = """
notice_days:
  2024-01-01: {value: 7, source: "old rule"}
  2026-03-01: {value: 10, source: "new rule", illustrative: true}
"""


def _params(tmp_path, text=YAML) -> DatedParams:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    return DatedParams(path)


def test_the_entry_in_force_on_a_day(tmp_path):
    p = _params(tmp_path)
    assert p.value("notice_days", date(2026, 2, 28)) == 7
    assert p.param("notice_days", date(2026, 3, 1)) == Param(
        "notice_days", 10, date(2026, 3, 1), "new rule", True
    )
    assert p.param("notice_days", date(2024, 1, 1)).illustrative is False
    with pytest.raises(LookupError):
        p.param("notice_days", date(2023, 12, 31))
    with pytest.raises(KeyError):
        p.value("no_such_name", date(2026, 3, 1))


def test_bad_entries_are_refused(tmp_path):
    with pytest.raises(ValueError, match="bad entry"):
        _ = _params(tmp_path, "x:\n  2026-01-01: {value: 1, typo: 2}\n").table
    with pytest.raises(ValueError, match="bad entry"):
        _ = _params(tmp_path, "x:\n  not-a-date: {value: 1}\n").table


def test_each_programme_reads_its_own_file_through_the_one_reader():
    for module in (sme_params, pool_params, hte_params):
        assert isinstance(module.PARAMS, DatedParams)
        assert module.PARAMS.path == module.PARAMS_FILE and module.PARAMS_FILE.parent.name in module.__name__
    on = date(2026, 6, 1)
    assert sme_params.param("notice_working_days", on).value == sme_params.value("notice_working_days", on)
    assert pool_params.intake_window(2026)[0] <= pool_params.intake_window(2026)[1]
    assert hte_params.panel_rules(on).size > 0
