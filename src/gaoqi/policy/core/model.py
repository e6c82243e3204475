"""The engine's value objects: policies with dated, sourced parameters, and evaluation results.

All are frozen. Sequences are tuples (read them as lists); `to_dict()` gives JSON-ready data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from gaoqi.policy.core.bands import Bands, shown_fraction
from gaoqi.policy.core.errors import FieldError, PolicyOverrideError
from gaoqi.policy.core.ptypes import TYPES

ENGINE_VERSION = "2.0.0"

OUTCOMES = ("pass", "fail", "undetermined")


def jsonable(value: Any) -> Any:
    """Convert engine values to JSON-ready data (Decimal -> float of the 4-place value, dates -> ISO)."""
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Fraction):
        return float(shown_fraction(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Bands):
        return value.to_data()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot serialise {type(value).__name__}")


class FrozenMap(dict):
    """A read-only dict that still pickles (policies travel to worker processes)."""

    __slots__ = ()

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("policy mappings are read-only; use Policy.with_overrides for a what-if")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenMap, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda kv: str(kv[0]))))


@dataclass(frozen=True, slots=True)
class Source:
    """Where a parameter value comes from. `illustrative` marks a placeholder awaiting an officer."""

    issuer: str
    document: str
    article: str
    published: date | None
    title: str = ""
    url: str = ""
    note: str = ""
    illustrative: bool = False

    def cite(self) -> str:
        return f"{self.document} {self.article}".strip()

    def to_dict(self) -> dict:
        return {
            "issuer": self.issuer,
            "document": self.document,
            "article": self.article,
            "published": self.published.isoformat() if self.published else None,
            "title": self.title,
            "url": self.url,
            "note": self.note,
            "illustrative": self.illustrative,
        }


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter's value in force, when it took effect and where it comes from."""

    value: Any
    effective_from: date
    source: Source
    name: str = ""
    type: str = ""
    unit: str = ""
    description: str = ""
    configurable: bool = False
    overridden: bool = False

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "value": jsonable(self.value),
            "effective_from": self.effective_from.isoformat(),
            "source": self.source.to_dict(),
            "type": self.type,
            "unit": self.unit,
            "description": self.description,
            "configurable": self.configurable,
            "overridden": self.overridden,
        }


@dataclass(frozen=True, slots=True)
class CriterionDef:
    """A criterion's stable id, labels and legal reference, as declared in the parameter file."""

    id: str
    label_zh: str
    label_en: str
    citation: str
    source: Source | None = None  # structured: issuer, document, article, `illustrative`


@dataclass(frozen=True, slots=True)
class Note:
    """A dated remark on a policy (e.g. a later guideline that changed procedure, not criteria)."""

    date: date
    document: str
    issuer: str
    text: str


@dataclass(frozen=True)
class Policy:
    """A policy as in force on one date, with its parameters resolved (and possibly overridden)."""

    name: str
    version: str
    title_zh: str
    title_en: str
    effective_from: date
    effective_to: date | None
    citations: Mapping[str, Source]
    criteria: Mapping[str, CriterionDef]
    params: Mapping[str, Parameter]
    requires: tuple[str, ...]
    notes: tuple[Note, ...]
    source_file: str
    as_of: date
    param_hash: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    subpolicies: Mapping[str, Policy] = field(default_factory=dict)
    rules: Any = field(default=None, repr=False, compare=False)  # the policy's RuleSet (core.rules)

    def __hash__(self) -> int:
        return hash((self.name, self.version, self.as_of, self.param_hash))

    def value(self, name: str) -> Any:
        return self.params[name].value

    @property
    def illustrative(self) -> bool:
        """True when a criterion rests on a placeholder source (an officer must confirm the values)."""
        return any(c.source is not None and c.source.illustrative for c in self.criteria.values())

    def label(self, code: str | None, lang: str = "zh") -> str:
        """The display text of a code the policy reports (e.g. a direct-pass route), in zh or en."""
        return self.rules.label(code, lang) if self.rules is not None else (code or "")

    def with_overrides(self, overrides: Mapping[str, Any]) -> Policy:
        """A what-if copy: these parameters replaced (validated like the YAML values), the rest as is."""
        params = dict(self.params)
        applied = dict(self.overrides)
        for pname, raw in overrides.items():
            if pname not in params:
                raise PolicyOverrideError(f"policy {self.name!r} has no parameter {pname!r}")
            base = params[pname]
            try:
                value = TYPES[base.type].parse(raw)
            except ValueError as exc:
                raise PolicyOverrideError(f"override {pname}: {exc}") from None
            src = Source(
                issuer="what-if override",
                document="override",
                article=pname,
                published=None,
                note=f"replaces the value from {base.source.cite()}",
                illustrative=False,
            )
            params[pname] = _replace(base, value=value, source=src, overridden=True)
            applied[pname] = TYPES[base.type].dump(value)
        if self.rules is not None:
            for pname, message in self.rules.check_params(params):
                raise PolicyOverrideError(f"override makes {pname} invalid: {message}")
        out = _replace(self, params=FrozenMap(params), overrides=FrozenMap(applied), param_hash="")
        return _replace(out, param_hash=out.compute_hash())

    def compute_hash(self) -> str:
        """SHA-256 of the canonical parameter set (values and their effective dates) plus sub-policies."""
        data = {
            "policy": self.name,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "params": {
                k: [TYPES[p.type].dump(p.value), p.effective_from.isoformat()]
                for k, p in sorted(self.params.items())
            },
            "subpolicies": {k: s.param_hash for k, s in sorted(self.subpolicies.items())},
        }
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        return {
            "policy": self.name,
            "version": self.version,
            "title_zh": self.title_zh,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "as_of": self.as_of.isoformat(),
            "param_hash": self.param_hash,
            "overrides": jsonable(dict(self.overrides)),
            "params": {k: p.to_dict() for k, p in self.params.items()},
        }


