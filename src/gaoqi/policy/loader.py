"""Load dated, sourced parameter files into `Policy` objects (strictly), for the policies of the one list.

File layout and schema: docs/policy-engine.md. Files are `policies/<policy>/params/<policy>_<year>.yaml`
(or all in one folder given as `params_dir`, for tests and what-ifs); each declares
its validity (`effective_from`, optional inclusive `effective_to`; without one a file is in force until
the next file of the same policy starts). Inside a file every parameter is keyed by effective date and
the value in force on `as_of` is the one with the latest date on or before it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from gaoqi.policy.core.errors import PolicyFileError, PolicyNotFound
from gaoqi.policy.core.model import CriterionDef, FrozenMap, Note, Parameter, Policy, Source
from gaoqi.policy.core.ptypes import TYPES
from gaoqi.policy.core.yamlio import LineDict, load_yaml
from gaoqi.policy.policies import RULES

_TOP_KEYS = {
    "policy",
    "version",
    "title_zh",
    "title_en",
    "effective_from",
    "effective_to",
    "citations",
    "notes",
    "requires",
    "criteria",
    "parameters",
}
_TOP_REQUIRED = _TOP_KEYS - {"effective_to", "notes"}
_CITATION_KEYS = {"issuer", "document", "title", "published", "url", "note", "illustrative"}
_SOURCE_KEYS = _CITATION_KEYS | {"cite", "article"}
_LEAF_KEYS = {"type", "unit", "description", "configurable", "choices", "values"}
_CRITERION_KEYS = {"label_zh", "label_en", "cite", "article"}
_NOTE_KEYS = {"date", "document", "issuer", "text"}


@dataclass(frozen=True)
class _Leaf:
    name: str
    type: str
    unit: str
    description: str
    configurable: bool
    choices: tuple[str, ...] | None
    values: tuple[Parameter, ...]  # ascending by effective_from


@dataclass(frozen=True)
class PolicyFile:
    """One parsed, validated parameter file (all dated values kept)."""

    path: str
    name: str
    version: str
    title_zh: str
    title_en: str
    effective_from: date
    effective_to: date | None
    citations: Mapping[str, Source]
    criteria: Mapping[str, CriterionDef]
    requires: tuple[str, ...]
    notes: tuple[Note, ...]
    leaves: Mapping[str, _Leaf]


class _Checker:
    """Schema checks that report the file and line of the offending node."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, node: Any, message: str, key: Any = None) -> PolicyFileError:
        line = None
        if isinstance(node, LineDict):
            line = node.line_of(key) if key is not None else node.line
        return PolicyFileError(self.path, line, message)

    def mapping(self, node: Any, where: str, allowed: set[str], required: set[str] = frozenset()) -> LineDict:
        if not isinstance(node, LineDict):
            raise PolicyFileError(self.path, None, f"{where}: expected a mapping")
        for key in node:
            if key not in allowed:
                raise self.fail(
                    node, f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})", key
                )
        for key in sorted(required):
            if key not in node:
                raise self.fail(node, f"{where}: missing key {key!r}")
        return node

    def text(self, node: LineDict, key: str, where: str, optional: bool = False) -> str:
        value = node.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node, f"{where}.{key}: expected non-empty text", key)
        return value

    def date(self, node: LineDict, key: str, where: str) -> date:
        value = node.get(key)
        if not isinstance(value, date):
            raise self.fail(node, f"{where}.{key}: bad date {value!r} (expected YYYY-MM-DD)", key)
        return value


def _source(chk: _Checker, node: Any, where: str, citations: Mapping[str, Source]) -> Source:
    if node is None:
        raise PolicyFileError(chk.path, None, f"{where}: missing source")
    node = chk.mapping(node, where, _SOURCE_KEYS)
    base: dict[str, Any] = {}
    if "cite" in node:
        ref = node["cite"]
        if ref not in citations:
            raise chk.fail(node, f"{where}.cite: unknown citation {ref!r}", "cite")
        c = citations[ref]
        base = {
            "issuer": c.issuer,
            "document": c.document,
            "title": c.title,
            "published": c.published,
            "url": c.url,
            "note": c.note,
            "illustrative": c.illustrative,
        }
    for key in _CITATION_KEYS | {"article"}:
        if key in node:
            base[key] = node[key]
    for key in ("issuer", "document", "article"):
        if not isinstance(base.get(key), str) or not base[key].strip():
            raise chk.fail(node, f"{where}: source lacks {key!r}")
    if not isinstance(base.get("published"), date):
        raise chk.fail(node, f"{where}: source lacks a valid 'published' date", "published")
    if not isinstance(base.get("illustrative", False), bool):
        raise chk.fail(node, f"{where}.illustrative: expected true/false", "illustrative")
    return Source(
        issuer=base["issuer"],
        document=base["document"],
        article=base["article"],
        published=base["published"],
        title=base.get("title") or "",
        url=base.get("url") or "",
        note=base.get("note") or "",
        illustrative=base.get("illustrative", False),
    )


