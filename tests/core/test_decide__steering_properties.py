"""Properties of steering over random runs.

- Pause and resume at random moments through a random chain of tasks (some failing and retried)
  and waits, with held messages delivered late or re-held by a second pause: every step runs to
  completion exactly once, in chain order; nothing new starts while paused; the instance
  completes once, after the last resume, with nothing left held.
- Signals of two names sent in random batches, before or after their nodes wait, some while
  paused: the j-th node waiting for a name takes the j-th signal of that name, each signal is
  taken at most once, and what nobody took stays buffered.
- Sagas over parallel steps completed in a random order, some without a compensate handler,
  compensations failing (retryably, or lost with their worker) at random: each completed step with
  a handler is undone exactly once, latest completion first; the instance never completes and
  ends failed with the original error.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S

from .decider_helpers import Run, graph, task

RETRY = {"max_attempts": 3, "initial_s": 1, "backoff": 2, "max_s": 10, "jitter": False}
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def running(run: Run) -> list[str]:
    return sorted(n for n, s in run.nodes.items() if s.status == S.RUNNING)


def claimable(run: Run) -> list[str]:
    """What a worker may claim: scheduled, past its backoff, and only while the instance runs."""
    if run.status != I.RUNNING:
        return []
    return [n for n in run.scheduled() if (n, "") not in run.not_before]


# --- pause and resume through a chain ------------------------------------------------------------


def chain_graph(kinds: list[str]):
    nodes = [(f"n{i}", "wait", {"for_s": 5}) if kind == "wait" else (f"n{i}", "task", task(retry=RETRY)) for i, kind in enumerate(kinds)]
    return graph(nodes, [(f"n{i}", f"n{i + 1}") for i in range(len(kinds) - 1)])


def check_decision(run: Run, before: I, commands: list, order: list[str], kinds: list[str]) -> None:
    if before == I.PAUSED and run.status == I.PAUSED:
        for c in commands:
            # paused: attempts that end are recorded, retries scheduled behind their backoff; nothing
            # else starts, no wait is woken, no backoff ends
            assert not isinstance(c, d.CreateAttempt) or c.not_before is not None, c
            assert not isinstance(c, d.FinishAttempt) or kinds[order.index(c.node)] == "task", c
            assert not isinstance(c, d.MakeDue), c
    started = [n for n in order if n in run.nodes]
    assert started == order[: len(started)], "steps start in chain order"
    for earlier, later in zip(started, started[1:]):
        assert run.nodes[earlier].status == S.COMPLETED, f"{later} started before {earlier} completed"


@PROPERTIES
@given(data=st.data(), kinds=st.lists(st.sampled_from(["task", "wait"]), min_size=1, max_size=6), steps=st.integers(0, 80))
def test_random_pauses_through_a_chain_run_every_step_once_in_order_and_complete_after_the_last_resume(data, kinds, steps):
    order = [f"n{i}" for i in range(len(kinds))]
    run = Run(chain_graph(kinds)).start()
    failures = {n: 0 for n in order}

    def act(name: str, target=None) -> None:
        before = run.status
        if name in ("pause", "resume"):
            # decided together with whatever waits in the inbox, after it (as a transition does)
            commands = run.transition(d.PauseRequested("ops") if name == "pause" else d.ResumeRequested("ops"))
        elif name == "deliver":
            commands = run.deliver()
        elif name == "fire":
            commands = run.fire(target, inbox=True)
        elif name == "claim":
            run.claim(target)
            return
        elif name == "complete":
            commands = run.transition(d.AttemptCompleted(target, run.nodes[target].attempt, {"by": target}))
        else:
            failures[target] += 1
            commands = run.transition(d.AttemptFailed(target, run.nodes[target].attempt, Failure("Busy", "try later")))
        check_decision(run, before, commands, order, kinds)

    def enabled() -> list[tuple]:
        options = [("pause", None)] if run.status == I.RUNNING else [("resume", None)] if run.status == I.PAUSED else []
        options += [("deliver", None)] if run.inbox else []
        options += [("fire", t) for t in run.timers]
        options += [("claim", n) for n in claimable(run)]
        options += [("complete", n) for n in running(run)]
        options += [("fail", n) for n in running(run) if run.nodes[n].attempt < RETRY["max_attempts"]]
        return options

    for _ in range(steps):
        options = enabled()
        if not options or run.status.is_final:
            break
        act(*data.draw(st.sampled_from(options)))
    # then the operator resumes for good and the engine runs it out
    for _ in range(200):
        if run.status.is_final:
            break
        options = [o for o in enabled() if o[0] not in ("pause", "fail")]
        assert options, f"stuck: {run.status} {run.nodes} held {run.held}"
        act(*options[0])

    assert run.status == I.COMPLETED
    completions = [(c.node, c.attempt) for c in run.history if isinstance(c, (d.FinishAttempt, d.CreateAttempt)) and c.status == S.COMPLETED]
    assert [n for n, _ in completions] == order  # each exactly once, in order
    assert all(run.nodes[n].attempt == failures[n] + 1 for n in order)
    changes = [c for c in run.history if isinstance(c, d.SetInstanceStatus)]
    assert [c.status for c in changes].count(I.COMPLETED) == 1 and changes[-1].status == I.COMPLETED
    assert changes[-2].status == I.RUNNING  # the last change before completing: the start or the last resume
    assert run.held == [] and run.inbox == []


# --- signals ------------------------------------------------------------------------------------------


@PROPERTIES
@given(
    data=st.data(),
    waits=st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=6),
    sent=st.lists(st.sampled_from(["a", "b"]), max_size=10),
)
def test_the_jth_node_waiting_for_a_name_takes_the_jth_signal_of_that_name_however_they_interleave(data, waits, sent):
    ids = [f"s{i}" for i in range(len(waits))]
    g = graph([("first", "task", task())] + [(s, "signal", {"name": name}) for s, name in zip(ids, waits)], list(zip(["first", *ids], ids)))
    run = Run(g).start()
    pending = list(sent)
    first = "scheduled"  # claimed while running, it may end while paused

    def send_batch(size: int) -> None:
        nonlocal pending
        batch, pending = pending[:size], pending[size:]
        if run.status.is_final:
            return  # the API refuses signals to a finished instance: no row is written
        run.transition([run.buffer_signal(name, {"n": len(run.signals) + 1}) for name in batch])

    def step_first() -> None:
        nonlocal first
        if first == "scheduled":
            run.claim("first")
            first = "running"
        else:
            run.transition(d.AttemptCompleted("first", 1))
            first = "done"

    for _ in range(data.draw(st.integers(0, 30))):
        options = ["batch"] if pending else []
        options += ["first"] if first == "running" or first == "scheduled" and run.status == I.RUNNING else []
        options += ["pause" if run.status == I.RUNNING else "resume"]
        options += ["deliver"] if run.inbox else []
        choice = data.draw(st.sampled_from(options))
        if choice == "batch":
            send_batch(data.draw(st.integers(1, len(pending))))
        elif choice == "first":
            step_first()
        elif choice in ("pause", "resume"):
            run.deliver()  # delivered first: see the chain property above
            run.send(d.PauseRequested() if choice == "pause" else d.ResumeRequested())
        else:
            run.deliver()
    # then: resumed for good, the rest sent, everything delivered
    if run.status == I.PAUSED:
        run.deliver()
        run.send(d.ResumeRequested())
    while first != "done":
        step_first()
    if pending:
        send_batch(len(pending))
    while run.inbox:
        run.deliver()

    queues = {name: [r["seq"] for r in run.signals if r["name"] == name] for name in ("a", "b")}
    expected = {}
    for node, name in zip(ids, waits):
        if not queues[name]:
            break  # this node waits; those after it never start
        expected[node] = queues[name].pop(0)
    taken = {r["taken"][0]: r["seq"] for r in run.signals if r["taken"]}
    assert taken == expected
    for node in ids:
        if node in expected:
            assert run.nodes[node].status == S.COMPLETED and run.outputs[node] == {"n": expected[node]}
    waiting = [n for n in ids if n not in expected]
    if waiting:
        assert run.status_of(waiting[0]) == S.WAITING and all(run.status_of(n) is None for n in waiting[1:])
        assert run.status == I.RUNNING
    else:
        assert run.status == I.COMPLETED
    assert sorted(run.noted) == [r["seq"] for r in run.signals]  # each noted once


# --- saga -------------------------------------------------------------------------------------------------


@PROPERTIES
@given(
    data=st.data(),
    has_undo=st.lists(st.booleans(), min_size=1, max_size=6),
)
def test_a_saga_undoes_each_completed_step_once_latest_completion_first_and_never_completes(data, has_undo):
    names = [f"t{i}" for i in range(len(has_undo))]
    undo = {"handler": "demo.undo", "retry": {"max_attempts": 3, "initial_s": 1, "jitter": False}}
    nodes = [(n, "task", task(input={"n": n}, **({"compensate": undo} if h else {}))) for n, h in zip(names, has_undo)]
    g = graph([*nodes, ("boom", "task", task())], [(n, "boom") for n in names], on_failure="compensate")
    run = Run(g).start()
    completion = data.draw(st.permutations(names))
    for n in completion:
        run.complete(n, {"made": n})
    run.fail("boom", "Boom", retryable=False)
    expected = [n for n in reversed(completion) if has_undo[names.index(n)]]

    undone = []
    for _ in range(200):
        assert I.COMPLETED not in [c.status for c in run.history if isinstance(c, d.SetInstanceStatus)]
        if run.status.is_final:
            break
        if run.inbox:
            run.deliver()
            continue
        [node] = run.scheduled()  # one compensation at a time
        if (node, "") in run.not_before:
            run.fire(run.timer("retry", node))
            continue
        current = run.saga["current"]
        tries = run.nodes[node].attempt - current["first_attempt"] - run.nodes[node].lost + 1
        outcomes = ["complete"] + (["fail"] if tries < 3 else []) + (["lost"] if run.nodes[node].lost < 3 else [])
        outcome = data.draw(st.sampled_from(outcomes))
        if outcome == "complete":
            assert run.inputs[(node, run.nodes[node].attempt)] == {"input": {"n": node}, "output": {"made": node}}
            run.complete(node, {"undone": node})
            undone.append(node)
        else:
            run.fail(node, "WorkerLost" if outcome == "lost" else "Busy")

    assert undone == expected
    assert run.status == I.FAILED
    assert run.error == {"type": "Boom", "message": "Boom happened", "node": "boom", "compensated": len(expected)}
    assert run.saga["state"] == "done"
    compensated = [c.node for c in run.history if isinstance(c, d.FinishAttempt) and c.status == S.COMPENSATED]
    assert compensated == expected  # each exactly once
    assert all(run.nodes[n].status == (S.COMPENSATED if n in expected else S.COMPLETED) for n in names)
