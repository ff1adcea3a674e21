"""Starting a large graph costs work linear in its size (issue 8: a 6,000-step start took 14 s
in one request, 2,000 steps 1.6 s: the decider re-counted a join's incoming edges every time a
path arrived at it, so a chain whose every step also feeds one final join was quadratic).

Work is counted, not timed: the Python function calls a start makes (cProfile's call counts,
deterministic for a given graph) and the SQL queries it sends, at two sizes. Linear work grows
4x from a graph to one 4x its size; the quadratic join grew it 10x.
"""

from __future__ import annotations

import cProfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.graphs import inline_graph
from tests.factories import TemplateFactory
from workflows import authoring, engine
from workflows.core import decider as d
from workflows.core.graph import Graph
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S

SHAPES = ("chain", "fan", "funnel", "mix")
SMALL, LARGE = 400, 1600
LINEAR = (LARGE / SMALL) * 1.25  # room for per-start constants, far below the quadratic 10x+


def calls(fn) -> int:
    """Function calls (Python and C) made by ``fn()``."""
    profile = cProfile.Profile()
    profile.runcall(fn)
    return sum(entry.callcount for entry in profile.getstats())


def decision_work(shape: str, n: int) -> int:
    graph = Graph.from_dict(inline_graph(n, shape))
    snapshot = d.Snapshot("i-1", I.PENDING, {}, {}, {}, 1000.0)
    commands: list = []
    work = calls(lambda: commands.extend(d.decide(graph, snapshot, d.Start())))
    finished = {c.node for c in commands if isinstance(c, d.CreateAttempt) and c.status in (S.COMPLETED, S.SKIPPED)}
    assert finished == set(graph.nodes), "every step is decided in the start"
    assert commands[-1] == d.SetInstanceStatus(I.COMPLETED, output=commands[-1].output)
    return work


@pytest.mark.parametrize("shape", SHAPES)
def test_the_decision_that_starts_a_graph_does_work_linear_in_its_size(shape):
    decision_work(shape, 50)  # parse and cache the expressions once
    small, large = decision_work(shape, SMALL), decision_work(shape, LARGE)
    assert large <= small * LINEAR, f"{LARGE} steps cost {large / small:.1f}x the calls of {SMALL}"


@pytest.mark.django_db
@pytest.mark.parametrize("shape", ["funnel", "mix"])
def test_publishing_and_starting_a_graph_cost_linear_work_and_a_fixed_number_of_queries(shape):
    def publish_and_start(n: int) -> tuple[int, int, int]:
        graph = inline_graph(n, shape)
        template = TemplateFactory()
        authoring.save_draft(template, graph)
        published = calls(lambda: authoring.publish(template))
        started: list = []
        with CaptureQueriesContext(connection) as queries:
            work = calls(lambda: started.append(engine.start_instance(template)))
        instance, _ = started[0]
        assert instance.status == I.COMPLETED
        assert instance.steps.count() == len(graph["nodes"])
        return published, work, len(queries)

    publish_and_start(50)  # warm the caches a first start fills
    small, large = publish_and_start(SMALL), publish_and_start(LARGE)
    assert large[0] <= small[0] * LINEAR, f"publishing {LARGE} steps cost {large[0] / small[0]:.1f}x the calls of {SMALL}"
    assert large[1] <= small[1] * LINEAR, f"starting {LARGE} steps cost {large[1] / small[1]:.1f}x the calls of {SMALL}"
    assert large[2] == small[2], "a start's writes go out as one batch whatever the graph's size"
