"""The pool programme's dated process parameters (params.yaml): the value in force on a day, with its source.
The reader is the workflow core's (`gaoqi.workflow.params`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gaoqi.workflow.params import DatedParams

PARAMS_FILE = Path(__file__).with_name("params.yaml")
PARAMS = DatedParams(PARAMS_FILE)
param = PARAMS.param
value = PARAMS.value


def intake_window(year: int, on: date | None = None) -> tuple[date, date]:
    """The application window of `year` (the rule in force on its opening day, or on `on`)."""
    rule = value("intake_window", on or date(year, 1, 1))
    opens = date(year, *(int(x) for x in rule["opens"].split("-")))
    closes = date(year, *(int(x) for x in rule["closes"].split("-")))
    return opens, closes


def score_items(on: date) -> list[dict]:
    return [dict(i) for i in value("expert_score_items", on)]
