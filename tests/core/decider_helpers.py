"""A tiny in-memory engine over the pure decider: applies commands to a dict, like the ORM adapter
does to rows, so decider tests read as stories ("a completes, then b fails twice...")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.graph import Graph
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S


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
    history: list[d.Command] = field(default_factory=list)

    def snapshot(self) -> d.Snapshot:
        return d.Snapshot("i-1", self.status, self.input, dict(self.vars), dict(self.nodes), self.now, dict(self.outputs))

    def send(self, event, **kwargs) -> list[d.Command]:
        commands = d.decide(self.graph, self.snapshot(), event, **kwargs)
        for c in commands:
            self.apply(c)
        self.history.extend(commands)
        return commands

    def apply(self, c) -> None:
        if isinstance(c, d.SetInstanceStatus):
            self.status, self.output, self.error = c.status, c.output, c.error
        elif isinstance(c, (d.CreateAttempt, d.FinishAttempt)):
            lost = c.lost if isinstance(c, d.CreateAttempt) else self.nodes[c.node].lost
            self.nodes[c.node] = d.NodeState(c.status, c.attempt, c.ports, lost)
            self.outputs[c.node] = c.output
            if isinstance(c, d.CreateAttempt):
                self.inputs[(c.node, c.attempt)] = c.input
        elif isinstance(c, d.SetVars):
            self.vars.update(c.values)
        elif isinstance(c, d.StartTimer):
            self.timers.append(c)
        elif isinstance(c, d.CancelTimers):
            self.timers.clear()

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

    def status_of(self, node: str) -> S | None:
        state = self.nodes.get(node)
        return state.status if state else None

    def scheduled(self) -> list[str]:
        return sorted(n for n, s in self.nodes.items() if s.status == S.SCHEDULED)
