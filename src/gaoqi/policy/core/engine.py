"""The per-firm evaluator for every policy: validate, run the policy's formulas (scalar backend), explain, gaps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from gaoqi.policy.core.errors import FactsError, FieldError
from gaoqi.policy.core.facts import specs_of, type_errors
from gaoqi.policy.core.model import ENGINE_VERSION, Evaluation, Policy
from gaoqi.policy.core.rules import ScalarContext, criterion_result


def _context(facts: Any, policy: Policy, as_of: date | None) -> ScalarContext:
    return ScalarContext(policy.rules, policy, as_of or date.max, facts)


def validate_facts(facts: Any, policy: Policy, as_of: date | None = None) -> list[FieldError]:
    """Every problem that stops `facts` being evaluated under `policy` (empty list = fine).

    Without `as_of`, year-dependent fields are required for all three years and the founding date is not
    compared with the evaluation date; with it, exactly as `evaluate` checks them.
    """
    rules = policy.rules
    if not isinstance(facts, rules.facts_type):
        return [
            FieldError(
                "*",
                f"policy {policy.name} evaluates {rules.facts_type.__name__}, got {type(facts).__name__}",
                "输入记录类型不符",
            )
        ]
    errors = type_errors(facts, specs_of(rules.facts_type))
    if errors:
        return errors
    x = _context(facts, policy, as_of)
    x.all_years = as_of is None
    rules.validate(x)
    return x.errors


def evaluate(
    facts: Any, policy: Policy, as_of: date, *, on_error: str = "raise", with_gaps: bool = True
) -> Evaluation:
    """Evaluate one enterprise (or R&D institution) under `policy` on `as_of`.

    Invalid facts raise `FactsError` (with `.errors`), or with `on_error="report"` give an Evaluation whose
    outcome is None (not evaluated), `eligible` None and `errors` filled -- the same convention as the bulk
    path and `gaoqi evaluate`; "undetermined" means only "expert review decides" (HTE score range
    straddles the bar). `with_gaps=False` skips gap analysis.
    """
    if on_error not in ("raise", "report"):
        raise ValueError("on_error must be 'raise' or 'report'")
    code = getattr(facts, "credit_code", "") or ""
    errors = validate_facts(facts, policy, as_of)
    if errors:
        if on_error == "raise":
            raise FactsError(errors, code)
        return Evaluation(
            policy.name,
            policy.version,
            ENGINE_VERSION,
            policy.param_hash,
            as_of,
            code,
            None,
            None,
            errors=tuple(errors),
        )
    x = _context(facts, policy, as_of)
    return evaluation_of(x, with_gaps=with_gaps)


def evaluation_of(x: ScalarContext, *, with_gaps: bool = True) -> Evaluation:
    """The explained Evaluation of a validated firm's context (also used by gap plans to re-evaluate)."""
    policy, rules = x.policy, x.policy.rules
    verdict = x.verdict()
    criteria = tuple(criterion_result(x, c) for c in rules.criteria.values())
    ev = Evaluation(
        policy=policy.name,
        policy_version=policy.version,
        engine_version=ENGINE_VERSION,
        param_hash=policy.param_hash,
        as_of=x.as_of,
        credit_code=getattr(x.facts, "credit_code", "") or "",
        outcome=verdict["outcome"],
        eligible=verdict["eligible"],
        score=verdict.get("score"),
        score_min=verdict.get("score_min"),
        score_max=verdict.get("score_max"),
        direct_pass_reason=verdict.get("direct_pass_reason"),
        grade=verdict.get("grade"),
        criteria=criteria,
    )
    if with_gaps and ev.outcome != "pass" and rules.gaps is not None:
        ev = replace(ev, gaps=tuple(rules.gaps(x, ev)))
    return ev
