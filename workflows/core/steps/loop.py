"""``loop``: runs a child workflow ``count`` times, or while an expression holds, one iteration at a
time; ``max_iterations`` is required so that no loop runs forever.

Expressions see ``iteration``: ``{"index": n, "last": <the previous iteration's output>}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import GraphError
from ..expressions import evaluate, render
from .actions import Action, Done, Fail, Message, SetState, StartChild
from .base import CheckContext, NodeContext, StepType, object_schema, register
from .children import CHILD_PROPERTIES, check_child, child_failure_message, choose

MAX_ITERATIONS = 10_000
KEPT_RESULTS = 50  # the output lists the last iterations' outputs, not all 10,000


@register
class Loop(StepType):
    name = "loop"
    label = "Loop"
    category = "flow"
    description = "Runs a child workflow N times, or while a condition holds, one iteration after another."
    has_items = True  # one step per iteration
    expression_fields = ("while",)
    literal_fields = ("workflow", "allowed_workflows")
    schema = {
        **object_schema(
            {
                **CHILD_PROPERTIES,
                "input": {"title": "Input per iteration", "description": "may use {{ iteration.index }} and {{ iteration.last }}; default: {}"},
                "count": {"type": "integer", "minimum": 1, "maximum": MAX_ITERATIONS, "title": "Count"},
                "while": {"type": "string", "minLength": 1, "title": "While", "description": "checked before each iteration", "x-widget": "expression"},
                "max_iterations": {"type": "integer", "minimum": 1, "maximum": MAX_ITERATIONS, "title": "Max iterations"},
            },
            ["workflow", "max_iterations"],
        ),
        "oneOf": [{"required": ["count"]}, {"required": ["while"]}],
    }

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        errors = check_child(node_id, config, ctx)
        given = [key for key in ("count", "while") if key in config]
        if not given:
            errors.append(GraphError("invalid_config", "config.count: set Count or While", node_id, "config.count"))
        elif len(given) == 2:
            errors.append(GraphError("invalid_config", "config.while: set Count or While, not both", node_id, "config.while"))
        if "max_iterations" not in config:
            errors.append(GraphError("invalid_config", "config.max_iterations: a loop needs Max iterations (at most 10,000)", node_id, "config.max_iterations"))
        count, cap = config.get("count"), config.get("max_iterations")
        if isinstance(count, int) and isinstance(cap, int) and count > cap:
            errors.append(GraphError("invalid_config", f"config.count: {count} is more than Max iterations ({cap})", node_id, "config.count"))
        return errors

    def reached(self, ctx: NodeContext) -> list[Action]:
        return self._next(ctx, 0, None, [])

    def on_message(self, ctx: NodeContext, message: Message) -> list[Action]:
        if message.kind != "child_ended":
            return super().on_message(ctx, message)
        if message.data.get("status") != "completed":
            kind, text = child_failure_message(message.data)
            return [Fail.of(kind, f"iteration {message.item}: {text}", iteration=message.item)]
        output = message.data.get("output")
        results = [*ctx.state.get("results", []), output][-KEPT_RESULTS:]
        return self._next(ctx, int(message.item) + 1, output, results)

    def _next(self, ctx: NodeContext, index: int, last: Any, results: list) -> list[Action]:
        config = ctx.config
        scope = {**ctx.scope, "iteration": {"index": index, "last": last}}
        more = index < config["count"] if "count" in config else bool(evaluate(config["while"], scope))
        if not more:
            return [SetState({"iterations": index, "results": results}), Done({"last": last, "iterations": index, "results": results})]
        if index >= config["max_iterations"]:
            return [Fail.of("MaxIterations", f"config.while still held after {index:,} iterations (Max iterations)", iterations=index)]
        child_input = render(config["input"], scope) if "input" in config else {}
        return [SetState({"iterations": index, "results": results}), StartChild(choose(config, scope), child_input, config.get("version"), item=str(index))]
