"""The decider on ``map`` nodes: items, concurrency, item retries and failures, results in order,
child workflows per item, limits, cancel and retry of the instance."""

from __future__ import annotations

from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S

from .decider_helpers import Run, graph, task

RETRY = {"max_attempts": 3, "initial_s": 2, "backoff": 2, "max_s": 100, "jitter": False, "non_retryable": ["Fatal"]}


def mapped(items: str = "input.xs", *, after: bool = True, **config):
    """A map ``m`` (a handler per item unless ``workflow`` is given), then task ``after``."""
    if "workflow" not in config:
        config.setdefault("handler", "demo.noop")
    nodes = [("m", "map", {"items": items, **config})]
    if after:
        nodes.append(("after", "task", task(input={"got": "{{ steps.m.output }}"})))
    return graph(nodes, [("m", "after")] if after else [])


def routed(**config):
    """A map whose failure routes to ``cleanup``; ``after`` on its happy path."""
    return graph(
        [
            ("m", "map", {"items": "input.xs", "handler": "demo.noop", "on_failure": "route", **config}),
            ("after", "task", task()),
            ("cleanup", "task", task()),
        ],
        [("m", "after"), ("m", "cleanup", "failure")],
    )


# --- items and concurrency -------------------------------------------------------------------------


def test_a_map_creates_one_pending_item_per_element_and_starts_as_many_as_its_concurrency():
    run = Run(mapped(concurrency=2), input={"xs": ["a", "b", "c", "d"]})
    commands = run.send(d.Start())
    assert d.CreateItems("m", ["a", "b", "c", "d"]) in commands
    assert d.StartItems("m", ["0", "1"]) in commands
    assert run.status_of("m") == S.WAITING
    assert run.item_statuses("m") == {"0": S.SCHEDULED, "1": S.SCHEDULED, "2": S.PENDING, "3": S.PENDING}
    assert run.states["m"] == {"total": 4, "next": 2, "running": 2, "completed": 0, "failed": 0}


def test_the_default_concurrency_is_ten():
    run = Run(mapped(), input={"xs": list(range(25))}).start()
    assert run.started_items("m") == [str(i) for i in range(10)]


def test_each_item_that_ends_starts_the_next_pending_one():
    run = Run(mapped(concurrency=2), input={"xs": ["a", "b", "c", "d"]}).start()
    commands = run.complete_item("m", "1", "B")
    assert d.StartItems("m", ["2"]) in commands
    assert run.started_items("m") == ["0", "2"]
    run.complete_item("m", "0", "A")
    assert run.started_items("m") == ["2", "3"]
    run.complete_item("m", "3", "D")
    assert run.started_items("m") == ["2"]
    assert run.status_of("m") == S.WAITING


def test_the_map_completes_with_every_output_in_item_order_whatever_order_they_ended_in():
    run = Run(mapped(concurrency=3), input={"xs": ["a", "b", "c"]}).start()
    run.complete_item("m", "2", "C")
    run.complete_item("m", "0", "A")
    commands = run.complete_item("m", "1", "B")  # the last item: its own output is part of the result
    output = {"results": ["A", "B", "C"], "errors": [], "total": 3, "completed": 3, "failed": 0}
    assert d.FinishAttempt("m", 1, S.COMPLETED, output, ("out",)) in commands
    assert run.scheduled() == ["after"]
    assert run.inputs[("after", 1)] == {"got": output}
    completions = [c for c in run.history if isinstance(c, d.FinishAttempt) and c.node == "m" and not c.item]
    assert len(completions) == 1


def test_an_item_input_template_sees_item_and_index():
    run = Run(mapped(input={"n": "{{ item.n * 10 }}", "at": "{{ index }}", "who": "{{ input.who }}"}),
              input={"xs": [{"n": 1}, {"n": 2}], "who": "ana"}).start()
    assert run.item_inputs[("m", "0", 1)] == {"n": 10, "at": 0, "who": "ana"}
    assert run.item_inputs[("m", "1", 1)] == {"n": 20, "at": 1, "who": "ana"}


