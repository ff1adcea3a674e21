"""The decider steering a running instance (issue 11): pause and resume (what ends while paused is
recorded, what would start is held and carried on from at resume), signals (buffered, taken oldest
first, timeouts), saga compensation (latest completion first, each under its own retry policy, a
failed compensation and its retry) and ``wait: false``. Operator events say who asked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S

from .decider_helpers import Run, graph, task

RETRY = {"max_attempts": 3, "initial_s": 2, "backoff": 3, "max_s": 100, "jitter": False}


def chain(*ids: str) -> list[tuple[str, str]]:
    return list(zip(ids, ids[1:]))


def created(commands, node: str | None = None) -> list[d.CreateAttempt]:
    return [c for c in commands if isinstance(c, d.CreateAttempt) and (node is None or c.node == node)]


def statuses(commands) -> list[I]:
    return [c.status for c in commands if isinstance(c, d.SetInstanceStatus)]


def end_running(run: Run, node: str, output=None, *, fail: str = "", retryable: bool = True) -> list[d.Command]:
    """The worker's report of an attempt it claimed earlier (the instance may be paused by now)."""
    attempt = run.nodes[node].attempt
    if fail:
        return run.send(d.AttemptFailed(node, attempt, Failure(fail, f"{fail} happened", retryable=retryable)))
    return run.send(d.AttemptCompleted(node, attempt, output))


def pause(run: Run, by: str = "ops") -> list[d.Command]:
    return run.send(d.PauseRequested(by))


def resume(run: Run, by: str = "ops") -> list[d.Command]:
    return run.send(d.ResumeRequested(by))


# --- pause and resume -----------------------------------------------------------------------------


def test_pause_and_resume_say_who_asked_and_reach_the_waited_children():
    run = Run(graph([("a", "task", task()), ("sub", "subworkflow", {"workflow": "child"})], [])).start()
    assert pause(run, "olga") == [d.SetInstanceStatus(I.PAUSED, by="olga"), d.TellChildren(d.PauseRequested("its parent i-1"))]
    assert resume(run, "olga") == [
        d.SetInstanceStatus(I.RUNNING, by="olga"), d.ReleaseHeld(), d.TellChildren(d.ResumeRequested("its parent i-1")),
    ]  # fmt: skip
    assert run.status == I.RUNNING and run.scheduled() == ["a"]


def test_without_a_step_waiting_on_a_child_pause_and_resume_tell_no_children():
    run = Run(graph([("a", "task", task()), ("nap", "wait", {"for_s": 5})], [])).start()
    assert pause(run) == [d.SetInstanceStatus(I.PAUSED, by="ops")]
    assert resume(run) == [d.SetInstanceStatus(I.RUNNING, by="ops"), d.ReleaseHeld()]


def everything_pending() -> Run:
    """A paused instance with one of each thing that may come due: a wait's timer, a retry's
    backoff, a child's end, a signal, a task's decision, and an attempt that ended while paused (its Continue)."""
    g = graph(
        [
            ("nap", "wait", {"for_s": 10}),
            ("f", "task", task(retry=RETRY)),
            ("sub", "subworkflow", {"workflow": "child"}),
            ("sig", "signal", {"name": "go"}),
            ("ok", "approval", {"title": "OK?", "assignees": ["ann"]}),
            ("a", "task", task()),
            ("after", "task", task()),
        ],
        [("a", "after")],
    )
    run = Run(g).start()
    run.fail("f")
    run.claim("a")
    pause(run)
    end_running(run, "a", {"done": 1})
    assert run.held == [d.Continue("a", 1, status="completed")]
    run.held.clear()  # each case below sends its own message
    return run


def acted_on_nap(run):
    return run.status_of("nap") == S.COMPLETED


def acted_on_backoff(run):
    return ("f", "") not in run.not_before and run.status_of("f") == S.SCHEDULED


def acted_on_child(run):
    return run.status_of("sub") == S.COMPLETED and run.outputs["sub"] == {"x": 1}


def acted_on_signal(run):
    return run.status_of("sig") == S.COMPLETED and run.taken_by(1) == ("sig", "")


def acted_on_decision(run):
    return run.status_of("ok") == S.COMPLETED and run.nodes["ok"].ports == ("approved",)


def acted_on_continue(run):
    return run.scheduled() == ["after", "f"]


