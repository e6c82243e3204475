"""The reward policy: admission, cultivation and first-certification rewards of one issuer's scheme."""

from gaoqi.policy.policies.reward.rules import RULES

__all__ = ["RULES"]