def test_items_given_by_an_earlier_step_output():
    g = graph(
        [("list", "task", task()), ("m", "map", {"items": "steps.list.output.rows", "handler": "demo.noop"})],
        [("list", "m")],
    )
    run = Run(g).start()
    run.complete("list", {"rows": [5, 6]})
    assert [run.item_inputs[("m", i, 1)] for i in ("0", "1")] == [5, 6]


# --- edge cases of the list --------------------------------------------------------------------------


def test_a_map_over_an_empty_list_completes_at_once_and_its_successors_run():
    run = Run(mapped(), input={"xs": []}).start()
    assert run.status_of("m") == S.COMPLETED
    assert run.outputs["m"] == {"results": [], "errors": [], "total": 0, "completed": 0, "failed": 0}
    assert run.items == {}
    assert run.scheduled() == ["after"]


def test_an_empty_map_as_the_only_node_completes_the_instance():
    run = Run(mapped(after=False), input={"xs": []}).start()
    assert run.status == I.COMPLETED


def test_items_that_are_not_a_list_fail_the_node_naming_config_items():
    run = Run(mapped(), input={"xs": {"a": 1}}).start()
    assert run.status == I.FAILED
    assert run.status_of("m") == S.FAILED
    assert run.error == {"type": "InvalidItems", "message": "config.items must give a list, got dict", "node": "m"}
    assert run.items == {}


def test_an_items_expression_that_cannot_be_evaluated_fails_the_node():
    run = Run(mapped("input.missing.rows"), input={}).start()
    assert run.status == I.FAILED
    assert run.error["node"] == "m"


def test_more_items_than_the_limit_fail_the_node_clearly_and_create_none():
    run = Run(mapped(), input={"xs": list(range(6))}, max_items=5).start()
    assert run.status == I.FAILED
    assert run.error["type"] == "TooManyItems"
    assert "gave 6 items" in run.error["message"] and "at most 5" in run.error["message"]
    assert run.items == {}


def test_exactly_the_limit_is_allowed():
    run = Run(mapped(concurrency=5), input={"xs": list(range(5))}, max_items=5).start()
    assert run.status == I.RUNNING and len(run.started_items("m")) == 5


def test_an_item_input_template_that_fails_names_the_item():
    run = Run(mapped(input="{{ item.n + 1 }}"), input={"xs": [{"n": 1}, {"x": 2}]}).start()
    assert run.status == I.FAILED
    assert run.error["message"].startswith("item 1: ")


# --- item failures ---------------------------------------------------------------------------


def test_a_retryable_item_failure_retries_that_item_with_its_input_after_the_backoff():
    run = Run(mapped(retry=RETRY, concurrency=1), input={"xs": ["a", "b"]}).start()
    commands = run.fail_item("m", "0")
    assert d.CreateAttempt("m", 2, S.SCHEDULED, input="a", not_before=1002.0, item="0") in commands
    assert d.StartTimer("retry", 1002.0, d.BackoffOver("m", 2, "0"), "m", 2, "0") in commands
    assert run.started_items("m") == ["0"]  # the retry keeps the item's slot: "1" has not started
    assert run.send(d.BackoffOver("m", 2, "0")) == [d.MakeDue("m", 2, "0")]
    run.complete_item("m", "0", "A")
    run.complete_item("m", "1", "B")
    assert run.outputs["m"]["results"] == ["A", "B"]


def test_an_item_that_exhausts_its_attempts_is_a_failed_item():
    run = Run(mapped(retry=RETRY, on_item_failure="continue"), input={"xs": ["a"]}).start()
    for _ in range(3):
        run.fail_item("m", "0")
    assert run.items[("m", "0")] == d.NodeState(S.FAILED, 3)
    assert run.outputs["m"]["errors"] == [{"index": 0, "status": "failed", "type": "Boom", "message": "Boom happened"}]


def test_a_non_retryable_item_error_is_not_retried():
    run = Run(mapped(retry=RETRY, on_item_failure="continue"), input={"xs": ["a", "b"]}).start()
    run.fail_item("m", "0", type="Fatal")
    assert run.items[("m", "0")] == d.NodeState(S.FAILED, 1)
    run.fail_item("m", "1", retryable=False)
    assert run.items[("m", "1")] == d.NodeState(S.FAILED, 1)


