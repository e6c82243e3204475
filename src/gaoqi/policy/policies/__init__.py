"""The one list of policies. The CLI, the web tab, the registry adapter and the result writers derive from it.

A package per policy: `rules.py` (every criterion written once), `gaps.py` (对标找差, per firm), `params/`
(dated, sourced YAML). Policies never import each other: the pool reads the tech-SME evaluation as a
declared sub-policy through the engine.
"""

from __future__ import annotations

from gaoqi.policy.core.rules import RuleSet
from gaoqi.policy.policies.hte import RULES as HTE
from gaoqi.policy.policies.ledger_tier import RULES as LEDGER_TIER
from gaoqi.policy.policies.pool import RULES as POOL
from gaoqi.policy.policies.reward import RULES as REWARD
from gaoqi.policy.policies.rnd_institution import RULES as RND_INSTITUTION
from gaoqi.policy.policies.tech_sme import RULES as TECH_SME

RULES: dict[str, RuleSet] = {r.name: r for r in (TECH_SME, HTE, POOL, RND_INSTITUTION, LEDGER_TIER, REWARD)}
ENTERPRISE_POLICIES = tuple(n for n, r in RULES.items() if r.facts_type is TECH_SME.facts_type)

__all__ = ["ENTERPRISE_POLICIES", "RULES"]