HELD = {
    "TimerFired": (lambda run: d.TimerFired("nap", 1), acted_on_nap),
    "BackoffOver": (lambda run: d.BackoffOver("f", 2), acted_on_backoff),
    "ChildEnded": (lambda run: d.ChildEnded("sub", 1, "", d.child_id("i-1", "sub", "", 1), "completed", {"x": 1}), acted_on_child),
    "SignalReceived": (lambda run: run.buffer_signal("go", {"ok": True}), acted_on_signal),
    "TaskDecided": (lambda run: d.TaskDecided("ok", 1, 7, {"decision": "approved", "by": "ann"}), acted_on_decision),
    "Continue": (lambda run: d.Continue("a", 1, status="completed"), acted_on_continue),
}


def test_every_kind_of_held_message_is_covered_here_or_by_the_saga_tests():
    assert {cls.__name__ for cls in d.HELD_WHILE_PAUSED} == set(HELD) | {"Compensate"}


def held_form(message) -> tuple[list[d.Command], object]:
    """What a pause writes at once for ``message``, and the message it holds: a signal's arrival is
    noted when it arrives (the history's order), its delivery waits."""
    if isinstance(message, d.SignalReceived):
        return [d.NoteSignal(message.name, message.seq, message.by)], replace(message, noted=True)
    return [], message


@pytest.mark.parametrize("kind", sorted(HELD))
def test_a_message_that_comes_while_paused_is_held_untouched_and_acted_on_after_resume(kind):
    make, acted_on = HELD[kind]
    run = everything_pending()
    before = dict(run.nodes)
    message = make(run)
    now, kept = held_form(message)
    assert run.send(message) == [*now, d.Hold(kept)]
    assert run.nodes == before and not acted_on(run)
    assert run.held == [kept]
    resume(run)
    assert run.inbox == [kept] and not acted_on(run)  # released, delivered by the next decision
    commands = run.deliver()
    assert acted_on(run) and run.status == I.RUNNING
    assert not any(isinstance(c, d.NoteSignal) for c in commands)  # noted once, when it came


@pytest.mark.parametrize("kind", sorted(HELD))
def test_a_released_message_is_held_again_when_a_pause_comes_before_its_delivery(kind):
    make, acted_on = HELD[kind]
    run = everything_pending()
    message = make(run)
    run.send(message)
    resume(run)
    pause(run)
    assert run.deliver() == [d.Hold(held_form(message)[1])] and not acted_on(run)
    resume(run)
    run.deliver()
    assert acted_on(run)


def test_an_attempt_completing_while_paused_is_recorded_and_the_continue_after_resume_starts_its_successor_once():
    run = Run(graph([("a", "task", task()), ("b", "task", task())], chain("a", "b"))).start()
    run.claim("a")
    pause(run)
    commands = end_running(run, "a", {"n": 1})
    assert commands == [d.FinishAttempt("a", 1, S.COMPLETED, {"n": 1}, ("out",)), d.Hold(d.Continue("a", 1, status="completed"))]
    assert run.status == I.PAUSED and run.status_of("b") is None
    assert not created(resume(run))  # the resume itself starts nothing: the Continue does
    assert created(run.deliver()) == [d.CreateAttempt("b", 1, S.SCHEDULED, input={})]
    assert run.send(d.Continue("a", 1, status="completed")) == []  # delivered twice: b is not started again
    run.complete("b")
    assert run.status == I.COMPLETED


def test_a_retryable_failure_while_paused_schedules_the_retry_but_holds_the_end_of_its_backoff():
    run = Run(graph([("f", "task", task(retry=RETRY)), ("after", "task", task())], chain("f", "after"))).start()
    run.claim("f")
    pause(run)
    commands = end_running(run, "f", fail="Busy")
    assert created(commands) == [d.CreateAttempt("f", 2, S.SCHEDULED, input={}, not_before=1002.0)]
    retry = run.timer("retry", "f")
    assert retry.message == d.BackoffOver("f", 2)
    assert run.fire(retry) == [d.Hold(d.BackoffOver("f", 2))]
    assert run.not_before == {("f", ""): 1002.0}  # not due: a worker may not claim it yet
    resume(run)
    assert run.deliver() == [d.MakeDue("f", 2)]
    run.complete("f")
    assert run.scheduled() == ["after"]


