"""Live evaluation of one enterprise under the platform's policies: a reader, no writes, no service.

The only way in is `evaluate_enterprise(actor=, enterprise=, as_of=)`: its facts come from
`selectors.facts_for_policy`, which checks the actor's scope (NotFound alike for missing and forbidden) and
merges the sources' annual reports; the pure engine (`gaoqi.policy`) then evaluates them per policy with
`on_error="report"`, so incomplete facts come back as `errors` rather than as a made-up result.

Queries: those of `facts_for_policy` (the annual reports with their sources, the HTE certificate), once for
all policies. Parameter files are cached by the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gaoqi.policy import Evaluation, Policy, PolicyError, evaluate, load_policy
from gaoqi.registry.selectors import facts_for_policy

# The policies the enterprise page shows, in this order.
PAGE_POLICIES = ("tech_sme", "hte", "pool")
ILLUSTRATIVE = "ILLUSTRATIVE DEFAULT"  # the document of placeholder values (docs/policy-engine.md)


@dataclass(frozen=True)
class FactIssue:
    """A fact the engine could not use: `field` is the engine's name, `year` the accounting year if any.

    `missing`: the policy requires the value and no source reported it; otherwise the value is invalid
    (`reason`/`reason_zh` say why, e.g. more tech staff than employees).
    """

    field: str
    stem: str  # the registry field (`revenue` for `revenue_y3`)
    year: int | None
    missing: bool
    reason: str
    reason_zh: str


@dataclass(frozen=True)
class PolicyResult:
    name: str
    policy: Policy | None  # None when no version of the policy is in force on `as_of`
    evaluation: Evaluation | None
    issues: tuple[FactIssue, ...] = ()
    unavailable: str = ""  # why there is no evaluation at all (no policy in force, ...)

    @property
    def evaluated(self) -> bool:
        """True when the engine gave a real verdict (never for incomplete facts, whatever `outcome` says)."""
        return (
            self.evaluation is not None and not self.evaluation.errors and self.evaluation.outcome is not None
        )

    @property
    def missing(self) -> tuple[FactIssue, ...]:
        return tuple(i for i in self.issues if i.missing)

    @property
    def invalid(self) -> tuple[FactIssue, ...]:
        return tuple(i for i in self.issues if not i.missing)

    @property
    def illustrative(self) -> bool:
        """A criterion of the policy rests on a placeholder document (ILLUSTRATIVE DEFAULT): the page must say so.

        Placeholders that decide no criterion (the tech-SME gap cost model) do not count.
        """
        criteria = self.policy.criteria.values() if self.policy else ()
        return any(c.citation.startswith(ILLUSTRATIVE) for c in criteria)


@dataclass(frozen=True)
class EnterpriseEvaluation:
    as_of: date
    results: list[PolicyResult] = field(default_factory=list)


def _issue(error, as_of: date) -> FactIssue:
    name = error.field
    stem, year = name, None
    head, _, suffix = name.rpartition("_y")
    if head and suffix in ("1", "2", "3"):
        # `_y1.._y3` are the calendar years as_of.year-3 .. as_of.year-1 (docs/policy-engine.md).
        stem, year = head, as_of.year - 4 + int(suffix)
    missing = error.missing
    return FactIssue(name, stem, year, missing, error.reason, error.reason_zh)


def evaluate_enterprise(*, actor, enterprise, as_of: date, policies=PAGE_POLICIES) -> EnterpriseEvaluation:
    """Evaluate `enterprise` as of `as_of` under each policy, with the facts `actor` may see."""
    facts = facts_for_policy(actor=actor, enterprise=enterprise, as_of=as_of)  # scope-checked
    results = []
    for name in policies:
        try:
            policy = load_policy(name, as_of)
        except PolicyError as exc:
            results.append(PolicyResult(name, None, None, unavailable=str(exc)))
            continue
        ev = evaluate(facts, policy, as_of, on_error="report")
        results.append(PolicyResult(name, policy, ev, tuple(_issue(e, as_of) for e in ev.errors)))
    return EnterpriseEvaluation(as_of=as_of, results=results)
