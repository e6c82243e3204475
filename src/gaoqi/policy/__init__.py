"""The policy engine: official criteria as dated, versioned data and formulas written once.

This package must never import Django (an import contract enforces it): the web platform calls it.

Layout: `core/` (model, facts schema, ops interface, rules framework, per-firm engine), `bulk/` (the Polars
backend), `policies/<name>/` (rules, gaps, params: one package per policy, listed once in
`policies/__init__.py`), `template/` (the evaluation template: cells, readers, writer), `outputs/` (result
sets and their writers), `whatif/` (simulation), `loader.py` (parameter files), `cli.py`.

Public API::

    load_policy(name, as_of, overrides=None) -> Policy
    evaluate(facts, policy, as_of, *, on_error="raise", with_gaps=True) -> Evaluation
    validate_facts(facts, policy, as_of=None) -> list[FieldError]
    apply_gaps(facts, gaps) -> facts
"""

from gaoqi.policy.core.engine import evaluate, validate_facts
from gaoqi.policy.core.errors import (
    FactsError,
    FieldError,
    PolicyError,
    PolicyFileError,
    PolicyNotFound,
    PolicyOverrideError,
)
from gaoqi.policy.core.facts import (
    CROSS_RULES,
    FIELD_SPECS,
    FIELDS_BY_NAME,
    EnterpriseFacts,
    FieldSpec,
    Kind,
    NotAbove,
)
from gaoqi.policy.core.gap import apply_gaps
from gaoqi.policy.core.model import (
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
from gaoqi.policy.loader import available_policies, load_policy, parse_policy_file
from gaoqi.policy.policies import ENTERPRISE_POLICIES, RULES
from gaoqi.policy.policies.rnd_institution.facts import RndInstitutionFacts

__all__ = [
    "CROSS_RULES",
    "FIELDS_BY_NAME",
    "FieldSpec",
    "NotAbove",
    "ENGINE_VERSION",
    "ENTERPRISE_POLICIES",
    "FIELD_SPECS",
    "RULES",
    "CriterionResult",
    "EnterpriseFacts",
    "Evaluation",
    "FactsError",
    "FieldError",
    "Gap",
    "Kind",
    "ParamUse",
    "Parameter",
    "Policy",
    "PolicyError",
    "PolicyFileError",
    "PolicyNotFound",
    "PolicyOverrideError",
    "RndInstitutionFacts",
    "Source",
    "Threshold",
    "apply_gaps",
    "available_policies",
    "evaluate",
    "load_policy",
    "parse_policy_file",
    "validate_facts",
]