@pytest.mark.parametrize(
    "on_failure, then",
    [("fail", "the instance fails"), ("continue", "b starts"), ("route", "cleanup starts")],
)
def test_a_terminal_failure_while_paused_is_recorded_and_what_it_leads_to_waits_for_the_resume(on_failure, then):
    g = graph(
        [("a", "task", task(on_failure=on_failure)), ("b", "task", task()), ("cleanup", "task", task()), ("other", "task", task())],
        [("a", "b"), ("a", "cleanup", "failure")],
    )
    run = Run(g).start()
    run.claim("a")
    run.claim("other")
    pause(run)
    commands = end_running(run, "a", fail="Refused", retryable=False)
    assert run.status_of("a") == S.FAILED
    assert run.status == I.PAUSED and run.status_of("other") == S.RUNNING  # nothing cancelled yet
    assert run.status_of("b") is None and run.status_of("cleanup") is None
    assert [c for c in commands if isinstance(c, d.Hold)] == [
        d.Hold(d.Continue("a", 1, "", "failed", None, {"type": "Refused", "message": "Refused happened", "node": "a"}))
    ]
    assert statuses(resume(run)) == [I.RUNNING]
    run.deliver()
    if on_failure == "fail":
        assert run.status == I.FAILED and run.error == {"type": "Refused", "message": "Refused happened", "node": "a"}
        assert run.status_of("other") == S.CANCELLED
    else:
        started = "b" if on_failure == "continue" else "cleanup"
        assert run.status == I.RUNNING and run.scheduled() == [started]


@pytest.mark.parametrize("outcome", ["completes", "fails"])
def test_resume_does_not_end_the_instance_in_the_decision_that_releases_what_was_held(outcome):
    run = Run(graph([("a", "task", task())], [])).start()
    run.claim("a")
    pause(run)
    end_running(run, "a", fail="Refused" if outcome == "fails" else "", retryable=False)
    assert not any(s.status.is_active for s in run.nodes.values())
    assert statuses(resume(run)) == [I.RUNNING]  # not completed: the held Continue may still fail it
    run.deliver()
    assert run.status == (I.COMPLETED if outcome == "completes" else I.FAILED)


LAST_STEP_RACES = {
    # A parent's resume waits in the child's inbox when the child's timer fires (or its worker
    # reports): that transition decides on the inbox first, then on its own event.
    "a parent's resume, then the wait's timer": ("nap", lambda run: [d.ResumeRequested("its parent p"), d.TimerFired("nap", 1)]),
    "a parent's resume, then the worker's result": ("a", lambda run: [d.ResumeRequested("its parent p"), d.AttemptCompleted("a", 1, {"ok": True})]),
    # A signal (or a child's end) waits in the inbox when an operator's pause takes the lock.
    "a signal, then an operator's pause": ("s", lambda run: [run.buffer_signal("go", {"ok": True}), d.PauseRequested("ops")]),
    # Resumed, then paused again before the released Continue was delivered.
    "a released Continue, then an operator's pause": ("a", lambda run: [d.Continue("a", 1, status="completed"), d.PauseRequested("ops")]),
}


@pytest.mark.parametrize("race", sorted(LAST_STEP_RACES))
def test_an_instance_whose_last_step_ends_in_the_decision_of_a_pause_or_resume_still_completes(race):
    node, make_batch = LAST_STEP_RACES[race]
    only = {"nap": ("nap", "wait", {"for_s": 5}), "a": ("a", "task", task()), "s": ("s", "signal", {"name": "go"})}[node]
    run = Run(graph([only], [])).start()
    if node == "a":
        run.claim("a")
    batch = make_batch(run)
    if isinstance(batch[0], d.ResumeRequested):
        pause(run, "its parent p")
    elif isinstance(batch[0], d.Continue):
        pause(run)
        end_running(run, "a", {"ok": True})
        resume(run)
        run.inbox.clear()  # the released Continue: it is the batch's first message below
    run.send(batch)
    assert not any(s.status.is_active for s in run.nodes.values())  # the last step ended
    for _ in range(3):  # an operator resumes; whatever is left in the inbox is delivered
        if run.status == I.PAUSED:
            resume(run)
        run.deliver()
    assert run.status == I.COMPLETED


