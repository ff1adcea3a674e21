"""Validation of untrusted graph JSON: every problem at once, each naming its node and field.

``validate`` never raises on bad input (any JSON value, or Python junk): the designer shows all
errors in one pass and the API answers 400, never 500. Error codes:

- graph: ``invalid_graph`` (shape), ``unsupported_version``, ``unknown_key``, ``invalid_settings``,
  ``too_large``, ``empty``
- nodes: ``invalid_node``, ``missing_id``, ``invalid_id``, ``duplicate_id``, ``unknown_type``,
  ``invalid_config`` (JSON Schema), whatever the type's ``check`` reports (``unknown_handler``,
  ``unknown_template``, ``unknown_version``, ``recursive_workflow``...), ``invalid_expression``
- edges (an edge without an id gets one, see ``graph.with_edge_ids``): ``invalid_edge``, ``duplicate_id``, ``dangling_edge``, ``unknown_port``,
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

from jsonschema import Draft202012Validator as _Draft202012
from jsonschema import validators as _validators

from . import expressions
from .errors import GraphError
from .graph import LAYOUT_KEYS, SETTINGS_SCHEMA, Edge, Graph, Node, with_edge_ids
from .planning import (
    adjacency,
    cycles_indices,
    describe_cycle,
    is_cycle,
    levels,
    shortest_cycle,
)
from .steps.base import CheckContext, StepType, StepTypeRegistry

NODE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
GRAPH_KEYS = ("version", "settings", "nodes", "edges", *LAYOUT_KEYS)
NODE_KEYS = ("id", "type", "label", "position", "config")
EDGE_KEYS = ("id", "source", "target", "port")
_NODE_KEYS, _EDGE_KEYS = frozenset(NODE_KEYS), frozenset(EDGE_KEYS)
_MISSING = re.compile(r"config: '([^']+)' is a required property$")
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
    template_names: Iterable[str] | None = None,
    template_name: str | None = None,
    template_versions: Mapping[str, Iterable[int]] | None = None,
    max_nodes: int = 20000,
    max_edges: int | None = None,
) -> Validation:
    """Check graph JSON v1 (DESIGN §4). ``max_edges`` defaults to five per allowed node.

    ``template_names``: the templates a child workflow may name (None: child names are not
    checked); ``template_name``: the graph's own template, which none of its nodes may start;
    ``template_versions``: the published version numbers of each of those templates, which a
    pinned ``version`` must be one of (None: pins are not checked)."""
    if types is None:
        from .steps import step_types as types
    limits = (max_nodes, max_edges if max_edges is not None else 5 * max_nodes)
    ctx = CheckContext(
        handler_names=frozenset(handler_names),
        template_names=frozenset(template_names) if template_names is not None else None,
        template_name=template_name,
        template_versions={name: frozenset(numbers) for name, numbers in template_versions.items()} if template_versions is not None else None,
    )
    return _Validator(types, ctx, limits).run(data)


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
        self.mentioned: set[str] = set()  # node ids named by broken edges: not "isolated" then
        self.edge_ids: dict[str, int] = {}
        self.edge_keys: dict[tuple[str, str, str], int] = {}
        self.ports_of: dict[str, tuple[str, ...] | None] = {}  # memo: all_ports per node

    def error(self, code: str, message: str, node: str | None = None, field: str | None = None, nodes=()) -> None:
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        self.errors.append(GraphError(code, message, node, field, tuple(nodes)))

    def shape_error(self, code: str, message: str, node: str | None = None, field: str | None = None) -> None:
        self.readable = False
        self.error(code, message, node, field)

    def unknown_keys(self, raw: dict, allowed: tuple[str, ...], what: str, node: str | None, prefix: str) -> None:
        for key in raw:
            if key not in allowed:
                message = f"unknown key {_short(key)} ({what} has {', '.join(allowed)})"
                self.error("unknown_key", message, node, prefix + str(key)[:100])

    # --- top level -----------------------------------------------------------------------------
    def run(self, data: Any) -> Validation:
        data = with_edge_ids(data)
        if not isinstance(data, dict):
            message = f"a graph must be a JSON object with version, nodes and edges, not {_kind(data)}"
            self.shape_error("invalid_graph", message)
            return Validation(None, self.errors, None)
        self.unknown_keys(data, GRAPH_KEYS, "a graph", None, "")
        version = data.get("version")
        if type(version) is not int or version != 1:
            self.error("unsupported_version", f'this graph format is "version": 1, got {_short(version)}', field="version")
        for key in LAYOUT_KEYS:
            if key in data and not isinstance(data[key], dict):
                self.error("invalid_graph", f"{key} must be an object, not {_kind(data[key])}", field=key)
        settings = data.get("settings", {})
        self.settings(settings)
        nodes = self.list_of(data, "nodes", self.max_nodes)
        edges = self.list_of(data, "edges", self.max_edges)
        if nodes is None or edges is None:
            return Validation(None, self.errors, None)
        for i, raw in enumerate(nodes):
            self.node(i, raw)
        for i, raw in enumerate(edges):
            self.edge(i, raw)
        batches = self.structure(empty=not nodes)
        graph = Graph(self.nodes, tuple(self.edges), settings, 1) if self.readable and isinstance(settings, dict) else None
        return Validation(graph, self.errors, batches if not self.errors else None)

    def list_of(self, data: dict, key: str, limit: int) -> list | None:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.shape_error("invalid_graph", f"{key} must be a list, not {_kind(value)}", field=key)
            return []
        if len(value) > limit:
            self.shape_error("too_large", f"the graph has {len(value)} {key}; at most {limit} are allowed", field=key)
            return None
        return value

    def settings(self, settings: Any) -> None:
        if not isinstance(settings, dict):
            self.error("invalid_settings", f"settings must be an object, not {_kind(settings)}", field="settings")
            return
        try:
            for field, message in _schema("<settings>", SETTINGS_SCHEMA).errors(settings, "settings"):
                self.error("invalid_settings", message, field=field)
            if "output" in settings:
                self.templates(None, settings["output"], "settings", "output")
            queries = settings.get("queries")
            if isinstance(queries, dict):  # each is a bare expression, parsed now so a typo fails at publish
                for name, text in queries.items():
                    if isinstance(text, str) and (message := _expression_error(text)) is not None:
                        self.error("invalid_expression", f"settings.queries.{name}: {message}", field=f"settings.queries.{name}")
        except RecursionError:
            self.error("invalid_settings", "settings are nested too deeply", field="settings")

    # --- nodes ---------------------------------------------------------------------------------
    def node(self, i: int, raw: Any) -> None:
        where = f"nodes[{i}]"
        if not isinstance(raw, dict):
            return self.shape_error("invalid_node", f"{where} must be an object, not {_kind(raw)}", field=where)
        nid = raw.get("id")
        if type(nid) is not str or not nid:
            code = "missing_id" if nid is None or nid == "" else "invalid_id"
            message = f"{where} needs an id (a non-empty string), got {_short(nid)}"
            return self.shape_error(code, message, field=f"{where}.id")
        if nid in self.nodes:
            first = self.node_at[nid]
            message = f"node id {_short(nid)} is used by nodes[{first}] and {where}"
            return self.shape_error("duplicate_id", message, nid, f"{where}.id")
        self.node_at[nid] = i
        if not NODE_ID.fullmatch(nid):
            self.error(
                "invalid_id",
                f"node id {_short(nid)} must start with a letter or _ and hold only letters, digits and _ "
                "(64 at most): expressions name it as steps.<id>.output",
                nid,
                "id",
            )
        if not raw.keys() <= _NODE_KEYS:
            self.unknown_keys(raw, NODE_KEYS, "a node", nid, "")
        label = raw.get("label", "")
        if type(label) is not str or len(label) > MAX_LABEL:
            self.shape_error("invalid_node", f"label must be a string of at most {MAX_LABEL} characters", nid, "label")
            label = ""
        position = raw.get("position")
        if position is not None:
            position = self.position(nid, position)
        config = raw.get("config", {})
        if not isinstance(config, dict):
            self.shape_error("invalid_config", f"config must be an object, not {_kind(config)}", nid, "config")
            config = None
        type_name = raw.get("type")
        if type(type_name) is not str:
            self.readable = False
            type_name = None
        step = self.types.get(type_name) if type_name is not None else None
        if step is None:
            known = ", ".join(self.types.names())
            what = f"unknown node type {_short(raw['type'])}" if "type" in raw else "the node has no type"
            self.error("unknown_type", f"{what} (known types: {known})", nid, "type")
        self.nodes[nid] = Node(nid, type_name or "", config if config is not None else {}, label, position)
        self.step_of[nid] = step
        if step is not None and config is not None:
            try:
                self.config(nid, step, config)
            except RecursionError:
                self.error("invalid_config", "config is nested too deeply", nid, "config")

    def position(self, nid: str, pos: Any) -> tuple[float, float] | None:
        if isinstance(pos, dict) and len(pos) == 2 and _is_number(pos.get("x")) and _is_number(pos.get("y")):
            return (pos["x"], pos["y"])
        self.shape_error("invalid_node", 'position must be {"x": number, "y": number}', nid, "position")
        return None

    def config(self, nid: str, step: StepType, config: dict) -> None:
        if config.get("wait") is False and config.get("on_failure") == "route" and not step.inline:
            self.error("invalid_config", "config.on_failure: a step that is not waited for cannot route its failure (its successors have started)", nid, "config.on_failure")
        schema = _schema(step.name, step.schema)
        schema_ok = schema.is_valid(config)
        try:
            problems = step.check(nid, config, self.ctx)
        except Exception as exc:  # a type's check may trip over a config its schema rejected
            problems = [GraphError("invalid_config", f"config could not be checked: {exc}", nid, "config")] if schema_ok else []
        if not schema_ok:
            # when the type's check has said what is wrong in its own words (wait: "set Wait for
            # (s) or Until"; approval: "field 'b' has the unknown type 'signature'"), the schema's
            # message about the same field ("{} is not valid under...", "is not one of") is noise
            said = {p.field for p in problems}
            for field, message in schema.errors(config, "config", choices=not problems):
                missing = _MISSING.match(message)
                if field in said or (missing and f"config.{missing[1]}" in said):
                    continue
                self.error("invalid_config", message, nid, field)
        self.errors.extend(problems)
        bare, literal = step.expression_fields, step.literal_fields
        for key, value in config.items():
            if key in bare:
                if type(value) is str:
                    message = _expression_error(value)
                    if message is not None:
                        self.error("invalid_expression", f"config.{key}: {message}", nid, f"config.{key}")
            elif key not in literal and type(value) not in _SCALARS:
                self.templates(nid, value, "config", key)

    def templates(self, nid: str | None, value: Any, head: str, key: Any) -> None:
        """Check the templates in ``value`` (found at ``head.key``; paths are built only on error)."""
        if type(value) is str:
            strings = (value,)
        elif type(value) in _SCALARS:
            return
        else:
            strings = _strings(value)
        for text in strings:
            if _template_error(text) is not None:
                break
        else:
            return
        for field, text in expressions.iter_strings(value, f"{head}.{key}"):
            message = _template_error(text)
            if message is not None:
                self.error("invalid_expression", f"{field}: {message}", nid, field)

    # --- edges ---------------------------------------------------------------------------------
    def edge(self, i: int, raw: Any) -> None:
        where = f"edges[{i}]"
        if not isinstance(raw, dict):
            return self.shape_error("invalid_edge", f"{where} must be an object, not {_kind(raw)}", field=where)
        if not raw.keys() <= _EDGE_KEYS:
            self.unknown_keys(raw, EDGE_KEYS, "an edge", None, f"{where}.")
        eid = raw.get("id")
        if type(eid) is not str:
            message = f"{where}.id must be a string (or left out: one is generated), got {_short(eid)}"
            self.shape_error("invalid_edge", message, field=f"{where}.id")
        elif eid in self.edge_ids:
            message = f"edge id {_short(eid)} is used by edges[{self.edge_ids[eid]}] and {where}"
            self.shape_error("duplicate_id", message, field=f"{where}.id")
        else:
            self.edge_ids[eid] = i
        source, target, port = raw.get("source"), raw.get("target"), raw.get("port", "out")
        if type(source) is not str or type(target) is not str or type(port) is not str:
            return self.unreadable_ends(where, source, target, port)
        nodes = self.nodes
        if source not in nodes or target not in nodes:
            return self.dangling(where, source, target)
        ports = self.ports_of.get(source, False)
        if ports is False:
            ports = self.ports_of[source] = self.ports(source)
        if ports is not None and port not in ports:
            step = self.step_of[source]
            self.error(
                "unknown_port",
                f"node {source} ({step.name if step else '?'}) has no port {_short(port)}; its ports: {', '.join(ports)}",
                source,
                f"{where}.port",
            )
        key = (source, port, target)
        if key in self.edge_keys:
            message = f"{where} repeats edges[{self.edge_keys[key]}]: {source} ({port}) → {target}"
            return self.shape_error("duplicate_edge", message, source, where)
        self.edge_keys[key] = i
        self.edges.append(Edge(eid if type(eid) is str else "", source, target, port))

    def unreadable_ends(self, where: str, source: Any, target: Any, port: Any) -> None:
        for end, value in (("source", source), ("target", target), ("port", port)):
            if type(value) is not str:
                what = "a string" if end == "port" else "a node id"
                message = f"{where}.{end} must be {what}, got {_short(value)}"
                self.shape_error("invalid_edge", message, field=f"{where}.{end}")
            elif end != "port":
                self.mentioned.add(value)

    def dangling(self, where: str, source: str, target: str) -> None:
        present = source if source in self.nodes else target if target in self.nodes else None
        self.mentioned.update((source, target))
        for end, value in (("source", source), ("target", target)):
            if value not in self.nodes:
                message = f"{where} {end} {_short(value)} is not a node of this graph"
                self.shape_error("dangling_edge", message, present, f"{where}.{end}")

    def ports(self, node_id: str) -> tuple[str, ...] | None:
        """The node's ports, or None when unknowable (unknown type, or a config ports() trips on)."""
        step = self.step_of[node_id]
        if step is None:
            return None
        try:
            return tuple(step.all_ports(self.nodes[node_id].config))
        except Exception:  # a config its schema rejected: already reported
            return None

    # --- structure -----------------------------------------------------------------------------
    def structure(self, *, empty: bool) -> list[list[str]] | None:
        if empty:
            self.error("empty", "the workflow has no nodes")
            return None
        ids = list(self.nodes)
        n = len(ids)
        index = {v: i for i, v in enumerate(ids)}
        succ, indeg = adjacency(n, [(index[e.source], index[e.target]) for e in self.edges])
        entries = [v for v in range(n) if indeg[v] == 0]
        remaining = list(indeg)
        batches, placed = levels(succ, remaining)
        if placed < n:
            for cycle in cycles_indices(succ, [v for v in range(n) if remaining[v] > 0]):
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
# "integer" means a whole JSON number as written: since draft 6 jsonschema also accepts 2.0, which
# then reached ``RetryPolicy`` (and ``range()``-like uses) as a float at run time.
Draft202012Validator = _validators.extend(
    _Draft202012,
    type_checker=_Draft202012.TYPE_CHECKER.redefine("integer", lambda checker, value: type(value) is int),
)

