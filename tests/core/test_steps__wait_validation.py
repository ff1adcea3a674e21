"""A Wait step without a duration or a moment: one message, in the designer's words, on a field."""

from __future__ import annotations

from workflows.core.validation import validate


def wait_graph(config: dict) -> dict:
    return {"version": 1, "settings": {}, "nodes": [{"id": "w", "type": "wait", "config": config}], "edges": []}


def test_a_new_wait_step_asks_for_a_duration_or_a_moment_on_the_duration_field():
    errors = validate(wait_graph({})).errors
    assert [(e.code, e.node, e.field, e.message) for e in errors] == [
        ("invalid_config", "w", "config.for_s", "config.for_s: set Wait for (s) or Until")
    ]


def test_a_wait_step_with_both_says_to_choose_one():
    errors = validate(wait_graph({"for_s": 5, "until": "2030-01-01T00:00:00Z"})).errors
    assert [(e.field, e.message) for e in errors] == [("config.until", "config.until: set Wait for (s) or Until, not both")]


def test_a_wait_step_keeps_the_schemas_other_messages():
    errors = validate(wait_graph({"for_s": -1})).errors
    assert [e.field for e in errors] == ["config.for_s"]
    assert "less than the minimum" in errors[0].message


def test_a_wait_step_with_one_of_them_is_valid():
    assert validate(wait_graph({"for_s": 5})).valid
    assert validate(wait_graph({"until": "{{ input.when }}"})).valid