def test_cancel_while_paused_ends_it_and_drops_what_was_held():
    run = Run(graph([("nap", "wait", {"for_s": 10}), ("a", "task", task()), ("after", "task", task())], [("a", "after")])).start()
    run.claim("a")
    pause(run)
    run.fire(run.timer("wait", "nap"))
    end_running(run, "a")
    assert len(run.held) == 2
    commands = run.send(d.CancelRequested("no longer needed", by="olga"))
    assert d.SetInstanceStatus(I.CANCELLED, error={"type": "Cancelled", "message": "no longer needed"}, by="olga") in commands
    assert d.CancelTimers() in commands
    assert run.status_of("nap") == S.CANCELLED and run.status_of("after") is None
    assert run.held == []  # ended: what was held for a resume goes
    assert resume(run) == [] and run.status == I.CANCELLED


def test_a_deadline_while_paused_times_the_instance_out():
    run = Run(graph([("nap", "wait", {"for_s": 600})], [], timeout_s=60)).start()
    pause(run)
    run.fire(run.timer("wait", "nap"))
    run.fire(run.timer("deadline"))
    assert run.status == I.TIMED_OUT and run.status_of("nap") == S.CANCELLED
    assert run.error["type"] == "WorkflowTimeout"
    assert resume(run) == []


def test_a_step_that_ends_after_a_cancel_while_paused_changes_nothing():
    run = Run(graph([("a", "task", task())], [])).start()
    run.claim("a")
    pause(run)
    run.send(d.CancelRequested())
    assert run.send(d.AttemptCompleted("a", 1, "late")) == []
    assert run.status == I.CANCELLED and run.status_of("a") == S.CANCELLED


def finished(status: I) -> Run:
    run = Run(graph([("a", "task", task())], []))
    if status == I.PENDING:
        return run
    run.start()
    if status == I.PAUSED:
        pause(run)
    elif status == I.COMPLETED:
        run.complete("a")
    elif status == I.FAILED:
        run.fail("a", retryable=False)
    elif status == I.CANCELLED:
        run.send(d.CancelRequested())
    assert run.status == status
    return run


@pytest.mark.parametrize("status", [I.PENDING, I.PAUSED, I.COMPLETED, I.FAILED, I.CANCELLED])
def test_pause_of_an_instance_that_is_not_running_is_ignored(status):
    run = finished(status)
    assert pause(run) == [] and run.status == status


@pytest.mark.parametrize("status", [I.PENDING, I.COMPLETED, I.FAILED, I.CANCELLED])
def test_resume_of_an_instance_that_is_not_paused_is_ignored(status):
    run = finished(status)
    assert resume(run) == [] and run.status == status


def test_a_pending_instance_cannot_be_paused_into_skipping_its_start():
    run = Run(graph([("a", "task", task())], []))
    pause(run)
    run.start()
    assert run.status == I.RUNNING and run.scheduled() == ["a"]


# --- signals ----------------------------------------------------------------------------------------


def test_signals_buffered_before_any_node_waits_are_taken_in_seq_order_by_successive_nodes_in_one_decision():
    g = graph(
        [("first", "task", task()), ("s1", "signal", {"name": "next"}), ("s2", "signal", {"name": "next"}), ("s3", "signal", {"name": "next"})],
        chain("first", "s1", "s2", "s3"),
    )
    run = Run(g).start()
    for name, payload in [("next", 1), ("next", 2), ("other", "x"), ("next", 3), ("next", 4)]:
        assert run.signal(name, payload, by="api") == [d.NoteSignal(name, len(run.signals), "api")]  # nobody waits yet
    commands = run.complete("first")
    assert [c for c in commands if isinstance(c, d.TakeSignal)] == [d.TakeSignal(1, "s1", 1), d.TakeSignal(2, "s2", 1), d.TakeSignal(4, "s3", 1)]
    assert [run.outputs[s] for s in ("s1", "s2", "s3")] == [1, 2, 3]
    assert run.status == I.COMPLETED  # all in the one decision
    assert run.taken_by(3) is None and run.taken_by(5) is None  # another name, and one left over
    assert run.noted == [1, 2, 3, 4, 5]


