"""Strict YAML reading for parameter files: duplicate keys and bad dates are errors with a line.

Mappings come back as `LineDict` (a dict that remembers its own line and each key's line), so the
schema checks in `loader.py` can point at the exact line of a wrong key or value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from gaoqi.policy.core.errors import PolicyFileError


class LineDict(dict):
    """A plain dict plus `line` (of the mapping) and `key_lines` (line of each key), all 1-based."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line: int | None = None
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int | None:
        return self.key_lines.get(key, self.line)


class _YamlProblem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _StrictLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise _YamlProblem(line, "a mapping key must be a plain value") from None
        if key in result:
            raise _YamlProblem(line, f"duplicate key {key!r} (first on line {result.key_lines[key]})")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> dt.date:
    try:
        value = yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise _YamlProblem(node.start_mark.line + 1, f"bad date {node.value!r}: {exc}") from None
    if isinstance(value, dt.datetime):
        raise _YamlProblem(node.start_mark.line + 1, f"expected a date, got a timestamp {node.value!r}")
    return value


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml(path: str, text: str) -> Any:
    """Parse one YAML document strictly; every problem becomes a `PolicyFileError(path, line, ...)`."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _YamlProblem as exc:
        raise PolicyFileError(path, exc.line, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyFileError(path, line, f"YAML syntax: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise PolicyFileError(path, None, f"YAML: {exc}") from None
