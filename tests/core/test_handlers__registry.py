"""The handler registry: names, one-line descriptions and input schemas, checked when registered."""

from __future__ import annotations

import pytest

from workflows.core.handlers import HandlerDeclarationError, HandlerRegistry, handler

SCHEMA = {"type": "object", "properties": {"card": {"type": "string", "description": "card token"}}, "required": ["card"]}


def run(input, ctx):
    """Charges the card on file.

    Longer help that the picker does not show.
    """


def test_it_keeps_the_declared_input_schema_and_description():
    registry = HandlerRegistry()
    handler("billing.charge", description="Charges a card.", input_schema=SCHEMA, registry=registry)(run)
    info = registry.get("billing.charge")
    assert info is not None
    assert info.description == "Charges a card."
    assert info.input_schema == SCHEMA


def test_the_schema_is_a_copy_so_editing_the_declaration_later_changes_nothing():
    registry = HandlerRegistry()
    declared = {"type": "object", "properties": {"n": {"type": "integer"}}}
    registry.register("billing.count", run, input_schema=declared)
    declared["properties"]["n"]["type"] = "string"
    assert registry.get("billing.count").input_schema["properties"]["n"]["type"] == "integer"


def test_without_a_schema_the_handler_declares_none():
    registry = HandlerRegistry()
    registry.register("billing.charge", run)
    assert registry.get("billing.charge").input_schema is None


def test_the_description_defaults_to_the_docstrings_first_line_without_literal_marks():
    registry = HandlerRegistry()
    registry.register("billing.charge", run)
    assert registry.get("billing.charge").description == "Charges the card on file."

    def sleep(input, ctx):
        """Sleeps ``seconds`` (default 0.5)."""

    registry.register("billing.sleep", sleep)
    assert registry.get("billing.sleep").description == "Sleeps seconds (default 0.5)."


def test_a_handler_without_description_or_docstring_has_an_empty_description():
    registry = HandlerRegistry()
    registry.register("billing.quiet", lambda input, ctx: None)
    assert registry.get("billing.quiet").description == ""


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        ({"type": "object", "properties": {"n": {"type": "integr"}}}, "at properties/n/type"),
        ({"type": "object", "required": "card"}, "at required"),
        ({"type": "object", "properties": {"n": {"minimum": "zero"}}}, "at properties/n/minimum"),
        ({"type": "array", "items": {"type": "string"}}, '"type": "object"'),
        ({"properties": {"n": {"type": "integer"}}}, '"type": "object"'),
        ([{"type": "object"}], "must be a JSON Schema object (a dict), not list"),
        ("object", "not str"),
    ],
)
def test_a_bad_input_schema_is_refused_with_the_handlers_name_and_where(schema, says):
    registry = HandlerRegistry()
    with pytest.raises(HandlerDeclarationError) as refused:
        handler("billing.charge", input_schema=schema, registry=registry)(run)
    assert "'billing.charge'" in str(refused.value)
    assert says in str(refused.value)
    assert "billing.charge" not in registry


def test_a_description_of_several_lines_is_refused():
    registry = HandlerRegistry()
    with pytest.raises(HandlerDeclarationError, match="'billing.charge': the description must be one line"):
        registry.register("billing.charge", run, description="Charges.\nThen e-mails.")


def test_declaration_errors_are_value_errors_as_before():
    with pytest.raises(ValueError, match="must look like 'app.action'"):
        HandlerRegistry().register("Charge", run)
