"""The decider on ``loop`` nodes: one child workflow per iteration, one at a time, by count or
while an expression holds, bounded by max_iterations; failure, cancel and retry."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.core import decider as d
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S

from .decider_helpers import Run, graph, task


def looped(*, after: bool = True, **config):
    config = {"workflow": "child", "max_iterations": 10, **config}
    nodes = [("l", "loop", config)]
    if after:
        nodes.append(("after", "task", task(input="{{ steps.l.output }}")))
    return graph(nodes, [("l", "after")] if after else [])


def started(run: Run) -> list[d.StartChild]:
    return [c for c in run.history if isinstance(c, d.StartChild)]


def test_a_counted_loop_starts_its_first_iteration_as_a_child_and_waits():
    run = Run(looped(count=3, input={"i": "{{ iteration.index }}", "who": "{{ input.who }}"}), input={"who": "ana"})
    commands = run.send(d.Start())
    envelope = {"workflow": "child", "version": None, "input": {"i": 0, "who": "ana"}}
    assert d.CreateAttempt("l", 1, S.WAITING, input=envelope, item="0") in commands
    assert d.StartChild("l", 1, "0", d.child_id("i-1", "l", "0", 1), "child", None, {"i": 0, "who": "ana"}) in commands
    assert run.status_of("l") == S.WAITING
    assert run.states["l"] == {"iterations": 0, "results": []}


def test_a_counted_loop_runs_its_iterations_one_after_another_then_completes():
    run = Run(looped(count=3, input={"i": "{{ iteration.index }}", "prev": "{{ iteration.last }}"})).start()
    for i in range(3):
        assert [c.item for c in started(run)] == [str(n) for n in range(i + 1)]  # one at a time
        assert run.item_statuses("l")[str(i)] == S.WAITING
        run.child_ends("l", str(i), output=i * 10)
    assert [c.input for c in started(run)] == [{"i": 0, "prev": None}, {"i": 1, "prev": 0}, {"i": 2, "prev": 10}]
    assert run.status_of("l") == S.COMPLETED
    assert run.outputs["l"] == {"last": 20, "iterations": 3, "results": [0, 10, 20]}
    assert run.item_statuses("l") == {"0": S.COMPLETED, "1": S.COMPLETED, "2": S.COMPLETED}
    assert run.scheduled() == ["after"]
    assert run.inputs[("after", 1)] == {"last": 20, "iterations": 3, "results": [0, 10, 20]}


def test_a_while_loop_checks_its_expression_before_each_iteration_over_index_and_last():
    run = Run(looped(**{"while": "iteration.index == 0 or iteration.last.more"}, max_iterations=10)).start()
    run.child_ends("l", "0", output={"more": True})
    run.child_ends("l", "1", output={"more": True})
    run.child_ends("l", "2", output={"more": False})
    assert len(started(run)) == 3
    assert run.outputs["l"]["iterations"] == 3 and run.outputs["l"]["last"] == {"more": False}
    assert run.scheduled() == ["after"]


def test_a_while_loop_whose_expression_is_false_at_once_runs_no_iteration():
    run = Run(looped(**{"while": "input.go"}), input={"go": False}).start()
    assert started(run) == []
    assert run.status_of("l") == S.COMPLETED
    assert run.outputs["l"] == {"last": None, "iterations": 0, "results": []}
    assert run.scheduled() == ["after"]


def test_a_while_loop_that_hits_max_iterations_fails_with_max_iterations():
    run = Run(looped(**{"while": "True"}, max_iterations=2)).start()
    run.child_ends("l", "0", output=1)
    commands = run.child_ends("l", "1", output=2)
    assert not any(isinstance(c, d.StartChild) for c in commands)
    assert run.status == I.FAILED and run.status_of("l") == S.FAILED
    assert run.error == {"type": "MaxIterations", "message": "config.while still held after 2 iterations (Max iterations)", "node": "l"}


def test_a_count_equal_to_max_iterations_completes():
    run = Run(looped(count=2, max_iterations=2)).start()
    run.child_ends("l", "0")
    run.child_ends("l", "1")
    assert run.status_of("l") == S.COMPLETED


def test_a_while_expression_that_fails_fails_the_loop():
    run = Run(looped(**{"while": "iteration.index == 0 or iteration.last.more"})).start()
    run.child_ends("l", "0", output="no object")
    assert run.status == I.FAILED and run.error["node"] == "l"


def test_the_output_keeps_only_the_last_fifty_results():
    run = Run(looped(count=55, max_iterations=100, after=False)).start()
    for i in range(55):
        run.child_ends("l", str(i), output=i)
    assert run.outputs["l"]["results"] == list(range(5, 55))
    assert run.outputs["l"]["iterations"] == 55


def test_a_failing_iteration_fails_the_loop_naming_it():
    run = Run(looped(count=3)).start()
    run.child_ends("l", "0")
    commands = run.child_ends("l", "1", status="failed", error={"type": "Nope", "message": "bad"})
    assert d.CancelItems("l") in commands
    assert not any(isinstance(c, d.StartChild) for c in commands)
    assert run.status == I.FAILED
    assert run.item_statuses("l") == {"0": S.COMPLETED, "1": S.FAILED}
    assert run.error["type"] == "Nope"
    assert run.error["message"].startswith("iteration 1: child workflow ") and run.error["message"].endswith("ended failed: bad")


def test_a_failing_iteration_under_on_failure_continue_goes_on():
    run = Run(looped(count=3, on_failure="continue")).start()
    run.child_ends("l", "0", status="timed_out")
    assert run.status_of("l") == S.FAILED
    assert run.error is None and run.status == I.RUNNING
    assert run.scheduled() == ["after"]


def test_a_failing_iteration_under_on_failure_route_takes_the_failure_port():
    g = graph(
        [("l", "loop", {"workflow": "child", "count": 2, "max_iterations": 2, "on_failure": "route"}), ("ok", "task", task()), ("bad", "task", task())],
        [("l", "ok"), ("l", "bad", "failure")],
    )
    run = Run(g).start()
    run.child_ends("l", "0", status="cancelled")
    assert run.status_of("ok") == S.SKIPPED
    assert run.scheduled() == ["bad"]


def test_a_child_end_for_another_iteration_or_attempt_changes_nothing():
    run = Run(looped(count=3)).start()
    assert run.send(d.ChildEnded("l", 1, "1", d.child_id("i-1", "l", "1", 1), "completed")) == []  # not started
    assert run.send(d.ChildEnded("l", 2, "0", d.child_id("i-1", "l", "0", 2), "completed")) == []  # no such attempt
    run.child_ends("l", "0", output=1)
    assert run.send(d.ChildEnded("l", 1, "0", d.child_id("i-1", "l", "0", 1), "completed", 1)) == []  # twice


def test_a_dynamic_workflow_per_iteration_is_chosen_from_the_allow_list():
    config = {"workflow": "{{ 'first' if iteration.index == 0 else 'next' }}", "allowed_workflows": ["first", "next"]}
    run = Run(looped(count=2, **config)).start()
    run.child_ends("l", "0")
    assert [c.workflow for c in started(run)] == ["first", "next"]


def test_a_dynamic_workflow_name_outside_the_allow_list_fails_the_loop():
    config = {"workflow": "{{ 'first' if iteration.index == 0 else 'evil' }}", "allowed_workflows": ["first"]}
    run = Run(looped(count=2, **config)).start()
    run.child_ends("l", "0")
    assert run.status == I.FAILED
    assert "config.workflow chose 'evil', which is not one of the allowed workflows (first)" in run.error["message"]
    assert len(started(run)) == 1


def test_an_iteration_input_that_is_not_an_object_fails_the_loop():
    run = Run(looped(count=1, input="{{ iteration.index }}")).start()
    assert run.status == I.FAILED
    assert run.error["message"] == "a child workflow's input must be an object, got int"
    assert started(run) == []


def test_cancelling_the_instance_while_a_loop_waits_cancels_the_iteration_and_its_child():
    run = Run(looped(count=3)).start()
    run.child_ends("l", "0")
    commands = run.send(d.CancelRequested())
    assert d.CancelItems("l") in commands and d.CancelChildren() in commands
    assert run.status_of("l") == S.CANCELLED
    assert run.item_statuses("l") == {"0": S.COMPLETED, "1": S.CANCELLED}


def test_child_ids_are_derived_from_the_step_so_deciding_twice_starts_the_same_child():
    run = Run(looped(count=2))
    snapshot = run.snapshot()
    first = [c for c in d.decide(run.graph, snapshot, d.Start()) if isinstance(c, d.StartChild)]
    again = [c for c in d.decide(run.graph, snapshot, d.Start()) if isinstance(c, d.StartChild)]
    assert first == again and first[0].child == d.child_id("i-1", "l", "0", 1)
    assert len({d.child_id("i-1", "l", "0", 1), d.child_id("i-1", "l", "1", 1), d.child_id("i-1", "l", "0", 2), d.child_id("i-2", "l", "0", 1)}) == 4


def test_retrying_a_failed_loop_starts_over_with_new_iteration_rows_and_new_children():
    run = Run(looped(count=2)).start()
    run.child_ends("l", "0", output="a")
    run.child_ends("l", "1", status="failed")
    assert run.status == I.FAILED
    first_children = {c.child for c in started(run)}
    commands = run.send(d.RetryRequested())
    assert run.status == I.RUNNING and run.nodes["l"].attempt == 2
    [child] = [c for c in commands if isinstance(c, d.StartChild)]
    assert (child.item, child.attempt) == ("0", 2)  # not attempt 1 again: that row and child exist
    assert child.child not in first_children
    run.child_ends("l", "0", output="a2")
    run.child_ends("l", "1", output="b2")
    assert run.outputs["l"]["results"] == ["a2", "b2"]
    assert len({c.child for c in started(run)}) == 4


@settings(max_examples=60, deadline=None)
@given(count=st.integers(1, 60), fails_at=st.none() | st.integers(0, 59))
def test_a_counted_loop_runs_each_iteration_once_one_at_a_time(count, fails_at):
    run = Run(looped(count=count, max_iterations=60, after=False)).start()
    index = 0
    while run.status == I.RUNNING:
        assert run.started_items("l") == [str(index)]  # exactly one iteration at a time, in order
        failed = index == fails_at
        run.child_ends("l", str(index), status="failed" if failed else "completed", output=None if failed else index)
        index += 1
    assert [c.item for c in started(run)] == [str(i) for i in range(index)]
    assert len({c.child for c in started(run)}) == index
    if fails_at is not None and fails_at < count:
        assert index == fails_at + 1 and run.status == I.FAILED
    else:
        assert index == count and run.status == I.COMPLETED
        assert run.outputs["l"] == {"last": count - 1, "iterations": count, "results": list(range(count))[-50:]}