def test_a_signal_arriving_for_a_waiting_node_completes_it_with_the_payload():
    g = graph([("s", "signal", {"name": "approve"}), ("after", "task", task(input="{{ steps.s.output }}"))], chain("s", "after"))
    run = Run(g).start()
    assert run.status_of("s") == S.WAITING and run.timers == []  # no timeout: no timer
    commands = run.signal("approve", {"ok": True}, by="olga")
    assert commands[:2] == [d.NoteSignal("approve", 1, "olga"), d.TakeSignal(1, "s", 1)]
    assert d.FinishAttempt("s", 1, S.COMPLETED, {"ok": True}, ("out",)) in commands
    assert run.inputs[("after", 1)] == {"ok": True}


def timed_signal() -> Run:
    g = graph(
        [("s", "signal", {"name": "go", "timeout_s": 30}), ("on_time", "task", task()), ("late", "task", task())],
        [("s", "on_time"), ("s", "late", "timeout")],
    )
    return Run(g).start()


def test_a_signal_node_with_a_timeout_leaves_by_the_timeout_port_when_none_came():
    run = timed_signal()
    timer = run.timer("signal", "s")
    assert (timer.due, timer.message) == (1030.0, d.TimerFired("s", 1))
    run.fire(timer)
    assert run.nodes["s"] == d.NodeState(S.COMPLETED, 1, ("timeout",)) and run.outputs["s"] is None
    assert run.scheduled() == ["late"] and run.status_of("on_time") == S.SKIPPED
    assert run.signal("go", "too late") == [d.NoteSignal("go", 1)]  # nobody waits now: it stays buffered
    assert run.taken_by(1) is None


def test_a_signal_in_time_leaves_by_out_and_the_timeout_firing_later_changes_nothing():
    run = timed_signal()
    timer = run.timer("signal", "s")
    run.signal("go", "in time")
    assert run.nodes["s"] == d.NodeState(S.COMPLETED, 1, ("out",))
    assert run.fire(timer) == []
    assert run.scheduled() == ["on_time"] and run.status_of("late") == S.SKIPPED


def test_two_nodes_waiting_for_the_same_name_each_take_one_signal():
    g = graph([("x", "signal", {"name": "go"}), ("y", "signal", {"name": "go"})], [])
    run = Run(g).start()
    commands = run.signal("go", "first")
    assert len([c for c in commands if isinstance(c, d.TakeSignal)]) == 1
    first = run.taken_by(1)[0]
    other = "y" if first == "x" else "x"
    assert run.status_of(first) == S.COMPLETED and run.status_of(other) == S.WAITING
    run.signal("go", "second")
    assert run.taken_by(2) == (other, "") and run.outputs[other] == "second"
    assert run.status == I.COMPLETED


def test_two_signals_delivered_in_one_decision_go_one_to_each_waiting_node():
    g = graph([("x", "signal", {"name": "go"}), ("y", "signal", {"name": "go"})], [])
    run = Run(g).start()
    run.send([run.buffer_signal("go", 1), run.buffer_signal("go", 2)])
    assert {run.taken_by(1), run.taken_by(2)} == {("x", ""), ("y", "")}
    assert sorted([run.outputs["x"], run.outputs["y"]]) == [1, 2]
    assert run.status == I.COMPLETED


def test_a_signal_with_nobody_waiting_is_only_noted_and_the_next_node_to_wait_takes_it():
    run = Run(graph([("first", "task", task()), ("s", "signal", {"name": "go"})], chain("first", "s"))).start()
    assert run.signal("go", {"early": True}, by="api") == [d.NoteSignal("go", 1, "api")]
    assert run.taken_by(1) is None and run.status_of("s") is None
    run.complete("first")
    assert run.taken_by(1) == ("s", "") and run.outputs["s"] == {"early": True}
    assert run.status == I.COMPLETED


def test_a_signal_that_came_while_paused_is_noted_before_a_node_reached_after_the_resume_takes_it():
    """The node that takes it may start waiting in the resume's own decisions, before the held
    message is released: the history still says received, then delivered."""
    run = Run(graph([("first", "task", task()), ("s", "signal", {"name": "go"})], chain("first", "s"))).start()
    pause(run)
    noted = run.signal("go", {"late": True}, by="api")
    assert noted[0] == d.NoteSignal("go", 1, "api") and isinstance(noted[1], d.Hold)
    run.complete("first")  # recorded; its successor waits for the resume
    after = resume(run) + run.deliver() + run.deliver()
    assert run.taken_by(1) == ("s", "") and run.outputs["s"] == {"late": True}
    assert not any(isinstance(c, d.NoteSignal) for c in after)
    assert run.status == I.COMPLETED


