"""The decider on failures: retries, timeouts, on_failure, cancel, deadlines, duplicates."""

from __future__ import annotations

from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S

from .decider_helpers import Run, graph, task

RETRY = {"max_attempts": 3, "initial_s": 2, "backoff": 3, "max_s": 100, "jitter": False}


def one(config: dict | None = None, *more_nodes, edges=(), **settings):
    return graph([("a", "task", task(**(config or {}))), *more_nodes], list(edges), **settings)


def test_a_retryable_failure_schedules_the_next_attempt_after_the_backoff():
    run = Run(one({"retry": RETRY})).start()
    commands = run.fail("a")
    created = [c for c in commands if isinstance(c, d.CreateAttempt)]
    assert created == [d.CreateAttempt("a", 2, S.SCHEDULED, input={}, not_before=1002.0)]
    assert d.StartTimer("retry", 1002.0, d.BackoffOver("a", 2), "a", 2) in commands
    run.fail("a")
    assert run.nodes["a"].attempt == 3
    assert run.timers[-1].due == 1000.0 + 6  # 2 * 3 ** 1


def test_the_end_of_a_backoff_makes_only_the_current_scheduled_attempt_due():
    run = Run(one({"retry": RETRY})).start()
    run.fail("a")
    assert run.send(d.BackoffOver("a", 2)) == [d.MakeDue("a", 2)]
    assert run.send(d.BackoffOver("a", 1)) == []  # a stale timer: that attempt is over
    run.claim("a")
    assert run.send(d.BackoffOver("a", 2)) == []  # already running


def test_the_last_allowed_attempt_failing_fails_the_workflow():
    run = Run(one({"retry": RETRY})).start()
    for _ in range(3):
        run.fail("a")
    assert run.status == I.FAILED
    assert run.nodes["a"].attempt == 3
    assert run.error == {"type": "Boom", "message": "Boom happened", "node": "a"}


def test_a_non_retryable_error_class_fails_at_once():
    run = Run(one({"retry": {**RETRY, "non_retryable": ["ValidationError"]}})).start()
    run.fail("a", type="ValidationError")
    assert run.status == I.FAILED and run.nodes["a"].attempt == 1


def test_an_error_marked_not_retryable_fails_at_once_whatever_the_policy():
    run = Run(one({"retry": RETRY})).start()
    run.fail("a", retryable=False)
    assert run.status == I.FAILED


def test_a_timed_out_attempt_is_recorded_as_timed_out_and_retried():
    run = Run(one({"retry": RETRY})).start()
    commands = run.fail("a", type="StepTimeout", timed_out=True)
    finished = [c for c in commands if isinstance(c, d.FinishAttempt)]
    assert finished[0].status == S.TIMED_OUT
    assert run.nodes["a"] == d.NodeState(S.SCHEDULED, 2)


def test_on_failure_continue_goes_on_as_if_the_step_succeeded():
    g = graph([("a", "task", task(on_failure="continue")), ("b", "task", task())], [("a", "b")])
    run = Run(g).start()
    run.fail("a", retryable=False)
    assert run.status_of("a") == S.FAILED
    assert run.scheduled() == ["b"]
    run.complete("b")
    assert run.status == I.COMPLETED


def test_on_failure_route_takes_the_failure_port_and_skips_the_happy_path():
    g = graph(
        [("a", "task", task(on_failure="route")), ("ok", "task", task()), ("cleanup", "task", task())],
        [("a", "ok"), ("a", "cleanup", "failure")],
    )
    run = Run(g).start()
    run.fail("a", retryable=False)
    assert run.status_of("ok") == S.SKIPPED
    assert run.scheduled() == ["cleanup"]


def test_a_success_with_a_failure_route_skips_the_failure_path():
    g = graph(
        [("a", "task", task(on_failure="route")), ("ok", "task", task()), ("cleanup", "task", task())],
        [("a", "ok"), ("a", "cleanup", "failure")],
    )
    run = Run(g).start()
    run.complete("a")
    assert run.status_of("cleanup") == S.SKIPPED
    assert run.scheduled() == ["ok"]