def _citations(chk: _Checker, node: Any) -> dict[str, Source]:
    node = chk.mapping(node, "citations", set(node) if isinstance(node, dict) else set())
    out: dict[str, Source] = {}
    for ref, raw in node.items():
        where = f"citations.{ref}"
        item = chk.mapping(raw, where, _CITATION_KEYS, {"issuer", "document", "published"})
        chk.text(item, "issuer", where)
        chk.text(item, "document", where)
        chk.date(item, "published", where)
        out[str(ref)] = Source(
            issuer=item["issuer"],
            document=item["document"],
            article="",
            published=item["published"],
            title=item.get("title") or "",
            url=item.get("url") or "",
            note=item.get("note") or "",
            illustrative=bool(item.get("illustrative", False)),
        )
    if not out:
        raise chk.fail(node, "citations: at least one citation is required")
    return out


def _leaves(chk: _Checker, node: Any, prefix: str, citations: Mapping[str, Source], out: dict) -> None:
    if not isinstance(node, LineDict):
        raise PolicyFileError(chk.path, None, f"parameters.{prefix}: expected a mapping")
    if "values" in node:
        _leaf(chk, node, prefix, citations, out)
        return
    for key, child in node.items():
        if not isinstance(key, str) or not key.replace("_", "").isalnum() or not key.isascii():
            raise chk.fail(node, f"parameters: bad parameter name {key!r}", key)
        if not isinstance(child, LineDict):
            raise chk.fail(
                node, f"parameters.{prefix}{key}: expected a parameter (with `values`) or a group", key
            )
        _leaves(chk, child, f"{prefix}{key}.", citations, out)


def _leaf(chk: _Checker, node: LineDict, prefix: str, citations: Mapping[str, Source], out: dict) -> None:
    name = prefix.rstrip(".")
    where = f"parameter {name}"
    chk.mapping(node, where, _LEAF_KEYS, {"type", "values"})
    ptype = node["type"]
    if ptype not in TYPES:
        raise chk.fail(node, f"{where}: unknown type {ptype!r} (known: {', '.join(sorted(TYPES))})", "type")
    choices = node.get("choices")
    if choices is not None and (not isinstance(choices, list) or ptype != "str"):
        raise chk.fail(node, f"{where}.choices: only a list, for type str", "choices")
    values_node = node["values"]
    if not isinstance(values_node, LineDict) or not values_node:
        raise chk.fail(node, f"{where}.values: expected a mapping of dates to values", "values")
    values: list[Parameter] = []
    for when, entry in values_node.items():
        if not isinstance(when, date):
            raise chk.fail(values_node, f"{where}: bad date {when!r} (expected YYYY-MM-DD)", when)
        entry = chk.mapping(entry, f"{where} @ {when}", {"value", "source"}, {"value", "source"})
        try:
            value = TYPES[ptype].parse(entry["value"])
            if choices is not None and value not in choices:
                raise ValueError(f"expected one of {choices}, got {value!r}")
        except ValueError as exc:
            raise chk.fail(entry, f"{where} @ {when}: {exc}", "value") from None
        source = _source(chk, entry["source"], f"{where} @ {when} source", citations)
        values.append(
            Parameter(
                value=value,
                effective_from=when,
                source=source,
                name=name,
                type=ptype,
                unit=str(node.get("unit") or ""),
                description=str(node.get("description") or ""),
                configurable=bool(node.get("configurable", False)),
            )
        )
    values.sort(key=lambda p: p.effective_from)
    out[name] = (
        node,
        _Leaf(
            name,
            ptype,
            str(node.get("unit") or ""),
            str(node.get("description") or ""),
            bool(node.get("configurable", False)),
            tuple(choices) if choices else None,
            tuple(values),
        ),
    )


