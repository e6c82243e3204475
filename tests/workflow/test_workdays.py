"""Working-day arithmetic: public holidays and adjusted working days from chinese-calendar, plus the data file."""

from datetime import date

import pytest

from gaoqi.errors import ValidationFailed
from gaoqi.workflow import workdays
from gaoqi.workflow.workdays import add_working_days, is_workday, working_days_between


def test_national_day_2026_and_its_adjusted_working_saturday():
    # 2026: Mid-Autumn Friday 25 September and 1-7 October off; Sunday 20 September and Saturday 10 October
    # are working days.
    assert is_workday(date(2026, 9, 20)) and is_workday(date(2026, 10, 10))
    assert not is_workday(date(2026, 9, 25))
    assert add_working_days(date(2026, 9, 24), 2) == date(2026, 9, 28)
    assert not any(is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert add_working_days(date(2026, 9, 28), 3) == date(2026, 9, 30)
    assert add_working_days(date(2026, 9, 28), 4) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 28), 6) == date(2026, 10, 10)  # the adjusted Saturday counts
    assert add_working_days(date(2026, 9, 28), 7) == date(2026, 10, 12)  # Sunday the 11th does not


def test_spring_festival_2026():
    # 2026: 15-23 February off; Saturday 14 and Saturday 28 February are working days.
    assert is_workday(date(2026, 2, 14)) and is_workday(date(2026, 2, 28))
    assert not any(is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 12), 4) == date(2026, 2, 24)
    assert working_days_between(date(2026, 2, 9), date(2026, 3, 1)) == 5 + 1 + 4 + 1


def test_a_start_on_a_holiday_is_not_counted():
    assert add_working_days(date(2026, 10, 1), 1) == date(2026, 10, 8)


def test_a_year_the_library_lacks_comes_from_the_data_file():
    # 2027 is in data/calendar_extra.yaml: New Year's Day off, an ordinary Monday on.
    assert not is_workday(date(2027, 1, 1)) and is_workday(date(2027, 1, 4))
    assert add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 9)  # 3, 4, (5-8 off), 9


def test_a_year_nobody_covers_is_an_error_not_a_guess(tmp_path, monkeypatch):
    with pytest.raises(ValidationFailed, match="2031"):
        is_workday(date(2031, 5, 6))


def test_the_data_file_is_checked(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("2030:\n  holidays: [2031-01-01]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a date of 2030"):
        workdays._extra(bad)
    clash = tmp_path / "clash.yaml"
    clash.write_text("2030:\n  holidays: [2030-01-05]\n  workdays: [2030-01-05]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="both"):
        workdays._extra(clash)
