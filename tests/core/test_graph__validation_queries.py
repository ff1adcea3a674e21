"""Named queries (``settings.queries``) must parse when the graph is validated, so a typo fails at
publish, named ``settings.queries.NAME``, not when an operator first asks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.core.steps import step_types
from workflows.core.validation import validate


def graph(queries) -> dict:
    return {"version": 1, "settings": {"queries": queries}, "nodes": [{"id": "a", "type": "transform", "config": {"assignments": {"x": "1"}}}], "edges": []}


def errors(queries) -> list[tuple[str, str | None, str]]:
    return [(e.code, e.field, e.message) for e in validate(graph(queries), types=step_types, handler_names=[]).errors]


def test_queries_that_parse_are_valid():
    assert errors({"total": "sum([l.amount for l in input.lines])", "done": "steps.a.status == 'completed'"}) == []


@pytest.mark.parametrize(
    "text, words",
    [
        ("input.", "syntax"),
        ("input.__class__", "not allowed"),
        ("{{ input.x }}", "expression already"),
        ("lambda: 1", "not allowed"),
        ("unknown_name", "unknown name"),
    ],
)
def test_a_query_that_does_not_parse_is_an_error_naming_it(text, words):
    found = errors({"ok": "input.x", "broken": text})
    assert [(code, field) for code, field, _ in found] == [("invalid_expression", "settings.queries.broken")]
    assert words in found[0][2] and found[0][2].startswith("settings.queries.broken: ")


def test_a_query_that_is_not_text_is_a_settings_error_only():
    assert [(c, f) for c, f, _ in errors({"n": 3})] == [("invalid_settings", "settings.queries.n")]


@given(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True), st.text(min_size=1, max_size=40), max_size=4))
def test_any_queries_give_errors_never_an_exception(queries):
    for code, field, _ in errors(queries):
        assert field.startswith("settings.queries.") and code in ("invalid_expression", "invalid_settings")