def parse_policy_file(path: str | os.PathLike[str]) -> PolicyFile:
    """Parse and validate one parameter file; any problem raises `PolicyFileError(path, line, ...)`."""
    path = str(path)
    text = Path(path).read_text(encoding="utf-8")
    return _parse_text(path, text)


def _parse_text(path: str, text: str) -> PolicyFile:
    chk = _Checker(path)
    doc = load_yaml(path, text)
    if not isinstance(doc, LineDict):
        raise PolicyFileError(path, 1, "a parameter file must be a mapping")
    chk.mapping(doc, "file", _TOP_KEYS, _TOP_REQUIRED)
    name = chk.text(doc, "policy", "file")
    if name not in RULES:
        raise chk.fail(
            doc, f"unknown policy {name!r} (known rule sets: {', '.join(sorted(RULES))})", "policy"
        )
    stem = Path(path).stem
    if stem.rsplit("_", 1)[0] != name:
        raise chk.fail(doc, f"file name {Path(path).name!r} must start with '{name}_'", "policy")
    rules = RULES[name]
    effective_from = chk.date(doc, "effective_from", "file")
    effective_to = chk.date(doc, "effective_to", "file") if "effective_to" in doc else None
    if effective_to is not None and effective_to < effective_from:
        raise chk.fail(doc, "effective_to is before effective_from", "effective_to")
    citations = _citations(chk, doc["citations"])

    notes = []
    if "notes" in doc:
        if not isinstance(doc["notes"], list):
            raise chk.fail(doc, "notes: expected a list", "notes")
        for i, raw in enumerate(doc["notes"]):
            item = chk.mapping(raw, f"notes[{i}]", _NOTE_KEYS, _NOTE_KEYS)
            notes.append(
                Note(
                    chk.date(item, "date", f"notes[{i}]"),
                    chk.text(item, "document", f"notes[{i}]"),
                    chk.text(item, "issuer", f"notes[{i}]"),
                    chk.text(item, "text", f"notes[{i}]"),
                )
            )

    requires = doc["requires"]
    if not isinstance(requires, list) or any(f not in rules.field_names for f in requires):
        bad = [f for f in requires if f not in rules.field_names] if isinstance(requires, list) else requires
        raise chk.fail(doc, f"requires: unknown fields {bad!r}", "requires")

    crit_node = chk.mapping(doc["criteria"], "criteria", set(rules.criteria))
    criteria: dict[str, CriterionDef] = {}
    for cid in rules.criteria:
        if cid not in crit_node:
            raise chk.fail(crit_node, f"criteria: missing criterion {cid!r}")
        item = chk.mapping(crit_node[cid], f"criteria.{cid}", _CRITERION_KEYS, _CRITERION_KEYS)
        ref = item["cite"]
        if ref not in citations:
            raise chk.fail(item, f"criteria.{cid}.cite: unknown citation {ref!r}", "cite")
        article = chk.text(item, "article", cid)
        criteria[cid] = CriterionDef(
            cid,
            chk.text(item, "label_zh", cid),
            chk.text(item, "label_en", cid),
            f"{citations[ref].document} {article}",
            replace(citations[ref], article=article),
        )

    found: dict[str, tuple[LineDict, _Leaf]] = {}
    _leaves(chk, doc["parameters"], "", citations, found)
    for pname, (node, leaf) in found.items():
        if pname not in rules.params:
            raise chk.fail(node, f"unknown parameter {pname!r} for policy {name!r}")
        if leaf.type != rules.params[pname]:
            raise chk.fail(node, f"parameter {pname}: type must be {rules.params[pname]!r}", "type")
        if leaf.values[0].effective_from > effective_from:
            raise chk.fail(node, f"parameter {pname}: no value in force on effective_from {effective_from}")
        if effective_to and leaf.values[-1].effective_from > effective_to:
            raise chk.fail(node, f"parameter {pname}: a value starts after effective_to {effective_to}")
    missing = sorted(set(rules.params) - set(found))
    if missing:
        raise chk.fail(doc, f"parameters missing: {', '.join(missing)}", "parameters")
    leaves = {k: leaf for k, (_node, leaf) in found.items()}
    for pname, message in rules.check_params({k: v.values[-1] for k, v in leaves.items()}):
        raise chk.fail(found[pname][0] if pname in found else doc, message)
    return PolicyFile(
        path,
        name,
        str(doc["version"]),
        chk.text(doc, "title_zh", "file"),
        chk.text(doc, "title_en", "file"),
        effective_from,
        effective_to,
        FrozenMap(citations),
        FrozenMap(criteria),
        tuple(requires),
        tuple(notes),
        FrozenMap(leaves),
    )


