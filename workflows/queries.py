"""Queries: a sandboxed expression asked of one instance's state (DESIGN §8, issue 11 §2), ad hoc
(``GET /instances/{id}/query/?expr=``) or named in the graph (``settings.queries``).

The scope is the one the decider gives node config (``expressions.build_scope``): ``input``,
``vars``, ``steps.<id>.output`` / ``.status`` (each node's own step, its latest attempt) and
``instance``, so a query reads exactly what a condition in the graph would. The expression
language bounds the cost (``MAX_STEPS``, sizes); the scope reads a step's output from the
database only when the expression asks for it (outputs can be megabytes), once per step.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from workflows.core.expressions import ExpressionError, build_scope, evaluate, kind
from workflows.engine.clock import to_epoch
from workflows.errors import Conflict, NotFound
from workflows.models import Instance, StepRun

#: Containers nested deeper than this in a query's value are refused (they would only come from a
#: self-referencing value; JSON from the database is never this deep).
MAX_VALUE_DEPTH = 200


class QueryFailed(Conflict):
    """A named query could not be evaluated on the instance's current state (a step it reads has
    not run yet, a value is not what it expects): the definition parsed when it was published."""

    code = "query_failed"


def named_queries(instance: Instance) -> dict[str, str]:
    """name -> expression, as the version's graph declares them, by name (a stored graph keeps no
    key order: PostgreSQL's jsonb sorts keys by length)."""
    queries = ((instance.version.graph or {}).get("settings") or {}).get("queries") or {}
    return {str(k): queries[k] for k in sorted(queries) if isinstance(queries[k], str)} if isinstance(queries, dict) else {}


def run_query(instance: Instance, expr: str) -> Any:
    """The JSON value of ``expr`` over the instance's state; ExpressionError when it does not
    parse, exceeds its cost bounds, fails on this state or yields something that is not JSON."""
    return jsonable(evaluate(expr, scope_of(instance)))


def run_named(instance: Instance, name: str) -> Any:
    """A named query's value; NotFound (field ``name``) for a name the graph does not declare,
    QueryFailed when it cannot be evaluated now."""
    expr = named_queries(instance).get(name)
    if expr is None:
        raise NotFound(f"the workflow declares no query named {name!r}", field="name")
    try:
        return run_query(instance, expr)
    except ExpressionError as exc:
        raise QueryFailed(f"query {name!r} failed: {exc}", field=f"settings.queries.{name}") from None


def run_all(instance: Instance) -> list[dict[str, Any]]:
    """Every named query with its value or, when it fails now, its error (the instance page)."""
    scope = scope_of(instance)
    out = []
    for name, expr in named_queries(instance).items():
        try:
            out.append({"name": name, "expression": expr, "value": jsonable(evaluate(expr, scope)), "error": None})
        except ExpressionError as exc:
            out.append({"name": name, "expression": expr, "value": None, "error": str(exc)})
    return out


def scope_of(instance: Instance) -> dict[str, Any]:
    return build_scope(
        input=instance.input or {},
        steps=_Steps(instance.pk),
        vars=instance.vars or {},
        instance={
            "id": str(instance.pk),
            "status": str(instance.status),
            "priority": instance.priority,
            "business_key": instance.business_key,
            "started_at": to_epoch(instance.started_at),
        },
    )


class _Steps(Mapping):
    """``steps``: node id -> {"output", "status"} of its own step's latest attempt (not its
    items), as the decider's view has it. Statuses are read at once (small); an output is read when
    the expression asks for it."""

    def __init__(self, instance_id):
        rows = StepRun.objects.filter(instance_id=instance_id, item_key="").order_by("attempt").values_list("node_id", "pk", "status")
        self._latest: dict[str, tuple[int, str]] = {}
        for node_id, pk, status in rows:  # ordered by attempt: the latest one wins
            self._latest[node_id] = (pk, status)
        self._outputs: dict[str, Any] = {}

    def __getitem__(self, node_id: str) -> dict[str, Any]:
        pk, status = self._latest[node_id]
        if node_id not in self._outputs:
            self._outputs[node_id] = StepRun.objects.filter(pk=pk).values_list("output", flat=True).first()
        return {"output": self._outputs[node_id], "status": status}

    def __iter__(self) -> Iterator[str]:
        return iter(self._latest)

    def __len__(self) -> int:
        return len(self._latest)


def jsonable(value: Any, depth: int = 0) -> Any:
    """A query's value as plain JSON: read-only views as objects, sets and tuples as lists; a
    function, a non-finite number or anything else that JSON cannot say is an ExpressionError."""
    if depth > MAX_VALUE_DEPTH:
        raise ExpressionError("the value is nested too deeply to return")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExpressionError(f"the value is {value}, which JSON cannot represent")
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return [jsonable(v, depth + 1) for v in sorted(value, key=repr)]
    if callable(value):
        raise ExpressionError("the expression names a function: call it, e.g. len(input.items)")
    raise ExpressionError(f"the value is {kind(value)}, which JSON cannot represent")