def test_a_failing_branch_cancels_the_other_running_branches():
    g = graph([("a", "task", task()), ("b", "task", task())], [])
    run = Run(g).start()
    run.claim("b")
    run.fail("a", retryable=False)
    assert run.status == I.FAILED
    assert run.status_of("b") == S.CANCELLED


def test_a_duplicate_completion_changes_nothing():
    g = graph([("a", "task", task()), ("b", "task", task())], [("a", "b")])
    run = Run(g).start()
    run.complete("a", 1)
    assert run.send(d.AttemptCompleted("a", 1, 1)) == []


def test_a_late_result_of_a_superseded_attempt_changes_nothing():
    run = Run(one({"retry": RETRY})).start()
    run.fail("a")  # attempt 1 lost; attempt 2 is scheduled
    assert run.send(d.AttemptCompleted("a", 1, "late")) == []
    assert run.nodes["a"] == d.NodeState(S.SCHEDULED, 2)


def test_cancel_cancels_active_steps_and_drops_timers():
    run = Run(one({"retry": RETRY})).start()
    run.fail("a")
    commands = run.send(d.CancelRequested("operator said so"))
    assert run.status == I.CANCELLED
    assert run.status_of("a") == S.CANCELLED
    assert d.CancelTimers() in commands
    assert run.error["message"] == "operator said so"


def test_a_workflow_timeout_sets_a_deadline_and_times_the_instance_out():
    run = Run(one(None, timeout_s=60)).start()
    assert run.timers == [d.StartTimer("deadline", 1060.0, d.DeadlineReached())]
    run.send(d.DeadlineReached())
    assert run.status == I.TIMED_OUT
    assert run.status_of("a") == S.CANCELLED


def test_retrying_a_failed_instance_runs_the_failed_step_again_as_a_new_attempt():
    g = graph([("a", "task", task()), ("b", "task", task())], [("a", "b")])
    run = Run(g).start()
    run.fail("a", retryable=False)
    assert run.status == I.FAILED
    run.send(d.RetryRequested())
    assert run.status == I.RUNNING
    assert run.nodes["a"] == d.NodeState(S.SCHEDULED, 2)
    run.complete("a")
    run.complete("b")
    assert run.status == I.COMPLETED


def test_an_inline_node_that_raises_uses_its_on_failure_route():
    g = graph(
        [("c", "condition", {"expression": "input.x > 1", "on_failure": "route"}), ("bad", "task", task())],
        [("c", "bad", "failure")],
    )
    run = Run(g, input={"x": "text"}).start()
    assert run.status_of("c") == S.FAILED
    assert run.scheduled() == ["bad"]


def test_a_routed_inline_failure_does_not_complete_the_workflow_before_parallel_nodes_start():
    g = graph(
        [
            ("c", "condition", {"expression": "1 / 0", "on_failure": "route"}),
            ("x", "transform", {"assignments": {"seen": True}}),
            ("other", "task", task()),
        ],
        [("c", "x", "failure")],
    )
    run = Run(g).start()
    assert run.status == I.RUNNING
    assert run.scheduled() == ["other"]


def test_a_failure_carries_its_type_message_and_traceback():
    try:
        raise ValueError("bad value")
    except ValueError as exc:
        failure = d.failure_from(exc)
    assert failure.type == "ValueError" and failure.message == "bad value"
    assert "ValueError: bad value" in failure.traceback
    assert failure.retryable


def test_step_errors_keep_their_retry_meaning():
    from workflows.core.errors import StepError, ValidationError

    assert d.failure_from(ValidationError("no")).retryable is False
    assert d.failure_from(StepError("later", type="Busy")) == Failure("Busy", "later", d.failure_from(StepError("later", type="Busy")).traceback)
