"""The policy engine: official criteria as dated, versioned data and one pure evaluator.

This package must never import Django (a test enforces it): the web platform calls it, never the reverse.

Public API::

    load_policy(name, as_of, overrides=None) -> Policy
    evaluate(facts, policy, as_of, *, on_error="raise", with_gaps=True) -> Evaluation
    validate_facts(facts, policy, as_of=None) -> list[FieldError]
    apply_gaps(facts, gaps) -> facts
"""

from gaoqi.policy.engine import evaluate, validate_facts
from gaoqi.policy.errors import (
    FactsError,
    FieldError,
    PolicyError,
    PolicyFileError,
    PolicyNotFound,
    PolicyOverrideError,
)
from gaoqi.policy.facts import FIELD_SPECS, EnterpriseFacts, Kind
from gaoqi.policy.gap import apply_gaps
from gaoqi.policy.loader import available_policies, load_policy, parse_policy_file
from gaoqi.policy.model import (
    ENGINE_VERSION,
    CriterionResult,
    Evaluation,
    Gap,
    Parameter,
    ParamUse,
    Policy,
    Source,
    Threshold,
)
from gaoqi.policy.rnd_facts import RndInstitutionFacts

__all__ = [
    "ENGINE_VERSION", "FIELD_SPECS", "CriterionResult", "EnterpriseFacts", "Evaluation", "FactsError", "FieldError",
    "Gap", "Kind", "ParamUse", "Parameter", "Policy", "PolicyError", "PolicyFileError", "PolicyNotFound",
    "PolicyOverrideError", "RndInstitutionFacts", "Source", "Threshold", "apply_gaps", "available_policies",
    "evaluate", "load_policy", "parse_policy_file", "validate_facts",
]
