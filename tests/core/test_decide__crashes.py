"""A crash is not a business failure (DESIGN §5b): an attempt lost with its worker is retried
without counting against the step's ``max_attempts``, up to ``Limits.lost_retries`` times."""

from __future__ import annotations

from workflows.core import decider as d
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.core.values import Limits

from .decider_helpers import Run, graph, task


def one(**config):
    return graph([("a", "task", task(**config))], [])


def test_a_lost_attempt_of_a_step_without_retries_runs_again():
    run = Run(one()).start()  # the default policy: one attempt
    run.fail("a", type="WorkerLost")
    assert run.status == I.RUNNING
    assert (run.nodes["a"].status, run.nodes["a"].attempt, run.nodes["a"].lost) == (S.SCHEDULED, 2, 1)
    run.complete("a", {"ok": True})
    assert run.status == I.COMPLETED


def test_lost_attempts_do_not_use_up_the_retry_policy():
    run = Run(one(retry={"max_attempts": 2, "initial_s": 1, "jitter": False})).start()
    run.fail("a", type="WorkerLost")
    run.fail("a", type="WorkerLost")
    run.fail("a", type="Boom")  # the first counted attempt: one retry left
    assert (run.status, run.nodes["a"].attempt) == (I.RUNNING, 4)
    run.fail("a", type="Boom")
    assert run.status == I.FAILED
    assert run.nodes["a"].attempt == 4  # 2 lost + the 2 the policy allows


def test_past_the_cap_lost_attempts_count_like_any_failure():
    run = Run(one()).start()
    for attempt in (1, 2):
        run.fail("a", type="WorkerLost", limits=Limits(lost_retries=2))
        assert run.nodes["a"].attempt == attempt + 1
    run.fail("a", type="WorkerLost", limits=Limits(lost_retries=2))
    assert run.status == I.FAILED
    assert run.error["type"] == "WorkerLost"


def test_lost_retries_back_off_exponentially_under_the_step_policy():
    run = Run(one(retry={"initial_s": 2, "backoff": 3, "jitter": False})).start()
    dues = []
    for _ in range(3):
        run.fail("a", type="WorkerLost")
        dues.append(run.timers[-1].due - run.now)
    assert dues == [2, 6, 18]


def test_a_policy_that_names_worker_lost_non_retryable_is_obeyed():
    run = Run(one(retry={"non_retryable": ["WorkerLost"]})).start()
    run.fail("a", type="WorkerLost")
    assert run.status == I.FAILED


def test_a_step_timeout_is_a_counted_failure_not_a_crash():
    run = Run(one()).start()
    run.fail("a", type="StepTimeout", timed_out=True)
    assert run.status == I.FAILED
    assert run.nodes["a"].status == S.TIMED_OUT


def test_the_lost_count_is_carried_on_the_created_attempt():
    run = Run(one()).start()
    commands = run.fail("a", type="WorkerLost")
    created = [c for c in commands if isinstance(c, d.CreateAttempt)]
    assert [(c.attempt, c.lost) for c in created] == [(2, 1)]
