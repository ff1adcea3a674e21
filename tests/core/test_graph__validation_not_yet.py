"""Config the design names but the engine does not run yet is refused by name, with the node and
field, instead of being accepted and silently ignored (a saga that never compensates, a heartbeat
timeout that never fires)."""

from __future__ import annotations

from workflows.core.handlers import handlers
from workflows.core.steps import step_types
from workflows.core.validation import validate


def graph(config: dict, settings: dict | None = None) -> dict:
    return {
        "version": 1,
        "settings": settings or {},
        "nodes": [{"id": "charge", "type": "task", "config": {"handler": "demo.noop", **config}}],
        "edges": [],
    }


def errors(data: dict) -> list[tuple[str, str | None, str | None, str]]:
    result = validate(data, types=step_types, handler_names=handlers.names() or ["demo.noop"])
    return [(e.code, e.node, e.field, e.message) for e in result.errors]


def test_a_heartbeat_timeout_is_refused_as_not_supported_yet():
    [(code, node, field, message)] = errors(graph({"heartbeat_s": 30}))
    assert (code, node, field) == ("not_supported", "charge", "config.heartbeat_s")
    assert message.startswith("heartbeat_s is not supported yet")


def test_a_compensate_handler_is_refused_as_not_supported_yet():
    [(code, node, field, message)] = errors(graph({"compensate": "demo.noop"}))
    assert (code, node, field) == ("not_supported", "charge", "config.compensate")
    assert "not supported yet" in message


def test_compensating_on_failure_is_refused_as_not_supported_yet():
    [(code, node, field, message)] = errors(graph({}, {"on_failure": "compensate"}))
    assert (code, node, field) == ("not_supported", None, "settings.on_failure")
    assert "use 'fail'" in message


def test_the_rest_of_the_config_is_still_checked_beside_it():
    found = errors(graph({"heartbeat_s": 30, "timeout_s": -1}))
    assert [f for _, _, f, _ in found] == ["config.heartbeat_s", "config.timeout_s"]


def test_fail_is_still_a_valid_workflow_on_failure():
    assert errors(graph({}, {"on_failure": "fail"})) == []
