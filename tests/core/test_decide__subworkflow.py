"""The decider on ``subworkflow`` nodes: start a child, wait for its end (its failure under the
step's on_failure) or go on at once; cancel reaches the child; child ids are deterministic."""

from __future__ import annotations

from workflows.core import decider as d
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S

from .decider_helpers import Run, graph, task


def sub(*, after: bool = True, **config):
    nodes = [("s", "subworkflow", {"workflow": "child", **config})]
    if after:
        nodes.append(("after", "task", task(input={"got": "{{ steps.s.output }}"})))
    return graph(nodes, [("s", "after")] if after else [])


def test_a_waited_subworkflow_starts_its_child_with_the_rendered_input_and_waits():
    run = Run(sub(input={"who": "{{ input.who }}"}, version=2), input={"who": "ana"})
    commands = run.send(d.Start())
    child = d.child_id("i-1", "s", "", 1)
    assert d.CreateAttempt("s", 1, S.WAITING, input={"workflow": "child", "version": 2, "input": {"who": "ana"}}) in commands
    assert d.StartChild("s", 1, "", child, "child", 2, {"who": "ana"}, wait=True) in commands
    assert run.status_of("s") == S.WAITING
    assert run.status == I.RUNNING


def test_the_default_child_input_is_an_empty_object():
    run = Run(sub()).start()
    assert run.children[0].input == {}


def test_a_waited_subworkflow_completes_with_the_childs_output_and_its_successors_see_it():
    run = Run(sub()).start()
    commands = run.child_ends("s", output={"total": 3})
    assert d.FinishAttempt("s", 1, S.COMPLETED, {"total": 3}, ("out",)) in commands
    assert run.scheduled() == ["after"]
    assert run.inputs[("after", 1)] == {"got": {"total": 3}}


def test_a_subworkflow_as_the_last_node_completes_the_instance_with_the_childs_output():
    run = Run(sub(after=False)).start()
    run.child_ends("s", output=7)
    assert run.status == I.COMPLETED and run.output == {"s": 7}


def test_a_failed_child_fails_the_step_and_the_instance_under_on_failure_fail():
    run = Run(sub()).start()
    run.child_ends("s", status="failed", error={"type": "Nope", "message": "bad data"})
    assert run.status_of("s") == S.FAILED
    assert run.status == I.FAILED
    child = d.child_id("i-1", "s", "", 1)
    assert run.error == {"type": "Nope", "message": f"child workflow {child[:8]} ended failed: bad data", "node": "s"}
    assert run.status_of("after") is None


def test_a_child_that_ended_otherwise_than_completed_is_a_failure_named_by_its_status():
    run = Run(sub()).start()
    run.child_ends("s", status="timed_out")
    assert run.error["type"] == "ChildFailed"
    assert run.error["message"].endswith("ended timed_out: the child workflow ended timed_out")


def test_a_failed_child_under_on_failure_continue_goes_on():
    run = Run(sub(on_failure="continue")).start()
    run.child_ends("s", status="cancelled")
    assert run.status_of("s") == S.FAILED and run.status == I.RUNNING
    assert run.scheduled() == ["after"]
    assert run.inputs[("after", 1)] == {"got": None}


def test_a_failed_child_under_on_failure_route_takes_the_failure_port():
    g = graph(
        [("s", "subworkflow", {"workflow": "child", "on_failure": "route"}), ("ok", "task", task()), ("bad", "task", task())],
        [("s", "ok"), ("s", "bad", "failure")],
    )
    run = Run(g).start()
    run.child_ends("s", status="failed")
    assert run.status_of("ok") == S.SKIPPED
    assert run.scheduled() == ["bad"]


def test_a_fire_and_forget_subworkflow_completes_at_once_with_the_child_id_and_its_successors_run():
    run = Run(sub(wait=False, input={"x": 1}))
    commands = run.send(d.Start())
    child = d.child_id("i-1", "s", "", 1)
    assert d.StartChild("s", 1, "", child, "child", None, {"x": 1}, wait=False) in commands
    assert run.status_of("s") == S.COMPLETED
    assert run.outputs["s"] == {"instance": child}
    assert run.scheduled() == ["after"]
    assert run.inputs[("after", 1)] == {"got": {"instance": child}}


