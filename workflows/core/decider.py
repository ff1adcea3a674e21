"""What happens next, as a pure function: ``decide(graph, snapshot, event) -> commands``.

The ORM adapter (``workflows.engine``) locks the instance, builds a ``Snapshot`` of what is
committed, calls ``decide`` and applies the returned commands in one transaction, each with its
Event. Nothing here touches the database, the clock or the queue: every tricky case (joins after
skipped branches, retries, timeouts, ``end`` while branches run) is a millisecond unit test.

A step is keyed ``(node id, item)`` (DESIGN §5b): ``""`` for a node's own step, ``"0"``, ``"1"``...
for a map's items or a loop's iterations. What a node does when reached or told something is its
type's business (``steps``: actions); here is only traversal, attempts and retries, and the end.

Paths are tracked by the ports each finished node *took*: an edge is taken when its source
finished and took the edge's port, dead when its source finished without taking it (or was
skipped), pending otherwise. A join waits while any incoming edge is pending; a node whose
incoming edges are all dead is skipped, and skipping propagates (dead-path elimination).
"""

from __future__ import annotations

import json
import traceback
import uuid
from collections import ChainMap, deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import Failure
from .expressions import ExpressionError, build_scope, render
from .graph import Graph
from .retry import RetryPolicy
from .status import InstanceStatus as I
from .status import StepStatus as S
from .steps import StepType, step_types
from .steps import actions as A
from .steps.base import NodeContext
from .values import InvalidValue, Limits, check

# --- what the decider sees ------------------------------------------------------------------

Key = tuple[str, str]  # (node id, item): item "" is the node's own step


@dataclass(frozen=True)
class NodeState:
    """The latest attempt of one step."""

    status: S
    attempt: int = 1
    ports: tuple[str, ...] = ()  # ports taken, once final
    lost: int = 0  # earlier attempts lost with their worker: they do not count as tries
    state: Mapping[str, Any] | None = None  # the type's bookkeeping (a map's counters)


@dataclass(frozen=True)
class Snapshot:
    instance_id: str
    status: I
    #: the instance's input, or a function giving it: the adapter may read it only when an
    #: expression needs it (a map's input may be a 10,000-item list no completion looks at)
    input: Any
    vars: Mapping[str, Any]
    #: (node, item) -> latest attempt: every node's own step, and the items the events name (a
    #: map's other 10,000 items are not loaded: the map's counters stand for them).
    nodes: Mapping[Key, NodeState]
    now: float  # epoch seconds, passed in so decisions are reproducible
    #: (node, item) -> output of its latest attempt. Read only when an expression needs it, so the
    #: adapter may load it lazily (a wide fan-out's join check needs no outputs at all).
    outputs: Mapping[Key, Any] = field(default_factory=dict)
    priority: int = 50
    business_key: str = ""
    started_at: float | None = None
    #: (node, item) -> input of a loaded item's latest attempt (an item's retry runs it again).
    inputs: Mapping[Key, Any] = field(default_factory=dict)
    #: node -> [(status, output, error)] of every item, in item order: read when a map finishes.
    item_results: Any = None
    max_items: int = 10_000
    #: ``signal(name, taken) -> (seq, payload) | None``: the oldest buffered signal of that name
    #: not among ``taken`` (read only when a signal node is reached or a signal arrives)
    signal: Any = None
    #: the compensation under way or done (``Instance.saga``), and a function giving the completed
    #: steps that have a compensate handler, latest completion first (read when a saga starts)
    saga: Mapping[str, Any] | None = None
    completions: Any = None


# --- events: what happened ----------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class AttemptCompleted:
    node: str
    attempt: int
    output: Any = None
    item: str = ""
    worker: str = ""  # set when it travelled through the inbox: only that worker's result counts


@dataclass(frozen=True)
class AttemptFailed:
    node: str
    attempt: int
    failure: Failure
    timed_out: bool = False
    item: str = ""
    worker: str = ""


@dataclass(frozen=True)
class TimerFired:
    """A node's own timer (a wait) is due: the node is woken."""

    node: str
    attempt: int
    item: str = ""


@dataclass(frozen=True)
class BackoffOver:
    """A retry's backoff has passed: the scheduled attempt may be claimed now."""

    node: str
    attempt: int
    item: str = ""


@dataclass(frozen=True)
class DeadlineReached:
    pass


@dataclass(frozen=True)
class CancelRequested:
    reason: str = "cancelled"
    by: str = ""  # who asked: the history says so


@dataclass(frozen=True)
class RetryRequested:
    """Run a failed instance again from its failed steps (or its failed compensation)."""

    by: str = ""


@dataclass(frozen=True)
class PauseRequested:
    by: str = ""


@dataclass(frozen=True)
class ResumeRequested:
    by: str = ""


@dataclass(frozen=True)
class SignalReceived:
    """Signal ``seq`` (its ``Signal`` row) arrived: a ``signal`` node waiting for ``name`` takes
    the oldest one buffered; with none waiting it stays buffered for the next that waits."""

    name: str
    seq: int
    payload: Any = None
    by: str = ""
    noted: bool = False  # its arrival is in the history already (it came while paused)


@dataclass(frozen=True)
class TaskDecided:
    """The task of approval step (node, attempt) reached its decision (``approvals``): ``output``
    is the step's output (decision, form data, who and when)."""

    node: str
    attempt: int
    task: int
    output: Mapping[str, Any]


@dataclass(frozen=True)
class TaskReminder:
    """The step's task is due soon: its holders are reminded (if it is still open)."""

    node: str
    attempt: int


@dataclass(frozen=True)
class TaskNoted:
    """Someone acted on the step's task without deciding it (claimed, delegated, commented...):
    the instance's history says so."""

    node: str
    attempt: int
    task: int
    action: str
    by: str = ""
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Compensate:
    """Undo the next completed step (the saga began in the transition that sent this: its
    completions are committed and ordered now)."""


