"""The contract every node type fulfils, and the registry that maps a type name to it.

A type is *inline* when the engine decides it inside the transaction that reached it (condition,
switch, transform, wait, end: no I/O, no queue round trip), or a *worker* type whose ``execute``
runs in a django-q2 worker (task, http). Types added later (map, loop, subworkflow, approval,
signal, notify) use the same hooks: an inline decision that may ask to wait, or a worker call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..egress import EgressPolicy
from ..errors import GraphError
from ..retry import BOUNDS as RETRY_BOUNDS

ON_FAILURE = ("fail", "continue", "route")
JOIN_MODES = ("all", "any")

#: Config every node accepts.
COMMON_PROPERTIES: dict[str, Any] = {
    "on_failure": {
        "type": "string",
        "enum": list(ON_FAILURE),
        "default": "fail",
        "title": "On failure",
        "description": "fail the workflow, continue as if it succeeded, or route to the 'failure' port",
    },
    "join": {
        "type": "string",
        "enum": list(JOIN_MODES),
        "default": "all",
        "title": "Join",
        "description": "with several incoming paths: wait for all that can still arrive, or run on the first",
    },
}

def _range(name: str) -> dict[str, float]:
    low, high = RETRY_BOUNDS[name]
    return {"minimum": low, "maximum": high}


RETRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Retry policy",
    "additionalProperties": False,
    "properties": {
        "max_attempts": {"type": "integer", **_range("max_attempts"), "default": 1},
        "initial_s": {"type": "number", **_range("initial_s"), "default": 1},
        "backoff": {"type": "number", **_range("backoff"), "default": 2.0},
        "max_s": {"type": "number", **_range("max_s"), "default": 300},
        "jitter": {"type": "boolean", "default": True},
        "non_retryable": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
    },
}

#: Config every worker type accepts.
WORKER_PROPERTIES: dict[str, Any] = {
    "retry": RETRY_SCHEMA,
    "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 6 * 3600, "title": "Timeout (s)"},
}

#: Config the design names (DESIGN §4) that the engine does not run yet: refused by name at
#: validation, never accepted and silently ignored.
NOT_SUPPORTED_YET: dict[str, str] = {
    "heartbeat_s": "heartbeat_s is not supported yet (heartbeat timeouts are coming); a running step's lease already detects a lost worker",
    "compensate": "compensate is not supported yet (compensation arrives with sagas); remove it",
}


def object_schema(properties: dict[str, Any], required: list[str] | None = None, *, worker: bool = False) -> dict:
    props = {**COMMON_PROPERTIES, **(WORKER_PROPERTIES if worker else {}), **properties}
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        schema["required"] = required
    return schema


@dataclass(frozen=True)
class Outcome:
    """What an inline node decided."""

    output: Any = None
    ports: tuple[str, ...] = ("out",)
    vars: Mapping[str, Any] | None = None  # merged into the instance's vars
    wait_until: float | None = None  # epoch seconds: the node waits, then completes
    finish: bool = False  # ``end``: finish the instance now with ``output``
    fail: str | None = None  # ``end``: fail the instance with this message


@dataclass
class StepContext:
    """What a handler gets besides its input."""

    instance_id: str
    node_id: str
    attempt: int
    idempotency_key: str  # stable across attempts of one logical step: de-duplicate side effects
    deadline: float | None = None  # epoch seconds
    vars: Mapping[str, Any] = field(default_factory=dict)
    heartbeat: Callable[[], None] = lambda: None
    egress: EgressPolicy = field(default_factory=EgressPolicy)  # where the http node may connect (from settings)
    abandoned: Callable[[], bool] = lambda: False  # true once the worker gave up waiting for this attempt


@dataclass(frozen=True)
class CheckContext:
    """What a type's semantic checks may consult."""

    handler_names: frozenset[str]


class StepType:
    name: ClassVar[str]
    label: ClassVar[str]
    category: ClassVar[str] = "control"  # "work", "control" or "flow" (palette grouping)
    description: ClassVar[str] = ""
    inline: ClassVar[bool] = True
    schema: ClassVar[dict] = object_schema({})
    #: Config keys that hold a *bare* expression (not a ``{{ }}`` template).
    expression_fields: ClassVar[tuple[str, ...]] = ()
    #: Config keys whose strings are *not* templates (rendered by the step itself, or literal).
    literal_fields: ClassVar[tuple[str, ...]] = ()
    #: A config key whose list names the output ports (switch: "cases"), plus "default".
    port_source: ClassVar[str | None] = None

    def ports(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ("out",)

    def all_ports(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        extra = ("failure",) if config.get("on_failure") == "route" else ()
        return self.ports(config) + extra

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        """Semantic checks beyond the JSON Schema (handler registered, cases distinct...)."""
        return []

    # --- inline types -------------------------------------------------------------------------
    def decide(self, config: Mapping[str, Any], scope: Mapping[str, Any], now: float) -> Outcome:
        raise NotImplementedError

    # --- worker types -------------------------------------------------------------------------
    def prepare(self, config: Mapping[str, Any], scope: Mapping[str, Any]) -> Any:
        """The attempt's input, rendered when the step is scheduled (stored on the step run)."""
        return None

    def execute(self, config: Mapping[str, Any], input: Any, ctx: StepContext) -> Any:
        raise NotImplementedError

    def describe(self) -> dict:
        return {
            "type": self.name,
            "label": self.label,
            "category": self.category,
            "description": self.description,
            "inline": self.inline,
            "schema": self.schema,
            "ports": list(self.ports({})),
            "port_source": self.port_source,
        }


class StepTypeRegistry:
    def __init__(self) -> None:
        self._types: dict[str, StepType] = {}

    def register(self, cls: type[StepType]) -> type[StepType]:
        self._types[cls.name] = cls()
        return cls

    def get(self, name: str) -> StepType | None:
        return self._types.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def names(self) -> list[str]:
        return list(self._types)

    def all(self) -> list[StepType]:
        return list(self._types.values())


step_types = StepTypeRegistry()
register = step_types.register
