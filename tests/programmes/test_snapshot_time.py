"""A frozen snapshot's time (stored as a UTC ISO string) is shown in the platform's time zone."""

from gaoqi.workflow.templatetags.workflow_tags import local_time


def test_a_utc_timestamp_is_shown_in_shanghai_time():
    assert local_time("2026-04-15T01:30:12.345678+00:00") == "2026-04-15 09:30"
    assert local_time("2026-12-31T16:05:00+00:00") == "2027-01-01 00:05"  # across midnight and the year


def test_naive_or_unreadable_values_are_shown_as_they_are():
    assert local_time("2026-04-15T09:30:00") == "2026-04-15 09:30"
    assert local_time("not a time") == "not a time"
    assert local_time(None) == ""