@dataclass(frozen=True)
class Reassess:
    """Look again whether the instance is done: sent to itself by a resume that left nothing
    active, so that what it released (held before this message) is decided first."""


@dataclass(frozen=True)
class Continue:
    """An attempt ended while the instance was paused: recorded then, carried on from at resume."""

    node: str
    attempt: int
    item: str = ""
    status: str = ""
    output: Any = None
    error: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ChildEnded:
    """A child instance started by step (node, item, attempt) ended."""

    node: str
    attempt: int
    item: str = ""
    child: str = ""
    status: str = ""
    output: Any = None
    error: Mapping[str, Any] | None = None


#: What waits while an instance is paused: held in its inbox and delivered on resume (DESIGN §5b).
#: Attempts that end are recorded at once (``Continue`` carries on from them at resume); cancel,
#: deadlines and resume itself are not held.
HELD_WHILE_PAUSED = (TimerFired, BackoffOver, ChildEnded, SignalReceived, TaskDecided, Continue, Compensate)

# --- commands: what to do -----------------------------------------------------------------------


@dataclass(frozen=True)
class SetInstanceStatus:
    status: I
    output: Any = None
    error: Mapping[str, Any] | None = None
    by: str = ""
    saga: Mapping[str, Any] | None = None  # set with the status: the compensation's record


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
    item: str = ""
    compensation: bool = False  # runs the node's compensate handler (saga)


@dataclass(frozen=True)
class FinishAttempt:
    node: str
    attempt: int
    status: S
    output: Any = None
    ports: tuple[str, ...] = ()
    failure: Failure | None = None
    item: str = ""


@dataclass(frozen=True)
class MakeDue:
    """Clear a scheduled attempt's ``not_before``: due now, whatever any machine's clock says."""

    node: str
    attempt: int
    item: str = ""


@dataclass(frozen=True)
class SetVars:
    values: Mapping[str, Any]


@dataclass(frozen=True)
class SetState:
    node: str
    state: Mapping[str, Any]


@dataclass(frozen=True)
class StartTimer:
    """A timer that delivers ``message`` (an event above) at ``due``; ``kind`` is for people."""

    kind: str  # "retry", "wait", "deadline"
    due: float
    message: object
    node: str = ""
    attempt: int = 0
    item: str = ""


@dataclass(frozen=True)
class CancelTimers:
    """Drop every pending timer of the instance (it has finished)."""


@dataclass(frozen=True)
class CreateItems:
    """Pending steps ``"0"``..``"N-1"`` of a map node, with their inputs."""

    node: str
    inputs: list[Any]


@dataclass(frozen=True)
class StartItems:
    """Pending items become scheduled (a handler per item) or waiting on a child (``child``)."""

    node: str
    items: list[str]
    child: bool = False


@dataclass(frozen=True)
class CancelItems:
    """Every item of the node that has not ended is cancelled, its waited children too."""

    node: str


@dataclass(frozen=True)
class StartChild:
    """Start child instance ``child`` of ``workflow`` for step (node, item, attempt); its input
    is the step's input (``{"workflow", "version", "input"}``)."""

    node: str
    attempt: int
    item: str
    child: str
    workflow: str
    version: int | None
    input: Any
    wait: bool = True


@dataclass(frozen=True)
class CancelChildren:
    """Ask every waited child of the instance that has not ended to cancel (through its inbox)."""


@dataclass(frozen=True)
class TellChildren:
    """Send ``message`` (pause, resume) to every waited child of the instance that has not ended."""

    message: object


@dataclass(frozen=True)
class Hold:
    """Keep ``message`` in the inbox, held until the instance resumes."""

    message: object


@dataclass(frozen=True)
class ReleaseHeld:
    """The instance resumed: what was held is delivered next, in the order it was held."""


@dataclass(frozen=True)
class NoteSignal:
    """Signal ``seq`` reached the instance (history: the first of its two moments)."""

    name: str
    seq: int
    by: str = ""


@dataclass(frozen=True)
class TakeSignal:
    """Step (node, item, attempt) took buffered signal ``seq`` (its second moment)."""

    seq: int
    node: str
    attempt: int
    item: str = ""


@dataclass(frozen=True)
class SendSelf:
    """Put ``message`` in the instance's own inbox: decided in the next transition."""

    message: object


@dataclass(frozen=True)
class OpenTask:
    """Open the approval task of step (node, attempt) from the node's rendered ``spec``."""

    node: str
    attempt: int
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class UpdateTask:
    """Close or escalate the open task of step (node, attempt) (``A.UpdateTask``)."""

    node: str
    attempt: int
    change: Mapping[str, Any]


@dataclass(frozen=True)
class NoteTask:
    node: str
    attempt: int
    task: int
    action: str
    by: str = ""
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SetSaga:
    """The compensation's record changed (``Instance.saga``)."""

    saga: Mapping[str, Any]


Command = (
    SetInstanceStatus | CreateAttempt | FinishAttempt | MakeDue | SetVars | SetState | StartTimer | CancelTimers
    | CreateItems | StartItems | CancelItems | StartChild | CancelChildren | TellChildren | Hold | ReleaseHeld
    | NoteSignal | TakeSignal | SetSaga | SendSelf | OpenTask | UpdateTask | NoteTask
)

#: A child's id is derived from the step that starts it: deciding twice starts the same child.
CHILD_NAMESPACE = uuid.UUID("6f2b7c1e-2d4a-4f0e-9c59-1d0a7e3b5a10")


def child_id(instance_id: str, node: str, item: str, attempt: int) -> str:
    return str(uuid.uuid5(CHILD_NAMESPACE, f"{instance_id}:{node}:{item}:{attempt}"))


# --- the decider -----------------------------------------------------------------------------------


