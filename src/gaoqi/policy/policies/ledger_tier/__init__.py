"""The ledger_tier policy: the graded cultivation ledger (A-E), decided on the other policies' results."""

from gaoqi.policy.policies.ledger_tier.rules import RULES

__all__ = ["RULES"]
