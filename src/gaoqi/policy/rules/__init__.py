"""Rule shapes, one module per policy. Thresholds live in the YAML parameters, never here.

Each rule set declares the parameters (name -> type) and criteria ids its parameter files must provide,
so the loader can reject unknown or missing ones, and implements validate / evaluate / gaps.
"""

from __future__ import annotations

from gaoqi.policy.rules import hte, pool, rnd_institution, tech_sme
from gaoqi.policy.rules.common import RuleSet

RULES: dict[str, RuleSet] = {r.name: r for r in (tech_sme.RULES, hte.RULES, pool.RULES, rnd_institution.RULES)}

__all__ = ["RULES", "RuleSet"]
