"""Map, loop and sub-workflow configs: which child template, how many times, over what; each
problem once, on the field the designer shows it on."""

from __future__ import annotations

from workflows.core.validation import validate

PUBLISHED = ("resize-image", "send-report")
#: The published version numbers of each: what ``authoring.child_templates`` passes.
VERSIONS = {"resize-image": frozenset({1, 2, 3}), "send-report": frozenset({1})}


def errors_of(node_type: str, config: dict, *, template: str | None = "gallery", published=PUBLISHED, versions=VERSIONS) -> list[tuple[str, str, str]]:
    return [(e.code, e.field, e.message) for e in validated(node_type, config, template=template, published=published, versions=versions).errors]


def validated(node_type: str, config: dict, *, template: str | None = "gallery", published=PUBLISHED, versions=VERSIONS):
    graph = {"version": 1, "settings": {}, "nodes": [{"id": "n", "type": node_type, "config": config}], "edges": []}
    return validate(graph, handler_names=["demo.noop"], template_names=published, template_name=template, template_versions=versions)


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


# --- a pinned version ------------------------------------------------------------------------------


def test_a_pin_the_template_has_published_is_valid():
    for version in (1, 2, 3):
        assert errors_of("subworkflow", {"workflow": "resize-image", "version": version}) == []
    assert errors_of("loop", {"workflow": "send-report", "version": 1, "count": 2, "max_iterations": 2}) == []
    assert errors_of("map", {"items": "input.images", "workflow": "resize-image", "version": 3}) == []


def test_a_pin_the_template_has_not_published_is_refused_naming_node_field_and_versions():
    [error] = validated("subworkflow", {"workflow": "resize-image", "version": 7}).errors
    assert (error.code, error.node, error.field) == ("unknown_version", "n", "config.version")
    assert error.message == "template 'resize-image' has no published version 7 (published: 1, 2, 3)"


def test_a_missing_pin_is_refused_for_a_map_and_a_loop_too():
    [(code, field, message)] = errors_of("map", {"items": "input.images", "workflow": "send-report", "version": 2})
    assert (code, field, message) == ("unknown_version", "config.version", "template 'send-report' has no published version 2 (published: 1)")
    [(code, field, _)] = errors_of("loop", {"workflow": "resize-image", "version": 4, "count": 2, "max_iterations": 2})
    assert (code, field) == ("unknown_version", "config.version")


def test_without_published_versions_pins_are_not_checked():
    assert errors_of("subworkflow", {"workflow": "resize-image", "version": 7}, versions=None) == []
    assert errors_of("subworkflow", {"workflow": "anything", "version": 7}, template=None, published=None, versions=None) == []


def test_a_pin_on_an_unknown_or_recursive_workflow_is_not_said_twice():
    [(code, field, _)] = errors_of("subworkflow", {"workflow": "ghost", "version": 7})
    assert (code, field) == ("unknown_template", "config.workflow")
    [(code, field, _)] = errors_of("subworkflow", {"workflow": "gallery", "version": 7})
    assert (code, field) == ("recursive_workflow", "config.workflow")


def test_a_pin_that_is_not_a_version_number_is_the_schemas_to_refuse():
    for pin in (0, "7", 2.0, True):
        [(code, field, _)] = errors_of("subworkflow", {"workflow": "resize-image", "version": pin})
        assert (code, field) == ("invalid_config", "config.version"), pin


def test_an_expression_with_a_pin_is_refused_for_every_allowed_workflow_that_lacks_it():
    """The one pin applies to whichever name the expression gives: each that lacks it would fail
    the step once the data chose it, so each is named, though another has the version."""
    config = {"workflow": "{{ input.kind }}", "allowed_workflows": ["resize-image", "send-report"]}
    assert errors_of("subworkflow", {**config, "version": 1}) == []
    [(code, field, message)] = errors_of("subworkflow", {**config, "version": 3})
    assert (code, field) == ("unknown_version", "config.version")
    assert message.startswith("allowed workflow 'send-report' has no published version 3 (published: 1)")
    assert "whichever one is chosen" in message
    errors = errors_of("subworkflow", {**config, "version": 9})
    assert [(code, field) for code, field, _ in errors] == [("unknown_version", "config.version")] * 2
    assert ["'resize-image'" in errors[0][2], "'send-report'" in errors[1][2]] == [True, True]


def test_a_long_history_is_listed_by_its_first_and_latest_versions():
    [(_, _, message)] = errors_of("subworkflow", {"workflow": "resize-image", "version": 500}, versions={**VERSIONS, "resize-image": frozenset(range(1, 101))})
    assert message == "template 'resize-image' has no published version 500 (published: 1, 2, 3, …, 92, 93, 94, 95, 96, 97, 98, 99, 100)"


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
