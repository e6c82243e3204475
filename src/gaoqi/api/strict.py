"""API input that takes what the schema declares, nothing pydantic's lax mode would coerce into it.

Lax validation reads a JSON `false` as the number 0, `"12"` as 12, `1` as true and the number `0` as the date
1970-01-01 (a Unix timestamp). The schema promises an integer, a boolean, a `YYYY-MM-DD` date: a request that
sends anything else is refused (422) as schemathesis's `negative_data_rejection` check expects
(tests/api/test_schemathesis.py). Body schemas derive from `In`; a date in a query takes `IsoDate`. Query
schemas (`Query[...]`) stay plain `Schema`s: every query value arrives as text.
"""

from __future__ import annotations

import re
import types
from datetime import date, datetime
from typing import Annotated, Union, get_args, get_origin

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BeforeValidator, model_validator

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NAMES = {"int": "an integer", "bool": "a boolean", "date": "a date (YYYY-MM-DD)"}


def _iso_day(value):
    if isinstance(value, date) or (isinstance(value, str) and ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("date must be written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_day)]


def _kinds(annotation) -> set[str]:
    """The scalar kinds checked here ("int", "bool", "date") an annotation holds, through Optional, unions,
    lists and Annotated."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, tuple, set, frozenset):
        return set().union(*(_kinds(a) for a in get_args(annotation) if a is not Ellipsis))
    if annotation is bool:
        return {"bool"}
    if annotation is date:
        return {"date"}
    if isinstance(annotation, type) and issubclass(annotation, int) and not issubclass(annotation, bool):
        return {"int"}
    return set()


def _fits(value, kinds: set[str]) -> bool:
    if value is None:
        return True  # whether None is allowed is pydantic's to say
    if "bool" in kinds and isinstance(value, bool):
        return True
    if "int" in kinds and isinstance(value, int) and not isinstance(value, bool):
        return True
    if "date" in kinds and (
        (isinstance(value, date) and not isinstance(value, datetime))
        or (isinstance(value, str) and ISO_DAY.fullmatch(value))
    ):
        return True
    return False


class In(Schema):
    """A request body: an integer, boolean or date field takes a JSON value of that type only."""

    @model_validator(mode="before")
    @classmethod
    def _no_lax_coercion(cls, data):
        raw = data._obj if isinstance(data, DjangoGetter) else data  # ninja's Schema wraps the input
        if not isinstance(raw, dict):
            return data
        for name, field in cls.model_fields.items():
            key = field.alias or name
            kinds = _kinds(field.annotation)
            if key not in raw or not kinds or not _only_scalars(field.annotation):
                continue
            value = raw[key]
            if not all(_fits(item, kinds) for item in (value if isinstance(value, list) else [value])):
                expected = " or ".join(sorted(NAMES[k] for k in kinds))
                raise ValueError(f"{key}: expected {expected}")
        return data


def _only_scalars(annotation) -> bool:
    """True when every member of the annotation is one of the checked scalars (or None, or a list of them):
    a union with a string or a model is pydantic's alone to decide."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _only_scalars(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, tuple, set, frozenset):
        return all(_only_scalars(a) for a in get_args(annotation) if a is not Ellipsis)
    return annotation in (bool, date, type(None)) or (
        isinstance(annotation, type) and issubclass(annotation, int)
    )
