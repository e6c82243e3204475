"""The programme's dated process parameters (params.yaml): the value in force on a day, with its source.
The reader is the workflow core's (`gaoqi.workflow.params`)."""

from __future__ import annotations

from pathlib import Path

from gaoqi.workflow.params import DatedParams, Param

__all__ = ["PARAMS", "PARAMS_FILE", "Param", "param", "value"]

PARAMS_FILE = Path(__file__).with_name("params.yaml")
PARAMS = DatedParams(PARAMS_FILE)
param = PARAMS.param
value = PARAMS.value