def test_a_fire_and_forget_child_is_left_alone_when_the_instance_ends():
    run = Run(sub(wait=False)).start()
    run.complete("after")
    assert run.status == I.COMPLETED
    assert not any(isinstance(c, d.CancelChildren) for c in run.history)
    assert run.send(d.ChildEnded("s", 1, "", d.child_id("i-1", "s", "", 1), "failed")) == []


def test_a_late_child_end_for_a_fire_and_forget_child_changes_nothing():
    run = Run(sub(wait=False, after=False))
    run.send(d.Start())
    assert run.status == I.COMPLETED
    assert run.send(d.ChildEnded("s", 1, "", d.child_id("i-1", "s", "", 1), "completed", {"x": 1})) == []


def test_cancelling_the_instance_while_a_subworkflow_waits_cancels_its_child():
    run = Run(sub()).start()
    commands = run.send(d.CancelRequested("stop"))
    assert d.CancelChildren() in commands
    assert run.status_of("s") == S.CANCELLED
    assert run.status == I.CANCELLED


def test_a_child_end_after_the_instance_was_cancelled_changes_nothing():
    run = Run(sub()).start()
    run.send(d.CancelRequested())
    assert run.child_ends("s", output=1) == []


def test_a_dynamic_workflow_name_is_chosen_from_the_allow_list():
    run = Run(sub(workflow="{{ input.kind }}-import", allowed_workflows=["csv-import", "pdf-import"]), input={"kind": "pdf"}).start()
    assert run.children[0].workflow == "pdf-import"


def test_a_dynamic_workflow_name_outside_the_allow_list_fails_the_step_and_starts_nothing():
    run = Run(sub(workflow="{{ input.kind }}-import", allowed_workflows=["csv-import"]), input={"kind": "exe"}).start()
    assert run.children == []
    assert run.status_of("s") == S.FAILED
    assert run.error == {
        "type": "ExpressionError",
        "message": "config.workflow chose 'exe-import', which is not one of the allowed workflows (csv-import)",
        "node": "s",
    }


def test_a_child_input_that_is_not_an_object_fails_the_step():
    run = Run(sub(input="{{ input.n }}"), input={"n": 5}).start()
    assert run.children == []
    assert run.error["message"] == "a child workflow's input must be an object, got int"


def test_child_ids_are_deterministic_per_step_attempt():
    run = Run(sub())
    snapshot = run.snapshot()
    first = [c for c in d.decide(run.graph, snapshot, d.Start()) if isinstance(c, d.StartChild)]
    again = [c for c in d.decide(run.graph, snapshot, d.Start()) if isinstance(c, d.StartChild)]
    assert first == again
    assert first[0].child == d.child_id("i-1", "s", "", 1)
    assert d.child_id("i-1", "s", "", 1) != d.child_id("i-1", "s", "", 2)


def test_retrying_a_failed_subworkflow_starts_a_new_child_and_ignores_the_old_ones_end():
    run = Run(sub()).start()
    run.child_ends("s", status="failed")
    run.send(d.RetryRequested())
    assert run.nodes["s"] == d.NodeState(S.WAITING, 2)
    assert [c.child for c in run.children] == [d.child_id("i-1", "s", "", 1), d.child_id("i-1", "s", "", 2)]
    assert run.send(d.ChildEnded("s", 1, "", d.child_id("i-1", "s", "", 1), "completed")) == []
    run.child_ends("s", output="second")
    assert run.outputs["s"] == "second"
    assert run.scheduled() == ["after"]


def test_retrying_a_subworkflow_whose_input_is_still_refused_fails_it_again_as_a_new_attempt():
    run = Run(sub(input="{{ input.n }}"), input={"n": 5}).start()
    commands = run.send(d.RetryRequested())
    steps = [c for c in commands if isinstance(c, (d.CreateAttempt, d.FinishAttempt))]
    assert [(type(c), c.attempt, c.status) for c in steps] == [(d.CreateAttempt, 2, S.FAILED)]  # not attempt 1 again
    assert run.status == I.FAILED and run.children == []
