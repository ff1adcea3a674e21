"""What happens next, as a pure function: ``decide(graph, snapshot, event) -> commands``.

The ORM adapter (``workflows.engine``) locks the instance, builds a ``Snapshot`` of what is
committed, calls ``decide`` and applies the returned commands in one transaction, each with its
Event. Nothing here touches the database, the clock or the queue: every tricky case (joins after
skipped branches, retries, timeouts, ``end`` while branches run) is a millisecond unit test.

Paths are tracked by the ports each finished node *took*: an edge is taken when its source
finished and took the edge's port, dead when its source finished without taking it (or was
skipped), pending otherwise. A join waits while any incoming edge is pending; a node whose
incoming edges are all dead is skipped, and skipping propagates (dead-path elimination).
"""

from __future__ import annotations

import json
import traceback
from collections import ChainMap, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import Failure
from .expressions import ExpressionError, build_scope, render
from .graph import Graph
from .retry import RetryPolicy
from .status import InstanceStatus as I
from .status import StepStatus as S
from .steps import StepType, step_types
from .values import InvalidValue, Limits, check

# --- what the decider sees ------------------------------------------------------------------


@dataclass(frozen=True)
class NodeState:
    """The latest attempt of one node."""

    status: S
    attempt: int = 1
    ports: tuple[str, ...] = ()  # ports taken, once final
    lost: int = 0  # earlier attempts lost with their worker: they do not count as tries


@dataclass(frozen=True)
class Snapshot:
    instance_id: str
    status: I
    input: Any
    vars: Mapping[str, Any]
    nodes: Mapping[str, NodeState]
    now: float  # epoch seconds, passed in so decisions are reproducible
    #: node id -> output of its latest attempt. Read only when an expression needs it, so the
    #: adapter may load it lazily (a wide fan-out's join check needs no outputs at all).
    outputs: Mapping[str, Any] = field(default_factory=dict)
    priority: int = 50
    business_key: str = ""
    started_at: float | None = None


# --- events: what happened ----------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class AttemptCompleted:
    node: str
    attempt: int
    output: Any = None


@dataclass(frozen=True)
class AttemptFailed:
    node: str
    attempt: int
    failure: Failure
    timed_out: bool = False


@dataclass(frozen=True)
class TimerFired:
    node: str
    attempt: int


@dataclass(frozen=True)
class BackoffOver:
    """A retry's backoff has passed: the scheduled attempt may be claimed now."""

    node: str
    attempt: int


@dataclass(frozen=True)
class DeadlineReached:
    pass


@dataclass(frozen=True)
class CancelRequested:
    reason: str = "cancelled"


@dataclass(frozen=True)
class RetryRequested:
    """Run a failed instance again from its failed steps."""


# --- commands: what to do -----------------------------------------------------------------------


@dataclass(frozen=True)
class SetInstanceStatus:
    status: I
    output: Any = None
    error: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CreateAttempt:
    node: str
    attempt: int
    status: S
    input: Any = None
    output: Any = None
    ports: tuple[str, ...] = ()
    failure: Failure | None = None
    not_before: float | None = None  # a retry's backoff: not claimable before this
    lost: int = 0


@dataclass(frozen=True)
class FinishAttempt:
    node: str
    attempt: int
    status: S
    output: Any = None
    ports: tuple[str, ...] = ()
    failure: Failure | None = None


@dataclass(frozen=True)
class MakeDue:
    """Clear a scheduled attempt's ``not_before``: due now, whatever any machine's clock says."""

    node: str
    attempt: int


@dataclass(frozen=True)
class SetVars:
    values: Mapping[str, Any]


@dataclass(frozen=True)
class StartTimer:
    kind: str  # "retry", "wait", "deadline"
    due: float
    node: str = ""
    attempt: int = 0


@dataclass(frozen=True)
class CancelTimers:
    """Drop every pending timer of the instance (it has finished)."""


Command = SetInstanceStatus | CreateAttempt | FinishAttempt | MakeDue | SetVars | StartTimer | CancelTimers


# --- the decider -----------------------------------------------------------------------------------