def test_a_signal_to_an_ended_instance_is_not_noted_nor_taken():
    run = Run(graph([("s", "signal", {"name": "go"})], [])).start()
    run.send(d.CancelRequested())
    assert run.signal("go") == []
    assert run.taken_by(1) is None


# --- saga -------------------------------------------------------------------------------------------


def saga(undo_a=None, retry_a=None, c_fails_with: str = "Boom") -> Run:
    """start -> a and b in parallel (each with a compensate handler) -> c, with x (no compensate)
    beside them; c fails for good."""
    a = task(compensate=undo_a or "demo.undo", **({"retry": retry_a} if retry_a else {}), input={"what": "a"})
    g = graph(
        [("a", "task", a), ("b", "task", task(compensate="demo.undo", input={"what": "b"})), ("x", "task", task()), ("c", "task", task())],
        [("a", "c"), ("b", "c"), ("x", "c")],
        on_failure="compensate",
    )
    return Run(g).start()


def fail_c(run: Run) -> list[d.Command]:
    run.complete("x")
    assert run.scheduled() == ["c"]
    return run.fail("c", "Boom", retryable=False)


def test_a_failure_under_on_failure_compensate_starts_the_saga_in_the_next_decision():
    run = saga()
    run.complete("b", {"made": "b"})
    run.complete("a", {"made": "a"})
    commands = fail_c(run)
    error = {"type": "Boom", "message": "Boom happened", "node": "c"}
    assert commands[-2:] == [d.SetSaga({"state": "compensating", "error": error, "compensated": 0, "current": None}), d.SendSelf(d.Compensate())]
    assert run.status == I.RUNNING and not created(commands)  # nothing is undone before the Compensate
    assert run.inbox == [d.Compensate()]


def test_compensations_run_latest_completion_first_each_with_the_steps_input_and_output():
    run = saga()
    run.complete("b", {"made": "b"})
    run.complete("a", {"made": "a"})  # the latest completion: undone first
    fail_c(run)
    first = created(run.deliver())
    assert first == [d.CreateAttempt("a", 2, S.SCHEDULED, input={"input": {"what": "a"}, "output": {"made": "a"}}, compensation=True)]
    assert run.saga["current"] == {"node": "a", "item": "", "first_attempt": 2, "input": first[0].input}
    second = created(run.complete("a", {"undone": "a"}))
    assert run.nodes["a"] == d.NodeState(S.COMPENSATED, 2)
    assert second == [d.CreateAttempt("b", 2, S.SCHEDULED, input={"input": {"what": "b"}, "output": {"made": "b"}}, compensation=True)]
    run.complete("b", {"undone": "b"})
    assert run.status == I.FAILED
    assert run.error == {"type": "Boom", "message": "Boom happened", "node": "c", "compensated": 2}
    assert run.saga["state"] == "done" and run.saga["compensated"] == 2
    assert run.status_of("x") == S.COMPLETED  # no compensate handler: nothing to undo
    assert sorted(run.compensations) == [("a", "", 2), ("b", "", 2)]


def test_the_other_completion_order_undoes_in_the_other_order():
    run = saga()
    run.complete("a")
    run.complete("b")
    fail_c(run)
    assert [c.node for c in created(run.deliver())] == ["b"]


def test_a_compensation_is_retried_under_its_own_policy_counting_tries_from_its_first_attempt():
    undo_retry = {"max_attempts": 2, "initial_s": 7, "jitter": False}
    run = saga(undo_a={"handler": "demo.undo", "retry": undo_retry}, retry_a=RETRY)
    run.complete("b")
    run.fail("a")
    run.fail("a")
    run.complete("a", {"made": "a"})  # on its third (and last allowed) attempt
    fail_c(run)
    assert created(run.deliver())[0].attempt == 4
    commands = run.fail("a", "Busy")  # the compensation's first try: a's own 3 attempts do not count
    assert created(commands) == [d.CreateAttempt("a", 5, S.SCHEDULED, input=run.saga["current"]["input"], not_before=run.now + 7, compensation=True)]
    assert run.timer("retry", "a").message == d.BackoffOver("a", 5)
    assert run.fire(run.timer("retry", "a")) == [d.MakeDue("a", 5)]
    run.fail("a", "Busy")  # its second try: the compensation's policy allows no more
    assert run.status == I.FAILED
    assert run.error == {
        "type": "CompensationFailed", "message": "compensation failed at a: Busy: Busy happened", "node": "a",
        "original": {"type": "Boom", "message": "Boom happened", "node": "c"}, "compensated": 0,
    }  # fmt: skip
    assert run.saga["state"] == "failed" and run.saga["current"]["attempt"] == 5
    assert run.status_of("b") == S.COMPLETED  # the rest waits for an operator's retry


