"""The pool policy: rules (written once), gap analysis, dated parameters (params/)."""

from gaoqi.policy.policies.pool import gaps as _gaps  # noqa: F401 - registers the gap analysis
from gaoqi.policy.policies.pool.rules import RULES

__all__ = ["RULES"]