# jsonschema costs ~40 µs per small config: 400 ms for a 10,000-node graph. Node configs are flat
# objects whose property values repeat across nodes (retry policies, timeouts, handler names), so
# an object schema of the plain form {type: object, properties, required, additionalProperties:
# false} is checked key by key, with each property's verdict memoised by its exact value. That is
# the same verdict jsonschema gives for that form; jsonschema itself writes the messages, and any
# other schema shape is validated whole.

_ANNOTATIONS = {"title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly"}
_SPLITTABLE = {"type", "properties", "required", "additionalProperties", *_ANNOTATIONS}
_REFS = ("$ref", "$dynamicRef", "$id", "$anchor", "$defs", "$dynamicAnchor")
_MEMO_LIMIT = 50_000  # entries per memo before it starts afresh
_MEMO_ITEMS = 64  # JSON values in one memoised property value
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
                memo_key = (key, _freeze(item, [_MEMO_ITEMS]))
            except TypeError:  # not plain JSON, or too big to be worth remembering
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

    def errors(self, value: Any, prefix: str, *, choices: bool = True) -> list[tuple[str, str]]:
        """(field, message) for each schema violation, the field dotted from ``prefix``.

        ``choices=False`` leaves out the top-level oneOf/anyOf verdicts (a type's check explains those)."""
        if self.is_valid(value):
            return []
        out = []
        for error in self.validator.iter_errors(value):
            if not choices and error.validator in ("oneOf", "anyOf") and not error.absolute_path:
                continue
            field = prefix + "".join(f".{p}" for p in error.absolute_path)
            if error.validator == "additionalProperties" and isinstance(error.instance, dict):
                # named by the key itself, so a form can point at it
                known = error.schema.get("properties", {})
                for key in (k for k in error.instance if k not in known):
                    out.append((f"{field}.{key}", f"{field}.{key}: unknown setting; allowed here: {_names(known)}"))
                continue
            out.append((field, f"{field}: {error.message}"))
        return out


