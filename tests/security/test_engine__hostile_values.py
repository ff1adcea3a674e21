"""Values a workflow computes cannot stall the engine (issue 8 §1).

Before: a transform computing ``float("1e999")`` made PostgreSQL refuse the step's JSON inside the
timer loop's transaction; ``timers.tick`` had no per-item isolation, so every other instance's
waits stopped firing. Each case here starts a hostile instance and an unrelated one, runs the
engine's own loop and worker code in this process on PostgreSQL, and checks the hostile step
failed with a clear error while the unrelated instance went on.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.engine.conftest import drain_all
from tests.factories import VersionFactory
from workflows import authoring, engine, handler, timers
from workflows.core.errors import StepError
from workflows.models import Fault, Instance, StepRun, TemplateVersion, Timer

pytestmark = pytest.mark.django_db


def graph(*nodes, **settings) -> dict:
    """A chain of (id, type, config) nodes."""
    return {
        "version": 1,
        "settings": settings,
        "nodes": [{"id": n, "type": t, "config": c} for n, t, c in nodes],
        "edges": [{"id": f"e{i}", "source": a[0], "target": b[0]} for i, (a, b) in enumerate(zip(nodes, nodes[1:]))],
    }


def publish(g: dict) -> str:
    return VersionFactory(graph=g).template.name


def after_a_wait(*nodes) -> str:
    """The timer loop (not a worker) reaches ``nodes``: they run inside ``fire_timer``."""
    return publish(graph(("pause", "wait", {"for_s": 0}), *nodes))


def bystander() -> Instance:
    instance, _ = engine.start_instance(after_a_wait(("done", "task", {"handler": "demo.noop"})))
    return instance


def tick_and_drain(*instances) -> None:
    time.sleep(0.01)
    timers.tick(time.time() + 1)  # must not raise, whatever the instances computed
    for instance in instances:
        drain_all(instance.pk)


@handler("hostile.output")
def hostile_output(input, ctx):
    loop: dict = {}
    loop["self"] = loop
    kinds = {"nan": float("nan"), "inf": float("inf"), "nul": "a\x00b", "surrogate": "\ud800", "cycle": loop, "method": "a".removeprefix}
    return {"value": kinds[input["kind"]]}


@handler("hostile.error")
def hostile_error(input, ctx):
    raise StepError("bad \x00 message \udc80", type="Weird\x00Type", details={"x": float("nan")})


@pytest.mark.parametrize(
    ("expression", "input", "message"),
    [
        ("{{ float(input.amount) }}", {"amount": "1e999"}, "output.total: Infinity is not a JSON number"),
        ("{{ float('nan') }}", {}, "output.total: NaN is not a JSON number"),
        ("{{ 'a'.removeprefix }}", {}, "output.total: a function or method is not a JSON value"),
        ("{{ input.name.replace('-', '\\x00') }}", {"name": "a-b"}, "output.total: contains a NUL character"),
        ("{{ '\\ud800' }}", {}, "output.total: contains a lone surrogate"),
    ],
)
def test_a_transform_computing_an_unstorable_value_fails_its_step_and_the_timer_loop_goes_on(expression, input, message):
    bad, _ = engine.start_instance(after_a_wait(("calc", "transform", {"assignments": {"seed": 1}}),
                                                   ("sum", "transform", {"assignments": {"total": expression}})), input=input)  # fmt: skip
    other = bystander()
    tick_and_drain(bad, other)

    bad.refresh_from_db()
    step = bad.steps.get(node_id="sum")
    assert (bad.status, step.status, step.error_type) == ("failed", "failed", "ExpressionError")
    assert message in step.error_message
    other.refresh_from_db()
    assert other.status == "completed"
    assert not Fault.objects.exists()  # refused before any write: nothing to isolate


@pytest.mark.parametrize("namespace", ["vars", "context"])
def test_assigning_the_whole_vars_stores_a_copy_not_a_value_that_contains_itself(namespace):
    name = after_a_wait(("calc", "transform", {"assignments": {"seed": 1}}), ("all", "transform", {"assignments": {"total": f"{{{{ {namespace} }}}}"}}))
    instance, _ = engine.start_instance(name)
    other = bystander()
    tick_and_drain(instance, other)
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert instance.vars == {"seed": 1, "total": {"seed": 1}}


def test_an_instance_output_that_cannot_be_stored_fails_the_instance_not_the_loop():
    name = publish(graph(("pause", "wait", {"for_s": 0}), output={"r": "{{ float('inf') }}"}))
    bad, _ = engine.start_instance(name)
    other = bystander()
    tick_and_drain(bad, other)
    bad.refresh_from_db()
    assert bad.status == "failed"
    assert bad.error["message"].startswith("settings.output: output.r: Infinity is not a JSON number")
    other.refresh_from_db()
    assert other.status == "completed"


@pytest.mark.parametrize("kind", ["nan", "inf", "nul", "surrogate", "cycle", "method"])
def test_a_handler_output_that_cannot_be_stored_fails_the_attempt_as_invalid_output(kind):
    name = publish(graph(("h", "task", {"handler": "hostile.output", "input": {"kind": kind}, "retry": {"max_attempts": 3}})))
    bad, _ = engine.start_instance(name)
    other = bystander()
    drain_all(bad.pk)
    tick_and_drain(other)
    step = StepRun.objects.get(instance=bad, node_id="h")  # not retried: the same code returns the same
    assert (step.status, step.error_type) == ("failed", "InvalidOutput")
    assert step.error_message.startswith("the step's output.value")
    bad.refresh_from_db()
    other.refresh_from_db()
    assert (bad.status, other.status) == ("failed", "completed")


def test_an_error_with_nul_and_surrogates_is_recorded_cleaned():
    bad, _ = engine.start_instance(publish(graph(("h", "task", {"handler": "hostile.error"}))))
    drain_all(bad.pk)
    step = StepRun.objects.get(instance=bad)
    assert (step.status, step.error_type, step.error_message) == ("failed", "Weird\ufffdType", "bad \ufffd message \ufffd")


def test_a_rendered_step_input_that_cannot_be_stored_fails_the_step():
    name = publish(graph(("h", "task", {"handler": "demo.noop", "input": {"n": "{{ float(input.x) }}"}})))
    bad, _ = engine.start_instance(name, input={"x": "-1e999"})
    bad.refresh_from_db()
    step = bad.steps.get()
    assert (bad.status, step.error_type) == ("failed", "ExpressionError")
    assert "input.n: -Infinity is not a JSON number" in step.error_message


@pytest.mark.parametrize(
    ("input", "field_message"),
    [({"s": "\ud800"}, "input.s: contains a lone surrogate"), ({"s": "a\x00"}, "input.s: contains a NUL character")],
)
def test_start_refuses_input_that_cannot_be_stored(input, field_message):
    name = publish(graph(("a", "task", {"handler": "demo.noop"})))
    with pytest.raises(engine.EngineError) as refused:
        engine.start_instance(name, input=input)
    assert refused.value.field == "input" and str(refused.value).startswith(field_message)
    assert not Instance.objects.exists()


def test_the_api_answers_400_to_a_lone_surrogate_in_input(client, django_user_model):
    from tests.factories import role_group

    user = django_user_model.objects.create_user("op", password="pw-op-12345")
    user.groups.add(role_group("operators"))
    client.force_login(user)
    name = publish(graph(("a", "task", {"handler": "demo.noop"})))
    body = '{"template": "%s", "input": {"s": "\\ud800"}}' % name
    response = client.post("/api/v1/instances/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "lone surrogate" in response.content.decode()
    assert not Instance.objects.exists()


def test_a_float_max_attempts_stored_before_validation_refused_it_runs_as_a_whole_number():
    name = publish(graph(("a", "task", {"handler": "demo.fail", "retry": {"max_attempts": 2.0, "initial_s": 0}})))
    instance, _ = engine.start_instance(name)
    for _ in range(3):
        tick_and_drain(instance)
    attempts = list(StepRun.objects.filter(instance=instance).order_by("attempt").values_list("attempt", "status"))
    assert attempts == [(1, "failed"), (2, "failed")]
    result = authoring.validate_graph(graph(("a", "task", {"handler": "demo.fail", "retry": {"max_attempts": 2.0}})))
    assert [(e.field, e.code) for e in result.errors] == [("config.retry.max_attempts", "invalid_config")]


def test_a_huge_workflow_timeout_is_held_to_its_documented_maximum():
    instance, _ = engine.start_instance(publish(graph(("a", "task", {"handler": "demo.noop"}), timeout_s=1e308)))
    instance.refresh_from_db()
    assert instance.status == "running"
    assert instance.deadline_at - instance.started_at == timedelta(days=366)
    assert authoring.validate_graph(graph(("a", "task", {"handler": "demo.noop"}), timeout_s=1e308)).valid is False


# --- isolation: an item that raises anyway is recorded, backed off, and the rest go on --------------


def corrupt(instance: Instance) -> None:
    """A stored version the engine cannot parse (edited around every check): its transitions raise."""
    TemplateVersion.objects.filter(pk=instance.version_id).update(graph={"version": 1, "nodes": "not a list"})
    engine.graphs.forget()


def test_a_timer_whose_transition_raises_is_recorded_and_backed_off_while_the_others_fire():
    bad = engine.start_instance(after_a_wait(("a", "task", {"handler": "demo.noop"})))[0]
    other = bystander()
    corrupt(bad)
    now = time.time() + 1
    done = timers.tick(now)
    assert done["faults"] == 1 and done["timers"] >= 1
    drain_all(other.pk)
    other.refresh_from_db()
    assert other.status == "completed"

    fault = Fault.objects.get()
    assert (fault.source, fault.instance_id, fault.attempts) == ("timer", bad.pk, 1)
    timer = Timer.objects.get(instance=bad)
    assert timer.faults == 1 and timer.due_at.timestamp() >= now  # backed off
    assert timers.tick(now)["faults"] == 0  # not due again yet
    timers.tick(timer.due_at.timestamp() + 0.01)
    fault.refresh_from_db()
    assert fault.attempts == 2
    assert Timer.objects.get(instance=bad).due_at > timer.due_at  # the backoff grows

    # Repaired: the timer fires and its fault is gone.
    TemplateVersion.objects.filter(pk=bad.version_id).update(graph=graph(("pause", "wait", {"for_s": 0}), ("a", "task", {"handler": "demo.noop"})))
    engine.graphs.forget()
    timers.tick(time.time() + 3600)
    assert not Timer.objects.filter(instance=bad).exists()
    assert not Fault.objects.exists()


def test_a_lease_expiry_whose_transition_raises_is_isolated():
    bad, other = (engine.start_instance(publish(graph(("a", "task", {"handler": "demo.noop"}))))[0] for _ in range(2))
    for instance in (bad, other):
        assert engine.claim_step(instance.pk, "gone:1") is not None
    StepRun.objects.update(lease_until=engine.to_dt(time.time() - 1))
    corrupt(bad)
    done = timers.tick()
    assert (done["lost"], done["faults"]) == (1, 1)
    assert StepRun.objects.get(instance=other, attempt=1).error_type == "WorkerLost"
    fault = Fault.objects.get()
    assert (fault.source, fault.instance_id) == ("lease", bad.pk)
    assert StepRun.objects.get(instance=bad).lease_until.timestamp() > time.time()  # pushed back


def test_a_worker_whose_claim_raises_records_a_fault_and_goes_on():
    from workflows import worker

    bad = engine.start_instance(publish(graph(("a", "task", {"handler": "demo.noop"}))))[0]
    corrupt(bad)
    engine.rows.seen.entries.clear()  # as a fresh worker process: it must read the instance
    assert worker.drain(str(bad.pk)) == 0
    fault = Fault.objects.get()
    assert (fault.source, fault.target, fault.instance_id) == ("commit", f"claim:{bad.pk}", bad.pk)


def test_a_worker_whose_commit_fails_records_a_fault_and_fails_the_attempt(poisoned_results):
    name = publish(graph(("a", "task", {"handler": "demo.noop", "input": {"poison": True}}), ("b", "task", {"handler": "demo.noop"})))
    bad, _ = engine.start_instance(name)
    other = bystander()
    drain_all(bad.pk)
    step = StepRun.objects.get(instance=bad, node_id="a")
    assert (step.status, step.error_type) == ("failed", "CommitFailed")  # not left running until its lease expires
    assert "refused by the test trigger" in step.error_message
    fault = Fault.objects.get(source="commit")
    assert fault.instance_id == bad.pk
    bad.refresh_from_db()
    assert bad.status == "failed"
    tick_and_drain(other)
    other.refresh_from_db()
    assert other.status == "completed"