@dataclass(frozen=True, slots=True)
class Threshold:
    """What a criterion compares against: `op` in >=, >, <=, ==, in, band; `value` machine-readable."""

    op: str
    value: Any
    text_zh: str
    text_en: str = ""

    def to_dict(self) -> dict:
        return {"op": self.op, "value": jsonable(self.value), "text": self.text_zh, "text_en": self.text_en}


@dataclass(frozen=True, slots=True)
class ParamUse:
    name: str
    value: Any
    effective_from: date

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "value": jsonable(self.value),
            "effective_from": self.effective_from.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion's outcome with its evidence.

    `kind`: "condition" (passed is the verdict), "score" (points or a points range; passed may be None),
    "info" (context, passed None). Ratios in `value` are Decimal rounded down to 4 places (0.0500 = 5%);
    decisions never use that rounded value, they use `detail["numerator"] / detail["denominator"]` exactly.
    """

    id: str
    label_zh: str
    label_en: str
    citation: str
    kind: str
    value: Any
    unit: str
    threshold: Threshold | None
    passed: bool | None
    points: int | None = None
    points_min: int | None = None
    points_max: int | None = None
    band: str | None = None
    params_used: tuple[ParamUse, ...] = ()
    note_zh: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    band_en: str | None = None
    source: Source | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "citation": self.citation,
            "kind": self.kind,
            "value": jsonable(self.value),
            "unit": self.unit,
            "threshold": self.threshold.to_dict() if self.threshold else None,
            "passed": self.passed,
            "points": self.points,
            "points_min": self.points_min,
            "points_max": self.points_max,
            "band": self.band,
            "band_en": self.band_en,
            "params_used": [p.to_dict() for p in self.params_used],
            "note_zh": self.note_zh,
            "detail": jsonable(dict(self.detail)),
        }


@dataclass(frozen=True, slots=True)
class Gap:
    """One concrete change that would close (part of) a gap.

    `changes` are the field increments that realise it (`apply_gaps` adds them to the facts); a gap with
    no changes is not fixable by changing figures (an incident record, the founding date, ...).
    `cost` is the yuan-equivalent under the policy's gap cost model, when one applies.
    """

    criterion_id: str
    field: str | None
    current: Any
    needed: Any
    delta: Any
    unit: str
    message_zh: str
    message_en: str
    changes: tuple[tuple[str, int], ...] = ()
    cost: int | None = None
    points_gain: int | None = None

    def to_dict(self) -> dict:
        return {
            "criterion_id": self.criterion_id,
            "field": self.field,
            "current": jsonable(self.current),
            "needed": jsonable(self.needed),
            "delta": jsonable(self.delta),
            "unit": self.unit,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "changes": [{"field": f, "delta": d} for f, d in self.changes],
            "cost": self.cost,
            "points_gain": self.points_gain,
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of evaluating one enterprise under one policy on one date (replayable via param_hash)."""

    policy: str
    policy_version: str
    engine_version: str
    param_hash: str
    as_of: date
    credit_code: str
    outcome: str | None  # one of OUTCOMES; None when the facts could not be evaluated (see `errors`)
    eligible: bool | None
    score: int | None = None
    score_min: int | None = None
    score_max: int | None = None
    direct_pass_reason: str | None = None
    grade: str | None = None
    criteria: tuple[CriterionResult, ...] = ()
    gaps: tuple[Gap, ...] = ()
    errors: tuple[FieldError, ...] = ()

    def criterion(self, criterion_id: str) -> CriterionResult:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    @property
    def failed_conditions(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.kind == "condition" and c.passed is False)

    def to_dict(self) -> dict:
        return {
            "credit_code": self.credit_code,
            "policy": self.policy,
            "policy_version": self.policy_version,
            "engine_version": self.engine_version,
            "param_hash": self.param_hash,
            "as_of": self.as_of.isoformat(),
            "outcome": self.outcome,
            "eligible": self.eligible,
            "score": self.score,
            "score_min": self.score_min,
            "score_max": self.score_max,
            "direct_pass_reason": self.direct_pass_reason,
            "grade": self.grade,
            "criteria": [c.to_dict() for c in self.criteria],
            "gaps": [g.to_dict() for g in self.gaps],
            "errors": [e.to_dict() for e in self.errors],
        }