def decide(graph: Graph, snapshot: Snapshot, event: object, *, types=step_types, limits: Limits = Limits()) -> list[Command]:
    """Decide on one event, or on several in order (a batch of inbox messages) in one decision."""
    decision = _Decision(graph, snapshot, types, limits)
    for each in event if isinstance(event, (list, tuple)) else (event,):
        decision.handle(each)
    return decision.finish_up()


@dataclass
class _Decision:
    graph: Graph
    snap: Snapshot
    types: Any
    limits: Limits
    nodes: dict[Key, NodeState] = field(init=False)
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
    #: items ended in this decision -> (status, output, error): not in the committed item results yet.
    _item_ends: dict[Key, tuple] = field(default_factory=dict)
    _taken: set[int] = field(default_factory=set)  # signals taken in this decision
    _resumed: bool = False  # what was held is delivered next: the instance is not done before that

    def __post_init__(self) -> None:
        self.saga = dict(self.snap.saga) if self.snap.saga else None
        self.nodes = dict(self.snap.nodes)
        self.outputs = ChainMap({}, self.snap.outputs)
        self.vars = dict(self.snap.vars)
        self.status = self.snap.status

    # ---------------------------------------------------------------------------------------------
    def handle(self, event: object) -> None:
        if self.status == I.PAUSED and isinstance(event, HELD_WHILE_PAUSED):
            if isinstance(event, SignalReceived) and not event.noted:
                # It arrived now, whenever it is delivered: the history says so in this order, even
                # when a node that starts waiting after the resume takes it before this is released.
                self.commands.append(NoteSignal(event.name, event.seq, event.by))
                event = replace(event, noted=True)
            self.commands.append(Hold(event))
            return
        getattr(self, "on_" + type(event).__name__)(event)

    def finish_up(self) -> list[Command]:
        # Checked once, after the whole worklist drained: a node not yet looked at is not "done".
        if self.status == I.RUNNING and not self.in_saga() and not any(s.status.is_active for s in self.nodes.values()):
            if self._resumed:  # what was held (an attempt's consequences) is decided first, then a look
                self.commands.append(SendSelf(Reassess()))
            else:
                self.complete()
        return self.commands

    def run(self, event: object) -> list[Command]:
        self.handle(event)
        return self.finish_up()

    def on_Start(self, event: Start) -> None:
        if self.status != I.PENDING:
            return
        self.set_status(I.RUNNING)
        self.start_deadline()
        self.advance(self.graph.entry_nodes())

    def on_AttemptCompleted(self, event: AttemptCompleted) -> None:
        k = (event.node, event.item)
        if not self.is_current(k, event.attempt, (S.RUNNING,)):
            return  # duplicate delivery or a late result from a lost worker: changes nothing
        try:
            check(event.output, where="output", max_bytes=self.limits.output_bytes, max_depth=self.limits.depth)
        except InvalidValue as exc:
            failure = Failure("InvalidOutput", f"the step's {exc}", retryable=False)
            self.on_AttemptFailed(AttemptFailed(event.node, event.attempt, failure, item=event.item))
            return
        if self.compensating(k):
            self.compensated(k, event.attempt, event.output)
            return
        if event.item:
            self.item_ended(k, event.attempt, S.COMPLETED, output=event.output)
            return
        self.finish(k, event.attempt, S.COMPLETED, output=event.output, ports=("out",))
        if self.status == I.PAUSED:
            self.commands.append(Hold(Continue(event.node, event.attempt, status=str(S.COMPLETED))))
            return
        self.advance(self.successors(event.node))

    def on_AttemptFailed(self, event: AttemptFailed) -> None:
        k = (event.node, event.item)
        if not self.is_current(k, event.attempt, (S.RUNNING,)):
            return
        node = self.graph.nodes[event.node]
        status = S.TIMED_OUT if event.timed_out else S.FAILED
        failure = event.failure
        saga = self.compensating(k)
        policy = RetryPolicy.at_run_time(compensation_of(node.config)[1] if saga else node.config.get("retry"))
        lost = self.nodes[k].lost
        if self.is_crash(failure, policy, lost):
            # A crash is not a business failure: retried without counting as a try (DESIGN §5b).
            delay, lost = policy.delay(lost + 1), lost + 1
        else:
            tries = event.attempt - lost - (saga["current"]["first_attempt"] - 1 if saga else 0)
            delay = policy.next_delay(tries, failure.type, failure.retryable)
        if delay is not None:
            self.finish(k, event.attempt, status, failure=failure)
            self.schedule(k, event.attempt + 1, not_before=self.snap.now + delay, lost=lost)
            return
        if saga:
            self.compensation_failed(k, event.attempt, status, failure)
            return
        if event.item:
            self.item_ended(k, event.attempt, status, failure=failure)
            return
        self.fail_node(event.node, event.attempt, status, failure, new=False)

    def is_crash(self, failure: Failure, policy: RetryPolicy, lost: int) -> bool:
        return failure.type == "WorkerLost" and "WorkerLost" not in policy.non_retryable and lost < self.limits.lost_retries

    def on_Continue(self, event: Continue) -> None:
        k = (event.node, event.item)
        state = self.nodes.get(k)
        if self.status != I.RUNNING or state is None or state.attempt != event.attempt or state.status != S(event.status):
            return
        if event.item:
            data = {"status": event.status, "output": event.output, "error": dict(event.error or {})}
            self.tell(event.node, A.Message("item_ended", event.item, data))
        elif state.ports:
            self.advance(self.successors(event.node))
        else:
            self.end(I.FAILED, error=dict(event.error or {}))

    def on_PauseRequested(self, event: PauseRequested) -> None:
        if self.status == I.RUNNING:
            self.set_status(I.PAUSED, by=event.by)
            if self.may_have_children():
                self.commands.append(TellChildren(PauseRequested(f"its parent {self.snap.instance_id}")))

    def on_ResumeRequested(self, event: ResumeRequested) -> None:
        if self.status == I.PAUSED:
            self.set_status(I.RUNNING, by=event.by)
            self.commands.append(ReleaseHeld())
            if self.may_have_children():
                self.commands.append(TellChildren(ResumeRequested(f"its parent {self.snap.instance_id}")))
            self._resumed = True

    def on_Reassess(self, event: Reassess) -> None:
        pass  # ``finish_up`` looks

    def on_SignalReceived(self, event: SignalReceived) -> None:
        if self.status != I.RUNNING:
            return  # ended: the signal stays recorded, undelivered
        if not event.noted:
            self.commands.append(NoteSignal(event.name, event.seq, event.by))
        for node_id in self.signal_waiters(event.name):
            found = self.next_signal(event.name)
            if found is None:
                break
            self.take_signal(node_id, self.nodes[(node_id, "")].attempt, *found)

    def on_TaskDecided(self, event: TaskDecided) -> None:
        if self.is_current((event.node, ""), event.attempt, (S.WAITING,)):
            self.tell(event.node, A.Message("decided", "", {**event.output, "task": event.task}))

    def on_TaskReminder(self, event: TaskReminder) -> None:
        if self.is_current((event.node, ""), event.attempt, (S.WAITING,)):
            self.commands.append(UpdateTask(event.node, event.attempt, {"remind": True}))

    def on_TaskNoted(self, event: TaskNoted) -> None:
        self.commands.append(NoteTask(event.node, event.attempt, event.task, event.action, event.by, event.data))

    def may_have_children(self) -> bool:
        """A step waits on something that may be a child (a sub-workflow, a loop, a map of
        workflows): only then are the children looked up."""
        return any(
            not k[1] and state.status == S.WAITING and self.graph.nodes[k[0]].type in ("subworkflow", "loop", "map")
            for k, state in self.nodes.items()
        )

    def signal_waiters(self, name: str) -> list[str]:
        return [
            k[0] for k, state in self.nodes.items()
            if not k[1] and state.status == S.WAITING and self.graph.nodes[k[0]].type == "signal" and self.graph.nodes[k[0]].config.get("name") == name
        ]  # fmt: skip

    def next_signal(self, name: str) -> tuple[int, Any] | None:
        return self.snap.signal(name, frozenset(self._taken)) if self.snap.signal is not None else None

    def take_signal(self, node_id: str, attempt: int, seq: int, payload: Any) -> None:
        self._taken.add(seq)
        self.commands.append(TakeSignal(seq, node_id, attempt))
        self.tell(node_id, A.Message("signal", "", {"seq": seq, "payload": payload}))

    def on_TimerFired(self, event: TimerFired) -> None:
        if self.is_current((event.node, event.item), event.attempt, (S.WAITING,)):
            self.tell(event.node, A.Message("woken", event.item))

    def on_BackoffOver(self, event: BackoffOver) -> None:
        if self.is_current((event.node, event.item), event.attempt, (S.SCHEDULED,)):
            self.commands.append(MakeDue(event.node, event.attempt, event.item))
        elif self.status == I.RUNNING and event.item and self.is_current((event.node, event.item), event.attempt, (S.PENDING,)):
            self._set((event.node, event.item), NodeState(S.WAITING, event.attempt))
            self.commands.append(StartItems(event.node, [event.item], child=True))  # a new child for the retried item

    def on_ChildEnded(self, event: ChildEnded) -> None:
        k = (event.node, event.item)
        if not self.is_current(k, event.attempt, (S.WAITING,)):
            return  # the step was cancelled or retried meanwhile: this child's end is history
        data = {"status": event.status, "output": event.output, "error": dict(event.error or {}), "child": event.child}
        if event.item:  # an item or an iteration: its own step ends here, its node hears of it
            ok = event.status == I.COMPLETED
            failure = None if ok else Failure(*_child_error(event), retryable=event.status in (I.FAILED, I.TIMED_OUT))
            if failure is not None and self.retry_child(k, event.attempt, failure):
                return
            self.finish(k, event.attempt, S.COMPLETED if ok else S.FAILED, output=event.output if ok else None, failure=failure)
        self.tell(event.node, A.Message("child_ended", event.item, data))

    def retry_child(self, k: Key, attempt: int, failure: Failure) -> bool:
        """A map item whose child failed runs again as a new child after its node's backoff, like a
        handler item: the next attempt waits pending, its retry timer starts it. A cancelled child
        is not retried (someone meant it: ``retryable`` is False); neither is one whose input is
        not at hand."""
        node = self.graph.nodes[k[0]]
        if "retry" not in node.config or k not in self.snap.inputs or self.status != I.RUNNING:
            return False
        delay = RetryPolicy.at_run_time(node.config["retry"]).next_delay(attempt, failure.type, failure.retryable)
        if delay is None:
            return False
        self.finish(k, attempt, S.FAILED, failure=failure)
        self.create(k, attempt + 1, S.PENDING, input=self.snap.inputs[k])
        due = self.snap.now + delay
        self.commands.append(StartTimer("retry", due, BackoffOver(k[0], attempt + 1, k[1]), k[0], attempt + 1, k[1]))
        return True

    def on_DeadlineReached(self, event: DeadlineReached) -> None:
        if self.status.is_final:
            return
        timeout = self.graph.timeout_s() or 0
        self.end(I.TIMED_OUT, error={"type": "WorkflowTimeout", "message": f"the workflow did not finish within {timeout:g} s"})

    def on_CancelRequested(self, event: CancelRequested) -> None:
        if self.status.is_final:
            return
        self.end(I.CANCELLED, error={"type": "Cancelled", "message": event.reason}, by=event.by)

    def on_RetryRequested(self, event: RetryRequested) -> None:
        if self.status != I.FAILED:
            return
        saga = self.snap.saga
        if saga and saga.get("state") == "failed":
            self.retry_compensation(dict(saga), event.by)
            return
        if saga:
            return  # its completed steps were undone: running the failed one again would not redo them
        own = [(k[0], s) for k, s in self.nodes.items() if not k[1]]
        failed = [n for n, s in own if s.status in (S.FAILED, S.TIMED_OUT) and not s.ports]
        if not failed:
            return  # failed by an ``end`` node or a bad output template: nothing to run again
        cancelled = [n for n, s in own if s.status == S.CANCELLED]
        self.set_status(I.RUNNING, by=event.by)
        self.start_deadline()
        for node_id in failed + cancelled:
            if self.start_node(node_id, self.nodes[(node_id, "")].attempt + 1):
                self.advance(self.successors(node_id))

    # --- items and node types ---------------------------------------------------------------------
    def item_ended(self, k: Key, attempt: int, status: S, *, output: Any = None, failure: Failure | None = None) -> None:
        """An item's last attempt ended: record it, then its node decides what that means."""
        self.finish(k, attempt, status, output=output, failure=failure)
        error = {"type": failure.type, "message": failure.message} if failure else {}
        if self.status == I.PAUSED:
            self.commands.append(Hold(Continue(k[0], attempt, k[1], str(status), output, error)))
            return
        self.tell(k[0], A.Message("item_ended", k[1], {"status": str(status), "output": output, "error": error}))

    def tell(self, node_id: str, message: A.Message) -> None:
        """Hand a message to the node's type; its actions apply to the node's waiting step."""
        state = self.nodes.get((node_id, ""))
        if state is None or state.status != S.WAITING or self.status != I.RUNNING:
            return  # the node ended already (a map that failed fast hears of its last items)
        try:
            actions = self.type_of(node_id).on_message(self.context(node_id, state.attempt), message)
        except Exception as exc:
            self.fail_node(node_id, state.attempt, S.FAILED, failure_from(exc, retryable=False), new=False)
            return
        if self.act(node_id, state.attempt, actions, exists=True):
            self.advance(self.successors(node_id))

    def context(self, node_id: str, attempt: int) -> NodeContext:
        own = self.nodes.get((node_id, ""))
        results = self.snap.item_results
        return NodeContext(
            node_id,
            self.graph.nodes[node_id].config,
            self.scope,
            self.snap.now,
            state=own.state if own else None,
            attempt=attempt,
            item_results=(lambda: self.item_results(node_id)) if results else None,
            output=lambda: self.outputs.get((node_id, "")),
            max_items=self.snap.max_items,
        )

    def item_results(self, node_id: str) -> list:
        """The committed results of the node's items, with those that ended in this decision over them."""
        results = list(self.snap.item_results(node_id))
        for (node, item), result in self._item_ends.items():
            if node == node_id:
                results[int(item)] = result
        return results

    def act(self, node_id: str, attempt: int, actions: list, *, exists: bool) -> bool:
        """Apply a type's actions to step (node, ""); True when it completed and its successors
        should be looked at. ``exists``: the step is already recorded (waiting)."""
        k = (node_id, "")
        try:
            for action in actions:
                if isinstance(action, A.Work):
                    ports = self.detached_ports(node_id)
                    self.create(k, attempt, S.SCHEDULED, input=self.checked(action.input, "input", self.limits.input_bytes), ports=ports)
                    return bool(ports)  # fire and forget: the successors go on now
                if isinstance(action, A.AwaitSignal):
                    return self.await_signal(node_id, attempt, action, exists)
                if isinstance(action, A.OpenTask):
                    spec = self.checked(dict(action.spec), "task", self.limits.input_bytes)
                    self.record(k, attempt, S.WAITING, exists, output=None)
                    self.commands.append(OpenTask(node_id, attempt, spec))
                    if action.due is not None:
                        self.commands.append(StartTimer("approval", action.due, TimerFired(node_id, attempt), node_id, attempt))
                    if action.remind is not None:
                        self.commands.append(StartTimer("approval", action.remind, TaskReminder(node_id, attempt), node_id, attempt))
                    return False
                if isinstance(action, A.UpdateTask):
                    self.commands.append(UpdateTask(node_id, attempt, dict(action.change)))
                    continue
                if isinstance(action, A.Fail):
                    self.fail_node(node_id, attempt, S.FAILED, action.failure, new=not exists)
                    return False
                if isinstance(action, (A.Done, A.WaitUntil, A.EndInstance)):
                    output = self.checked(action.output, "output", self.limits.output_bytes)
                    self.set_vars(action.vars)
                if isinstance(action, A.Done):
                    self.record(k, attempt, S.COMPLETED, exists, output=output, ports=tuple(action.ports))
                    return True
                if isinstance(action, A.WaitUntil):
                    self.record(k, attempt, S.WAITING, exists, output=output)
                    self.commands.append(StartTimer("wait", action.due, TimerFired(node_id, attempt), node_id, attempt))
                    return False
                if isinstance(action, A.EndInstance):
                    self.record(k, attempt, S.COMPLETED, exists, output=output)
                    if action.fail is not None:
                        self.end(I.FAILED, output=output, error={"type": "EndFailed", "message": action.fail, "node": node_id})
                    else:
                        self.end(I.COMPLETED, output=output)
                    return False
                if isinstance(action, A.StartChild) and not action.item:
                    exists = True  # start_child records the step with the child's envelope
                    if self.start_child(node_id, attempt, action):
                        return True
                    continue
                if not exists:  # what follows keeps the step waiting: it must exist first
                    self.record(k, attempt, S.WAITING, False)
                    exists = True
                if isinstance(action, A.SetState):
                    state = self.checked(dict(action.state), "state", self.limits.output_bytes)
                    self._set(k, replace(self.nodes[k], state=state))
                    self.commands.append(SetState(node_id, state))
                elif isinstance(action, A.CreateItems):
                    self.commands.append(CreateItems(node_id, self.item_inputs(action)))
                elif isinstance(action, A.StartItems):
                    self.commands.append(StartItems(node_id, [str(i) for i in action.indexes], action.child))
                elif isinstance(action, A.CancelItems):
                    self.cancel_items(node_id)
                elif isinstance(action, A.StartChild):
                    if self.start_child(node_id, attempt, action):
                        return True
        except Exception as exc:  # a template that cannot be rendered fails the node, not the engine
            recorded = k in self.nodes and self.nodes[k].attempt == attempt  # not yet when a child's input was refused
            self.fail_node(node_id, attempt, S.FAILED, failure_from(exc, retryable=False), new=not recorded)
        return False

    def await_signal(self, node_id: str, attempt: int, action: A.AwaitSignal, exists: bool) -> bool:
        """Take the oldest buffered signal of the name, or wait for one (and the timeout)."""
        k = (node_id, "")
        found = self.next_signal(action.name)
        if found is not None:
            seq, payload = found
            self._taken.add(seq)
            self.commands.append(TakeSignal(seq, node_id, attempt))
            self.record(k, attempt, S.COMPLETED, exists, output=payload, ports=("out",))
            return True
        self.record(k, attempt, S.WAITING, exists)
        if action.due is not None:
            self.commands.append(StartTimer("signal", action.due, TimerFired(node_id, attempt), node_id, attempt))
        return False

    def detached_ports(self, node_id: str) -> tuple[str, ...]:
        """A worker step with ``wait: false`` leaves by ``out`` as soon as it is scheduled: its
        successors do not wait, while the engine still runs, retries and records it."""
        return ("out",) if self.graph.nodes[node_id].config.get("wait") is False else ()

    def record(self, k: Key, attempt: int, status: S, exists: bool, **kwargs: Any) -> None:
        if exists:
            self.finish(k, attempt, status, **kwargs)
        else:
            self.create(k, attempt, status, **kwargs)

    def item_inputs(self, action: A.CreateItems) -> list[Any]:
        inputs, total = [], 0
        budget = self.limits.input_bytes * 20
        for index, value in enumerate(action.inputs):
            value = self.checked(value, f"item {index}'s input", self.limits.input_bytes)
            if action.child and not isinstance(value.get("input"), dict):
                raise ExpressionError(f"item {index}: a child workflow's input must be an object, got {type(value.get('input')).__name__}")
            total += len(json.dumps(value, separators=(",", ":")))
            if total > budget:
                raise ExpressionError(f"the items' inputs together are larger than {budget:,} bytes")
            inputs.append(value)
        return inputs

    def start_child(self, node_id: str, attempt: int, action: A.StartChild) -> bool:
        """Record the step that waits for a child (the node's own, or an iteration) and start it;
        True when the node is done already (fire and forget)."""
        child_input = self.checked(action.input, "input", self.limits.input_bytes)
        if not isinstance(child_input, dict):
            raise ExpressionError(f"a child workflow's input must be an object, got {type(child_input).__name__}")
        envelope = {"workflow": action.workflow, "version": action.version, "input": child_input}
        item_attempt = attempt
        if action.item:
            # At least the node's attempt: a retried loop's iterations are new rows with new
            # children, though the snapshot does not hold the earlier attempts' rows.
            previous = self.nodes.get((node_id, action.item))
            item_attempt = max(attempt, previous.attempt + 1) if previous else attempt
            self.create((node_id, action.item), item_attempt, S.WAITING, input=envelope)
        elif (node_id, "") not in self.nodes or self.nodes[(node_id, "")].status != S.WAITING:
            self.create((node_id, ""), attempt, S.WAITING, input=envelope)
        child = child_id(self.snap.instance_id, node_id, action.item, item_attempt)
        self.commands.append(StartChild(node_id, item_attempt, action.item, child, action.workflow, action.version, child_input, action.wait))
        if action.wait:
            return False
        self.finish((node_id, action.item), item_attempt, S.COMPLETED, output={"instance": child}, ports=("out",))
        return not action.item

    # --- state changes ---------------------------------------------------------------------------
    def set_status(self, status: I, **kwargs: Any) -> None:
        if self.saga is not None and "saga" not in kwargs and status.is_final:
            kwargs["saga"] = dict(self.saga)
        self.status = status
        self.commands.append(SetInstanceStatus(status, **kwargs))

    def set_vars(self, values: Mapping[str, Any] | None) -> None:
        new_vars = self.checked(dict(values or {}), "vars", self.limits.vars_bytes)
        if new_vars:
            self.vars_fit(new_vars)
            self.vars.update(new_vars)
            self.commands.append(SetVars(new_vars))
            self._scope = None

    def finish(self, k: Key, attempt: int, status: S, *, output: Any = None, ports=(), failure=None) -> None:
        old = self.nodes[k]
        self._set(k, NodeState(status, attempt, tuple(ports), old.lost, old.state))
        self.outputs[k] = output
        self.commands.append(FinishAttempt(k[0], attempt, status, output, tuple(ports), failure, k[1]))
        if k[1]:
            self._item_ends[k] = (str(status), output, {"type": failure.type, "message": failure.message} if failure else None)
        self._scope = None

    def create(self, k: Key, attempt: int, status: S, **kwargs: Any) -> None:
        self._set(k, NodeState(status, attempt, tuple(kwargs.get("ports", ())), kwargs.get("lost", 0)))
        self.outputs[k] = kwargs.get("output")
        self.commands.append(CreateAttempt(k[0], attempt, status, item=k[1], **kwargs))
        self._scope = None

    def schedule(self, k: Key, attempt: int, *, not_before: float | None = None, lost: int = 0) -> None:
        """A worker attempt: an item runs its stored input again; a node renders its input anew."""
        node_id, item = k
        if saga := self.compensating(k):
            step_input = saga["current"]["input"]
        elif item:
            step_input = self.snap.inputs.get(k)
        else:
            try:
                actions = self.type_of(node_id).reached(self.context(node_id, attempt))
                work = next(a for a in actions if isinstance(a, A.Work))
                step_input = self.checked(work.input, "input", self.limits.input_bytes)
            except Exception as exc:  # a template that cannot be rendered fails the node, not the engine
                self.fail_node(node_id, attempt, S.FAILED, failure_from(exc, retryable=False), new=True)
                return
        ports = () if item or self.compensating(k) else self.detached_ports(node_id)
        self.create(k, attempt, S.SCHEDULED, input=step_input, not_before=not_before, lost=lost, ports=ports,
                    compensation=bool(self.compensating(k)))  # fmt: skip
        if not_before is not None:
            self.commands.append(StartTimer("retry", not_before, BackoffOver(node_id, attempt, item), node_id, attempt, item))

    def fail_node(self, node_id: str, attempt: int, status: S, failure: Failure, *, new: bool) -> None:
        """A terminal failure: the node's ``on_failure`` says what the workflow does next."""
        mode = self.graph.nodes[node_id].config.get("on_failure", "fail")
        ports = {"continue": ("out",), "route": ("failure",)}.get(mode, ())
        k = (node_id, "")
        if new:
            self.create(k, attempt, status, failure=failure, ports=ports)
        else:
            self.finish(k, attempt, status, failure=failure, ports=ports)
        if self.type_of(node_id).has_items:
            self.cancel_items(node_id)
        error = {"type": failure.type, "message": failure.message, "node": node_id}
        if self.status == I.PAUSED:  # what the failure leads to waits for the resume
            self.commands.append(Hold(Continue(node_id, attempt, "", str(status), None, error)))
        elif ports:
            self.advance(self.successors(node_id))
        else:
            self.end(I.FAILED, error=error)

    def end(self, status: I, *, output: Any = None, error: Mapping[str, Any] | None = None, by: str = "") -> None:
        """Finish the instance: cancel whatever is still active (items and children too), drop its
        timers; a failure under ``on_failure: compensate`` undoes the completed steps first."""
        self.stop_everything()
        if status == I.FAILED and self.saga is None and self.graph.settings.get("on_failure") == "compensate":
            self.saga = {"state": "compensating", "error": dict(error or {}), "compensated": 0, "current": None}
            self.commands.append(SetSaga(dict(self.saga)))
            self.commands.append(SendSelf(Compensate()))
            return
        self.set_status(status, output=output, error=error, by=by)

    def stop_everything(self) -> None:
        waited = False
        for k in list(self.nodes):
            state = self.nodes[k]  # now: cancelling a node's items cancels those loaded too
            if state.status.is_active:
                self.finish(k, state.attempt, S.CANCELLED, output=self.outputs.get(k))
                if not k[1] and self.type_of(k[0]).has_items:
                    self.cancel_items(k[0])
                waited = waited or state.status == S.WAITING
        if waited:
            self.commands.append(CancelChildren())
        self.commands.append(CancelTimers())

    # --- saga (DESIGN §5b): undo completed steps in reverse completion order ----------------------
    def in_saga(self) -> bool:
        return bool(self.saga) and self.saga.get("state") == "compensating"

    def compensating(self, k: Key) -> dict[str, Any] | None:
        """The saga, when step ``k``'s current attempt is a compensation."""
        current = self.saga.get("current") if self.in_saga() else None
        return self.saga if current and (current["node"], current["item"]) == k else None

    def on_Compensate(self, event: Compensate) -> None:
        if self.status != I.RUNNING or not self.saga:
            return
        if self.saga.get("state") == "failing":  # a compensation failed for good while paused
            self.fail_saga()
        elif self.in_saga() and not self.saga.get("current"):
            self.compensate_next()

    def compensate_next(self) -> None:
        """Schedule the compensate handler of the latest completed step not yet undone; with none
        left the instance fails with its original error and what was undone."""
        tasks = [n for n, node in self.graph.nodes.items() if node.config.get("compensate") and not self.type_of(n).has_items]
        maps = [n for n, node in self.graph.nodes.items() if node.config.get("compensate") and self.type_of(n).has_items]
        found = self.snap.completions(tasks, maps) if (tasks or maps) and self.snap.completions else None
        saga = self.saga
        if found is None:
            saga.update(state="done", current=None)
            error = {**saga["error"], "compensated": saga["compensated"]}
            self.set_status(I.FAILED, error=error, saga=dict(saga))
            return
        node, item, attempt, step_input, step_output = found
        undo_input = self.checked({"input": step_input, "output": step_output}, "input", self.limits.input_bytes * 2)
        saga["current"] = {"node": node, "item": item, "first_attempt": attempt + 1, "input": undo_input}
        self.commands.append(SetSaga(dict(saga)))
        k = (node, item)
        if k not in self.nodes:
            self.nodes[k] = NodeState(S.COMPLETED, attempt)
        self.create(k, attempt + 1, S.SCHEDULED, input=undo_input, compensation=True)

    def compensated(self, k: Key, attempt: int, output: Any) -> None:
        self.finish(k, attempt, S.COMPENSATED, output=output)
        self.saga.update(compensated=self.saga["compensated"] + 1, current=None)
        if self.status == I.PAUSED:  # recorded; the next one starts on resume
            self.commands.append(SetSaga(dict(self.saga)))
            self.commands.append(Hold(Compensate()))
        else:
            self.compensate_next()

    def compensation_failed(self, k: Key, attempt: int, status: S, failure: Failure) -> None:
        """Its retries are spent: the instance fails with "compensation failed"; an operator's
        retry runs this compensation again and carries on with the rest."""
        self.finish(k, attempt, status, failure=failure)
        saga = self.saga
        saga["state"] = "failing"
        saga["current"] = {**saga["current"], "attempt": attempt, "failure": {"type": failure.type, "message": failure.message}}
        if self.status == I.PAUSED:  # recorded; the instance fails on resume
            self.commands.append(SetSaga(dict(saga)))
            self.commands.append(Hold(Compensate()))
        else:
            self.fail_saga()

    def fail_saga(self) -> None:
        saga = self.saga
        saga["state"] = "failed"
        current = saga["current"]
        where = f"{current['node']}[{current['item']}]" if current["item"] else current["node"]
        failure = current.get("failure") or {}
        error = {
            "type": "CompensationFailed", "message": f"compensation failed at {where}: {failure.get('type')}: {failure.get('message')}",
            "node": current["node"], "original": saga["error"], "compensated": saga["compensated"],
        }  # fmt: skip
        self.set_status(I.FAILED, error=error, saga=dict(saga))

    def retry_compensation(self, saga: dict[str, Any], by: str) -> None:
        current = saga["current"]
        k = (current["node"], current["item"])
        attempt = current["attempt"] + 1
        self.saga = {**saga, "state": "compensating", "current": {**current, "first_attempt": attempt}}
        self.set_status(I.RUNNING, by=by, saga=dict(self.saga))
        if k not in self.nodes:
            self.nodes[k] = NodeState(S.FAILED, current["attempt"])
        self.create(k, attempt, S.SCHEDULED, input=current["input"], compensation=True)

    def cancel_items(self, node_id: str) -> None:
        """One command cancels the node's items; those this decision loaded are cancelled here too,
        so a later event of the same batch neither ends one again nor schedules its retry."""
        self.commands.append(CancelItems(node_id))
        for k, state in list(self.nodes.items()):
            if k[0] == node_id and k[1] and state.status.is_active:
                self.nodes[k] = replace(state, status=S.CANCELLED)

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
                if (node_id, "") in self.nodes:
                    continue  # already started (a join "any" ignores later arrivals)
                verdict = self.arrival(node_id)
                if verdict == "skip":
                    self.create((node_id, ""), 1, S.SKIPPED)
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
                source = nodes.get((edge.source, ""))
                if source is None or (source.status.is_active and not source.ports):  # ports while active: ``wait: false``
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

    def _set(self, k: Key, state: NodeState) -> None:
        """Every change of a step's state passes here, so the tallies of the joins it feeds stay current."""
        if k[1]:
            self.nodes[k] = state
            return
        node_id = k[0]
        fed = [e for e in self.graph.outgoing[node_id] if e.target in self._tallies] if self._tallies else ()
        for edge in fed:
            self._count(edge, -1)
        self.nodes[k] = state
        for edge in fed:
            self._count(edge, 1)
        self._tallies.pop(node_id, None)  # started: ``advance`` never asks about it again

    def _count(self, edge, sign: int) -> None:
        """Add (or take back) what ``edge`` contributes to its target's tally: pending, taken or dead."""
        tally = self._tallies[edge.target]
        source = self.nodes.get((edge.source, ""))
        if source is None or (source.status.is_active and not source.ports):
            tally[0] += sign
        elif edge.port in source.ports:
            tally[1] += sign

    def start_node(self, node_id: str, attempt: int) -> bool:
        """Start a node; True when it finished at once and its successors should be looked at."""
        try:
            actions = self.type_of(node_id).reached(self.context(node_id, attempt))
        except Exception as exc:  # a template that cannot be rendered fails the node, not the engine
            self.fail_node(node_id, attempt, S.FAILED, failure_from(exc, retryable=False), new=True)
            return False
        return self.act(node_id, attempt, actions, exists=False)

    def complete(self) -> None:
        template = self.graph.settings.get("output")
        if template is None:
            sinks = [n for n in self.graph.nodes if not self.graph.outgoing[n]]
            output = {
                n: self.outputs.get((n, "")) for n in sinks if (n, "") in self.nodes and self.nodes[(n, "")].status == S.COMPLETED
            }
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
            self.commands.append(StartTimer("deadline", self.snap.now + timeout, DeadlineReached()))

    def is_current(self, k: Key, attempt: int, statuses: tuple[S, ...]) -> bool:
        state = self.nodes.get(k)
        return (
            self.status in (I.RUNNING, I.PAUSED)  # paused: running attempts still end (held events never get here)
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
                input=self.snap.input() if callable(self.snap.input) else self.snap.input,
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


def compensation_of(config: Mapping[str, Any]) -> tuple[str | None, Any]:
    """(handler, retry policy) of a node's ``compensate``: a handler name (the node's own retry
    policy applies), or ``{"handler", "retry"}`` with a policy of its own."""
    value = config.get("compensate")
    if isinstance(value, Mapping):
        return value.get("handler"), value.get("retry", config.get("retry"))
    return value, config.get("retry")


def _child_error(event: ChildEnded) -> tuple[str, str]:
    error = event.error or {}
    kind = str(error.get("type") or "ChildFailed")
    return kind, f"child workflow {event.child[:8]} ended {event.status}: {error.get('message') or ''}".rstrip(": ")


def _entry_size(key: str, value: Any) -> int:
    """Bytes of ``{"key":value}`` in compact JSON (a little over the entry itself: safe side)."""
    return len(json.dumps({key: value}, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace"))


class _StepsView(Mapping):
    """``steps`` in expressions: status and output per node (its own step, not its items),
    outputs read only when asked."""

    def __init__(self, nodes: Mapping[Key, NodeState], outputs: Mapping[Key, Any]):
        self._nodes, self._outputs = nodes, outputs

    def __getitem__(self, node_id: str) -> dict[str, Any]:
        state = self._nodes[(node_id, "")]
        return {"output": self._outputs.get((node_id, "")), "status": str(state.status)}

    def __iter__(self):
        return (k[0] for k in self._nodes if not k[1])

    def __len__(self) -> int:
        return sum(1 for k in self._nodes if not k[1])


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