def test_with_on_item_failure_continue_failed_slots_are_null_and_errors_are_listed_by_index():
    run = Run(mapped(on_item_failure="continue"), input={"xs": ["a", "b", "c", "d"]}).start()
    run.fail_item("m", "3", type="Late")
    run.complete_item("m", "0", "A")
    run.fail_item("m", "1", type="Nope")
    run.complete_item("m", "2", "C")
    assert run.status_of("m") == S.COMPLETED
    assert run.outputs["m"] == {
        "results": ["A", None, "C", None],
        "errors": [
            {"index": 1, "status": "failed", "type": "Nope", "message": "Nope happened"},
            {"index": 3, "status": "failed", "type": "Late", "message": "Late happened"},
        ],
        "total": 4,
        "completed": 2,
        "failed": 2,
    }
    assert run.scheduled() == ["after"]


def test_a_timed_out_item_is_listed_as_timed_out():
    run = Run(mapped(on_item_failure="continue"), input={"xs": ["a"]}).start()
    run.claim_item("m", "0")
    run.send(d.AttemptFailed("m", 1, Failure("StepTimeout", "too slow", retryable=False), timed_out=True, item="0"))
    assert run.outputs["m"]["errors"] == [{"index": 0, "status": "timed_out", "type": "StepTimeout", "message": "too slow"}]


def test_with_on_item_failure_fail_the_first_failure_stops_starts_cancels_the_rest_and_fails_the_instance():
    run = Run(mapped(concurrency=2), input={"xs": ["a", "b", "c", "d"]}).start()
    run.claim_item("m", "1")
    commands = run.fail_item("m", "0", type="Nope", retryable=False)
    assert not any(isinstance(c, d.StartItems) for c in commands)
    assert d.CancelItems("m") in commands
    assert run.item_statuses("m") == {"0": S.FAILED, "1": S.CANCELLED, "2": S.CANCELLED, "3": S.CANCELLED}
    assert run.status_of("m") == S.FAILED
    assert run.status == I.FAILED
    assert run.error == {"type": "ItemFailed", "message": "item 0 failed: Nope: Nope happened", "node": "m"}
    assert run.status_of("after") is None


def test_with_on_item_failure_fail_and_on_failure_continue_the_successors_run():
    run = Run(mapped(on_failure="continue"), input={"xs": ["a", "b"]}).start()
    run.fail_item("m", "1", retryable=False)
    assert run.status_of("m") == S.FAILED
    assert run.item_statuses("m") == {"0": S.CANCELLED, "1": S.FAILED}
    assert run.status == I.RUNNING
    assert run.scheduled() == ["after"]
    assert run.inputs[("after", 1)] == {"got": None}


def test_with_on_item_failure_fail_and_on_failure_route_the_failure_port_is_taken():
    run = Run(routed(), input={"xs": ["a", "b"]}).start()
    commands = run.fail_item("m", "0", retryable=False)
    assert d.CancelItems("m") in commands
    assert run.status_of("after") == S.SKIPPED
    assert run.scheduled() == ["cleanup"]


def test_a_map_that_succeeds_with_a_failure_route_skips_the_failure_path():
    run = Run(routed(), input={"xs": ["a"]}).start()
    run.complete_item("m", "0", 1)
    assert run.status_of("cleanup") == S.SKIPPED
    assert run.scheduled() == ["after"]


def test_the_end_of_an_item_cancelled_when_its_map_failed_changes_nothing():
    run = Run(mapped(on_failure="continue"), input={"xs": ["a", "b"]}).start()
    run.claim_item("m", "1")
    run.fail_item("m", "0", retryable=False)
    assert run.send(d.AttemptCompleted("m", 1, "late", item="1")) == []
    assert run.send(d.AttemptFailed("m", 1, Failure("Boom", "x"), item="1")) == []


