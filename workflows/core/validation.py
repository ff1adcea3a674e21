"""Validation of untrusted graph JSON: every problem at once, each naming its node and field.

``validate`` never raises on bad input (any JSON value, or Python junk): the designer shows all
errors in one pass and the API answers 400, never 500. Error codes:

- graph: ``invalid_graph`` (shape), ``unsupported_version``, ``unknown_key``, ``invalid_settings``,
  ``too_large``, ``empty``
- nodes: ``invalid_node``, ``missing_id``, ``invalid_id``, ``duplicate_id``, ``unknown_type``,
  ``invalid_config`` (JSON Schema), whatever the type's ``check`` reports (``unknown_handler``...),
  ``invalid_expression``
- edges: ``invalid_edge``, ``missing_id``, ``duplicate_id``, ``dangling_edge``, ``unknown_port``,
  ``duplicate_edge``
- structure: ``cycle``, ``unreachable``, ``isolated``

Fields are relative to the node when the error names one (``config.retry.max_attempts``), and
absolute otherwise (``nodes[3].id``, ``edges[2].target``, ``settings.timeout_s``).

A cycle is reported once per node on it, so the designer can mark each: the first node's error
carries ``nodes`` (the whole cycle, in order); the others repeat the message without the list,
which keeps the answer linear in size for a cycle of thousands of nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from . import expressions
from .errors import GraphError
from .graph import LAYOUT_KEYS, SETTINGS_SCHEMA, Edge, Graph, Node
from .planning import adjacency, cycles_indices, describe_cycle, is_cycle, levels, shortest_cycle
from .steps.base import CheckContext, StepType, StepTypeRegistry

NODE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
GRAPH_KEYS = ("version", "settings", "nodes", "edges", *LAYOUT_KEYS)
NODE_KEYS = ("id", "type", "label", "position", "config")
EDGE_KEYS = ("id", "source", "target", "port")
MAX_LABEL = 200
MAX_MESSAGE = 300


@dataclass(frozen=True)
class Validation:
    """``graph`` is set when every node and edge could be read (even if other errors remain);
    ``plan`` only when the graph is valid."""

    graph: Graph | None
    errors: list[GraphError]
    plan: list[list[str]] | None

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "errors": [e.as_dict() for e in self.errors],
            "plan": {"batches": self.plan} if self.plan is not None else None,
        }


def validate(
    data: Any,
    *,
    types: StepTypeRegistry | None = None,
    handler_names: Iterable[str] = (),
    max_nodes: int = 20000,
    max_edges: int | None = None,
) -> Validation:
    """Check graph JSON v1 (DESIGN §4). ``max_edges`` defaults to five per allowed node."""
    if types is None:
        from .steps import step_types as types
    limits = (max_nodes, max_edges if max_edges is not None else 5 * max_nodes)
    return _Validator(types, CheckContext(handler_names=frozenset(handler_names)), limits).run(data)


class _Validator:
    def __init__(self, types: StepTypeRegistry, ctx: CheckContext, limits: tuple[int, int]):
        self.types = types
        self.ctx = ctx
        self.max_nodes, self.max_edges = limits
        self.errors: list[GraphError] = []
        self.readable = True  # False once a node or edge had to be skipped: no Graph then
        self.nodes: dict[str, Node] = {}
        self.step_of: dict[str, StepType | None] = {}
        self.node_at: dict[str, int] = {}  # id -> its index in the nodes list
        self.edges: list[Edge] = []
        self.mentioned: set[str] = set()  # node ids named by any edge, even a broken one
        self.edge_ids: dict[str, int] = {}
        self.edge_keys: dict[tuple[str, str, str], int] = {}

    def error(self, code: str, message: str, node: str | None = None, field: str | None = None, nodes=()) -> None:
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        self.errors.append(GraphError(code, message, node, field, tuple(nodes)))

    def shape_error(self, code: str, message: str, node: str | None = None, field: str | None = None) -> None:
        self.readable = False
        self.error(code, message, node, field)

    # --- top level -----------------------------------------------------------------------------
    def run(self, data: Any) -> Validation:
        if not isinstance(data, Mapping):
            self.shape_error("invalid_graph", f"a graph must be a JSON object with version, nodes and edges, not {_kind(data)}")
            return Validation(None, self.errors, None)
        for key in data:
            if key not in GRAPH_KEYS:
                self.error("unknown_key", f"unknown key {_short(key)} (a graph has {', '.join(GRAPH_KEYS)})", field=str(key)[:100])
        version = data.get("version")
        if type(version) is not int or version != 1:
            self.error("unsupported_version", f'this graph format is "version": 1, got {_short(version)}', field="version")
        for key in LAYOUT_KEYS:
            if key in data and not isinstance(data[key], Mapping):
                self.error("invalid_graph", f"{key} must be an object, not {_kind(data[key])}", field=key)
        self.settings(data.get("settings", {}))
        nodes = self.list_of(data, "nodes", self.max_nodes)
        edges = self.list_of(data, "edges", self.max_edges)
        if nodes is None or edges is None:
            return Validation(None, self.errors, None)
        for i, raw in enumerate(nodes):
            self.node(i, raw)
        for i, raw in enumerate(edges):
            self.edge(i, raw)
        batches = self.structure(empty=not nodes)
        graph = None
        if self.readable and isinstance(data.get("settings", {}), dict):
            graph = Graph(self.nodes, tuple(self.edges), data.get("settings", {}), 1)
        plan = batches if not self.errors else None
        return Validation(graph, self.errors, plan)

    def list_of(self, data: Mapping, key: str, limit: int) -> list | None:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.shape_error("invalid_graph", f"{key} must be a list, not {_kind(value)}", field=key)
            return []
        if len(value) > limit:
            self.shape_error("too_large", f"the graph has {len(value)} {key}; at most {limit} are allowed", field=key)
            return None
        return value

    def settings(self, settings: Any) -> None:
        if not isinstance(settings, Mapping):
            self.error("invalid_settings", f"settings must be an object, not {_kind(settings)}", field="settings")
            return
        for field, message in _schema("settings", SETTINGS_SCHEMA).errors(settings, "settings"):
            self.error("invalid_settings", message, field=field)
        if "output" in settings:
            self.templates(None, settings["output"], "settings.output")

    # --- nodes ---------------------------------------------------------------------------------
    def node(self, i: int, raw: Any) -> None:
        where = f"nodes[{i}]"
        if not isinstance(raw, Mapping):
            return self.shape_error("invalid_node", f"{where} must be an object, not {_kind(raw)}", field=where)
        nid = raw.get("id")
        if not isinstance(nid, str) or not nid:
            code = "missing_id" if nid is None or nid == "" else "invalid_id"
            return self.shape_error(code, f"{where} needs an id (a non-empty string), got {_short(nid)}", field=f"{where}.id")
        if nid in self.nodes:
            first = self.node_at[nid]
            return self.shape_error("duplicate_id", f"node id {_short(nid)} is used by nodes[{first}] and {where}", nid, f"{where}.id")
        self.node_at[nid] = i
        if not NODE_ID.fullmatch(nid):
            self.error(
                "invalid_id",
                f"node id {_short(nid)} must start with a letter or _ and hold only letters, digits and _ "
                "(64 at most): expressions name it as steps.<id>.output",
                nid,
                "id",
            )
        for key in raw:
            if key not in NODE_KEYS:
                self.error("unknown_key", f"unknown node key {_short(key)} (a node has {', '.join(NODE_KEYS)})", nid, str(key)[:100])
        label = raw.get("label", "")
        if not isinstance(label, str) or len(label) > MAX_LABEL:
            self.shape_error("invalid_node", f"label must be a string of at most {MAX_LABEL} characters", nid, "label")
            label = ""
        position = self.position(nid, raw.get("position"))
        config = raw.get("config", {})
        if not isinstance(config, dict):
            self.shape_error("invalid_config", f"config must be an object, not {_kind(config)}", nid, "config")
            config = {}
        type_name = raw.get("type")
        step = self.types.get(type_name) if isinstance(type_name, str) else None
        if step is None:
            known = ", ".join(self.types.names())
            self.error("unknown_type", f"unknown node type {_short(type_name)} (known types: {known})", nid, "type")
        self.nodes[nid] = Node(nid, type_name if isinstance(type_name, str) else "", config, label, position)
        self.step_of[nid] = step
        if step is not None and isinstance(raw.get("config", {}), dict):
            try:
                self.config(nid, step, config)
            except RecursionError:
                self.error("invalid_config", "config is nested too deeply", nid, "config")

    def position(self, nid: str, pos: Any) -> tuple[float, float] | None:
        if pos is None:
            return None
        if isinstance(pos, Mapping) and set(pos) == {"x", "y"} and all(_is_number(pos[k]) for k in ("x", "y")):
            return (pos["x"], pos["y"])
        self.shape_error("invalid_node", 'position must be {"x": number, "y": number}', nid, "position")
        return None

    def config(self, nid: str, step: StepType, config: dict) -> None:
        schema = _schema(step.name, step.schema)
        schema_ok = schema.is_valid(config)
        if not schema_ok:
            for field, message in schema.errors(config, "config"):
                self.error("invalid_config", message, nid, field)
        try:
            problems = step.check(nid, config, self.ctx)
        except Exception as exc:  # a type's check may trip over a config its schema rejected
            problems = [] if not schema_ok else [GraphError("invalid_config", f"config could not be checked: {exc}", nid, "config")]
        for problem in problems:
            self.errors.append(problem)
        for key, value in config.items():
            if key in step.expression_fields:
                if isinstance(value, str):
                    message = _expression_error(value)
                    if message is not None:
                        self.error("invalid_expression", f"config.{key}: {message}", nid, f"config.{key}")
            elif key not in step.literal_fields:
                self.templates(nid, value, f"config.{key}")

    def templates(self, nid: str | None, value: Any, path: str) -> None:
        for field, text in expressions.iter_strings(value, path):
            message = _template_error(text)
            if message is not None:
                self.error("invalid_expression", f"{field}: {message}", nid, field)

    # --- edges ---------------------------------------------------------------------------------
    def edge(self, i: int, raw: Any) -> None:
        where = f"edges[{i}]"
        if not isinstance(raw, Mapping):
            return self.shape_error("invalid_edge", f"{where} must be an object, not {_kind(raw)}", field=where)
        for key in raw:
            if key not in EDGE_KEYS:
                self.error("unknown_key", f"unknown edge key {_short(key)} (an edge has {', '.join(EDGE_KEYS)})", field=f"{where}.{str(key)[:100]}")
        eid = raw.get("id")
        if not isinstance(eid, str) or not eid:
            code = "missing_id" if eid is None or eid == "" else "invalid_edge"
            self.shape_error(code, f"{where} needs an id (a non-empty string), got {_short(eid)}", field=f"{where}.id")
        elif eid in self.edge_ids:
            self.shape_error("duplicate_id", f"edge id {_short(eid)} is used by edges[{self.edge_ids[eid]}] and {where}", field=f"{where}.id")
        else:
            self.edge_ids[eid] = i
        ends = []
        for end in ("source", "target"):
            value = raw.get(end)
            if not isinstance(value, str):
                self.shape_error("invalid_edge", f"{where}.{end} must be a node id, got {_short(value)}", field=f"{where}.{end}")
            else:
                self.mentioned.add(value)
            ends.append(value)
        source, target = ends
        port = raw.get("port", "out")
        if not isinstance(port, str):
            self.shape_error("invalid_edge", f"{where}.port must be a string, got {_short(port)}", field=f"{where}.port")
        if not (isinstance(source, str) and isinstance(target, str) and isinstance(port, str)):
            return
        missing = [(end, v) for end, v in (("source", source), ("target", target)) if v not in self.nodes]
        if missing:
            present = next((v for v in (source, target) if v in self.nodes), None)
            for end, v in missing:
                self.shape_error("dangling_edge", f"{where} {end} {_short(v)} is not a node of this graph", present, f"{where}.{end}")
            return
        self.port(where, source, port)
        key = (source, port, target)
        if key in self.edge_keys:
            return self.shape_error(
                "duplicate_edge", f"{where} repeats edges[{self.edge_keys[key]}]: {source} ({port}) → {target}", source, where
            )
        self.edge_keys[key] = i
        self.edges.append(Edge(eid if isinstance(eid, str) else "", source, target, port))

    def port(self, where: str, source: str, port: str) -> None:
        step = self.step_of[source]
        if step is None:
            return  # unknown type: already reported, its ports are unknowable
        try:
            ports = step.all_ports(self.nodes[source].config)
        except Exception:  # ports of a config its schema rejected: already reported
            return
        if port not in ports:
            self.error(
                "unknown_port",
                f"node {source} ({step.name}) has no port {_short(port)}; its ports: {', '.join(ports)}",
                source,
                f"{where}.port",
            )

    # --- structure -----------------------------------------------------------------------------
    def structure(self, *, empty: bool) -> list[list[str]] | None:
        ids = list(self.nodes)
        n = len(ids)
        if empty:
            self.error("empty", "the workflow has no nodes")
            return None
        index = {v: i for i, v in enumerate(ids)}
        succ, indeg = adjacency(n, [(index[e.source], index[e.target]) for e in self.edges])
        entries = [v for v in range(n) if indeg[v] == 0]
        remaining = list(indeg)
        batches, placed = levels(succ, remaining)
        if placed < n:
            stuck = [v for v in range(n) if remaining[v] > 0]
            for cycle in cycles_indices(succ, stuck):
                self.cycle(ids, succ, cycle)
        reached = _reach(succ, entries)
        for v in range(n):
            if not reached[v]:
                self.error("unreachable", "not reachable from any start node (a node without incoming edges)", ids[v])
        if n > 1:
            for v in entries:
                if not succ[v] and ids[v] not in self.mentioned:
                    self.error("isolated", "not connected to the workflow", ids[v])
        return [[ids[v] for v in b] for b in batches]

    def cycle(self, ids: list[str], succ: list[list[int]], cycle: list[int]) -> None:
        names = [ids[v] for v in cycle]
        if is_cycle(succ, cycle):
            shown = describe_cycle(names)
        else:  # a tangle of cycles: show one real cycle, count the rest
            shown = describe_cycle([ids[v] for v in shortest_cycle(succ, cycle[0])])
            shown += f" ({len(cycle)} nodes reach each other)"
        message = f"cycle: {shown}; use a loop node for repetition"
        self.error("cycle", message, names[0], nodes=names)
        for name in names[1:]:
            self.error("cycle", message, name)


def _reach(succ: list[list[int]], starts: list[int]) -> list[bool]:
    seen = [False] * len(succ)
    todo = list(starts)
    for v in todo:
        seen[v] = True
    while todo:
        v = todo.pop()
        for w in succ[v]:
            if not seen[w]:
                seen[w] = True
                todo.append(w)
    return seen


# --- JSON Schema, made fast ------------------------------------------------------------------------
# jsonschema costs ~40 µs per small config: 400 ms for a 10,000-node graph. Node configs are flat
# objects whose property values repeat across nodes (retry policies, timeouts, handler names), so
# an object schema of the plain form {type: object, properties, required, additionalProperties:
# false} is checked key by key, with each property's verdict memoised by its exact value. That is
# the same verdict jsonschema gives for that form; jsonschema itself writes the messages, and any
# other schema shape is validated whole.

_ANNOTATIONS = {"title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly"}
_SPLITTABLE = {"type", "properties", "required", "additionalProperties", *_ANNOTATIONS}
_REFS = ("$ref", "$dynamicRef", "$id", "$anchor", "$defs", "$dynamicAnchor")
_MEMO_LIMIT = 50_000
_CHECKERS: dict[tuple[str, int], tuple[Any, _Schema]] = {}


class _Schema:
    def __init__(self, schema: Any):
        Draft202012Validator.check_schema(schema)
        self.validator = Draft202012Validator(schema)
        self.parts = _split(schema)
        self.memo: dict[tuple[str, Any], bool] = {}

    def is_valid(self, value: Any) -> bool:
        if self.parts is None or type(value) is not dict:
            return self.validator.is_valid(value)
        properties, required, closed = self.parts
        for key in required:
            if key not in value:
                return False
        memo = self.memo
        for key, item in value.items():
            if key not in properties:
                if closed:
                    return False
                continue
            check = properties[key]
            if check is None:
                continue
            try:
                memo_key = (key, _freeze(item))
            except (TypeError, RecursionError):  # not plain JSON: no memo
                if not check.is_valid(item):
                    return False
                continue
            ok = memo.get(memo_key)
            if ok is None:
                if len(memo) > _MEMO_LIMIT:
                    memo.clear()
                ok = memo[memo_key] = check.is_valid(item)
            if not ok:
                return False
        return True

    def errors(self, value: Any, prefix: str) -> list[tuple[str, str]]:
        """(field, message) for each schema violation, the field dotted from ``prefix``."""
        if self.is_valid(value):
            return []
        out = []
        for error in self.validator.iter_errors(value):
            field = prefix + "".join(f".{p}" for p in error.absolute_path)
            out.append((field, f"{field}: {error.message}"))
        return out


def _schema(name: str, schema: Any) -> _Schema:
    """One compiled checker per type, reused across calls (re-made if the schema object changes)."""
    cached = _CHECKERS.get((name, id(schema)))
    if cached is None or cached[0] is not schema:
        cached = _CHECKERS[(name, id(schema))] = (schema, _Schema(schema))
    return cached[1]


def _split(schema: Any) -> tuple[dict[str, Draft202012Validator | None], tuple[str, ...], bool] | None:
    """Per-property validators when the schema has the plain object form, else None."""
    if not isinstance(schema, dict) or schema.get("type") != "object" or _has_refs(schema):
        return None
    if any(k not in _SPLITTABLE and not str(k).startswith("x-") for k in schema):
        return None
    extra = schema.get("additionalProperties", True)
    if extra not in (True, False):
        return None
    properties = {
        key: None if _accepts_anything(sub) else Draft202012Validator(sub)
        for key, sub in schema.get("properties", {}).items()
    }
    return properties, tuple(schema.get("required", ())), extra is False


def _accepts_anything(schema: Any) -> bool:
    return schema is True or (isinstance(schema, dict) and all(k in _ANNOTATIONS or str(k).startswith("x-") for k in schema))


def _has_refs(schema: Any) -> bool:
    if isinstance(schema, dict):
        return any(k in _REFS for k in schema) or any(_has_refs(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_has_refs(v) for v in schema)
    return False


def _freeze(value: Any) -> Any:
    """A hashable twin of a JSON value that tells 1, 1.0 and true apart (they hash alike)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return (kind, value)
    if kind is dict:
        return (dict, tuple((k if type(k) is str else (type(k), k), _freeze(v)) for k, v in value.items()))
    if kind is list:
        return (list, tuple(_freeze(v) for v in value))
    raise TypeError(kind)


# --- expressions -----------------------------------------------------------------------------------
# The same expression recurs across nodes and calls; short ones are memoised (verdicts are pure).
_EXPRESSIONS: dict[tuple[bool, str], str | None] = {}
_MEMO_TEXT = 1000


def _template_error(text: str) -> str | None:
    return _memo_check(False, text)


def _expression_error(text: str) -> str | None:
    return _memo_check(True, text)


def _memo_check(bare: bool, text: str) -> str | None:
    key = (bare, text)
    if key in _EXPRESSIONS:
        return _EXPRESSIONS[key]
    try:
        (expressions.check_expression if bare else expressions.check_template)(text)
        message = None
    except Exception as exc:  # ExpressionError, or anything a pathological text provokes
        message = str(exc) or exc.__class__.__name__
    if len(text) <= _MEMO_TEXT:
        if len(_EXPRESSIONS) > _MEMO_LIMIT:
            _EXPRESSIONS.clear()
        _EXPRESSIONS[key] = message
    return message


# --- wording -----------------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
