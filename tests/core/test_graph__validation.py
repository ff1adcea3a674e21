"""Validation of untrusted graph JSON: every problem at once, named by node and field."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.graphs import random_dag
from workflows.core.errors import GraphError
from workflows.core.graph import Graph
from workflows.core.steps.base import (
    CheckContext,
    StepType,
    StepTypeRegistry,
    object_schema,
)
from workflows.core.validation import validate

# --- a small registry of our own: these tests do not depend on the built-in types' details -------


class Task(StepType):
    name = "task"
    label = "Task"
    inline = False
    schema = object_schema(
        {"handler": {"type": "string", "minLength": 1}, "input": {"title": "Input"}},
        ["handler"],
        worker=True,
    )

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        name = config.get("handler")
        if isinstance(name, str) and name not in ctx.handler_names:
            return [GraphError("unknown_handler", f"no handler named {name!r}", node_id, "config.handler")]
        return []


class Condition(StepType):
    name = "condition"
    label = "Condition"
    expression_fields = ("expression",)
    schema = object_schema({"expression": {"type": "string", "minLength": 1}}, ["expression"])

    def ports(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ("true", "false")


class Switch(StepType):
    name = "switch"
    label = "Switch"
    expression_fields = ("expression",)
    literal_fields = ("cases",)
    schema = object_schema(
        {"expression": {"type": "string"}, "cases": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
        ["expression", "cases"],
    )

    def ports(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return (*config["cases"], "default")  # trips over a bad config on purpose

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        set(config["cases"])  # raises on unhashable cases: validation must survive it
        return []


class End(StepType):
    name = "end"
    label = "End"
    schema = object_schema({"output": {}, "fail": {"type": "string"}})


TYPES = StepTypeRegistry()
for cls in (Task, Condition, Switch, End):
    TYPES.register(cls)
HANDLERS = {"demo.validate", "demo.work", "demo.notify", "bench.noop"}


def check(data: Any, **kwargs: Any):
    kwargs.setdefault("types", TYPES)
    kwargs.setdefault("handler_names", HANDLERS)
    return validate(data, **kwargs)


def codes(result) -> list[tuple[str, str | None, str | None]]:
    return [(e.code, e.node, e.field) for e in result.errors]


def task(node_id: str, handler: str = "demo.work", **config: Any) -> dict:
    return {"id": node_id, "type": "task", "config": {"handler": handler, **config}}


def edge(eid: str, source: str, target: str, port: str = "out") -> dict:
    return {"id": eid, "source": source, "target": target, "port": port}


def workflow(nodes: list[dict], edges: list[dict], **extra: Any) -> dict:
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": edges, **extra}


VALID = workflow(
    [
        {**task("validate", "demo.validate", input={"start": "{{ input.start_date }}"}), "label": "Validate",
         "position": {"x": 0, "y": 0}},
        {"id": "big", "type": "condition", "config": {"expression": "steps.validate.output.total > 100"}},
        task("approve_big"),
        task("small"),
        {"id": "done", "type": "end", "config": {"output": {"ok": "{{ steps.validate.status }}"}, "join": "any"}},
    ],
    [
        edge("e1", "validate", "big"),
        edge("e2", "big", "approve_big", "true"),
        edge("e3", "big", "small", "false"),
        edge("e4", "approve_big", "done"),
        edge("e5", "small", "done"),
    ],
    settings={"timeout_s": 600, "on_failure": "fail", "output": {"report": "{{ steps.done.output }}"}},
    viewport={"x": 0, "y": 0, "zoom": 1},
)


# --- a valid graph -------------------------------------------------------------------------------


def test_it_accepts_a_valid_graph_and_plans_it():
    result = check(VALID)
    assert result.errors == []
    assert result.valid
    assert result.plan == [["validate"], ["big"], ["approve_big", "small"], ["done"]]
    assert result.graph == Graph.from_dict(VALID)
    assert result.as_dict() == {"valid": True, "errors": [], "plan": {"batches": result.plan}}


def test_it_accepts_a_single_node_without_edges():
    assert check(workflow([task("only")], [])).valid


def test_it_uses_the_built_in_step_types_by_default():
    data = workflow([task("a", "demo.work"), {"id": "b", "type": "end", "config": {}}], [edge("e1", "a", "b")])
    result = validate(data, handler_names={"demo.work"})
    assert result.valid, result.errors


# --- top level -----------------------------------------------------------------------------------


def test_it_rejects_what_is_not_an_object():
    for junk in (None, [], "graph", 3, 2.5, True):
        result = check(junk)
        assert codes(result) == [("invalid_graph", None, None)]
        assert result.graph is None and result.plan is None


def test_it_names_each_problem_of_the_top_level():
    result = check({"version": 2, "nodes": {}, "edges": "e", "extra": 1, "settings": {"timeout_s": 0, "retry": 3}})
    assert sorted(codes(result)) == sorted(
        [
            ("unknown_key", None, "extra"),
            ("unsupported_version", None, "version"),
            ("invalid_settings", None, "settings.retry"),  # named by the unknown key
            ("invalid_settings", None, "settings.timeout_s"),
            ("invalid_graph", None, "nodes"),
            ("invalid_graph", None, "edges"),
            ("empty", None, None),
        ]
    )
    message = next(e.message for e in result.errors if e.field == "settings.timeout_s")
    assert message == "settings.timeout_s: 0 is less than or equal to the minimum of 0"


def test_it_requires_version_1():
    for version in (None, 0, "1", True, 1.5):
        data = {**VALID, "version": version}
        assert codes(check(data)) == [("unsupported_version", None, "version")], version
    missing = {k: v for k, v in VALID.items() if k != "version"}
    assert codes(check(missing)) == [("unsupported_version", None, "version")]


def test_it_checks_the_templates_of_the_workflow_output():
    data = {**VALID, "settings": {"output": {"report": "{{ steps.done.output +  }}", "ok": ["{{ input }}"]}}}
    assert codes(check(data)) == [("invalid_expression", None, "settings.output.report")]


def test_it_refuses_a_graph_with_too_many_nodes():
    data = workflow([task(f"n{i}") for i in range(11)], [])
    result = check(data, max_nodes=10)
    assert codes(result) == [("too_large", None, "nodes")]
    assert "11" in result.errors[0].message and "10" in result.errors[0].message


def test_it_refuses_a_graph_with_too_many_edges():
    data = workflow([task("a"), task("b")], [edge(f"e{i}", "a", "b") for i in range(11)])
    assert codes(check(data, max_nodes=2)) == [("too_large", None, "edges")]


def test_it_reports_an_empty_graph():
    assert codes(check(workflow([], []))) == [("empty", None, None)]


# --- nodes ---------------------------------------------------------------------------------------


def test_it_names_nodes_that_cannot_be_read_by_position():
    data = workflow([task("a"), "node", {"type": "task"}, {"id": 7, "type": "task"}, {"id": "", "type": "task"}], [])
    assert codes(check(data)) == [
        ("invalid_node", None, "nodes[1]"),
        ("missing_id", None, "nodes[2].id"),
        ("invalid_id", None, "nodes[3].id"),
        ("missing_id", None, "nodes[4].id"),
    ]
    assert check(data).graph is None


def test_it_explains_that_ids_are_used_in_expressions():
    result = check(workflow([task("send-mail")], []))
    assert codes(result) == [("invalid_id", "send-mail", "id")]
    assert "steps.<id>.output" in result.errors[0].message
    assert check(workflow([task("_ok_9")], [])).valid
    assert not check(workflow([task("a" * 65)], [])).valid


def test_it_reports_a_duplicate_node_id():
    result = check(workflow([task("a"), task("b"), task("a")], [edge("e1", "a", "b")]))
    assert codes(result) == [("duplicate_id", "a", "nodes[2].id")]
    assert "nodes[0]" in result.errors[0].message


def test_it_lists_the_known_types_for_an_unknown_type():
    result = check(workflow([{"id": "a", "type": "teleport", "config": {}}, task("b")], [edge("e1", "a", "b")]))
    assert codes(result) == [("unknown_type", "a", "type")]
    assert "condition, end, switch, task" in result.errors[0].message or all(
        t in result.errors[0].message for t in ("task", "condition", "switch", "end")
    )


def test_it_checks_label_position_and_config_shapes():
    data = workflow(
        [
            {**task("a"), "label": "x" * 201},
            {**task("b"), "position": {"x": "0", "y": 1}},
            {"id": "c", "type": "task", "config": ["handler"]},
            {**task("d"), "colour": "red"},
        ],
        [edge("e1", "a", "b"), edge("e2", "b", "c"), edge("e3", "c", "d")],
    )
    assert codes(check(data)) == [
        ("invalid_node", "a", "label"),
        ("invalid_node", "b", "position"),
        ("invalid_config", "c", "config"),
        ("unknown_key", "d", "colour"),
    ]


def test_it_validates_config_against_the_types_schema_with_clear_messages():
    data = workflow([task("a", retry={"max_attempts": 0, "backoff": "fast"}, timeout_s=-1, colour="red")], [])
    result = check(data)
    by_field = {e.field: e for e in result.errors}
    assert set(by_field) == {"config.retry.max_attempts", "config.retry.backoff", "config.timeout_s", "config.colour"}
    assert all(e.code == "invalid_config" and e.node == "a" for e in result.errors)
    assert by_field["config.retry.max_attempts"].message == "config.retry.max_attempts: 0 is less than the minimum of 1"
    assert by_field["config.colour"].message == "config.colour: unknown setting; allowed here: handler, heartbeat_s, input, join, on_failure, retry, timeout_s, wait"


def test_it_reports_a_missing_required_config_key():
    result = check(workflow([{"id": "a", "type": "task"}], []))
    assert codes(result) == [("invalid_config", "a", "config")]
    assert "'handler' is a required property" in result.errors[0].message


def test_it_adds_the_types_own_checks():
    result = check(workflow([task("a", "demo.missing")], []))
    assert codes(result) == [("unknown_handler", "a", "config.handler")]


def test_it_survives_a_type_check_that_trips_over_a_bad_config():
    data = workflow([{"id": "s", "type": "switch", "config": {"expression": "input.kind", "cases": [["x"]]}}], [])
    assert codes(check(data)) == [("invalid_config", "s", "config.cases.0")]


def test_it_checks_bare_expressions_and_templates_with_their_fields():
    data = workflow(
        [
            {"id": "a", "type": "condition", "config": {"expression": "input.total >"}},
            task("b", input={"start": "{{ input.start ** }}", "list": ["ok", "{{ ) }}"], "plain": "no template"}),
            {"id": "c", "type": "switch", "config": {"expression": "input.kind", "cases": ["{{ bad"]}},
        ],
        [edge("e1", "a", "b", "true"), edge("e2", "b", "c")],
    )
    result = check(data)
    assert codes(result) == [
        ("invalid_expression", "a", "config.expression"),
        ("invalid_expression", "b", "config.input.start"),
        ("invalid_expression", "b", "config.input.list.1"),
    ]
    assert all(e.message.startswith(e.field + ": ") for e in result.errors)


def test_it_does_not_read_a_bare_expression_as_a_template():
    data = workflow([{"id": "a", "type": "condition", "config": {"expression": "input.x == 1"}}, task("b")],
                    [edge("e1", "a", "b", "true")])
    assert check(data).valid


# --- edges ---------------------------------------------------------------------------------------


def test_it_names_edges_that_cannot_be_read_by_position():
    data = workflow(
        [task("a"), task("b")],
        [edge("e1", "a", "b"), 5, {"source": "a", "target": "b", "port": "out"}, edge("e1", "a", "b", "failure"),
         {"id": "e4", "source": 1, "target": "b"}],
    )
    assert codes(check(data)) == [
        ("invalid_edge", None, "edges[1]"),
        ("duplicate_edge", "a", "edges[2]"),
        ("duplicate_id", None, "edges[3].id"),
        ("unknown_port", "a", "edges[3].port"),
        ("invalid_edge", None, "edges[4].source"),
    ]


def test_an_edge_without_an_id_gets_one_that_no_other_edge_has():
    data = workflow(
        [task("a"), task("b"), task("c"), task("d")],
        [{"source": "a", "target": "b"}, edge("e1", "b", "c"), {"id": None, "source": "a", "target": "c"}, {"id": "", "source": "c", "target": "d"}],
    )
    result = check(data)
    assert result.valid, codes(result)
    assert [e.id for e in result.graph.edges] == ["e2", "e1", "e3", "e4"]


def test_an_edge_id_that_is_not_a_string_is_still_refused():
    data = workflow([task("a"), task("b")], [{"id": 7, "source": "a", "target": "b"}])
    assert codes(check(data)) == [("invalid_edge", None, "edges[0].id")]


def test_it_names_the_missing_end_of_a_dangling_edge():
    data = workflow([task("a"), task("b")], [edge("e1", "a", "b"), edge("e2", "b", "ghost"), edge("e3", "nope", "never")])
    result = check(data)
    assert codes(result) == [
        ("dangling_edge", "b", "edges[1].target"),
        ("dangling_edge", None, "edges[2].source"),
        ("dangling_edge", None, "edges[2].target"),
    ]
    assert "'ghost'" in result.errors[0].message


def test_it_lists_the_ports_a_node_has_for_an_unknown_port():
    data = workflow(
        [{"id": "c", "type": "condition", "config": {"expression": "input.ok"}}, task("a"), task("b")],
        [edge("e1", "c", "a", "true"), edge("e2", "c", "b", "maybe")],
    )
    result = check(data)
    assert codes(result) == [("unknown_port", "c", "edges[1].port")]
    assert "true, false" in result.errors[0].message


def test_the_failure_port_exists_only_when_failures_are_routed():
    nodes = [task("a"), task("b"), task("handle")]
    edges = [edge("e1", "a", "b"), edge("e2", "a", "handle", "failure")]
    assert codes(check(workflow(nodes, edges))) == [("unknown_port", "a", "edges[1].port")]
    nodes[0] = task("a", on_failure="route")
    assert check(workflow(nodes, edges)).valid


def test_an_edge_without_a_port_uses_out():
    data = workflow([task("a"), task("b")], [{"id": "e1", "source": "a", "target": "b"}])
    result = check(data)
    assert result.valid and result.graph.edges[0].port == "out"


# --- structure -----------------------------------------------------------------------------------


def test_it_names_every_node_of_a_cycle():
    data = workflow(
        [task("start"), task("a"), task("b"), task("c")],
        [edge("e1", "start", "a"), edge("e2", "a", "b"), edge("e3", "b", "c"), edge("e4", "c", "a")],
    )
    result = check(data)
    assert codes(result) == [("cycle", "a", None), ("cycle", "b", None), ("cycle", "c", None)]
    first = result.errors[0]
    assert first.nodes == ("a", "b", "c")
    assert first.message == "cycle: a → b → c → a; use a loop node for repetition"
    assert result.plan is None and result.graph is not None


def test_it_reports_each_cycle_separately():
    data = workflow(
        [task("s"), task("a"), task("b"), task("c"), task("d")],
        [edge("e1", "s", "a"), edge("e2", "a", "b"), edge("e3", "b", "a"), edge("e4", "s", "c"),
         edge("e5", "c", "d"), edge("e6", "d", "c")],
    )
    cycles = [e.nodes for e in check(data).errors if e.nodes]
    assert cycles == [("a", "b"), ("c", "d")]


def test_it_shows_one_real_cycle_of_a_tangle():
    data = workflow(
        [task("s"), task("a"), task("b"), task("c")],
        [edge("e1", "s", "a"), edge("e2", "a", "b"), edge("e3", "b", "a"), edge("e4", "b", "c"), edge("e5", "c", "b")],
    )
    first = check(data).errors[0]
    assert first.nodes == ("a", "b", "c")
    assert first.message.startswith("cycle: a → b → a (3 nodes reach each other)")


def test_a_self_loop_is_reported_as_a_cycle():
    data = workflow([task("a"), task("b")], [edge("e1", "a", "b"), edge("e2", "b", "b")])
    assert codes(check(data)) == [("cycle", "b", None)]
    assert check(data).errors[0].message.startswith("cycle: b → b")


def test_a_cycle_without_an_entry_is_also_unreachable():
    data = workflow([task("s"), task("t"), task("a"), task("b")],
                    [edge("e1", "s", "t"), edge("e2", "a", "b"), edge("e3", "b", "a")])
    assert codes(check(data)) == [("cycle", "a", None), ("cycle", "b", None), ("unreachable", "a", None),
                                  ("unreachable", "b", None)]


def test_it_reports_a_node_with_no_edges_in_a_larger_graph():
    data = workflow([task("a"), task("b"), task("lonely")], [edge("e1", "a", "b")])
    result = check(data)
    assert codes(result) == [("isolated", "lonely", None)]
    assert result.errors[0].message == "not connected to the workflow"


def test_a_huge_cycle_is_reported_without_a_huge_answer():
    n = 5000
    nodes = [task(f"n{i}") for i in range(n)]
    edges = [edge(f"e{i}", f"n{i}", f"n{(i + 1) % n}") for i in range(n)]
    result = check(workflow(nodes, edges))
    cycle_errors = [e for e in result.errors if e.code == "cycle"]
    assert len(cycle_errors) == n and len(cycle_errors[0].nodes) == n
    assert sum(len(e.nodes) for e in cycle_errors) == n
    assert max(len(e.message) for e in result.errors) < 300


def test_it_reports_all_problems_at_once():
    data = workflow(
        [task("a", "demo.missing"), {"id": "b", "type": "nope", "config": {}}, task("c", timeout_s="soon"), task("d")],
        [edge("e1", "a", "b"), edge("e2", "b", "c"), edge("e3", "c", "a"), edge("e4", "a", "zzz")],
    )
    found = {e.code for e in check(data).errors}
    assert {"unknown_handler", "unknown_type", "invalid_config", "dangling_edge", "cycle", "unreachable", "isolated"} <= found


def test_its_answer_is_json():
    data = workflow([task("a", "demo.missing"), task("b")], [edge("e1", "a", "b"), edge("e2", "b", "a")])
    answer = check(data).as_dict()
    assert json.loads(json.dumps(answer)) == answer
    assert answer["valid"] is False and answer["plan"] is None
    assert answer["errors"][0] == {"node": "a", "field": "config.handler", "code": "unknown_handler",
                                   "message": "no handler named 'demo.missing'"}


def test_it_validates_the_benchmark_graph():
    data = random_dag(300)
    result = check(data)
    assert result.valid, result.errors[:3]
    assert sum(map(len, result.plan)) == 300


# --- it never raises -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5) | st.binary(max_size=3)
    | st.just(object()) | st.just(math.inf),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children)
    | st.dictionaries(st.integers() | st.text(max_size=3) | st.booleans(), children, max_size=4),
    max_leaves=20,
)


def assert_well_formed(result) -> None:
    assert isinstance(result.errors, list)
    assert all(isinstance(e, GraphError) for e in result.errors)
    assert (result.plan is not None) == result.valid
    json.dumps(result.as_dict())


@given(json_values)
def test_it_never_raises_on_any_json_value(value):
    assert_well_formed(check(value))


@given(junk)
def test_it_never_raises_on_python_junk(value):
    assert_well_formed(check(value))
    assert_well_formed(check({"version": 1, "nodes": [value], "edges": [value]}))


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += paths(v, (*prefix, i))
    return found


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_it_never_raises_on_a_mutated_valid_graph(data):
    graph = copy.deepcopy(VALID)
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(paths(graph)))
        replacement = data.draw(json_values | junk)
        if not path:
            graph = replacement
            continue
        parent = graph
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = replacement
        except (KeyError, IndexError, TypeError):
            pass
    assert_well_formed(check(graph))
    assert_well_formed(check(graph, types=None, handler_names=HANDLERS))


def test_it_says_when_a_node_has_no_type():
    result = check(workflow([{"id": "a", "config": {}}], []))
    assert codes(result) == [("unknown_type", "a", "type")]
    assert result.errors[0].message.startswith("the node has no type")
    assert result.graph is None


def test_remembered_verdicts_tell_1_true_and_1_0_apart():
    def retry(value):
        return workflow([task("a", retry={"max_attempts": value})], [])

    for _ in range(2):  # the second round answers from the memo
        assert check(retry(1)).valid
        assert codes(check(retry(True))) == [("invalid_config", "a", "config.retry.max_attempts")]
        # JSON Schema 2020-12 calls 1.0 an integer; ours means a whole number as written, so a
        # float never reaches the run time's RetryPolicy.
        assert codes(check(retry(1.0))) == [("invalid_config", "a", "config.retry.max_attempts")]
        assert codes(check(retry(1.5))) == [("invalid_config", "a", "config.retry.max_attempts")]


# --- the fast paths agree with the libraries they stand in for ------------------------------------


@settings(max_examples=300)
@given(st.sampled_from(["task", "http", "switch", "condition", "end"]), st.dictionaries(
    st.sampled_from(["handler", "input", "retry", "timeout_s", "on_failure", "url", "headers", "method", "cases",
                     "expression", "join", "output", "extra", "heartbeat_s", "expected_status"]),
    json_values | st.fixed_dictionaries({}, optional={"max_attempts": st.integers(-1, 3) | st.booleans() | st.floats(0, 2)}),
    max_size=6,
))
def test_the_property_by_property_schema_check_agrees_with_jsonschema(type_name, config):
    from jsonschema import Draft202012Validator

    from workflows.core.steps import step_types
    from workflows.core.validation import _schema

    step = step_types.get(type_name) or TYPES.get(type_name)
    for _ in range(2):  # cold, then from the memo
        assert _schema(step.name, step.schema).is_valid(config) == Draft202012Validator(step.schema).is_valid(config)


@given(json_values | junk)
def test_the_string_walk_finds_what_iter_strings_finds(value):
    from workflows.core.expressions import iter_strings
    from workflows.core.validation import _strings

    assert sorted(_strings(value)) == sorted(text for _, text in iter_strings(value, "v"))
