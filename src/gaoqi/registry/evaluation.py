"""Live evaluation of one enterprise under the platform's policies: a reader, no writes, no service.

The only way in is `evaluate_enterprise(actor=, enterprise=, as_of=)`: its facts come from
`selectors.facts_for_policy`, which checks the actor's scope (NotFound alike for missing and forbidden) and
merges the sources' annual reports; the pure engine (`gaoqi.policy`) then evaluates them per policy with
`on_error="report"`, so incomplete facts come back as `errors` rather than as a made-up result.

Queries: those of `facts_for_policy` (the annual reports with their sources; the HTE certificate and the IP
items used, in one), once for all policies. Parameter files are cached by the engine.

The policies, their titles, the display texts of their codes and whether a criterion rests on a placeholder
source all come from the engine (`ENTERPRISE_POLICIES`, `Policy.title_zh/title_en`, `Policy.label`,
`Source.illustrative`): nothing here is matched by string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gaoqi.policy import (
    ENTERPRISE_POLICIES,
    RULES,
    Evaluation,
    Policy,
    PolicyError,
    evaluate,
    load_policy,
    parse_policy_file,
)
from gaoqi.policy.core.facts import FIELDS_BY_NAME
from gaoqi.registry.selectors import facts_for_policy

# The policies the enterprise page shows, in the engine's order: every policy of one enterprise's facts.
PAGE_POLICIES = ENTERPRISE_POLICIES


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
    title_zh: str  # the policy's title (of its latest version when none is in force on `as_of`)
    title_en: str
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
        """A criterion of the policy rests on a placeholder source (`Source.illustrative`): the page must say so.

        Placeholders that decide no criterion (the tech-SME gap cost model) do not count.
        """
        return self.policy is not None and self.policy.illustrative


@dataclass(frozen=True)
class EnterpriseEvaluation:
    as_of: date
    results: list[PolicyResult] = field(default_factory=list)


def _issue(error, as_of: date) -> FactIssue:
    spec = FIELDS_BY_NAME.get(error.field)
    stem, year = error.field, None
    if spec is not None and spec.year is not None:
        # `_y1.._y3` are the calendar years as_of.year-3 .. as_of.year-1 (docs/policy-engine.md).
        stem, year = spec.stem, as_of.year - 4 + spec.year
    return FactIssue(error.field, stem, year, error.missing, error.reason, error.reason_zh)


def latest_titles(name: str) -> tuple[str, str]:
    """(title_zh, title_en) of the policy's most recent readable parameter file: the title of a policy that
    is not in force on the date asked (rare: the file is parsed again)."""
    files = []
    for path in sorted(RULES[name].params_dir.glob(f"{name}_*.yaml")):
        try:
            pf = parse_policy_file(path)
        except PolicyError:
            continue
        if pf.name == name:
            files.append(pf)
    if not files:
        return name, name
    latest = max(files, key=lambda f: f.effective_from)
    return latest.title_zh, latest.title_en


def evaluate_enterprise(*, actor, enterprise, as_of: date, policies=PAGE_POLICIES) -> EnterpriseEvaluation:
    """Evaluate `enterprise` as of `as_of` under each policy, with the facts `actor` may see."""
    facts = facts_for_policy(actor=actor, enterprise=enterprise, as_of=as_of)  # scope-checked
    results = []
    for name in policies:
        try:
            policy = load_policy(name, as_of)
        except PolicyError as exc:
            results.append(PolicyResult(name, *latest_titles(name), None, None, unavailable=str(exc)))
            continue
        ev = evaluate(facts, policy, as_of, on_error="report")
        issues = tuple(_issue(e, as_of) for e in ev.errors)
        results.append(PolicyResult(name, policy.title_zh, policy.title_en, policy, ev, issues))
    return EnterpriseEvaluation(as_of=as_of, results=results)
