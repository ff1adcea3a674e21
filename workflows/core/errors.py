"""Errors that cross the core's boundary, each carrying what a caller needs to act on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .values import clean_text, problem


@dataclass(frozen=True)
class GraphError:
    """One problem in a graph, named by node and field so the designer can point at it."""

    code: str
    message: str
    node: str | None = None
    field: str | None = None
    nodes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        data = {"node": self.node, "field": self.field, "code": self.code, "message": self.message}
        if self.nodes:
            data["nodes"] = list(self.nodes)
        return data


class InvalidGraph(ValueError):
    """Raised where a graph must be valid to go on (publish, start a draft test run)."""

    def __init__(self, errors: list[GraphError]):
        self.errors = list(errors)
        first = self.errors[0].message if self.errors else "invalid graph"
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(first + more)


class StepError(Exception):
    """Raised by handlers to fail an attempt with an explicit retry meaning.

    ``retryable=False`` fails the step at once whatever its retry policy says (like Temporal's
    ``ApplicationError(non_retryable=True)``); ``type`` names the error class that
    ``retry.non_retryable`` lists match against (defaults to the exception's class name).
    """

    def __init__(self, message: str, *, retryable: bool = True, type: str | None = None, details=None):
        super().__init__(message)
        self.retryable = retryable
        self.type = type or self.__class__.__name__
        self.details = details


class NonRetryableError(StepError):
    def __init__(self, message: str, *, type: str | None = None, details=None):
        super().__init__(message, retryable=False, type=type, details=details)


class ValidationError(NonRetryableError):
    """Bad input to a handler: retrying cannot help."""


class ConfigurationError(NonRetryableError):
    """A step is configured in a way that cannot work."""


class PermissionDenied(NonRetryableError):
    """The handler was refused by something it called."""


#: Error types that never retry, whatever the policy lists (DESIGN §5.7).
ALWAYS_NON_RETRYABLE = frozenset(
    {"ValidationError", "ConfigurationError", "PermissionDenied", "ExpressionError", "InvalidOutput", "OutputTooLarge", "UnknownHandler"}
)

MAX_TYPE_CHARS = 200
MAX_MESSAGE_CHARS = 8_000
MAX_TRACEBACK_CHARS = 64_000
MAX_DETAILS_BYTES = 64_000


@dataclass(frozen=True)
class Failure:
    """An attempt's failure as data: it is stored on the step run and drives the retry policy."""

    type: str
    message: str
    traceback: str = ""
    retryable: bool = True
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A handler's exception text is whatever it is: cleaned and cut here, never refused, so
        # recording a failure cannot itself fail.
        set_ = object.__setattr__
        set_(self, "type", clean_text(self.type, MAX_TYPE_CHARS) or "Error")
        set_(self, "message", clean_text(self.message, MAX_MESSAGE_CHARS))
        set_(self, "traceback", clean_text(self.traceback, MAX_TRACEBACK_CHARS))
        details = self.details if isinstance(self.details, dict) else {}
        if details and (why := problem(details, where="details", max_bytes=MAX_DETAILS_BYTES)):
            details = {"dropped": clean_text(why, 500)}
        set_(self, "details", details)
