"""The decider holds every value it computes to ``Limits`` before any command carries it."""

from __future__ import annotations

from workflows.core import decider as d
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.core.values import Limits

from .decider_helpers import Run, graph, task


def transforms(count: int, value: str = "{{ 'x' * 10 }}"):
    nodes = [(f"t{i}", "transform", {"assignments": {f"v{i}": value}}) for i in range(count)]
    return graph(nodes, [(f"t{i}", f"t{i + 1}") for i in range(count - 1)])


def test_vars_are_bounded_all_together_and_the_step_that_would_pass_the_bound_fails():
    run = Run(transforms(10))
    run.send(d.Start(), limits=Limits(vars_bytes=100))
    failed = [n for n, s in run.nodes.items() if s.status == S.FAILED]
    assert failed == ["t5"]  # each {"vN":"xxxxxxxxxx"} counts 19 bytes: five fit in 100
    assert run.status == I.FAILED
    assert "vars would be about 114 bytes of JSON; the limit is 100" in run.error["message"]
    assert set(run.vars) == {f"v{i}" for i in range(5)}


def test_replacing_a_var_counts_its_new_size_not_both():
    nodes = [(f"t{i}", "transform", {"assignments": {"v": "{{ 'x' * 50 }}"}}) for i in range(5)]
    run = Run(graph(nodes, [(f"t{i}", f"t{i + 1}") for i in range(4)]))
    run.send(d.Start(), limits=Limits(vars_bytes=100))
    assert run.status == I.COMPLETED


def test_a_rendered_input_over_its_bound_fails_the_step_before_it_is_scheduled():
    run = Run(graph([("a", "task", task(input={"big": "{{ 'x' * 500 }}"}))], []))
    commands = run.send(d.Start(), limits=Limits(input_bytes=100))
    assert run.status == I.FAILED
    created = [c for c in commands if isinstance(c, d.CreateAttempt)]
    assert [(c.status, c.failure.type) for c in created] == [(S.FAILED, "ExpressionError")]
    assert "input: 510 bytes of JSON; the limit is 100" in created[0].failure.message


def test_a_handler_output_over_its_bound_fails_the_attempt_as_invalid_output():
    run = Run(graph([("a", "task", task())], [])).start()
    run.claim("a")
    run.send(d.AttemptCompleted("a", 1, {"x": "y" * 200}), limits=Limits(output_bytes=100))
    assert run.status == I.FAILED
    assert run.error["type"] == "InvalidOutput"
