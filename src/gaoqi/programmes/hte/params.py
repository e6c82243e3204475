"""The HTE programme's dated process parameters (params.yaml): the value in force on a day, with its source.
The reader is the workflow core's (`gaoqi.workflow.params`)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

from gaoqi.programmes.hte.panels import Rules
from gaoqi.workflow.params import DatedParams

PARAMS_FILE = Path(__file__).with_name("params.yaml")
PARAMS = DatedParams(PARAMS_FILE)
param = PARAMS.param
value = PARAMS.value


def panel_rules(on: date) -> Rules:
    v = value("panel", on)
    return Rules(
        size=int(v["size"]),
        financial=int(v["financial"]),
        min_technical_share=Fraction(v["min_technical_share"]),
        pool_factor=int(v["pool_factor"]),
    )