def decide(graph: Graph, snapshot: Snapshot, event: object, *, types=step_types, limits: Limits = Limits()) -> list[Command]:
    return _Decision(graph, snapshot, types, limits).run(event)


@dataclass
class _Decision:
    graph: Graph
    snap: Snapshot
    types: Any
    limits: Limits
    nodes: dict[str, NodeState] = field(init=False)
    outputs: ChainMap = field(init=False)  # this decision's outputs over the committed ones
    vars: dict[str, Any] = field(init=False)
    status: I = field(init=False)
    commands: list[Command] = field(default_factory=list)
    work: deque[str] = field(default_factory=deque)
    draining: bool = False
    _scope: dict[str, Any] | None = None
    _var_sizes: dict[str, int] | None = None  # JSON bytes of each var's entry, once measured
    _vars_total: int = 0
    #: node not started yet -> [pending, taken] over its incoming edges, counted at its first
    #: arrival and kept current by ``_set`` (re-counting them at every arrival was quadratic).
    _tallies: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.nodes = dict(self.snap.nodes)
        self.outputs = ChainMap({}, self.snap.outputs)
        self.vars = dict(self.snap.vars)
        self.status = self.snap.status

    # ---------------------------------------------------------------------------------------------
    def run(self, event: object) -> list[Command]:
        handler = getattr(self, "on_" + type(event).__name__)
        handler(event)
        # Checked once, after the whole worklist drained: a node not yet looked at is not "done".
        if self.status == I.RUNNING and not any(s.status.is_active for s in self.nodes.values()):
            self.complete()
        return self.commands

    def on_Start(self, event: Start) -> None:
        if self.status != I.PENDING:
            return
        self.set_status(I.RUNNING)
        self.start_deadline()
        self.advance(self.graph.entry_nodes())

    def on_AttemptCompleted(self, event: AttemptCompleted) -> None:
        if not self.is_current(event.node, event.attempt, (S.RUNNING, S.WAITING)):
            return  # duplicate delivery or a late result from a lost worker: changes nothing
        try:
            check(event.output, where="output", max_bytes=self.limits.output_bytes, max_depth=self.limits.depth)
        except InvalidValue as exc:
            failure = Failure("InvalidOutput", f"the step's {exc}", retryable=False)
            self.on_AttemptFailed(AttemptFailed(event.node, event.attempt, failure))
            return
        self.finish(event.node, event.attempt, S.COMPLETED, output=event.output, ports=("out",))
        self.advance(self.successors(event.node))

    def on_AttemptFailed(self, event: AttemptFailed) -> None:
        if not self.is_current(event.node, event.attempt, (S.RUNNING, S.WAITING)):
            return
        node = self.graph.nodes[event.node]
        status = S.TIMED_OUT if event.timed_out else S.FAILED
        failure = event.failure
        policy = RetryPolicy.at_run_time(node.config.get("retry"))
        lost = self.nodes[event.node].lost
        if self.is_crash(failure, policy, lost):
            # A crash is not a business failure: retried without counting as a try (DESIGN §5b).
            delay, lost = policy.delay(lost + 1), lost + 1
        else:
            delay = policy.next_delay(event.attempt - lost, failure.type, failure.retryable)
        if delay is not None and self.status == I.RUNNING:
            self.finish(event.node, event.attempt, status, failure=failure)
            self.schedule(event.node, event.attempt + 1, not_before=self.snap.now + delay, lost=lost)
            return
        self.fail_node(event.node, event.attempt, status, failure, new=False)

    def is_crash(self, failure: Failure, policy: RetryPolicy, lost: int) -> bool:
        return failure.type == "WorkerLost" and "WorkerLost" not in policy.non_retryable and lost < self.limits.lost_retries

    def on_TimerFired(self, event: TimerFired) -> None:
        if not self.is_current(event.node, event.attempt, (S.WAITING,)):
            return
        self.finish(event.node, event.attempt, S.COMPLETED, output=self.outputs.get(event.node), ports=("out",))
        self.advance(self.successors(event.node))

    def on_BackoffOver(self, event: BackoffOver) -> None:
        if self.status == I.RUNNING and self.is_current(event.node, event.attempt, (S.SCHEDULED,)):
            self.commands.append(MakeDue(event.node, event.attempt))

    def on_DeadlineReached(self, event: DeadlineReached) -> None:
        if self.status.is_final:
            return
        timeout = self.graph.timeout_s() or 0
        self.end(I.TIMED_OUT, error={"type": "WorkflowTimeout", "message": f"the workflow did not finish within {timeout:g} s"})

    def on_CancelRequested(self, event: CancelRequested) -> None:
        if self.status.is_final:
            return
        self.end(I.CANCELLED, error={"type": "Cancelled", "message": event.reason})

    def on_RetryRequested(self, event: RetryRequested) -> None:
        if self.status != I.FAILED:
            return
        failed = [n for n, s in self.nodes.items() if s.status in (S.FAILED, S.TIMED_OUT) and not s.ports]
        if not failed:
            return  # failed by an ``end`` node or a bad output template: nothing to run again
        cancelled = [n for n, s in self.nodes.items() if s.status == S.CANCELLED]
        self.set_status(I.RUNNING)
        self.start_deadline()
        for node_id in failed + cancelled:
            if self.start_node(node_id, self.nodes[node_id].attempt + 1):
                self.advance(self.successors(node_id))

    # --- state changes ---------------------------------------------------------------------------
    def set_status(self, status: I, **kwargs: Any) -> None:
        self.status = status
        self.commands.append(SetInstanceStatus(status, **kwargs))

    def finish(self, node_id: str, attempt: int, status: S, *, output: Any = None, ports=(), failure=None) -> None:
        self._set(node_id, NodeState(status, attempt, tuple(ports), self.nodes[node_id].lost))
        self.outputs[node_id] = output
        self.commands.append(FinishAttempt(node_id, attempt, status, output, tuple(ports), failure))
        self._scope = None

    def create(self, node_id: str, attempt: int, status: S, **kwargs: Any) -> None:
        self._set(node_id, NodeState(status, attempt, tuple(kwargs.get("ports", ())), kwargs.get("lost", 0)))
        self.outputs[node_id] = kwargs.get("output")
        self.commands.append(CreateAttempt(node_id, attempt, status, **kwargs))
        self._scope = None

    def schedule(self, node_id: str, attempt: int, *, not_before: float | None = None, lost: int = 0) -> None:
        node = self.graph.nodes[node_id]
        try:
            step_input = self.checked(self.type_of(node_id).prepare(node.config, self.scope()), "input", self.limits.input_bytes)
        except Exception as exc:  # a template that cannot be rendered fails the node, not the engine
            self.fail_node(node_id, attempt, S.FAILED, failure_from(exc, retryable=False), new=True)
            return
        self.create(node_id, attempt, S.SCHEDULED, input=step_input, not_before=not_before, lost=lost)
        if not_before is not None:
            self.commands.append(StartTimer("retry", not_before, node_id, attempt))

    def fail_node(self, node_id: str, attempt: int, status: S, failure: Failure, *, new: bool) -> None:
        """A terminal failure: the node's ``on_failure`` says what the workflow does next."""
        mode = self.graph.nodes[node_id].config.get("on_failure", "fail")
        ports = {"continue": ("out",), "route": ("failure",)}.get(mode, ())
        if new:
            self.create(node_id, attempt, status, failure=failure, ports=ports)
        else:
            self.finish(node_id, attempt, status, failure=failure, ports=ports)
        if ports:
            self.advance(self.successors(node_id))
        else:
            self.end(I.FAILED, error={"type": failure.type, "message": failure.message, "node": node_id})

    def end(self, status: I, *, output: Any = None, error: Mapping[str, Any] | None = None) -> None:
        """Finish the instance: cancel whatever is still active, drop its timers."""
        for node_id, state in list(self.nodes.items()):
            if state.status.is_active:
                self.finish(node_id, state.attempt, S.CANCELLED, output=self.outputs.get(node_id))
        self.commands.append(CancelTimers())
        self.set_status(status, output=output, error=error)

    # --- advancing through the graph ---------------------------------------------------------------
    def advance(self, nodes: list[str]) -> None:
        """Look at ``nodes`` (and, transitively, whatever they unblock) once."""
        self.work.extend(nodes)
        if self.draining:
            return  # called from inside the loop below (a routed failure): the loop picks them up
        self.draining = True
        try:
            while self.work and self.status == I.RUNNING:
                node_id = self.work.popleft()
                if node_id in self.nodes:
                    continue  # already started (a join "any" ignores later arrivals)
                verdict = self.arrival(node_id)
                if verdict == "skip":
                    self.create(node_id, 1, S.SKIPPED)
                    self.work.extend(self.successors(node_id))
                elif verdict == "ready" and self.start_node(node_id, 1):
                    self.work.extend(self.successors(node_id))
        finally:
            self.draining = False

    def arrival(self, node_id: str) -> str:
        """'ready', 'skip' or 'wait', from the state of the node's incoming paths."""
        incoming = self.graph.incoming[node_id]
        if not incoming:
            return "ready"
        tally = self._tallies.get(node_id)
        if tally is None:  # counted once per decision (inline: a wide fan-in counts 200 edges per completion)
            pending = taken = 0
            nodes = self.nodes
            for edge in incoming:
                source = nodes.get(edge.source)
                if source is None or source.status.is_active:
                    pending += 1
                elif edge.port in source.ports:
                    taken += 1
            tally = self._tallies[node_id] = [pending, taken]
        pending, taken = tally
        if self.graph.nodes[node_id].config.get("join", "all") == "any":
            return "ready" if taken else ("wait" if pending else "skip")
        if pending:
            return "wait"
        return "ready" if taken else "skip"

    def _set(self, node_id: str, state: NodeState) -> None:
        """Every change of a node's state passes here, so the tallies of the joins it feeds stay current."""
        fed = [e for e in self.graph.outgoing[node_id] if e.target in self._tallies] if self._tallies else ()
        for edge in fed:
            self._count(edge, -1)
        self.nodes[node_id] = state
        for edge in fed:
            self._count(edge, 1)
        self._tallies.pop(node_id, None)  # started: ``advance`` never asks about it again

    def _count(self, edge, sign: int) -> None:
        """Add (or take back) what ``edge`` contributes to its target's tally: pending, taken or dead."""
        tally = self._tallies[edge.target]
        source = self.nodes.get(edge.source)
        if source is None or source.status.is_active:
            tally[0] += sign
        elif edge.port in source.ports:
            tally[1] += sign

    def start_node(self, node_id: str, attempt: int) -> bool:
        """Start a node; True when it finished inline and its successors should be looked at."""
        step_type = self.type_of(node_id)
        if not step_type.inline:
            self.schedule(node_id, attempt)
            return False
        config = self.graph.nodes[node_id].config
        try:
            outcome = step_type.decide(config, self.scope(), self.snap.now)
            # Detached JSON copies: an assignment of ``{{ vars }}`` must not make vars contain itself.
            output = self.checked(outcome.output, "output", self.limits.output_bytes)
            new_vars = self.checked(dict(outcome.vars or {}), "vars", self.limits.vars_bytes)
            if new_vars:
                self.vars_fit(new_vars)
        except Exception as exc:
            self.fail_node(node_id, attempt, S.FAILED, failure_from(exc, retryable=False), new=True)
            return False
        if new_vars:
            self.vars.update(new_vars)
            self.commands.append(SetVars(new_vars))
        if outcome.wait_until is not None:
            self.create(node_id, attempt, S.WAITING, output=outcome.output)
            self.commands.append(StartTimer("wait", outcome.wait_until, node_id, attempt))
            return False
        self.create(node_id, attempt, S.COMPLETED, output=outcome.output, ports=outcome.ports)
        if outcome.fail is not None:
            self.end(I.FAILED, output=outcome.output, error={"type": "EndFailed", "message": outcome.fail, "node": node_id})
            return False
        if outcome.finish:
            self.end(I.COMPLETED, output=outcome.output)
            return False
        return True

    def complete(self) -> None:
        template = self.graph.settings.get("output")
        if template is None:
            sinks = [n for n in self.graph.nodes if not self.graph.outgoing[n]]
            output = {n: self.outputs.get(n) for n in sinks if n in self.nodes and self.nodes[n].status == S.COMPLETED}
        else:
            try:
                output = self.checked(render(template, self.scope()), "output", self.limits.output_bytes)
            except ExpressionError as exc:
                self.end(I.FAILED, error={"type": "ExpressionError", "message": f"settings.output: {exc}"})
                return
        self.commands.append(CancelTimers())
        self.set_status(I.COMPLETED, output=output)

    # --- helpers -------------------------------------------------------------------------------------
    def checked(self, value: Any, where: str, max_bytes: int) -> Any:
        """What expressions computed, as a detached JSON copy; unstorable: an ExpressionError."""
        try:
            return json.loads(check(value, where=where, max_bytes=max_bytes, max_depth=self.limits.depth))
        except InvalidValue as exc:
            raise ExpressionError(str(exc)) from None

    def vars_fit(self, new: dict[str, Any]) -> None:
        """All the vars together stay within their bound, counted per key so that a workflow
        setting thousands of names does not re-measure them all at every step."""
        sizes = self._var_sizes
        if sizes is None:
            sizes = self._var_sizes = {key: _entry_size(key, value) for key, value in self.vars.items()}
            self._vars_total = sum(sizes.values())
        total = self._vars_total
        changed = {key: _entry_size(key, value) for key, value in new.items()}
        total += sum(size - sizes.get(key, 0) for key, size in changed.items())
        if total > self.limits.vars_bytes:
            raise ExpressionError(f"vars would be about {total:,} bytes of JSON; the limit is {self.limits.vars_bytes:,}")
        sizes.update(changed)
        self._vars_total = total

    def start_deadline(self) -> None:
        if timeout := self.graph.timeout_s():
            self.commands.append(StartTimer("deadline", self.snap.now + timeout))

    def is_current(self, node_id: str, attempt: int, statuses: tuple[S, ...]) -> bool:
        state = self.nodes.get(node_id)
        return (
            self.status == I.RUNNING
            and state is not None
            and state.attempt == attempt
            and state.status in statuses
        )

    def successors(self, node_id: str) -> list[str]:
        return [edge.target for edge in self.graph.outgoing[node_id]]

    def type_of(self, node_id: str) -> StepType:
        return self.types.get(self.graph.nodes[node_id].type)

    def scope(self) -> dict[str, Any]:
        if self._scope is None:
            self._scope = build_scope(
                input=self.snap.input,
                steps=_StepsView(self.nodes, self.outputs),
                vars=self.vars,
                instance={
                    "id": self.snap.instance_id,
                    "priority": self.snap.priority,
                    "business_key": self.snap.business_key,
                    "started_at": self.snap.started_at,
                },
            )
        return self._scope


