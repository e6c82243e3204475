"""Workflow errors, in the platform's hierarchy (gaoqi.errors): the API renders them as {message, extra}."""

from gaoqi.errors import ApplicationError


class Conflict(ApplicationError):
    """The application changed since the caller saw it: nothing was written; reload and decide again."""

    status = 409


class GuardFailed(ApplicationError):
    """A transition's condition does not hold; `extra["guards"]` lists {guard, message}."""

    status = 422
