"""How a policy is written: a `RuleSet` of criteria, variables, a validation and a verdict, each ONE function.

Every function takes a context `x` and computes with `x.ops` (see `core.ops`), so it runs unchanged per firm
(`ScalarContext`: exact ints/Fractions, with explanations) and in bulk (`bulk.plan`: Polars columns):

    x.f.employees         a fact (a Python value, or a column)
    x.p("ip.min_count")   a parameter of the policy in force (its use is recorded for the explanation)
    x(n_operating)        a variable: computed once per firm / once per table (a column), then reused
    x.crit("hte.core_ip") another criterion's result (`Out`)
    x.sub("tech_sme")     the context of a sub-policy (the pool reads the tech-SME evaluation)

A criterion returns an `Out`: the verdict and numbers as ops values, and the explanation (threshold text,
note, detail) as zero-argument callables that only the scalar backend calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from gaoqi.policy.core.errors import FieldError
from gaoqi.policy.core.model import CriterionResult, Parameter, ParamUse, Policy, Threshold
from gaoqi.policy.core.ops import SCALAR, Ops

Label = tuple[str, str]  # (zh, en)


@dataclass(frozen=True)
class Ratio:
    """A ratio a / b for display: shown rounded down to 4 places; the exact parts go into `detail`."""

    a: Any
    b: Any


@dataclass
class Out:
    """What a criterion formula returns. Ops values: passed, points, points_min/max, value, band (an index
    into `labels`). Scalar-only callables: threshold, note, detail, shown (a display value that is not an
    ops value, e.g. a mapping)."""

    passed: Any = None
    points: Any = None
    points_min: Any = None
    points_max: Any = None
    value: Any = None
    band: Any = None
    labels: Sequence[Label] = ()
    threshold: Callable[[], Threshold | None] | None = None
    note: Callable[[], str] | None = None
    detail: Callable[[], Mapping[str, Any]] | None = None
    shown: Callable[[], Any] | None = None
    band_text: Callable[[], Label] | None = None  # a band that is not a row of a table (a points range)


@dataclass(frozen=True)
class Criterion:
    id: str
    kind: str  # condition | score | info
    unit: str
    formula: Callable[[Any], Out]


def no_param_checks(params: Mapping[str, Parameter]) -> list[tuple[str, str]]:
    return []


VERDICT_KEYS = ("outcome", "eligible", "score", "score_min", "score_max", "direct_pass_reason", "grade")


@dataclass
class RuleSet:
    """One policy's rules. `params`: parameter name -> type the parameter files must provide."""

    name: str
    facts_type: type
    field_names: frozenset[str]
    params: Mapping[str, str]
    params_dir: Path
    subpolicies: tuple[str, ...] = ()
    bulk: bool = True  # declared, never discovered: tests run the bulk backend on every policy that says so
    labels: Mapping[str, Label] = field(default_factory=dict)  # display strings of codes (direct-pass routes)
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # named sets of criteria ("hard")
    criteria: dict[str, Criterion] = field(default_factory=dict)
    validate: Callable[[Any], None] | None = None
    verdict: Callable[[Any], Mapping[str, Any]] | None = None
    gaps: Callable[[Any], list] | None = None
    check_params: Callable[[Mapping[str, Parameter]], list[tuple[str, str]]] = no_param_checks

    def criterion(self, cid: str, kind: str = "condition", unit: str = "") -> Callable:
        def register(fn: Callable[[Any], Out]) -> Callable[[Any], Out]:
            if cid in self.criteria:
                raise ValueError(f"criterion {cid} defined twice")
            if not cid.startswith(self.name + "."):
                raise ValueError(f"criterion {cid} must start with {self.name}.")
            self.criteria[cid] = Criterion(cid, kind, unit, fn)
            return fn

        return register

    def validation(self, fn: Callable[[Any], None]) -> Callable[[Any], None]:
        self.validate = fn
        return fn

    def verdict_of(self, fn: Callable[[Any], Mapping[str, Any]]) -> Callable:
        self.verdict = fn
        return fn

    def gap_analysis(self, fn: Callable[[Any], list]) -> Callable:
        self.gaps = fn
        return fn

    def label(self, code: str | None, lang: str = "zh") -> str:
        if code is None:
            return ""
        zh, en = self.labels.get(code, (code, code))
        return en if lang.startswith("en") else zh


class Facts:
    """Attribute access to one firm's facts (scalar)."""

    __slots__ = ("_facts",)

    def __init__(self, facts: Any):
        self._facts = facts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._facts, name)

    def year(self, stem: str, k: int) -> Any:
        return getattr(self._facts, f"{stem}_y{k}")


