"""The ``approval`` node in the pure decider (DESIGN §7): reaching it opens a task and waits; its
decision picks the port; overdue, its escalation runs; and what publish refuses, by node and field."""

from __future__ import annotations

import pytest

from workflows.core import decider as d
from workflows.core.handlers import handlers
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.core.steps import step_types
from workflows.core.validation import validate

from .decider_helpers import Run, graph, task

FORM = [{"name": "amount", "label": "Amount", "type": "number", "required": True, "min": 0}]


def approval_run(**config) -> Run:
    node = {"title": "Approve {{ input.what }}", "assignees": ["{{ input.owner }}", "bob"], "form": FORM, **config}
    g = graph(
        [("ok", "approval", node), ("yes", "task", task()), ("no", "task", task()), ("redo", "task", task()), ("late", "task", task())],
        [("ok", "yes", "approved"), ("ok", "no", "rejected"), ("ok", "redo", "changes"), ("ok", "late", "timeout")],
    )
    return Run(g, input={"what": "the budget", "owner": "ann"}).start()


def due_timer(run: Run) -> d.StartTimer:
    (timer,) = [t for t in run.timers if isinstance(t.message, d.TimerFired)]
    return timer


def opened(run: Run) -> d.OpenTask:
    (command,) = [c for c in run.history if isinstance(c, d.OpenTask)]
    return command


def test_reaching_an_approval_opens_its_task_rendered_from_the_instance_and_waits():
    run = approval_run(context={"Budget": "{{ input.what }}"}, due_s=3600)
    task_ = opened(run)
    assert run.status_of("ok") == S.WAITING and run.scheduled() == []
    assert task_.spec["title"] == "Approve the budget"
    assert task_.spec["assignees"] == ["ann", "bob"]
    assert task_.spec["context"] == {"Budget": "the budget"}
    assert task_.spec["form"] == FORM and task_.spec["quorum"] == 1 and task_.spec["due_at"] == run.now + 3600
    remind, due = sorted(t.due for t in run.timers if t.kind == "approval")
    assert due == run.now + 3600 and remind == due - 720  # reminded a fifth of the way before due


def test_the_reminder_asks_for_one_if_the_task_is_still_open():
    run = approval_run(due_s=500)
    (remind,) = [t for t in run.timers if isinstance(t.message, d.TaskReminder)]
    assert run.fire(remind) == [d.UpdateTask("ok", 1, {"remind": True})]
    run.send(d.TaskDecided("ok", 1, 41, {"decision": "approved"}))
    assert run.send(d.TaskReminder("ok", 1)) == []


@pytest.mark.parametrize("decision, successor", [("approved", "yes"), ("rejected", "no"), ("changes", "redo")])
def test_the_decision_is_the_output_and_picks_the_port(decision, successor):
    run = approval_run()
    output = {"decision": decision, "data": {"amount": 5}, "by": "ann", "decided_at": "2026-11-30T10:00:00+00:00"}
    run.send(d.TaskDecided("ok", 1, 41, output))
    assert run.status_of("ok") == S.COMPLETED and run.nodes["ok"].ports == (decision,)
    assert run.outputs["ok"] == {**output, "task": 41}
    assert run.scheduled() == [successor]


def test_a_decision_for_an_earlier_attempt_or_an_ended_step_changes_nothing():
    run = approval_run()
    assert run.send(d.TaskDecided("ok", 2, 41, {"decision": "approved"})) == []
    run.send(d.CancelRequested("stop", by="ops"))
    assert run.status == I.CANCELLED and run.status_of("ok") == S.CANCELLED
    assert run.send(d.TaskDecided("ok", 1, 41, {"decision": "approved"})) == []


def test_an_unknown_decision_fails_the_step_rather_than_guessing_a_port():
    run = approval_run()
    run.send(d.TaskDecided("ok", 1, 41, {"decision": "maybe"}))
    assert run.status_of("ok") == S.FAILED and run.status == I.FAILED


def test_overdue_without_an_escalation_it_closes_the_task_and_leaves_by_timeout():
    run = approval_run(due_s=60)
    commands = run.fire(due_timer(run))
    assert d.UpdateTask("ok", 1, {"close": "expired"}) in commands
    assert run.nodes["ok"].ports == ("timeout",) and run.scheduled() == ["late"]


def test_overdue_with_decide_it_takes_the_stated_outcome():
    run = approval_run(due_s=60, escalation={"action": "decide", "outcome": "rejected"})
    commands = run.fire(due_timer(run))
    assert d.UpdateTask("ok", 1, {"close": "escalated", "decision": "rejected"}) in commands
    assert run.outputs["ok"]["automatic"] is True and run.scheduled() == ["no"]


@pytest.mark.parametrize("escalation", [{"action": "reassign", "group": "managers"}, {"action": "notify", "to": ["boss@example.com"]}])
def test_overdue_with_reassign_or_notify_it_escalates_and_keeps_waiting(escalation):
    run = approval_run(due_s=60, escalation=escalation)
    commands = run.fire(due_timer(run))
    (update,) = [c for c in commands if isinstance(c, d.UpdateTask)]
    assert update.change["escalate"] == escalation["action"]
    assert run.status_of("ok") == S.WAITING and run.scheduled() == []
    run.send(d.TaskDecided("ok", 1, 41, {"decision": "approved"}))
    assert run.scheduled() == ["yes"]


