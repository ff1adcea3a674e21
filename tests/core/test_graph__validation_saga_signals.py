"""What issue 11's config accepts and refuses, by node and field: compensate handlers (a name or
one with its own retry policy), heartbeat_s, ``wait: false``, signal nodes, named queries."""

from __future__ import annotations

import pytest

from workflows.core.handlers import handlers
from workflows.core.steps import step_types
from workflows.core.validation import validate


def graph(config: dict, settings: dict | None = None, node_type: str = "task") -> dict:
    base = {"handler": "demo.noop"} if node_type == "task" else {}
    return {
        "version": 1,
        "settings": settings or {},
        "nodes": [{"id": "charge", "type": node_type, "config": {**base, **config}}],
        "edges": [],
    }


def errors(data: dict) -> list[tuple[str, str | None, str | None]]:
    result = validate(data, types=step_types, handler_names=handlers.names() or ["demo.noop"])
    return [(e.code, e.node, e.field) for e in result.errors]


def test_a_saga_with_compensate_handlers_and_heartbeats_is_valid():
    assert errors(graph({"compensate": "demo.noop", "heartbeat_s": 30}, {"on_failure": "compensate"})) == []
    own_policy = {"handler": "demo.noop", "retry": {"max_attempts": 5, "initial_s": 0.1}}
    assert errors(graph({"compensate": own_policy}, {"on_failure": "compensate"})) == []


def test_an_unknown_compensate_handler_is_named():
    assert ("unknown_handler", "charge", "config.compensate") in errors(graph({"compensate": "nope.nothing"}))
    assert ("unknown_handler", "charge", "config.compensate.handler") in errors(graph({"compensate": {"handler": "nope.nothing"}}))


def test_a_bad_heartbeat_and_a_bad_on_failure_are_refused():
    assert [f for _, _, f in errors(graph({"heartbeat_s": -1}))] == ["config.heartbeat_s"]
    assert [f for _, _, f in errors(graph({}, {"on_failure": "undo"}))] == ["settings.on_failure"]


def test_a_step_not_waited_for_cannot_route_its_failure():
    assert errors(graph({"wait": False})) == []
    assert ("invalid_config", "charge", "config.on_failure") in errors(graph({"wait": False, "on_failure": "route"}))


def test_a_signal_node_needs_a_plain_name():
    assert errors(graph({"name": "approve", "timeout_s": 60}, node_type="signal")) == []
    assert ("invalid_config", "charge", "config.name") in errors(graph({"name": "has space"}, node_type="signal"))
    assert [f for _, _, f in errors(graph({}, node_type="signal"))] == ["config.name"]


def test_named_queries_are_bounded_expressions():
    assert errors(graph({}, {"queries": {"progress": "vars.done"}})) == []
    assert [c for c, _, _ in errors(graph({}, {"queries": {"bad name!": "1"}}))] == ["invalid_settings"]


@pytest.mark.parametrize(("type_name", "config"), [
    ("http", {"url": "https://example.com/"}),
    ("notify", {"to": ["ops@example.com"], "subject": "Done"}),
])  # fmt: skip
def test_a_heartbeat_on_a_built_in_type_that_never_beats_is_refused(type_name, config):
    """http and notify never call ctx.heartbeat(): a heartbeat_s could only fail their attempts."""
    data = {"version": 1, "nodes": [{"id": "n", "type": type_name, "config": {**config, "heartbeat_s": 5}}], "edges": []}
    assert errors(data) == [("invalid_config", "n", "config.heartbeat_s")]
    data["nodes"][0]["config"] = config
    assert errors(data) == []