def _names(keys: Any, most: int = 12) -> str:
    names = sorted(keys)
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "") if names else "none"


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
    if extra is not True and extra is not False:
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


def _freeze(value: Any, budget: list[int]) -> Any:
    """A hashable twin of a JSON value that tells 1, 1.0 and true apart (they hash alike).

    Raises TypeError for anything but plain JSON, or past ``budget`` values (memo entries stay small).
    """
    budget[0] -= 1
    if budget[0] < 0:
        raise TypeError("too big to memoise")
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return (kind, value)
    if kind is dict:
        return (dict, tuple((k if type(k) is str else (type(k), k), _freeze(v, budget)) for k, v in value.items()))
    if kind is list:
        return (list, tuple(_freeze(v, budget) for v in value))
    raise TypeError(kind)


# --- expressions -----------------------------------------------------------------------------------
# The same expression recurs across nodes and calls; verdicts are pure, so short texts are memoised
# (expressions caches parsed trees too, but a hit here also skips raising the same error again).
_TEMPLATE_ERRORS: dict[str, str | None] = {}
_EXPRESSION_ERRORS: dict[str, str | None] = {}
_MEMO_TEXT = 1000


def _template_error(text: str) -> str | None:
    try:
        return _TEMPLATE_ERRORS[text]
    except KeyError:
        return _remember(_TEMPLATE_ERRORS, expressions.check_template, text)


