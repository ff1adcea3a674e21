"""Properties of ``map`` over random runs: any item count (0..60), concurrency (1..10), per-item
outcomes (complete, retryable or final failure under a retry policy, a child's end) in random
order among the started items, several at a time in one decision, on_item_failure fail or
continue, on_failure fail, continue or route.

A small model runs beside the decider: what each item's outcome must be, whether the map failed.
After every decision: never more items started than the concurrency, and the map's counter agrees
with the items. At the end: every item attempt ended exactly once (``Run`` refuses a second end),
the map completed or failed exactly once, its results in item order with failed slots null and
errors by index, and with ``fail`` the first failure stopped new starts and cancelled the rest."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S

from .decider_helpers import Run, graph, task

RETRY = {"max_attempts": 3, "initial_s": 1, "backoff": 2, "max_s": 10, "jitter": False, "non_retryable": ["Fatal"]}
#: what a worker may report for an item's attempt: (kind, error type, retryable)
WORKER_OUTCOMES = [("complete", "", True), ("fail", "Boom", True), ("fail", "Fatal", True), ("fail", "Refused", False)]
CHILD_OUTCOMES = [("complete", "", True), ("fail", "ChildFailed", False)]


def the_graph(concurrency: int, on_item_failure: str, on_failure: str, children: bool):
    per_item = {"workflow": "child", "input": {"x": "{{ item }}", "at": "{{ index }}"}} if children else {"handler": "demo.noop", "retry": RETRY}
    config = {"items": "input.xs", "concurrency": concurrency, "on_item_failure": on_item_failure, "on_failure": on_failure, **per_item}
    return graph(
        [("m", "map", config), ("after", "task", task()), ("cleanup", "task", task())],
        [("m", "after"), ("m", "cleanup", "failure")],
    )


def output_of(run: Run, item: str, children: bool):
    """What the worker (or child) returns for an item: its input, so order is checkable."""
    stored = run.item_inputs[("m", item, run.items[("m", item)].attempt)]
    return {"seen": stored["input"] if children else stored}


def event_for(run: Run, item: str, outcome: tuple, children: bool):
    kind, error_type, retryable = outcome
    attempt = run.items[("m", item)].attempt
    if children:
        status = "completed" if kind == "complete" else "failed"
        output = output_of(run, item, children) if kind == "complete" else None
        return d.ChildEnded("m", attempt, item, d.child_id("i-1", "m", item, attempt), status, output, {"type": error_type, "message": "no"})
    run.claim_item("m", item)
    if kind == "complete":
        return d.AttemptCompleted("m", attempt, output_of(run, item, children), item=item)
    return d.AttemptFailed("m", attempt, Failure(error_type, f"{error_type} at {item}", retryable=retryable), item=item)


def is_final_failure(outcome: tuple, attempt: int, children: bool) -> bool:
    kind, error_type, retryable = outcome
    if kind == "complete":
        return False
    return children or not retryable or error_type == "Fatal" or attempt >= RETRY["max_attempts"]


def check_after_each_decision(run: Run, concurrency: int) -> None:
    started = run.started_items("m")
    assert len(started) <= concurrency, f"{len(started)} items started with concurrency {concurrency}"
    if run.status_of("m") == S.WAITING:
        assert run.states["m"]["running"] == len(started)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    n=st.integers(0, 60),
    concurrency=st.integers(1, 10),
    on_item_failure=st.sampled_from(["fail", "continue"]),
    on_failure=st.sampled_from(["fail", "continue", "route"]),
    children=st.booleans(),
)
def test_map_runs_keep_their_promises(data, n, concurrency, on_item_failure, on_failure, children):
    xs = [f"x{i}" for i in range(n)]
    run = Run(the_graph(concurrency, on_item_failure, on_failure, children), input={"xs": xs}).start()
    check_after_each_decision(run, concurrency)
    expected: dict[str, tuple] = {}  # item -> ("completed", output) | ("failed", error type) | ("cancelled",)
    first_failure: str | None = None
    decisions_before_failure = 0

    while run.status == I.RUNNING and run.started_items("m"):
        chosen = data.draw(st.lists(st.sampled_from(run.started_items("m")), min_size=1, max_size=3, unique=True))
        events = []
        for item in chosen:
            outcome = data.draw(st.sampled_from(CHILD_OUTCOMES if children else WORKER_OUTCOMES))
            attempt = run.items[("m", item)].attempt
            events.append(event_for(run, item, outcome, children))
            if first_failure is not None and on_item_failure == "fail":
                continue  # cancelled with the rest: what it reports comes too late
            if outcome[0] == "complete":
                expected[item] = ("completed", output_of(run, item, children))
            elif is_final_failure(outcome, attempt, children):
                expected[item] = ("failed", outcome[1])
                if first_failure is None:
                    first_failure = item
        if first_failure is None:
            decisions_before_failure += 1
        run.send(events)
        check_after_each_decision(run, concurrency)

    items = [str(i) for i in range(n)]
    statuses = run.item_statuses("m")
    assert sorted(statuses, key=int) == items
    assert all(status.is_final for status in statuses.values())

    # every item attempt ended exactly once (a second end would have been refused by Run)
    ends = [(item, attempt) for node, item, attempt, _ in run.item_ends]
    assert len(ends) == len(set(ends))
    assert {item for item, _ in ends} == set(items)

    # items started in item order, each once per attempt
    starts = [i for c in run.history if isinstance(c, d.StartItems) for i in c.items]
    assert starts == [str(i) for i in range(len(starts))]

    own = [c for c in run.history if isinstance(c, d.FinishAttempt) and c.node == "m" and not c.item and c.status.is_final]
    if n == 0:
        own = [c for c in run.history if isinstance(c, d.CreateAttempt) and c.node == "m"]
    assert len(own) == 1, own  # the map ended exactly once
    map_failed = first_failure is not None and on_item_failure == "fail"

    if map_failed:
        assert own[0].status == S.FAILED
        assert d.CancelItems("m") in run.history
        decisions = [c for c in run.history if isinstance(c, d.StartItems)]
        # no start after the failing decision: the starts all came from the earlier ones
        failing_at = run.history.index(own[0])
        assert all(run.history.index(c) < failing_at for c in decisions)
        for item in items:
            want = expected.get(item, ("cancelled",))
            assert statuses[item] == S(want[0]), (item, want, statuses[item])
        if on_failure == "fail":
            assert run.status == I.FAILED
            assert run.error["type"] == "ItemFailed"
            assert run.error["message"].startswith(f"item {first_failure} failed: {expected[first_failure][1]}: ")
        else:
            assert run.status == I.RUNNING
            assert run.scheduled() == (["after"] if on_failure == "continue" else ["cleanup"])
        return

    assert own[0].status == S.COMPLETED
    output = run.outputs["m"]
    failed = [i for i in items if expected[i][0] == "failed"]
    assert output == {
        "results": [expected[i][1] if expected[i][0] == "completed" else None for i in items],
        "errors": [{"index": int(i), "status": "failed", "type": expected[i][1], "message": output["errors"][k]["message"]} for k, i in enumerate(failed)],
        "total": n,
        "completed": n - len(failed),
        "failed": len(failed),
    }
    assert output["results"] == [None if i in failed else {"seen": {"x": x, "at": int(i)} if children else x} for i, x in zip(items, xs)]
    assert run.scheduled() == ["after"]
    run.complete("after")
    assert run.status == I.COMPLETED