def test_a_duplicate_item_completion_changes_nothing():
    run = Run(mapped(), input={"xs": ["a", "b"]}).start()
    run.complete_item("m", "0", "A")
    assert run.send(d.AttemptCompleted("m", 1, "again", item="0")) == []
    assert run.states["m"]["completed"] == 1


def test_an_item_output_that_cannot_be_stored_fails_that_item():
    run = Run(mapped(on_item_failure="continue"), input={"xs": ["a"]}).start()
    run.claim_item("m", "0")
    run.send(d.AttemptCompleted("m", 1, float("nan"), item="0"))
    assert run.outputs["m"]["errors"][0]["type"] == "InvalidOutput"


# --- several events in one decision ------------------------------------------------------------


def test_several_items_ending_in_one_decision_all_reach_the_result():
    run = Run(mapped(), input={"xs": ["a", "b", "c"]}).start()
    for item in ("0", "1", "2"):
        run.claim_item("m", item)
    run.send([d.AttemptCompleted("m", 1, "A", item="0"), d.AttemptCompleted("m", 1, "B", item="1"), d.AttemptCompleted("m", 1, "C", item="2")])
    assert run.outputs["m"]["results"] == ["A", "B", "C"]


def test_items_ending_after_a_failure_in_the_same_decision_are_not_ended_twice_nor_retried():
    run = Run(mapped(on_failure="continue", retry=RETRY), input={"xs": ["a", "b", "c"]}).start()
    for item in ("0", "1", "2"):
        run.claim_item("m", item)
    commands = run.send([
        d.AttemptFailed("m", 1, Failure("Fatal", "no"), item="0"),
        d.AttemptCompleted("m", 1, "B", item="1"),
        d.AttemptFailed("m", 1, Failure("Boom", "again?"), item="2"),
    ])
    assert not any(isinstance(c, d.CreateAttempt) and c.node == "m" for c in commands)
    assert run.item_statuses("m") == {"0": S.FAILED, "1": S.CANCELLED, "2": S.CANCELLED}
    assert sorted(e[:2] for e in run.item_ends) == [("m", "0"), ("m", "1"), ("m", "2")]
    assert run.scheduled() == ["after"]


# --- a child workflow per item -----------------------------------------------------------------


def test_a_map_with_a_workflow_starts_child_items_with_their_envelopes():
    run = Run(mapped(workflow="child", version=3, concurrency=2, input={"n": "{{ item }}", "at": "{{ index }}"}),
              input={"xs": [7, 8, 9]})
    commands = run.send(d.Start())
    envelopes = [{"workflow": "child", "version": 3, "input": {"n": n, "at": i}} for i, n in enumerate([7, 8, 9])]
    assert d.CreateItems("m", envelopes) in commands
    assert d.StartItems("m", ["0", "1"], child=True) in commands
    assert run.item_statuses("m") == {"0": S.WAITING, "1": S.WAITING, "2": S.PENDING}


def test_child_items_complete_as_their_children_end_in_item_order():
    run = Run(mapped(workflow="child", concurrency=2, input={"n": "{{ item }}"}), input={"xs": [7, 8, 9]}).start()
    run.child_ends("m", "1", output={"r": 8})
    assert run.item_statuses("m")["2"] == S.WAITING
    run.child_ends("m", "2", output={"r": 9})
    run.child_ends("m", "0", output={"r": 7})
    assert run.outputs["m"]["results"] == [{"r": 7}, {"r": 8}, {"r": 9}]
    assert run.scheduled() == ["after"]


def test_a_failed_child_item_under_continue_is_an_error_with_the_childs_error():
    run = Run(mapped(workflow="child", on_item_failure="continue", input={}), input={"xs": [1, 2]}).start()
    run.child_ends("m", "0", status="failed", error={"type": "Nope", "message": "bad"})
    run.child_ends("m", "1", output=2)
    [error] = run.outputs["m"]["errors"]
    assert error["index"] == 0 and error["type"] == "Nope"
    assert error["message"].endswith("ended failed: bad")
    assert run.outputs["m"]["results"] == [None, 2]