@lru_cache(maxsize=64)
def _cached_file(path: str, mtime_ns: int) -> PolicyFile:
    return parse_policy_file(path)


def _files_for(name: str, params_dir: Path) -> list[PolicyFile]:
    paths = sorted(p for p in params_dir.glob(f"{name}_*.yaml") if p.stem.rsplit("_", 1)[0] == name)
    files = sorted(
        (_cached_file(str(p), p.stat().st_mtime_ns) for p in paths), key=lambda f: f.effective_from
    )
    for a, b in zip(files, files[1:], strict=False):
        if a.effective_from == b.effective_from:
            raise PolicyFileError(b.path, None, f"same effective_from as {a.path}")
        if a.effective_to is not None and a.effective_to >= b.effective_from:
            raise PolicyFileError(a.path, None, f"validity overlaps {b.path}")
    return files


def available_policies(params_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of the policies that have at least one parameter file."""
    return sorted(n for n, r in RULES.items() if any(_folder(n, params_dir).glob(f"{n}_*.yaml")))


def _folder(name: str, params_dir: str | os.PathLike[str] | None) -> Path:
    return Path(params_dir) if params_dir else RULES[name].params_dir


def _pick(files: list[PolicyFile], name: str, as_of: date) -> PolicyFile:
    for i, f in enumerate(files):
        end = f.effective_to
        if end is None and i + 1 < len(files):
            end = date.fromordinal(files[i + 1].effective_from.toordinal() - 1)
        if f.effective_from <= as_of and (end is None or as_of <= end):
            return f
    spans = ", ".join(f"{f.effective_from}–{f.effective_to or '…'} ({Path(f.path).name})" for f in files)
    raise PolicyNotFound(f"policy {name!r} is not in force on {as_of} (validity: {spans})")


def load_policy(
    name: str,
    as_of: date,
    overrides: Mapping[str, Any] | None = None,
    *,
    params_dir: str | os.PathLike[str] | None = None,
) -> Policy:
    """The policy `name` as in force on `as_of`, optionally with what-if `overrides`.

    `overrides` maps dotted parameter names to values in YAML notation (percent in percent points, band
    tables as lists); unknown names or ill-shaped values raise `PolicyOverrideError`.
    """
    if not isinstance(as_of, date):
        raise TypeError("as_of must be a date")
    if name not in RULES:
        raise PolicyNotFound(f"unknown policy {name!r}; known: {', '.join(available_policies(params_dir))}")
    folder = _folder(name, params_dir)
    files = _files_for(name, folder)
    if not files:
        raise PolicyNotFound(f"no parameter file for policy {name!r} in {folder}")
    pf = _pick(files, name, as_of)
    params: dict[str, Parameter] = {}
    for pname, leaf in pf.leaves.items():
        in_force = [p for p in leaf.values if p.effective_from <= as_of]
        params[pname] = in_force[-1]
    subs = {sub: load_policy(sub, as_of, params_dir=params_dir) for sub in RULES[name].subpolicies}
    policy = Policy(
        name=pf.name,
        version=pf.version,
        title_zh=pf.title_zh,
        title_en=pf.title_en,
        effective_from=pf.effective_from,
        effective_to=pf.effective_to,
        citations=pf.citations,
        criteria=pf.criteria,
        params=FrozenMap(params),
        requires=pf.requires,
        notes=pf.notes,
        source_file=pf.path,
        as_of=as_of,
        param_hash="",
        subpolicies=FrozenMap(subs),
        rules=RULES[name],
    )
    policy = replace(policy, param_hash=policy.compute_hash())
    if overrides:
        policy = policy.with_overrides(overrides)
    return policy
