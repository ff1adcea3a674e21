"""Map, loop and sub-workflow configs: which child template, how many times, over what; each
problem once, on the field the designer shows it on."""

from __future__ import annotations

from workflows.core.validation import validate

PUBLISHED = ("resize-image", "send-report")


def errors_of(node_type: str, config: dict, *, template: str | None = "gallery", published=PUBLISHED) -> list[tuple[str, str, str]]:
    graph = {"version": 1, "settings": {}, "nodes": [{"id": "n", "type": node_type, "config": config}], "edges": []}
    result = validate(graph, handler_names=["demo.noop"], template_names=published, template_name=template)
    return [(e.code, e.field, e.message) for e in result.errors]


# --- which child template ---------------------------------------------------------------------------


def test_a_subworkflow_naming_a_published_template_is_valid():
    assert errors_of("subworkflow", {"workflow": "resize-image"}) == []


def test_an_unknown_child_template_is_named_on_the_workflow_field():
    [(code, field, message)] = errors_of("subworkflow", {"workflow": "resise-image"})
    assert (code, field) == ("unknown_template", "config.workflow")
    assert "'resise-image'" in message and "resize-image, send-report" in message


def test_an_unknown_name_in_the_allowed_list_is_named_on_that_field():
    config = {"workflow": "{{ input.kind }}", "allowed_workflows": ["resize-image", "ghost"]}
    [(code, field, message)] = errors_of("subworkflow", config)
    assert (code, field) == ("unknown_template", "config.allowed_workflows")
    assert "'ghost'" in message


def test_a_workflow_chosen_by_an_expression_needs_the_allowed_list():
    [(code, field, message)] = errors_of("subworkflow", {"workflow": "{{ input.kind }}"})
    assert (code, field) == ("invalid_config", "config.allowed_workflows")
    assert "needs Allowed workflows" in message
    assert errors_of("subworkflow", {"workflow": "{{ input.kind }}", "allowed_workflows": list(PUBLISHED)}) == []


def test_a_workflow_that_starts_itself_is_a_recursion_not_an_unknown_template():
    [(code, field, message)] = errors_of("subworkflow", {"workflow": "gallery"})
    assert (code, field) == ("recursive_workflow", "config.workflow")
    assert "would start itself" in message
    [(code, field, _)] = errors_of("loop", {"workflow": "{{ input.kind }}", "allowed_workflows": ["gallery"], "count": 2, "max_iterations": 5})
    assert (code, field) == ("recursive_workflow", "config.allowed_workflows")


def test_without_known_names_child_templates_are_not_checked():
    assert errors_of("subworkflow", {"workflow": "anything"}, template=None, published=None) == []


# --- map ---------------------------------------------------------------------------------------------


def test_a_map_runs_a_handler_or_a_workflow_per_item():
    assert errors_of("map", {"items": "input.images", "handler": "demo.noop"}) == []
    assert errors_of("map", {"items": "input.images", "workflow": "resize-image", "concurrency": 4}) == []


def test_a_map_without_handler_or_workflow_asks_for_one_once():
    assert errors_of("map", {"items": "input.images"}) == [
        ("invalid_config", "config.handler", "config.handler: set a Handler (per item) or a Workflow (per item)")
    ]


def test_a_map_with_both_says_to_choose_one():
    [(code, field, message)] = errors_of("map", {"items": "input.images", "handler": "demo.noop", "workflow": "resize-image"})
    assert (code, field) == ("invalid_config", "config.workflow")
    assert "not both" in message


def test_a_map_per_item_workflow_is_checked_like_a_subworkflows():
    [(code, field, _)] = errors_of("map", {"items": "input.images", "workflow": "ghost"})
    assert (code, field) == ("unknown_template", "config.workflow")


def test_map_items_written_as_a_template_are_refused_with_the_bare_expression():
    [(code, field, message)] = errors_of("map", {"items": "{{ steps.fetch.output }}", "handler": "demo.noop"})
    assert (code, field) == ("invalid_expression", "config.items")
    assert message == "config.items: this field is an expression already: write steps.fetch.output, without {{ }}"


def test_map_items_that_do_not_parse_or_are_not_text_are_refused():
    [(code, field, _)] = errors_of("map", {"items": "input.images +", "handler": "demo.noop"})
    assert (code, field) == ("invalid_expression", "config.items")
    [(code, field, _)] = errors_of("map", {"items": ["a", "b"], "handler": "demo.noop"})
    assert (code, field) == ("invalid_config", "config.items")


# --- loop --------------------------------------------------------------------------------------------


def test_a_loop_repeats_a_count_or_while_an_expression_holds():
    assert errors_of("loop", {"workflow": "send-report", "count": 3, "max_iterations": 3}) == []
    assert errors_of("loop", {"workflow": "send-report", "while": "iteration.index < 3", "max_iterations": 10}) == []


def test_a_loop_without_max_iterations_says_so_once():
    assert errors_of("loop", {"workflow": "send-report", "count": 3}) == [
        ("invalid_config", "config.max_iterations", "config.max_iterations: a loop needs Max iterations (at most 10,000)")
    ]


def test_a_loop_count_above_max_iterations_is_refused_on_count():
    assert errors_of("loop", {"workflow": "send-report", "count": 20, "max_iterations": 5}) == [
        ("invalid_config", "config.count", "config.count: 20 is more than Max iterations (5)")
    ]


def test_a_loop_needs_count_or_while_and_not_both():
    assert errors_of("loop", {"workflow": "send-report", "max_iterations": 5}) == [("invalid_config", "config.count", "config.count: set Count or While")]
    [(code, field, message)] = errors_of("loop", {"workflow": "send-report", "count": 2, "while": "true", "max_iterations": 5})
    assert (code, field) == ("invalid_config", "config.while") and "not both" in message