def test_assignees_that_render_to_nobody_fail_the_step_with_a_clear_error():
    run = Run(graph([("ok", "approval", {"title": "t", "assignees": ["{{ input.owner }}"]})], []), input={"owner": None}).start()
    assert run.status_of("ok") == S.FAILED and run.error["type"] == "NoAssignee"
    run = approval_run(assignees=["{{ input.nobody }}"])
    assert run.status_of("ok") == S.FAILED and "nobody" in run.error["message"]


def test_an_expression_may_give_a_list_of_assignees():
    run = Run(graph([("ok", "approval", {"title": "t", "assignees": ["{{ input.owners }}"]})], []), input={"owners": ["ann", "cy", "ann"]}).start()
    assert opened(run).spec["assignees"] == ["ann", "cy"]


def errors(config: dict) -> list[tuple[str, str | None, str | None]]:
    data = {"version": 1, "settings": {}, "nodes": [{"id": "ok", "type": "approval", "config": {"title": "t", "assignees": ["ann"], **config}}], "edges": []}
    result = validate(data, types=step_types, handler_names=handlers.names() or ["demo.noop"])
    return [(e.code, e.node, e.field) for e in result.errors]


def test_a_complete_approval_is_valid():
    form = [
        {"name": "note", "type": "textarea", "max": 2000},
        {"name": "level", "type": "choice", "choices": ["low", "high"], "required": True},
        {"name": "ok", "type": "boolean"},
        {"name": "on", "type": "date"},
        {"name": "why", "type": "text", "help": "say why"},
        {"name": "n", "type": "number", "min": 1, "max": 9},
    ]
    escalation = {"action": "reassign", "group": "managers", "to": ["boss@example.com"]}
    assert errors({"form": form, "groups": ["reviewers"], "quorum": 1, "due_s": 60, "escalation": escalation}) == []


def test_publish_refuses_an_unknown_field_type_naming_the_node_and_field():
    assert ("unknown_field_type", "ok", "config.form.1.type") in errors({"form": [{"name": "a", "type": "text"}, {"name": "b", "type": "signature"}]})


@pytest.mark.parametrize(
    "config, field",
    [
        ({"form": [{"name": "a", "type": "choice"}]}, "config.form.0.choices"),
        ({"form": [{"name": "a", "type": "text", "choices": ["x"]}]}, "config.form.0.choices"),
        ({"form": [{"name": "a", "type": "text"}, {"name": "a", "type": "text"}]}, "config.form.1.name"),
        ({"form": [{"name": "Bad Name", "type": "text"}]}, "config.form.0.name"),
        ({"form": [{"name": "a", "type": "number", "min": 5, "max": 1}]}, "config.form.0.min"),
        ({"quorum": 3}, "config.quorum"),
        ({"assignees": []}, "config.assignees"),
        ({"assignees": ["not a name"]}, "config.assignees.0"),
        ({"escalation": {"action": "reassign", "group": "g"}}, "config.due_s"),
        ({"due_s": 5, "escalation": {"action": "reassign"}}, "config.escalation.group"),
        ({"due_s": 5, "escalation": {"action": "decide"}}, "config.escalation.outcome"),
        ({"due_s": 5, "escalation": {"action": "notify", "to": ["boss@"]}}, "config.escalation.to.0"),
    ],
)
def test_publish_refuses_what_cannot_work_naming_the_field(config, field):
    assert field in [f for _, _, f in errors(config)]


def test_outcomes_limit_the_decisions_and_the_ports_and_defaults_are_rendered():
    form = [{"name": "severity", "type": "choice", "choices": ["low", "high"], "default": "{{ input.proposed }}"}]
    g = graph([("ok", "approval", {"title": "t", "assignees": ["ann"], "outcomes": ["approved", "rejected"], "form": form}), ("yes", "task", task())], [("ok", "yes", "approved")])
    run = Run(g, input={"proposed": "high"}).start()
    spec = opened(run).spec
    assert spec["outcomes"] == ["approved", "rejected"] and spec["form"][0]["default"] == "high"
    assert step_types.get("approval").ports(g.nodes["ok"].config) == ("approved", "rejected", "timeout")
    run.send(d.TaskDecided("ok", 1, 41, {"decision": "changes"}))
    assert run.status_of("ok") == S.FAILED  # not offered: never a port nobody drew


def test_an_edge_from_a_decision_not_offered_and_an_automatic_one_not_offered_are_refused():
    data = {"version": 1, "settings": {}, "edges": [{"id": "e0", "source": "ok", "target": "x", "port": "changes"}],
            "nodes": [{"id": "ok", "type": "approval", "config": {"title": "t", "assignees": ["ann"], "outcomes": ["approved"]}},
                      {"id": "x", "type": "task", "config": {"handler": "demo.noop"}}]}
    result = validate(data, types=step_types, handler_names=handlers.names() or ["demo.noop"])
    assert result.errors and any("changes" in e.message for e in result.errors)
    assert "config.escalation.outcome" in [f for _, _, f in errors({"outcomes": ["approved"], "due_s": 5, "escalation": {"action": "decide", "outcome": "rejected"}})]


def test_an_unknown_field_type_is_said_once():
    found = errors({"form": [{"name": "b", "type": "signature"}]})
    assert [e for e in found if e[2] == "config.form.0.type"] == [("unknown_field_type", "ok", "config.form.0.type")]
