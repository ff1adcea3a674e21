"""What a node type may ask for (DESIGN §5b): the small vocabulary the decider turns into commands.

A type never writes state itself; it says "run this on a worker", "wake me at t", "start this
child", "I am done on these ports". The decider checks and records it, so every type gets
retries, on_failure, history and limits the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import Failure


@dataclass(frozen=True)
class Work:
    """Run an attempt of this step on a worker (``execute``) with this rendered input."""

    input: Any = None


@dataclass(frozen=True)
class Done:
    """The step completed: leave by ``ports`` with ``output``; ``vars`` merge into the instance's."""

    output: Any = None
    ports: tuple[str, ...] = ("out",)
    vars: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Fail:
    """The step failed for good (its ``on_failure`` says what the workflow does next)."""

    failure: Failure

    @classmethod
    def of(cls, type: str, message: str, **details: Any) -> Fail:
        return cls(Failure(type, message, retryable=False, details=details))


@dataclass(frozen=True)
class WaitUntil:
    """Wait; at ``due`` the node gets a ``woken`` message. ``output`` is recorded meanwhile."""

    due: float
    output: Any = None
    vars: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class AwaitSignal:
    """Wait for a signal named ``name`` (the oldest buffered one is taken at once); at ``due`` the
    node gets a ``woken`` message instead. A signal arrives as a ``signal`` message."""

    name: str
    due: float | None = None


@dataclass(frozen=True)
class OpenTask:
    """Open a human task (``approval``) described by ``spec`` and wait for its decision (a
    ``decided`` message); at ``due`` the node gets a ``woken`` message (its escalation); at
    ``remind`` the task's holders are reminded."""

    spec: Mapping[str, Any]
    due: float | None = None
    remind: float | None = None


@dataclass(frozen=True)
class UpdateTask:
    """Change the node's open task: ``{"close": reason}`` closes it (the node decides without
    it), ``{"escalate": "reassign" | "notify", ...}`` escalates it and the node keeps waiting."""

    change: Mapping[str, Any]


@dataclass(frozen=True)
class EndInstance:
    """``end``: finish the whole instance now (or fail it with ``fail``)."""

    output: Any = None
    fail: str | None = None
    vars: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class StartChild:
    """Start a child instance of ``workflow`` for step ``item`` of this node and wait for its end
    (a ``child_ended`` message), or, with ``wait=False``, complete as soon as it is started."""

    workflow: str
    input: Any = None
    version: int | None = None
    item: str = ""
    wait: bool = True


@dataclass(frozen=True)
class CreateItems:
    """Create one pending step per input (items ``"0"``, ``"1"``...); ``child`` when each item
    runs a child workflow (its input is then ``{"workflow", "version", "input"}``)."""

    inputs: list[Any]
    child: bool = False


@dataclass(frozen=True)
class StartItems:
    """Start these pending items (their indexes)."""

    indexes: list[int]
    child: bool = False


@dataclass(frozen=True)
class CancelItems:
    """Cancel every item of this node that has not ended (and their children)."""


@dataclass(frozen=True)
class SetState:
    """The node's own bookkeeping (a map's counters, a loop's iteration), stored on its step row."""

    state: Mapping[str, Any]


Action = Work | Done | Fail | WaitUntil | AwaitSignal | OpenTask | UpdateTask | EndInstance | StartChild | CreateItems | StartItems | CancelItems | SetState


@dataclass(frozen=True)
class Message:
    """What a node type is told: ``woken`` (its timer), ``child_ended``, ``item_ended``, ``signal``
    or ``decided`` (its task's decision)."""

    kind: str
    item: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
