"""``map``: dynamic fan-out, one step per item of a list, each with its own attempts and retries.

An item runs a handler on a worker, or a child workflow. ``concurrency`` bounds how many run at
once; the node keeps counters in its state, so an item's end touches that item's row and the
node's row only, never the whole list (DESIGN §5b). The output keeps item order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import GraphError
from ..expressions import evaluate, render
from .actions import Action, CreateItems, Done, Fail, Message, SetState, StartItems
from .base import COMPENSATE_SCHEMA, CheckContext, NodeContext, StepContext, StepType, object_schema, register
from .children import CHILD_PROPERTIES, check_child, child_failure_message, envelope
from .task import Task


@register
class Map(StepType):
    name = "map"
    label = "Map (for each)"
    category = "flow"
    description = "Runs a handler or a child workflow once per item of a list, N at a time; results in item order."
    inline = False
    has_items = True
    expression_fields = ("items",)
    literal_fields = ("workflow", "allowed_workflows")
    schema = {
        **object_schema(
            {
                "items": {"type": "string", "minLength": 1, "title": "Items", "description": "an expression giving a list", "x-widget": "expression"},
                "handler": {"type": "string", "minLength": 1, "title": "Handler (per item)", "x-widget": "handler"},
                "compensate": {**COMPENSATE_SCHEMA, "description": "undoes each completed item when the workflow fails under on_failure: compensate"},
                **CHILD_PROPERTIES,
                "input": {"title": "Input per item", "description": "may use {{ item }} and {{ index }}; default: the item"},
                "concurrency": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10, "title": "Concurrency"},
                "on_item_failure": {
                    "type": "string",
                    "enum": ["fail", "continue"],
                    "default": "fail",
                    "title": "On item failure",
                    "description": "fail: stop starting items and cancel running ones; continue: collect the error and go on",
                },
            },
            ["items"],
            worker=True,
        ),
        "oneOf": [{"required": ["handler"]}, {"required": ["workflow"]}],
    }

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        given = [key for key in ("handler", "workflow") if key in config]
        if not given:
            return [GraphError("invalid_config", "config.handler: set a Handler (per item) or a Workflow (per item)", node_id, "config.handler")]
        if len(given) == 2:
            return [GraphError("invalid_config", "config.workflow: set a Handler or a Workflow per item, not both", node_id, "config.workflow")]
        if config.get("wait") is False:
            return [GraphError("invalid_config", "config.wait: a map always waits for its items", node_id, "config.wait")]
        if "compensate" in config and "handler" not in config:
            return [GraphError("invalid_config", "config.compensate: only a map of handlers can compensate its items", node_id, "config.compensate")]
        if "handler" in config:
            return Task().check(node_id, {k: config[k] for k in ("handler", "compensate") if k in config}, ctx)
        return check_child(node_id, config, ctx)

    def reached(self, ctx: NodeContext) -> list[Action]:
        config, scope = ctx.config, ctx.scope
        items = evaluate(config["items"], scope)
        if not isinstance(items, list):
            return [Fail.of("InvalidItems", f"config.items must give a list, got {type(items).__name__}")]
        if len(items) > ctx.max_items:
            return [Fail.of("TooManyItems", f"config.items gave {len(items):,} items; a map takes at most {ctx.max_items:,} (FLOWDESK_MAX_MAP_ITEMS)")]
        child = "workflow" in config
        inputs = []
        for index, item in enumerate(items):
            item_scope = {**scope, "item": item, "index": index}
            try:
                value = render(config["input"], item_scope) if "input" in config else item
                inputs.append(envelope(config, item_scope, value) if child else value)
            except Exception as exc:
                return [Fail.of(type(exc).__name__, f"item {index}: {exc}", index=index)]
        if not inputs:
            return [Done(_output([]))]
        first = min(len(inputs), config.get("concurrency", 10))
        state = {"total": len(inputs), "next": first, "running": first, "completed": 0, "failed": 0}
        return [CreateItems(inputs, child=child), StartItems(list(range(first)), child=child), SetState(state)]

    def on_message(self, ctx: NodeContext, message: Message) -> list[Action]:
        if message.kind not in ("item_ended", "child_ended"):
            return super().on_message(ctx, message)
        state = dict(ctx.state)
        ok = message.data.get("status") == "completed"
        state["running"] -= 1
        state["completed" if ok else "failed"] += 1
        if not ok and ctx.config.get("on_item_failure", "fail") == "fail":
            kind, text = _item_error(message)  # the engine cancels the items still running
            return [SetState(state), Fail.of("ItemFailed", f"item {message.item} failed: {kind}: {text}", item=message.item, error_type=kind)]
        actions: list[Action] = []
        start = []
        while state["next"] < state["total"] and state["running"] < ctx.config.get("concurrency", 10):
            start.append(state["next"])
            state["next"] += 1
            state["running"] += 1
        if start:
            actions.append(StartItems(start, child="workflow" in ctx.config))
        actions.append(SetState(state))
        if state["completed"] + state["failed"] == state["total"]:
            actions.append(Done(_output(ctx.item_results())))
        return actions

    def execute(self, config: Mapping[str, Any], input: Any, ctx: StepContext) -> Any:
        return Task().execute({"handler": config["handler"]}, input, ctx)


def _item_error(message: Message) -> tuple[str, str]:
    if message.kind == "child_ended":
        return child_failure_message(message.data)
    error = message.data.get("error") or {}
    return str(error.get("type") or "Error"), str(error.get("message") or "")


def _output(results: list) -> dict[str, Any]:
    """Results in item order (a failed item's slot is null) and the errors, by index."""
    values, errors = [], []
    for index, (status, output, error) in enumerate(results):
        values.append(output if status == "completed" else None)
        if status != "completed":
            error = error or {}
            errors.append({"index": index, "status": status, "type": error.get("type", ""), "message": error.get("message", "")})
    completed = len(values) - len(errors)
    return {"results": values, "errors": errors, "total": len(values), "completed": completed, "failed": len(errors)}
