"""A join's verdict comes from a running tally of its incoming edges (re-counting them at every
arrival made a start quadratic: tests/engine/test_start__large_graphs.py). Whatever the graph and
whatever finishes, fails or routes when, the tally gives the verdict a fresh count would."""

from __future__ import annotations

from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.decider_helpers import Run, graph, task
from workflows.core import decider as d


def recounted(decision, node_id: str) -> str:
    """The verdict as it was computed before the tallies: every incoming edge, every time."""
    incoming = decision.graph.incoming[node_id]
    if not incoming:
        return "ready"
    taken = pending = 0
    for edge in incoming:
        source = decision.nodes.get((edge.source, ""))
        if source is None or source.status.is_active:
            pending += 1
        elif edge.port in source.ports:
            taken += 1
    if decision.graph.nodes[node_id].config.get("join", "all") == "any":
        return "ready" if taken else ("wait" if pending else "skip")
    return "wait" if pending else ("ready" if taken else "skip")


@st.composite
def stories(draw):
    """A random DAG of tasks, transforms and conditions, and the order its tasks end in."""
    n = draw(st.integers(2, 14))
    nodes, ports = [], []
    for i in range(n):
        kind = draw(st.sampled_from(["task", "transform", "condition"]))
        join = {"join": draw(st.sampled_from(["all", "any"]))}
        if kind == "task":
            on_failure = draw(st.sampled_from(["fail", "continue", "route"]))
            nodes.append((f"n{i}", "task", task(on_failure=on_failure, **join)))
            ports.append(["out", "failure"] if on_failure == "route" else ["out"])
        elif kind == "transform":
            nodes.append((f"n{i}", "transform", {"assignments": {"x": "{{ 1 }}"}, **join}))
            ports.append(["out"])
        else:
            nodes.append((f"n{i}", "condition", {"expression": draw(st.sampled_from(["true", "false"])), **join}))
            ports.append(["true", "false"])
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1]), max_size=3 * n))
    edges = sorted({(f"n{s}", f"n{t}", draw(st.sampled_from(ports[s]))) for s, t in pairs})
    endings = draw(st.lists(st.tuples(st.integers(0, 1_000), st.sampled_from(["complete", "fail"])), min_size=n, max_size=n))
    return graph(nodes, edges), endings


@settings(max_examples=300, deadline=None)
@given(stories())
def test_a_tallied_join_decides_as_a_fresh_count_would(story):
    g, endings = story
    arrival = d._Decision.arrival

    def compared(self, node_id):
        verdict = arrival(self, node_id)
        assert verdict == recounted(self, node_id), node_id
        return verdict

    with mock.patch.object(d._Decision, "arrival", compared):
        run = Run(g).start()
        for pick, how in endings:
            scheduled = run.scheduled()
            if not scheduled:
                break
            node = scheduled[pick % len(scheduled)]
            run.complete(node) if how == "complete" else run.fail(node, retryable=False)
