"""The workflow graph (graph JSON v1, DESIGN §4) as frozen dataclasses.

``Graph.from_dict`` trusts its input: it is for graphs that ``validation.validate`` already
accepted (stored versions), so the engine can load them fast. Untrusted JSON goes through
``validate`` first, which returns the parsed ``Graph`` alongside its errors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import planning
from .values import clamp

GRAPH_VERSION = 1

#: Top-level keys that hold layout only: stored with the graph, ignored by its behaviour.
LAYOUT_KEYS = ("layout", "viewport")

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 366 * 86400, "title": "Workflow timeout (s)"},
        "on_failure": {
            "type": "string",
            "enum": ["fail", "compensate"],
            "default": "fail",
            "title": "On failure",
            "description": "when a step fails for good: fail, or first undo the completed steps (their compensate handlers, latest first)",
        },
        "queries": {
            "type": "object",
            "title": "Queries",
            "description": "named expressions anyone allowed to see an instance may ask of it (GET /instances/{id}/queries/{name}/)",
            "maxProperties": 50,
            "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_-]{0,63}$"},
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 2000},
        },
        "output": {"title": "Output", "description": "the instance's output; may contain {{ }} templates"},
        "description": {"type": "string", "title": "Description"},
    },
}


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    config: dict[str, Any]
    label: str = ""
    position: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.label:
            data["label"] = self.label
        if self.position is not None:
            data["position"] = {"x": self.position[0], "y": self.position[1]}
        data["config"] = self.config
        return data


@dataclass(frozen=True)
class Edge:
    id: str
    source: str
    target: str
    port: str = "out"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "target": self.target, "port": self.port}


@dataclass(frozen=True)
class Graph:
    """Nodes keyed by id in the order the graph lists them (that order breaks ties in plans)."""

    nodes: dict[str, Node]
    edges: tuple[Edge, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    version: int = GRAPH_VERSION

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Graph:
        nodes = {}
        for n in data.get("nodes", ()):
            pos = n.get("position")
            nodes[n["id"]] = Node(
                n["id"],
                n["type"],
                n.get("config", {}),
                n.get("label", ""),
                (pos["x"], pos["y"]) if pos is not None else None,
            )
        edges = tuple(Edge(e["id"], e["source"], e["target"], e.get("port", "out")) for e in data.get("edges", ()))
        return cls(nodes, edges, data.get("settings", {}), data.get("version", GRAPH_VERSION))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "settings": self.settings,
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges],
        }

    # Derived maps are computed once per graph (cached_property writes past the frozen guard).
    @cached_property
    def ids(self) -> list[str]:
        return list(self.nodes)

    @cached_property
    def index(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.nodes)}

    @cached_property
    def outgoing(self) -> dict[str, tuple[Edge, ...]]:
        return self._group("source")

    @cached_property
    def incoming(self) -> dict[str, tuple[Edge, ...]]:
        return self._group("target")

    def _group(self, end: str) -> dict[str, tuple[Edge, ...]]:
        groups: dict[str, list[Edge]] = {v: [] for v in self.nodes}
        for e in self.edges:
            groups[getattr(e, end)].append(e)
        return {v: tuple(es) for v, es in groups.items()}

    def timeout_s(self) -> float | None:
        """The workflow's timeout, held to its documented range (stored graphs may predate it)."""
        return clamp(self.settings.get("timeout_s"), SETTINGS_SCHEMA["properties"]["timeout_s"]) or None

    def entry_nodes(self) -> list[str]:
        """Nodes without incoming edges, in node order: where an instance starts."""
        incoming = self.incoming
        return [v for v in self.nodes if not incoming[v]]

    def topological_order(self) -> list[str]:
        """Node ids, every edge's source before its target. Raises ``CycleError``."""
        return [v for batch in self.plan for v in batch]

    @cached_property
    def plan(self) -> list[list[str]]:
        """Batches that can run in parallel (see ``planning.plan``). Raises ``CycleError``."""
        return planning.plan(self)


def behaviour_checksum(data: Mapping[str, Any]) -> str:
    """sha256 of the graph's canonical JSON without its presentation.

    Positions, labels and the top-level layout keys are left out, so moving or renaming a node
    in the designer is not a change of behaviour (STYLE: layout apart from semantics). An edge
    without a port counts as ``out``, as everywhere else.
    """
    return hashlib.sha256(canonical_json(behaviour(data)).encode()).hexdigest()


def with_edge_ids(data: Any) -> Any:
    """The graph JSON with an id on every edge: an edge's ``id`` is optional in what people write
    (the README's examples have none), so a missing one (absent, null or "") becomes ``e<n>``, n
    its 1-based place in the list, or the next number that no other edge uses. Validation and the
    stored version both see these ids, so an edge is named the same in errors, the designer and the
    engine. Deterministic (a file loaded twice gets the same ids); anything else stays as given,
    for validation to report; ``data`` itself is never changed."""
    edges = data.get("edges") if isinstance(data, Mapping) else None
    if not isinstance(edges, list) or all(not _needs_id(e) for e in edges):
        return data
    taken = {e["id"] for e in edges if isinstance(e, Mapping) and isinstance(e.get("id"), str) and e["id"]}
    fresh = []
    for n, edge in enumerate(edges, 1):
        if _needs_id(edge):
            while f"e{n}" in taken:
                n += 1
            taken.add(f"e{n}")
            edge = {"id": f"e{n}", **{k: v for k, v in edge.items() if k != "id"}}
        fresh.append(edge)
    return {**data, "edges": fresh}


def _needs_id(edge: Any) -> bool:
    return isinstance(edge, Mapping) and edge.get("id") in (None, "")


def behaviour(data: Mapping[str, Any]) -> dict[str, Any]:
    """The graph JSON with presentation removed (tolerates malformed parts: they stay as given).
    Edges without an id get the ids they are stored with (``with_edge_ids``)."""
    data = with_edge_ids(data)
    out = {k: v for k, v in data.items() if k not in LAYOUT_KEYS}
    if isinstance(out.get("nodes"), list):
        out["nodes"] = [
            {k: v for k, v in n.items() if k not in ("position", "label")} if isinstance(n, Mapping) else n
            for n in out["nodes"]
        ]
    if isinstance(out.get("edges"), list):
        out["edges"] = [{"port": "out", **e} if isinstance(e, Mapping) else e for e in out["edges"]]
    return out


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