def _expression_error(text: str) -> str | None:
    try:
        return _EXPRESSION_ERRORS[text]
    except KeyError:
        return _remember(_EXPRESSION_ERRORS, expressions.check_expression, text)


def _remember(memo: dict[str, str | None], check: Any, text: str) -> str | None:
    try:
        check(text)
        message = None
    except Exception as exc:  # ExpressionError, or anything a pathological text provokes
        message = str(exc) or exc.__class__.__name__
    if len(text) <= _MEMO_TEXT:
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        memo[text] = message
    return message


_SCALARS = frozenset({int, float, bool, type(None)})
MAX_VALUES = 1_000_000  # strings and containers in one value: more is junk (or a self-containing list)


def _strings(value: Any) -> list[str]:
    """Every string nested in ``value``, like ``expressions.iter_strings`` but without paths:
    iterative and generator-free, because it runs on every config of every node."""
    found: list[str] = []
    todo = [value]
    seen = 0
    while todo:
        item = todo.pop()
        seen += 1
        kind = type(item)
        if kind is str:
            found.append(item)
        elif kind is dict:
            todo.extend(item.values())
        elif kind is list or kind is tuple:
            todo.extend(item)
        elif kind in _SCALARS:
            continue
        elif isinstance(item, str):
            found.append(item)
        elif isinstance(item, Mapping):
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
        if seen > MAX_VALUES:
            raise RecursionError("value too large or self-containing")
    return found


# --- wording -----------------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