def test_a_failed_child_item_with_a_retry_policy_runs_again_as_a_new_child_after_the_backoff():
    run = Run(mapped(workflow="child", retry=RETRY, concurrency=1, input={"n": "{{ item }}"}), input={"xs": [7, 8]}).start()
    commands = run.child_ends("m", "0", status="failed", error={"type": "Nope", "message": "bad"})
    envelope = run.item_inputs[("m", "0", 1)]
    assert envelope["input"] == {"n": 7}
    assert d.CreateAttempt("m", 2, S.PENDING, input=envelope, item="0") in commands
    assert d.StartTimer("retry", 1002.0, d.BackoffOver("m", 2, "0"), "m", 2, "0") in commands
    assert run.item_statuses("m") == {"0": S.PENDING, "1": S.PENDING}  # the retry keeps the slot: "1" waits
    assert run.send(d.BackoffOver("m", 2, "0")) == [d.StartItems("m", ["0"], child=True)]
    assert run.items[("m", "0")] == d.NodeState(S.WAITING, 2)
    run.child_ends("m", "0", output={"r": 7})  # the second attempt's child (a new deterministic id)
    run.child_ends("m", "1", output={"r": 8})
    assert run.outputs["m"]["results"] == [{"r": 7}, {"r": 8}]
    assert run.scheduled() == ["after"]


def test_a_child_item_that_exhausts_its_attempts_is_a_failed_item():
    run = Run(mapped(workflow="child", retry=RETRY, on_item_failure="continue", input={}), input={"xs": [1]}).start()
    for attempt in (1, 2, 3):
        run.child_ends("m", "0", status="failed", error={"type": "Nope", "message": "bad"})
        if attempt < 3:
            run.send(d.BackoffOver("m", attempt + 1, "0"))
    assert run.items[("m", "0")].status == S.FAILED and run.items[("m", "0")].attempt == 3
    [error] = run.outputs["m"]["errors"]
    assert error["index"] == 0 and error["type"] == "Nope"


def test_a_cancelled_child_item_and_a_non_retryable_error_type_are_not_retried():
    run = Run(mapped(workflow="child", retry=RETRY, on_item_failure="continue", input={}), input={"xs": [1, 2]}).start()
    cancelled = run.child_ends("m", "0", status="cancelled")
    fatal = run.child_ends("m", "1", status="failed", error={"type": "Fatal", "message": "no"})
    assert not [c for c in cancelled + fatal if isinstance(c, d.StartTimer)]
    assert run.item_statuses("m") == {"0": S.FAILED, "1": S.FAILED}


def test_a_backoff_that_ends_after_the_map_was_cancelled_starts_no_child():
    run = Run(mapped(workflow="child", retry=RETRY, input={}), input={"xs": [1]}).start()
    run.child_ends("m", "0", status="failed", error={"type": "Nope", "message": "bad"})
    run.send(d.CancelRequested("stop"))
    assert run.send(d.BackoffOver("m", 2, "0")) == []


def test_a_failed_child_item_under_fail_cancels_the_other_items_and_their_children():
    run = Run(mapped(workflow="child", input={}), input={"xs": [1, 2, 3]}).start()
    commands = run.child_ends("m", "1", status="cancelled")
    assert d.CancelItems("m") in commands  # the adapter cancels the items' waited children with them
    assert run.status == I.FAILED
    assert run.error["message"].startswith("item 1 failed: ChildFailed: child workflow ")
    assert run.item_statuses("m") == {"0": S.CANCELLED, "1": S.FAILED, "2": S.CANCELLED}


def test_a_child_end_for_an_item_not_waiting_changes_nothing():
    run = Run(mapped(workflow="child", concurrency=1, input={}), input={"xs": [1, 2]}).start()
    assert run.send(d.ChildEnded("m", 1, "1", d.child_id("i-1", "m", "1", 1), "completed")) == []  # still pending
    run.child_ends("m", "0", output=1)
    assert run.send(d.ChildEnded("m", 1, "0", d.child_id("i-1", "m", "0", 1), "completed")) == []  # ended already