def test_a_compensate_handler_named_alone_is_retried_under_the_steps_own_policy():
    run = saga(retry_a=RETRY)
    run.complete("b")
    run.complete("a")
    fail_c(run)
    run.deliver()
    for attempt in (2, 3):
        run.fail("a", "Busy")
        assert run.nodes["a"] == d.NodeState(S.SCHEDULED, attempt + 1)
    run.fail("a", "Busy")
    assert run.error["type"] == "CompensationFailed" and run.nodes["a"] == d.NodeState(S.FAILED, 4)


def test_a_compensation_lost_with_its_worker_is_retried_without_counting_as_a_try():
    run = saga()  # a's compensation runs under the default policy: one try
    run.complete("b")
    run.complete("a")
    fail_c(run)
    run.deliver()
    run.fail("a", "WorkerLost")
    assert run.nodes["a"] == d.NodeState(S.SCHEDULED, 3, lost=1) and ("a", "", 3) in run.compensations
    run.fire(run.timer("retry", "a"))
    run.complete("a", {"undone": "a"})
    assert run.nodes["a"] == d.NodeState(S.COMPENSATED, 3, lost=1)
    run.complete("b")
    assert run.status == I.FAILED and run.error["compensated"] == 2


def failed_compensation() -> Run:
    """a's compensation fails for good after b's was done: the instance failed, 'compensation failed'."""
    run = saga(undo_a={"handler": "demo.undo", "retry": {"max_attempts": 2, "initial_s": 1, "jitter": False}})
    run.complete("a")
    run.complete("b")
    fail_c(run)
    run.deliver()
    run.complete("b", {"undone": "b"})
    run.fail("a", "Busy")
    run.fail("a", "Busy")
    assert run.status == I.FAILED and run.error["type"] == "CompensationFailed" and run.error["compensated"] == 1
    return run


def test_retrying_a_failed_compensation_runs_it_again_and_carries_on_to_the_original_error():
    run = failed_compensation()
    commands = run.send(d.RetryRequested("olga"))
    assert statuses(commands) == [I.RUNNING] and commands[0].by == "olga"
    assert created(commands) == [d.CreateAttempt("a", 4, S.SCHEDULED, input=run.saga["current"]["input"], compensation=True)]
    assert run.saga["state"] == "compensating" and run.saga["current"]["first_attempt"] == 4
    run.complete("a", {"undone": "a"})
    assert run.status == I.FAILED
    assert run.error == {"type": "Boom", "message": "Boom happened", "node": "c", "compensated": 2}
    assert run.nodes["c"] == d.NodeState(S.FAILED, 1)  # the failed step itself is not run again


def test_a_retried_compensation_gets_its_policy_afresh():
    run = failed_compensation()
    run.send(d.RetryRequested())
    run.fail("a", "Busy")
    assert run.nodes["a"] == d.NodeState(S.SCHEDULED, 5)  # tries count from attempt 4 again
    run.fail("a", "Busy")
    assert run.error["type"] == "CompensationFailed" and run.saga["current"]["attempt"] == 5


def test_a_saga_instance_never_completes_while_compensating():
    run = saga()
    run.complete("a")
    run.complete("b")
    fail_c(run)
    stale = [d.BackoffOver("c", 2), d.TimerFired("a", 1), d.Continue("x", 1, status="completed"), d.AttemptCompleted("b", 1)]
    for message in stale:  # nothing active, nothing to undo yet: the saga alone keeps it running
        assert statuses(run.send(message)) == [] and run.status == I.RUNNING
    run.deliver()
    run.claim(run.scheduled()[0])  # a compensation runs
    for message in stale:
        assert statuses(run.send(message)) == []
    assert run.status == I.RUNNING and I.COMPLETED not in statuses(run.history)


