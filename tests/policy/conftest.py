"""Collect tests/policy/cases/*.yaml: one pytest item per case, every expected field checked.

A case file is a mapping with optional `bases` (named facts) and `cases`, a list of
    name, as_of, policy, [overrides], [base], facts, expect
`expect` may hold outcome, eligible, score, score_min, score_max, direct_pass_reason, grade, errors (list of
field names), criteria ({id: {attribute: value}}), gaps ({criterion_id: {attribute: value}}), no_gaps (true)
and param (a {dotted name: value} map checked against the loaded policy). An unknown key fails the case,
so a misspelt expectation can never pass silently.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import pytest
import yaml

from gaoqi.policy import EnterpriseFacts, RndInstitutionFacts, evaluate, load_policy
from gaoqi.policy.core.model import jsonable

TOP_EXPECT = {
    "outcome",
    "eligible",
    "score",
    "score_min",
    "score_max",
    "direct_pass_reason",
    "grade",
    "policy_version",
}
CRITERION_ATTRS = {"passed", "points", "points_min", "points_max", "band", "value", "kind", "citation"}
GAP_ATTRS = {"field", "current", "needed", "delta", "unit", "message_zh", "changes", "points_gain", "cost"}
CASE_KEYS = {"name", "as_of", "policy", "overrides", "base", "facts", "expect"}


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and file_path.parent.name == "cases":
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        doc = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        bases = doc.get("bases", {})
        for i, case in enumerate(doc["cases"]):
            yield CaseItem.from_parent(self, name=f"{i + 1:02d} {case['name']}", case=case, bases=bases)


class CaseMismatch(AssertionError):
    pass


def _same(expected, actual) -> bool:
    """Equality that reads YAML naturally: 0.05 matches Decimal('0.0500'); True never matches 1."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(actual, Decimal) and isinstance(expected, int | float | str):
        return actual == Decimal(str(expected))
    if isinstance(actual, list | tuple) and isinstance(expected, list | tuple):
        return len(actual) == len(expected) and all(
            _same(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(actual, dict) and isinstance(expected, dict):
        return jsonable(actual) == jsonable(expected)
    return expected == actual


class CaseItem(pytest.Item):
    def __init__(self, *, case, bases, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.bases = bases

    def _facts(self):
        case = self.case
        data = dict(self.bases[case["base"]]) if "base" in case else {}
        data.update(case.get("facts") or {})
        cls = RndInstitutionFacts if case["policy"] == "rnd_institution" else EnterpriseFacts
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise CaseMismatch(f"unknown fact fields {sorted(unknown)}")
        return cls(**data)

    def runtest(self):
        case = self.case
        unknown = set(case) - CASE_KEYS
        if unknown:
            raise CaseMismatch(f"unknown case keys {sorted(unknown)}")
        policy = load_policy(case["policy"], case["as_of"], case.get("overrides"))
        ev = evaluate(self._facts(), policy, case["as_of"], on_error="report")
        problems: list[str] = []
        expect = dict(case["expect"])
        for key in sorted(set(expect) & TOP_EXPECT):
            if not _same(expect[key], getattr(ev, key)):
                problems.append(f"{key}: expected {expect[key]!r}, got {getattr(ev, key)!r}")
        if "errors" in expect and sorted(expect["errors"]) != sorted(e.field for e in ev.errors):
            problems.append(f"errors: expected {expect['errors']}, got {[e.to_dict() for e in ev.errors]}")
        for cid, attrs in (expect.get("criteria") or {}).items():
            try:
                c = ev.criterion(cid)
            except KeyError:
                problems.append(f"criterion {cid} missing")
                continue
            for attr, want in attrs.items():
                if attr not in CRITERION_ATTRS:
                    raise CaseMismatch(f"unknown criterion attribute {attr}")
                if not _same(want, getattr(c, attr)):
                    problems.append(f"{cid}.{attr}: expected {want!r}, got {getattr(c, attr)!r}")
        for cid, attrs in (expect.get("gaps") or {}).items():
            matching = [g for g in ev.gaps if g.criterion_id == cid]
            if not matching:
                problems.append(f"gap {cid} missing (gaps: {[g.criterion_id for g in ev.gaps]})")
                continue
            g = matching[0]
            for attr, want in attrs.items():
                if attr not in GAP_ATTRS:
                    raise CaseMismatch(f"unknown gap attribute {attr}")
                got = getattr(g, attr)
                if attr == "changes":
                    got = {f: d for f, d in got}
                if attr == "message_zh" and want not in got:
                    problems.append(f"gap {cid}.message_zh: {want!r} not in {got!r}")
                elif attr != "message_zh" and not _same(want, got):
                    problems.append(f"gap {cid}.{attr}: expected {want!r}, got {got!r}")
        if expect.get("no_gaps") and ev.gaps:
            problems.append(f"expected no gaps, got {[g.message_zh for g in ev.gaps]}")
        for pname, want in (expect.get("param") or {}).items():
            got = jsonable(policy.params[pname].value)
            if not _same(want, got):
                problems.append(f"param {pname}: expected {want!r}, got {got!r}")
        unknown = set(expect) - TOP_EXPECT - {"errors", "criteria", "gaps", "no_gaps", "param"}
        if unknown:
            raise CaseMismatch(f"unknown expect keys {sorted(unknown)}")
        if problems:
            raise CaseMismatch("\n".join(problems))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseMismatch):
            return f"case {self.case['name']!r} ({self.path.name}):\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"case: {self.case['name']}"
