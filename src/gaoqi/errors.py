"""The small error hierarchy every layer raises and the API renders as {"message", "extra"}."""

from __future__ import annotations


class ApplicationError(Exception):
    status = 400

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    """Input broke a rule. `extra["errors"]` lists {"field", "reason"} (and "row"/"column" for files)."""

    status = 422

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message, {"errors": errors or []})
        self.errors = errors or []


class PermissionDenied(ApplicationError):
    status = 403


class NotFound(ApplicationError):
    """Missing and forbidden objects answer alike, so nothing leaks."""

    status = 404
