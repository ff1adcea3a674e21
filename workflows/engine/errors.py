"""What the engine refuses, with the field to blame; the API maps ``code`` to an HTTP status."""

from __future__ import annotations


class EngineError(Exception):
    """A request the engine refuses; ``code`` maps to an HTTP status in the API."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(EngineError):
    code = "not_found"


class Conflict(EngineError):
    """Not allowed in the current state (cancel a completed instance...)."""

    code = "conflict"


class InputTooLarge(EngineError):
    code = "too_large"
