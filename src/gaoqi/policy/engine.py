"""One evaluator for every policy: validate the facts, run the policy's rule shape, add gaps and trace."""

from __future__ import annotations

from datetime import date
from typing import Any

from gaoqi.policy.errors import FactsError, FieldError
from gaoqi.policy.model import ENGINE_VERSION, Evaluation, Policy
from gaoqi.policy.rules import RULES


def validate_facts(facts: Any, policy: Policy, as_of: date | None = None) -> list[FieldError]:
    """Every problem that stops `facts` being evaluated under `policy` (empty list = fine).

    Without `as_of`, year-dependent fields are required for all three years; with it, only for the years
    the firm existed in (see `rules.common.operating_years`), exactly as `evaluate` checks them.
    """
    rules = RULES[policy.name]
    if not isinstance(facts, rules.facts_type):
        return [FieldError("*", f"policy {policy.name} evaluates {rules.facts_type.__name__}, "
                                f"got {type(facts).__name__}", "输入记录类型不符")]
    return rules.validate(facts, policy, as_of)


def evaluate(facts: Any, policy: Policy, as_of: date, *, on_error: str = "raise",
             with_gaps: bool = True) -> Evaluation:
    """Evaluate one enterprise (or R&D institution) under `policy` on `as_of`.

    Invalid facts raise `FactsError` (with `.errors`), or with `on_error="report"` give an Evaluation whose
    outcome is None (not evaluated), `eligible` None and `errors` filled -- the same convention as the bulk
    path and `gaoqi evaluate`; "undetermined" means only "expert review decides" (HTE score range
    straddles the bar). `with_gaps=False` skips gap analysis.
    """
    if on_error not in ("raise", "report"):
        raise ValueError("on_error must be 'raise' or 'report'")
    rules = RULES[policy.name]
    code = getattr(facts, "credit_code", "") or ""
    errors = validate_facts(facts, policy, as_of)
    if errors:
        if on_error == "raise":
            raise FactsError(errors, code)
        return Evaluation(policy.name, policy.version, ENGINE_VERSION, policy.param_hash, as_of, code,
                          None, None, errors=tuple(errors))
    core = rules.evaluate(facts, policy, as_of)
    gaps = tuple(rules.gaps(facts, policy, as_of, core)) if with_gaps and core.outcome != "pass" else ()
    return Evaluation(
        policy=policy.name, policy_version=policy.version, engine_version=ENGINE_VERSION,
        param_hash=policy.param_hash, as_of=as_of, credit_code=code, outcome=core.outcome,
        eligible=core.eligible, score=core.score, score_min=core.score_min, score_max=core.score_max,
        direct_pass_reason=core.direct_pass_reason, grade=core.grade, criteria=tuple(core.criteria), gaps=gaps,
    )
