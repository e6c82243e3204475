"""The tech_sme policy: rules (written once), gap analysis, dated parameters (params/)."""

from gaoqi.policy.policies.tech_sme import gaps as _gaps  # noqa: F401 - registers the gap analysis
from gaoqi.policy.policies.tech_sme.rules import RULES

__all__ = ["RULES"]
