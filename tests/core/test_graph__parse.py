"""Graph JSON v1 <-> frozen dataclasses, derived maps and the behaviour checksum."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from jsonschema import Draft202012Validator

from workflows.core.graph import SETTINGS_SCHEMA, Edge, Graph, Node, behaviour_checksum
from workflows.core.planning import CycleError

EXAMPLE = {
    "version": 1,
    "settings": {"timeout_s": 3600, "on_failure": "fail", "output": {"report": "{{ steps.finalize.output }}"}},
    "nodes": [
        {
            "id": "validate",
            "type": "task",
            "label": "Validate input",
            "position": {"x": 0, "y": 0},
            "config": {"handler": "demo.validate_input", "input": {"start": "{{ input.start_date }}"}},
        },
        {"id": "generate", "type": "task", "position": {"x": 200, "y": 0}, "config": {"handler": "demo.generate"}},
        {"id": "check", "type": "task", "config": {"handler": "demo.check"}},
        {"id": "finalize", "type": "task", "label": "Finalize", "config": {"handler": "demo.finalize"}},
    ],
    "edges": [
        {"id": "e1", "source": "validate", "target": "generate", "port": "out"},
        {"id": "e2", "source": "validate", "target": "check", "port": "out"},
        {"id": "e3", "source": "generate", "target": "finalize", "port": "out"},
        {"id": "e4", "source": "check", "target": "finalize", "port": "out"},
    ],
}


def test_it_reads_nodes_edges_and_settings():
    g = Graph.from_dict(EXAMPLE)
    assert list(g.nodes) == ["validate", "generate", "check", "finalize"]
    assert g.nodes["validate"] == Node(
        "validate",
        "task",
        {"handler": "demo.validate_input", "input": {"start": "{{ input.start_date }}"}},
        "Validate input",
        (0, 0),
    )
    assert g.edges[0] == Edge("e1", "validate", "generate", "out")
    assert g.settings["timeout_s"] == 3600 and g.version == 1


def test_it_fills_in_the_defaults_of_optional_fields():
    g = Graph.from_dict({"version": 1, "nodes": [{"id": "a", "type": "end"}, {"id": "b", "type": "end"}],
                         "edges": [{"id": "e", "source": "a", "target": "b"}]})
    assert g.nodes["a"] == Node("a", "end", {}, "", None)
    assert g.edges[0].port == "out"
    assert g.settings == {}


def test_it_writes_back_the_json_it_read():
    assert Graph.from_dict(EXAMPLE).to_dict() == EXAMPLE
    g = Graph.from_dict(EXAMPLE)
    assert Graph.from_dict(g.to_dict()) == g


def test_it_is_immutable():
    g = Graph.from_dict(EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.nodes["validate"].type = "http"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.edges = ()  # type: ignore[misc]


def test_it_maps_incoming_and_outgoing_edges_of_every_node():
    g = Graph.from_dict(EXAMPLE)
    assert [e.id for e in g.outgoing["validate"]] == ["e1", "e2"]
    assert [e.id for e in g.incoming["finalize"]] == ["e3", "e4"]
    assert g.incoming["validate"] == () and g.outgoing["finalize"] == ()
    assert set(g.incoming) == set(g.outgoing) == set(g.nodes)


def test_entry_nodes_are_those_without_incoming_edges_in_node_order():
    data = copy.deepcopy(EXAMPLE)
    data["nodes"].insert(0, {"id": "audit", "type": "task", "config": {"handler": "demo.audit"}})
    data["edges"].append({"id": "e5", "source": "audit", "target": "finalize", "port": "out"})
    assert Graph.from_dict(data).entry_nodes() == ["audit", "validate"]


def test_topological_order_puts_every_source_before_its_target():
    g = Graph.from_dict(EXAMPLE)
    order = g.topological_order()
    assert order == ["validate", "generate", "check", "finalize"]
    assert g.plan == [["validate"], ["generate", "check"], ["finalize"]]


def test_topological_order_raises_on_a_cycle():
    data = copy.deepcopy(EXAMPLE)
    data["edges"].append({"id": "back", "source": "finalize", "target": "validate", "port": "out"})
    with pytest.raises(CycleError):
        Graph.from_dict(data).topological_order()


def test_moving_or_renaming_a_node_keeps_the_behaviour_checksum():
    moved = copy.deepcopy(EXAMPLE)
    moved["nodes"][0]["position"] = {"x": 999, "y": -5}
    moved["nodes"][1]["label"] = "A new name"
    del moved["nodes"][3]["label"]
    moved["viewport"] = {"x": 10, "y": 20, "zoom": 1.5}
    moved["layout"] = {"direction": "LR"}
    assert behaviour_checksum(moved) == behaviour_checksum(EXAMPLE)


def test_the_behaviour_checksum_ignores_key_order_and_a_default_port():
    reordered = {k: EXAMPLE[k] for k in reversed(list(EXAMPLE))}
    assert behaviour_checksum(reordered) == behaviour_checksum(EXAMPLE)
    no_ports = copy.deepcopy(EXAMPLE)
    for edge in no_ports["edges"]:
        del edge["port"]
    assert behaviour_checksum(no_ports) == behaviour_checksum(EXAMPLE)


def test_changing_config_edges_or_settings_changes_the_behaviour_checksum():
    base = behaviour_checksum(EXAMPLE)
    changes = []
    for path, value in [
        (("nodes", 0, "config", "handler"), "demo.other"),
        (("edges", 0, "target"), "check"),
        (("settings", "timeout_s"), 60),
        (("nodes", 1, "type"), "http"),
    ]:
        data = copy.deepcopy(EXAMPLE)
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        changes.append(behaviour_checksum(data))
    assert base not in changes and len(set(changes)) == len(changes)
    assert len(base) == 64 and int(base, 16) >= 0


def test_the_behaviour_checksum_tolerates_malformed_parts():
    assert len(behaviour_checksum({"nodes": [1, None, {"id": "a", "position": "x"}], "edges": "no"})) == 64


def test_the_settings_schema_accepts_the_documented_settings_and_nothing_else():
    Draft202012Validator.check_schema(SETTINGS_SCHEMA)
    validator = Draft202012Validator(SETTINGS_SCHEMA)
    assert validator.is_valid(EXAMPLE["settings"])
    assert validator.is_valid({"on_failure": "fail", "description": "Monthly report", "output": [1, None]})
    for bad in ({"timeout_s": 0}, {"timeout_s": "1"}, {"on_failure": "route"}, {"description": 3}, {"retry": {}}):
        assert not validator.is_valid(bad), bad


def test_edges_without_ids_get_the_ids_they_are_stored_with_and_the_same_checksum():
    from workflows.core.graph import with_edge_ids

    bare = copy.deepcopy(EXAMPLE)
    for e in bare["edges"]:
        del e["id"]
    before = copy.deepcopy(bare)
    assert with_edge_ids(bare) == EXAMPLE  # e1..e4, as written in full
    assert bare == before  # the caller's JSON is not changed
    assert behaviour_checksum(bare) == behaviour_checksum(EXAMPLE)
    assert with_edge_ids(EXAMPLE) is EXAMPLE  # nothing missing: nothing copied