class Context:
    """What every backend's context shares: the policy, the date, parameter reads, sub-policies."""

    ops: Ops
    all_years = False  # validation without an evaluation date: every year-dependent field is required

    def __init__(self, rules: RuleSet, policy: Policy, as_of: date):
        self.rules = rules
        self.policy = policy
        self.as_of = as_of
        self._used: list[set[str]] = [set()]

    def p(self, name: str) -> Any:
        self._used[-1].add(name)
        return self.policy.params[name].value


class ScalarContext(Context):
    """One firm, exact. Collects validation errors; caches variables and criteria."""

    ops = SCALAR

    def __init__(self, rules: RuleSet, policy: Policy, as_of: date, facts: Any):
        super().__init__(rules, policy, as_of)
        self.facts = facts
        self.f = facts if hasattr(facts, "year") else Facts(facts)  # EnterpriseFacts has `year` itself
        self._vars: dict[Callable, tuple[Any, frozenset[str]]] = {}
        self._crits: dict[str, tuple[Out, frozenset[str]]] = {}
        self._subs: dict[str, ScalarContext] = {}
        self.errors: list[FieldError] = []

    def _track(self, fn: Callable[..., Any], arg: Any) -> tuple[Any, frozenset[str]]:
        self._used.append(set())
        try:
            value = fn(arg)
        finally:
            used = frozenset(self._used.pop())
        if used:
            self._used[-1].update(used)
        return value, used

    def __call__(self, variable: Callable[[Any], Any]) -> Any:
        found = self._vars.get(variable)
        if found is None:
            found = self._vars[variable] = self._track(variable, self)
        elif found[1]:
            self._used[-1].update(found[1])
        return found[0]

    def crit(self, cid: str) -> Out:
        found = self._crits.get(cid)
        if found is None:
            found = self._crits[cid] = self._track(self.rules.criteria[cid].formula, self)
        elif found[1]:
            self._used[-1].update(found[1])
        return found[0]

    def verdict(self) -> Mapping[str, Any]:
        """The policy's verdict (outcome, eligible, score...), computed once."""
        if "__verdict__" not in self._crits:
            self._crits["__verdict__"] = self._track(self.rules.verdict, self)
        return self._crits["__verdict__"][0]

    def params_of(self, cid: str) -> frozenset[str]:
        self.crit(cid)
        return self._crits[cid][1]

    def sub(self, name: str) -> ScalarContext:
        if name not in self._subs:
            sub = self.policy.subpolicies[name]
            self._subs[name] = ScalarContext(sub.rules, sub, self.as_of, self.facts)
        return self._subs[name]

    def error(
        self,
        field_name: str,
        cond: Any,
        reason: Callable[[], str],
        reason_zh: Callable[[], str],
        missing: bool = False,
    ) -> None:
        if cond:
            self.errors.append(FieldError(field_name, reason(), reason_zh(), missing=missing))


@lru_cache(maxsize=4096)
def _param_uses(policy: Policy, names: frozenset[str]) -> tuple[ParamUse, ...]:
    return tuple(ParamUse(n, policy.params[n].value, policy.params[n].effective_from) for n in sorted(names))


def criterion_result(x: ScalarContext, crit: Criterion) -> CriterionResult:
    """The explained result of one criterion (scalar backend)."""
    policy = x.policy
    out = x.crit(crit.id)
    d = policy.criteria[crit.id]
    detail: dict[str, Any] = {}
    value = out.value
    if isinstance(value, Ratio):
        detail = {"numerator": value.a, "denominator": value.b}
        value = x.ops.shown_ratio(value.a, value.b)
    if out.shown is not None:
        value = out.shown()
    if out.detail is not None:
        detail.update(out.detail())
    points, lo, hi = out.points, out.points_min, out.points_max
    if points is not None and lo is None:
        lo = hi = points
    if points is None and lo is not None and lo == hi:
        points = lo
    band = band_en = None
    if out.band is not None:
        band, band_en = out.labels[out.band]
    if out.band_text is not None:
        band, band_en = out.band_text()
    uses = _param_uses(policy, x.params_of(crit.id))
    return CriterionResult(
        crit.id,
        d.label_zh,
        d.label_en,
        d.citation,
        crit.kind,
        value,
        crit.unit,
        out.threshold() if out.threshold else None,
        out.passed,
        points,
        lo,
        hi,
        band,
        uses,
        out.note() if out.note else "",
        detail,
        band_en=band_en,
        source=d.source,
    )
