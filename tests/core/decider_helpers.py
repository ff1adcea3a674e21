"""A tiny in-memory engine over the pure decider: applies commands to a dict, like the ORM adapter
does to rows, so decider tests read as stories ("a completes, then b fails twice...").

Like the adapter it keeps an inbox: what a decision holds while paused (``Hold``) waits in
``held`` until ``ReleaseHeld`` moves it to ``inbox``, with what the instance sent itself
(``SendSelf``); ``deliver`` decides on the whole inbox in one decision, as a transition does.
Signals are rows (``signals``) taken by ``TakeSignal``; the saga's record is ``saga``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.graph import Graph
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.core.status import can_instance, can_step


def graph(nodes: list[tuple], edges: list[tuple], **settings) -> Graph:
    """``nodes``: (id, type, config); ``edges``: (source, target) or (source, target, port)."""
    return Graph.from_dict(
        {
            "version": 1,
            "settings": settings,
            "nodes": [{"id": n[0], "type": n[1], "config": n[2] if len(n) > 2 else {}} for n in nodes],
            "edges": [
                {"id": f"e{i}", "source": e[0], "target": e[1], "port": e[2] if len(e) > 2 else "out"} for i, e in enumerate(edges)
            ],
        }
    )


def task(handler: str = "demo.noop", **config) -> dict:
    return {"handler": handler, **config}


@dataclass
class Run:
    graph: Graph
    input: dict = field(default_factory=dict)
    now: float = 1000.0
    status: I = I.PENDING
    nodes: dict[str, d.NodeState] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    vars: dict = field(default_factory=dict)
    output: Any = None
    error: Any = None
    timers: list[d.StartTimer] = field(default_factory=list)
    inputs: dict[tuple[str, int], Any] = field(default_factory=dict)
    item_inputs: dict[tuple[str, str, int], Any] = field(default_factory=dict)
    history: list[d.Command] = field(default_factory=list)
    max_items: int = 10_000

    items: dict[tuple[str, str], d.NodeState] = field(default_factory=dict)  # map items and iterations
    item_outputs: dict[tuple[str, str], Any] = field(default_factory=dict)
    item_errors: dict[tuple[str, str], Any] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)
    children: list[d.StartChild] = field(default_factory=list)
    cancelled_items: list[str] = field(default_factory=list)
    item_ends: list[tuple[str, str, int, S]] = field(default_factory=list)  # (node, item, attempt, status), in order

    # --- steering: the inbox, signals, the saga ---------------------------------------------------
    held: list = field(default_factory=list)  # messages held while paused, in the order held
    inbox: list = field(default_factory=list)  # released or sent to itself: decided on by ``deliver``
    told_children: list = field(default_factory=list)  # TellChildren messages
    signals: list[dict] = field(default_factory=list)  # rows: seq, name, payload, taken (node, item) or None
    noted: list[int] = field(default_factory=list)  # NoteSignal seqs, in order
    saga: dict | None = None
    not_before: dict[tuple[str, str], float] = field(default_factory=dict)  # scheduled retries not yet due
    completed_order: list[tuple[str, str, int]] = field(default_factory=list)  # (node, item, attempt), as they completed
    compensations: set[tuple[str, str, int]] = field(default_factory=set)  # attempts that ran a compensate handler

    def snapshot(self, load: tuple = ()) -> d.Snapshot:
        """Like the adapter: every node's own step, and only the items the event names."""
        nodes = {(n, ""): replace(s, state=self.states.get(n)) for n, s in self.nodes.items()}
        outputs = {(n, ""): o for n, o in self.outputs.items()}
        for k in load:
            if k in self.items:
                nodes[k] = self.items[k]
                outputs[k] = self.item_outputs.get(k)
        inputs = {k: v for (n, item, _a), v in self.item_inputs.items() for k in [(n, item)] if k in load}
        return d.Snapshot("i-1", self.status, self.input, dict(self.vars), nodes, self.now, outputs,
                          inputs=inputs, item_results=self.results_of, max_items=self.max_items,
                          signal=self.buffered_signal, saga=dict(self.saga) if self.saga else None, completions=self.next_to_compensate)

    def buffered_signal(self, name: str, taken: frozenset[int]):
        """Like the adapter's: the oldest signal of ``name`` no node took (nor this decision)."""
        for row in self.signals:
            if row["name"] == name and row["taken"] is None and row["seq"] not in taken:
                return row["seq"], row["payload"]
        return None

    def next_to_compensate(self, tasks: list[str], maps: list[str]):
        """Like the adapter's: the latest completion (a task's own step, a map's items) that is
        still its step's latest attempt, as (node, item, attempt, input, output)."""
        for node, item, attempt in reversed(self.completed_order):
            if not ((node in tasks and not item) or (node in maps and item)):
                continue
            latest = self.items[(node, item)] if item else self.nodes[node]
            if latest.attempt == attempt and latest.status == S.COMPLETED:
                if item:
                    return node, item, attempt, self.item_inputs[(node, item, attempt)], self.item_outputs[(node, item)]
                return node, item, attempt, self.inputs[(node, attempt)], self.outputs[node]
        return None

    def results_of(self, node: str) -> list:
        keys = sorted((k for k in self.items if k[0] == node), key=lambda k: int(k[1]))
        return [(str(self.items[k].status), self.item_outputs.get(k), self.item_errors.get(k)) for k in keys]

    def send(self, event, **kwargs) -> list[d.Command]:
        events = event if isinstance(event, list) else [event]
        load = [(e.node, e.item) for e in events if getattr(e, "item", "")]
        commands = d.decide(self.graph, self.snapshot(tuple(load)), event, **kwargs)
        for c in commands:
            self.apply(c)
        self.history.extend(commands)
        return commands

    def apply(self, c) -> None:
        if isinstance(c, (d.CreateAttempt, d.FinishAttempt)):
            self.check_step((c.node, c.item), c.attempt, c.status, new=isinstance(c, d.CreateAttempt))
            if c.status == S.COMPLETED:
                self.completed_order.append((c.node, c.item, c.attempt))
            self.not_before.pop((c.node, c.item), None)
            if isinstance(c, d.CreateAttempt) and c.not_before is not None:
                self.not_before[(c.node, c.item)] = c.not_before
            if isinstance(c, d.CreateAttempt) and c.compensation:
                self.compensations.add((c.node, c.item, c.attempt))
        if isinstance(c, d.SetInstanceStatus):
            # What the writer refuses (``can_instance``): a transition the status table does not allow.
            assert can_instance(self.status, c.status), f"instance: {self.status} -> {c.status}"
            self.status, self.output, self.error = c.status, c.output, c.error
            if c.saga is not None:
                self.saga = dict(c.saga)
            if c.status.is_final:
                self.held.clear()  # what was held for a resume that will not come
        elif isinstance(c, d.Hold):
            self.held.append(c.message)
        elif isinstance(c, d.ReleaseHeld):
            self.inbox.extend(self.held)
            self.held.clear()
        elif isinstance(c, d.SendSelf):
            self.inbox.append(c.message)
        elif isinstance(c, d.TellChildren):
            self.told_children.append(c.message)
        elif isinstance(c, d.NoteSignal):
            self.noted.append(c.seq)
        elif isinstance(c, d.TakeSignal):
            row = next(r for r in self.signals if r["seq"] == c.seq)
            assert row["taken"] is None, f"signal {c.seq} taken twice ({row['taken']}, then {c.node})"
            row["taken"] = (c.node, c.item)
        elif isinstance(c, d.SetSaga):
            self.saga = dict(c.saga)
        elif isinstance(c, d.MakeDue):
            self.not_before.pop((c.node, c.item), None)
        elif isinstance(c, (d.CreateAttempt, d.FinishAttempt)) and c.item:
            k = (c.node, c.item)
            lost = c.lost if isinstance(c, d.CreateAttempt) else self.items[k].lost
            self.items[k] = d.NodeState(c.status, c.attempt, c.ports, lost)
            self.item_outputs[k] = c.output
            if c.failure is not None:
                self.item_errors[k] = {"type": c.failure.type, "message": c.failure.message}
            if isinstance(c, d.CreateAttempt):
                self.item_inputs[(c.node, c.item, c.attempt)] = c.input
        elif isinstance(c, (d.CreateAttempt, d.FinishAttempt)):
            lost = c.lost if isinstance(c, d.CreateAttempt) else self.nodes[c.node].lost
            self.nodes[c.node] = d.NodeState(c.status, c.attempt, c.ports, lost)
            self.outputs[c.node] = c.output
            if isinstance(c, d.CreateAttempt):
                self.inputs[(c.node, c.attempt)] = c.input
        elif isinstance(c, d.SetState):
            self.states[c.node] = c.state
        elif isinstance(c, d.CreateItems):
            for i, value in enumerate(c.inputs):
                k = (c.node, str(i))
                # A retried map's items are new rows: an attempt after the last one (rows are unique per attempt).
                attempt = self.items[k].attempt + 1 if k in self.items else 1
                self.check_step(k, attempt, S.PENDING, new=True)
                self.items[k] = d.NodeState(S.PENDING, attempt)
                self.item_inputs[(c.node, str(i), attempt)] = value
        elif isinstance(c, d.StartItems):
            for item in c.items:
                k = (c.node, item)
                status = S.WAITING if c.child else S.SCHEDULED
                self.check_step(k, self.items[k].attempt, status)
                self.items[k] = d.NodeState(status, self.items[k].attempt)
        elif isinstance(c, d.CancelItems):
            self.cancelled_items.append(c.node)
            for k, s in list(self.items.items()):
                if k[0] == c.node and s.status.is_active:
                    self.check_step(k, s.attempt, S.CANCELLED)
                    self.items[k] = replace(s, status=S.CANCELLED)
        elif isinstance(c, d.StartChild):
            self.children.append(c)
        elif isinstance(c, d.SetVars):
            self.vars.update(c.values)
        elif isinstance(c, d.StartTimer):
            self.timers.append(c)
        elif isinstance(c, d.CancelTimers):
            self.timers.clear()

    def check_step(self, k: tuple[str, str], attempt: int, status: S, *, new: bool = False) -> None:
        """What the database would refuse: a second row for one attempt, a transition STEP_TRANSITIONS
        does not allow (an item that ends twice). Logs every item attempt that ends."""
        old = self.items.get(k) if k[1] else self.nodes.get(k[0])
        if new:
            assert old is None or attempt > old.attempt, f"{k}: attempt {attempt} again (latest is {old.attempt})"
        else:
            assert old is not None and old.attempt == attempt, f"{k}: attempt {attempt} is not the latest ({old})"
            assert can_step(old.status, status), f"{k} attempt {attempt}: {old.status} -> {status}"
        if k[1] and status.is_final:
            self.item_ends.append((*k, attempt, status))

    # --- stories --------------------------------------------------------------------------------
    def start(self) -> Run:
        self.send(d.Start())
        return self

    def claim(self, node: str) -> None:
        """What a worker's claim does (not a decider concern): scheduled -> running."""
        state = self.nodes[node]
        assert state.status == S.SCHEDULED, f"{node} is {state.status}"
        self.nodes[node] = d.NodeState(S.RUNNING, state.attempt, lost=state.lost)

    def complete(self, node: str, output: Any = None) -> list[d.Command]:
        self.claim(node)
        return self.send(d.AttemptCompleted(node, self.nodes[node].attempt, output))

    def fail(self, node: str, type: str = "Boom", retryable: bool = True, timed_out: bool = False, **kwargs) -> list[d.Command]:
        self.claim(node)
        failure = Failure(type, f"{type} happened", retryable=retryable)
        return self.send(d.AttemptFailed(node, self.nodes[node].attempt, failure, timed_out), **kwargs)

    # --- steering ---------------------------------------------------------------------------------
    def deliver(self) -> list[d.Command]:
        """Decide on everything in the inbox in one decision (a transition takes all its messages)."""
        messages, self.inbox = self.inbox, []
        return self.send(messages) if messages else []

    def transition(self, event) -> list[d.Command]:
        """What the adapter's transition decides on: the inbox's messages first, then its own event."""
        messages, self.inbox = self.inbox, []
        return self.send([*messages, *(event if isinstance(event, list) else [event])])

    def fire(self, timer: d.StartTimer, *, inbox: bool = False) -> list[d.Command]:
        """The timer is due: its message reaches the instance (held there if it is paused);
        ``inbox``: decided with what waits in the inbox, as the adapter does."""
        self.timers.remove(timer)
        self.now = max(self.now, timer.due)
        return self.transition(timer.message) if inbox else self.send(timer.message)

    def timer(self, kind: str, node: str = "") -> d.StartTimer:
        found = [t for t in self.timers if t.kind == kind and t.node == node]
        assert len(found) == 1, f"{kind} timers of {node!r}: {found}"
        return found[0]

    def buffer_signal(self, name: str, payload: Any = None) -> d.SignalReceived:
        """A signal row is written (the API's transaction); its message is returned, not yet delivered."""
        seq = len(self.signals) + 1
        self.signals.append({"seq": seq, "name": name, "payload": payload, "taken": None})
        return d.SignalReceived(name, seq, payload)

    def signal(self, name: str, payload: Any = None, by: str = "") -> list[d.Command]:
        message = self.buffer_signal(name, payload)
        return self.send(d.SignalReceived(name, message.seq, payload, by))

    def taken_by(self, seq: int):
        return next(r["taken"] for r in self.signals if r["seq"] == seq)

    def status_of(self, node: str) -> S | None:
        state = self.nodes.get(node)
        return state.status if state else None

    def scheduled(self) -> list[str]:
        return sorted(n for n, s in self.nodes.items() if s.status == S.SCHEDULED)

    # --- items and children ---------------------------------------------------------------------
    def claim_item(self, node: str, item: str) -> None:
        k = (node, item)
        state = self.items[k]
        assert state.status == S.SCHEDULED, f"{k} is {state.status}"
        self.items[k] = d.NodeState(S.RUNNING, state.attempt, lost=state.lost)

    def complete_item(self, node: str, item: str, output: Any = None) -> list[d.Command]:
        self.claim_item(node, item)
        return self.send(d.AttemptCompleted(node, self.items[(node, item)].attempt, output, item=item))

    def fail_item(self, node: str, item: str, type: str = "Boom", retryable: bool = True) -> list[d.Command]:
        self.claim_item(node, item)
        failure = Failure(type, f"{type} happened", retryable=retryable)
        return self.send(d.AttemptFailed(node, self.items[(node, item)].attempt, failure, item=item))

    def child_ends(self, node: str, item: str = "", status: str = "completed", output: Any = None, error=None) -> list[d.Command]:
        k = (node, item)
        attempt = (self.items[k] if item else self.nodes[node]).attempt
        child = d.child_id("i-1", node, item, attempt)
        return self.send(d.ChildEnded(node, attempt, item, child, status, output, error))

    def item_statuses(self, node: str) -> dict[str, S]:
        return {k[1]: s.status for k, s in self.items.items() if k[0] == node}

    def started_items(self, node: str) -> list[str]:
        """Items started and not ended (on a worker, backing off or waiting on a child), in item order."""
        started = (S.SCHEDULED, S.RUNNING, S.WAITING)
        return sorted((k[1] for k, s in self.items.items() if k[0] == node and s.status in started), key=int)