def test_a_dynamic_workflow_per_item_is_chosen_from_the_allow_list():
    config = {"workflow": "{{ item.kind }}-flow", "allowed_workflows": ["pdf-flow", "csv-flow"], "input": {"f": "{{ item.f }}"}}
    run = Run(mapped(**config), input={"xs": [{"kind": "pdf", "f": 1}, {"kind": "csv", "f": 2}]}).start()
    assert [run.item_inputs[("m", i, 1)]["workflow"] for i in ("0", "1")] == ["pdf-flow", "csv-flow"]


def test_a_dynamic_workflow_name_outside_the_allow_list_fails_the_map_naming_the_item():
    config = {"workflow": "{{ item.kind }}-flow", "allowed_workflows": ["pdf-flow"], "input": {}}
    run = Run(mapped(**config), input={"xs": [{"kind": "pdf"}, {"kind": "exe"}]}).start()
    assert run.status == I.FAILED
    assert run.error["node"] == "m"
    assert run.error["message"].startswith("item 1: config.workflow chose 'exe-flow', which is not one of the allowed workflows")
    assert run.items == {}


def test_a_child_item_input_that_is_not_an_object_fails_the_map():
    run = Run(mapped(workflow="child"), input={"xs": [1]}).start()  # the default input is the item itself
    assert run.status == I.FAILED
    assert "a child workflow's input must be an object, got int" in run.error["message"]


# --- cancel and retry of the instance -------------------------------------------------------------


def test_cancelling_the_instance_while_a_map_waits_cancels_its_items():
    run = Run(mapped(concurrency=1), input={"xs": ["a", "b"]}).start()
    commands = run.send(d.CancelRequested("stop"))
    assert d.CancelItems("m") in commands
    assert run.status == I.CANCELLED and run.status_of("m") == S.CANCELLED
    assert run.item_statuses("m") == {"0": S.CANCELLED, "1": S.CANCELLED}


def test_cancelling_the_instance_while_child_items_wait_cancels_the_items_and_the_children():
    run = Run(mapped(workflow="child", input={}), input={"xs": [1, 2]}).start()
    commands = run.send(d.CancelRequested())
    assert d.CancelItems("m") in commands and d.CancelChildren() in commands
    assert set(run.item_statuses("m").values()) == {S.CANCELLED}


def test_a_workflow_timeout_while_a_map_waits_cancels_its_items():
    run = Run(graph([("m", "map", {"items": "input.xs", "handler": "demo.noop"})], [], timeout_s=60), input={"xs": [1]}).start()
    commands = run.send(d.DeadlineReached())
    assert d.CancelItems("m") in commands
    assert run.status == I.TIMED_OUT


def test_retrying_a_failed_map_runs_all_its_items_again_as_a_new_attempt():
    run = Run(mapped(concurrency=2), input={"xs": ["a", "b", "c"]}).start()
    run.complete_item("m", "0", "A")
    run.fail_item("m", "1", retryable=False)
    assert run.status == I.FAILED
    commands = run.send(d.RetryRequested())
    assert run.status == I.RUNNING
    assert d.CreateAttempt("m", 2, S.WAITING) in commands
    assert d.CreateItems("m", ["a", "b", "c"]) in commands
    assert d.StartItems("m", ["0", "1"]) in commands
    assert run.states["m"] == {"total": 3, "next": 2, "running": 2, "completed": 0, "failed": 0}
    for item, out in (("0", "A2"), ("1", "B2"), ("2", "C2")):
        run.complete_item("m", item, out)
    assert run.outputs["m"]["results"] == ["A2", "B2", "C2"]
    run.complete("after")
    assert run.status == I.COMPLETED


def test_retrying_an_instance_whose_map_failed_on_its_items_expression_evaluates_it_again():
    run = Run(mapped(), input={"xs": "nope"}).start()
    assert run.status == I.FAILED
    run.input = {"xs": [1]}  # an operator fixed what the expression reads (in tests: the input)
    run.send(d.RetryRequested())
    assert run.nodes["m"] == d.NodeState(S.WAITING, 2)
    assert run.started_items("m") == ["0"]
