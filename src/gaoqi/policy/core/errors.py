"""The policy engine's error hierarchy.

Everything derives from `PolicyError`, so a caller can catch the engine's own errors in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


class PolicyError(Exception):
    """Base of every error the policy engine raises on purpose."""


class PolicyFileError(PolicyError):
    """A parameter file is malformed. Always names the file and, when known, the line (1-based)."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class PolicyNotFound(PolicyError, LookupError):
    """No policy of that name, or none in force on the requested date."""


class PolicyOverrideError(PolicyError, ValueError):
    """A what-if override names an unknown parameter or gives a value of the wrong shape."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field of one enterprise row."""

    field: str
    reason: str
    reason_zh: str = ""
    missing: bool = False  # the policy requires the field and no value was given (else: the value is invalid)

    def to_dict(self) -> dict:
        return {
            "field": self.field,
            "reason": self.reason,
            "reason_zh": self.reason_zh,
            "missing": self.missing,
        }


class FactsError(PolicyError, ValueError):
    """The facts of one enterprise cannot be evaluated under a policy (see `.errors`)."""

    def __init__(self, errors: list[FieldError], credit_code: str = ""):
        self.errors = list(errors)
        self.credit_code = credit_code
        head = f"{credit_code}: " if credit_code else ""
        super().__init__(head + "; ".join(f"{e.field}: {e.reason}" for e in self.errors))