def _entry_size(key: str, value: Any) -> int:
    """Bytes of ``{"key":value}`` in compact JSON (a little over the entry itself: safe side)."""
    return len(json.dumps({key: value}, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace"))


class _StepsView(Mapping):
    """``steps`` in expressions: status and output per node, outputs read only when asked."""

    def __init__(self, nodes: Mapping[str, NodeState], outputs: Mapping[str, Any]):
        self._nodes, self._outputs = nodes, outputs

    def __getitem__(self, node_id: str) -> dict[str, Any]:
        state = self._nodes[node_id]
        return {"output": self._outputs.get(node_id), "status": str(state.status)}

    def __iter__(self):
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


def failure_from(exc: BaseException, *, retryable: bool | None = None) -> Failure:
    """An exception as stored data; ``StepError`` subclasses carry their own retry meaning.

    Whatever a handler raised is hostile: its ``str`` or attributes may themselves raise.
    """
    kind = getattr(exc, "type", None) or type(exc).__name__
    if retryable is None:
        retryable = bool(getattr(exc, "retryable", True))
    details = getattr(exc, "details", None)
    try:
        message = str(exc) or str(kind)
    except Exception:
        message = f"{type(exc).__name__} (its message could not be read)"
    try:
        trace = "".join(traceback.format_exception(exc))
    except Exception:
        trace = ""
    return Failure(
        type=str(kind),
        message=message,
        traceback=trace,
        retryable=retryable,
        details=details if isinstance(details, dict) else {},
    )
