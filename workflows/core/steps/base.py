"""The contract every node type fulfils, and the registry that maps a type name to it.

A type owns its runtime (DESIGN §5b): what happens when its node is reached (``reached``), when a
message for it arrives (``on_message``: a timer it started, a child that ended, one of its items
that ended), each answered with *actions* from a small vocabulary (``actions``). The decider keeps
traversal only (arrival, joins, skips, the instance's end) and turns actions into commands, so a
new type touches its own module and nothing else.

Most types need less: an *inline* type answers ``decide`` (condition, switch, transform, end: no
I/O, no queue round trip); a *worker* type renders its input in ``prepare`` and runs ``execute`` in a
django-q2 worker (task, http). The default ``reached`` turns those into actions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..egress import EgressPolicy
from ..errors import GraphError
from ..retry import BOUNDS as RETRY_BOUNDS
from .actions import Action, Done, EndInstance, Fail, Message, WaitUntil, Work

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
    "heartbeat_s": {
        "type": "number", "exclusiveMinimum": 0, "maximum": 6 * 3600, "title": "Heartbeat (s)",
        "description": "fail an attempt (HeartbeatTimeout, retried) whose handler has not called ctx.heartbeat() for this long",
    },
    "wait": {
        "type": "boolean", "default": True, "title": "Wait for it",
        "description": "off: the next steps start at once, while this one still runs, retries and is recorded",
    },
}  # fmt: skip

#: A ``compensate`` handler (saga): a name (the node's retry policy applies) or one with its own policy.
COMPENSATE_SCHEMA: dict[str, Any] = {
    "title": "Compensation handler",
    "description": "undoes this step when the workflow fails under on_failure: compensate",
    "x-widget": "handler",
    "oneOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object", "additionalProperties": False, "required": ["handler"],
            "properties": {"handler": {"type": "string", "minLength": 1}, "retry": RETRY_SCHEMA},
        },
    ],
}  # fmt: skip


def object_schema(properties: dict[str, Any], required: list[str] | None = None, *, worker: bool = False, heartbeats: bool = True) -> dict:
    """``heartbeats=False``: a built-in worker type whose code never calls ``ctx.heartbeat()``, so
    a ``heartbeat_s`` on it could only ever fail its attempts; refused at publish."""
    worker_properties = {k: v for k, v in WORKER_PROPERTIES.items() if heartbeats or k != "heartbeat_s"} if worker else {}
    props = {**COMMON_PROPERTIES, **worker_properties, **properties}
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
    #: ``ctx.heartbeat(details)``: "still alive", with what it got to (``{"progress": 0.4}`` shows a
    #: progress bar); with ``heartbeat_s`` an attempt silent for longer fails as HeartbeatTimeout
    heartbeat: Callable[..., None] = lambda details=None: None
    #: the last details the previous attempt reported: where a retry may resume from
    heartbeat_details: Any = None
    egress: EgressPolicy = field(default_factory=EgressPolicy)  # where the http node may connect (from settings)
    abandoned: Callable[[], bool] = lambda: False  # true once the worker gave up waiting for this attempt
    #: Sends a ``notify`` step's rendered message: ``mail(message, ctx) -> output``. Injected by the
    #: worker (``workflows.mail.send``: users, groups and the mail backend are Django's); None: no mail.
    mail: Callable[[Mapping[str, Any], StepContext], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class CheckContext:
    """What a type's semantic checks may consult."""

    handler_names: frozenset[str]
    #: Names of templates a child workflow may be started from; None: not known here (not checked).
    template_names: frozenset[str] | None = None
    #: The template being validated, when known: a node that starts it again is a static recursion.
    template_name: str | None = None
    #: The published version numbers of each template a child may name (the same templates as
    #: ``template_names``), to check a pinned ``version``; None: not known here (not checked).
    template_versions: Mapping[str, frozenset[int]] | None = None


class NodeContext:
    """What a type's runtime sees of its node: its config, the expression scope (built on first
    use), the clock, the node's own ``state`` (a map's counters) and the attempt being decided."""

    def __init__(self, node_id: str, config: Mapping[str, Any], scope: Callable[[], Mapping[str, Any]], now: float,
                 *, state: Mapping[str, Any] | None = None, attempt: int = 1, item_results: Callable[[], list] | None = None,
                 output: Callable[[], Any] | None = None, max_items: int = 10_000):
        self.node_id, self.config, self.now, self.attempt = node_id, config, now, attempt
        self.state: Mapping[str, Any] = state or {}
        self.max_items = max_items
        self._scope = scope
        self._item_results = item_results
        self._output = output

    @property
    def output(self) -> Any:
        """The output recorded for the current attempt so far (a wait's ``until``)."""
        return self._output() if self._output else None

    @property
    def scope(self) -> Mapping[str, Any]:
        return self._scope()

    def item_results(self) -> list:
        """``[(status, output, error)]`` of the latest attempt of every item, in item order. Read
        from the database by the adapter (once, when a map finishes): 10,000 outputs are never
        carried in the snapshot of every item's transition."""
        return self._item_results() if self._item_results else []


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

    #: True for a type whose node runs per item (rows keyed ``(node, "0")``, ``(node, "1")``...).
    has_items: ClassVar[bool] = False

    # --- the runtime: every type ------------------------------------------------------------------
    def reached(self, ctx: NodeContext) -> list[Action]:
        """The node is reached (or retried): what happens now."""
        if not self.inline:
            return [Work(self.prepare(ctx.config, ctx.scope))]
        outcome = self.decide(ctx.config, ctx.scope, ctx.now)
        if outcome.fail is not None or outcome.finish:
            return [EndInstance(outcome.output, fail=outcome.fail, vars=outcome.vars)]
        if outcome.wait_until is not None:
            return [WaitUntil(outcome.wait_until, outcome.output, vars=outcome.vars)]
        return [Done(outcome.output, outcome.ports, vars=outcome.vars)]

    def on_message(self, ctx: NodeContext, message: Message) -> list[Action]:
        """A message for this node arrived (a timer it started fired: the default completes it)."""
        if message.kind == "woken":
            return [Done(ctx.output)]
        return [Fail.of("UnexpectedMessage", f"a {self.name} node got a {message.kind!r} message")]

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
