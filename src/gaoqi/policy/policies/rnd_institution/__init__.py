"""The rnd_institution policy: rules (written once), gap analysis, dated parameters (params/)."""

from gaoqi.policy.policies.rnd_institution import gaps as _gaps  # noqa: F401 - registers the gap analysis
from gaoqi.policy.policies.rnd_institution.rules import RULES

__all__ = ["RULES"]