def test_a_compensate_message_while_paused_is_held_and_the_saga_goes_on_after_resume():
    run = saga()
    run.complete("a")
    run.complete("b")
    fail_c(run)
    pause(run)
    assert run.deliver() == [d.Hold(d.Compensate())]
    assert run.saga["current"] is None and run.scheduled() == []
    resume(run)
    assert [c.node for c in created(run.deliver())] == ["b"]


@pytest.mark.parametrize("which", ["the next to undo", "the last to undo", "a compensation that fails for good"])
def test_a_compensation_ending_while_paused_is_recorded_and_the_saga_waits_for_the_resume(which):
    run = saga()
    run.complete("a")
    run.complete("b")
    fail_c(run)
    run.deliver()
    if which != "the next to undo":
        run.complete("b")  # b undone; a's compensation is the last
    node = run.scheduled()[0]
    run.claim(node)
    pause(run)
    commands = end_running(run, node, {"undone": node}, fail="Refused" if which.startswith("a compensation") else "", retryable=False)
    assert run.status == I.PAUSED and not created(commands)
    resume(run)
    run.deliver()
    if which == "the next to undo":
        assert run.scheduled() == ["a"] and run.nodes["b"].status == S.COMPENSATED
    else:
        assert run.status == I.FAILED


# --- wait: false ------------------------------------------------------------------------------------


def detached(**config) -> Run:
    g = graph([("note", "task", task(wait=False, **config)), ("next", "task", task())], chain("note", "next"))
    return Run(g).start()


def test_a_step_not_waited_for_has_its_successor_scheduled_at_once():
    run = Run(graph([("note", "task", task(wait=False)), ("next", "task", task())], chain("note", "next")))
    commands = run.send(d.Start())
    assert created(commands) == [d.CreateAttempt("note", 1, S.SCHEDULED, input={}, ports=("out",)), d.CreateAttempt("next", 1, S.SCHEDULED, input={})]


def test_the_instance_completes_only_after_the_detached_step_ends():
    run = detached()
    run.complete("next")
    assert run.status == I.RUNNING and run.status_of("note") == S.SCHEDULED
    commands = run.complete("note")
    assert d.FinishAttempt("note", 1, S.COMPLETED, None, ("out",)) in commands
    assert run.status == I.COMPLETED and run.output == {"next": None}
    assert len(created(run.history, "next")) == 1


def test_a_detached_steps_retry_keeps_the_out_port_and_starts_nothing_twice():
    run = detached(retry=RETRY)
    commands = run.fail("note")
    assert created(commands) == [d.CreateAttempt("note", 2, S.SCHEDULED, input={}, ports=("out",), not_before=1002.0)]
    run.complete("next")
    assert run.status == I.RUNNING
    run.fire(run.timer("retry", "note"))
    run.complete("note")
    assert run.status == I.COMPLETED and len(created(run.history, "next")) == 1


def test_a_join_after_a_detached_step_does_not_wait_for_it_even_while_it_retries():
    g = graph(
        [("note", "task", task(wait=False, retry=RETRY)), ("x", "task", task()), ("j", "task", task())],
        [("note", "j"), ("x", "j")],
    )
    run = Run(g).start()
    run.fail("note")  # its retry waits out the backoff
    run.complete("x")
    assert run.scheduled() == ["j", "note"]


def test_a_detached_step_that_fails_for_good_fails_the_instance_under_on_failure_fail():
    run = detached()
    run.complete("next")
    run.fail("note", retryable=False)
    assert run.status == I.FAILED and run.error["node"] == "note"


def test_a_detached_step_completing_while_paused_is_carried_on_from_without_starting_its_successor_again():
    run = detached()
    run.claim("note")
    pause(run)
    end_running(run, "note")
    resume(run)
    assert not created(run.deliver())
    run.complete("next")
    assert run.status == I.COMPLETED


# --- who asked --------------------------------------------------------------------------------------


def test_operator_events_record_who_asked():
    run = Run(graph([("a", "task", task())], [])).start()
    run.fail("a", retryable=False)
    assert run.send(d.RetryRequested("olga"))[0] == d.SetInstanceStatus(I.RUNNING, by="olga")
    assert run.send(d.CancelRequested("enough", by="ben"))[-1].by == "ben"
