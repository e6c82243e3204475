"""Which parameter files are an issuer's reward scheme.

An issuer is a region (GB/T 2260 code) of level province, city or county. Its scheme is, first found:
`params/<code>/` (the issuer's own files, e.g. `params/320500/` for Suzhou), then its level's default
(`params/` for the province, `params/city/`, `params/county/`). The rules are the same for every issuer;
only the dated parameters differ, so each scheme has its own citations, validity and parameter hash.
Load one with `load_policy("reward", as_of, params_dir=scheme_dir(level, code))`.
"""

from __future__ import annotations

from pathlib import Path

from gaoqi.policy.policies.reward.rules import RULES

LEVELS = ("province", "city", "county")
_DEFAULTS = {
    "province": RULES.params_dir,
    "city": RULES.params_dir / "city",
    "county": RULES.params_dir / "county",
}


def scheme_dir(level: str, region_code: str | None = None) -> Path:
    """The folder of the reward scheme of the issuer `region_code` (of `level`)."""
    if level not in _DEFAULTS:
        raise ValueError(f"unknown issuer level {level!r} (expected one of {', '.join(LEVELS)})")
    if region_code and region_code.isdigit():
        own = RULES.params_dir / region_code
        if any(own.glob("reward_*.yaml")):
            return own
    return _DEFAULTS[level]
