"""Placeholder, replaced below."""

from gaoqi.policy.facts import EnterpriseFacts
from gaoqi.policy.rules.common import ENTERPRISE_FIELDS, RuleSet

RULES = RuleSet("pool", EnterpriseFacts, ENTERPRISE_FIELDS, {}, (), lambda *a: [], lambda *a: None, lambda *a: [])
