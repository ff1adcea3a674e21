"""``subworkflow``: starts a child workflow and, with ``wait``, completes with the child's output
(the child's failure is this step's failure, under its ``on_failure``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import GraphError
from ..expressions import render
from .actions import Action, Done, Fail, Message, StartChild
from .base import CheckContext, NodeContext, StepType, object_schema, register
from .children import CHILD_PROPERTIES, check_child, child_failure_message, choose


@register
class Subworkflow(StepType):
    name = "subworkflow"
    label = "Sub-workflow"
    category = "flow"
    description = "Starts a child workflow; waits for its output, or goes on once it has started."
    literal_fields = ("workflow", "allowed_workflows")
    schema = object_schema(
        {
            **CHILD_PROPERTIES,
            "input": {"title": "Input", "description": "the child's input; may use {{ expressions }}; default: {}"},
            "wait": {"type": "boolean", "default": True, "title": "Wait for the child", "description": "off: fire and forget"},
        },
        ["workflow"],
    )

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        return check_child(node_id, config, ctx)

    def reached(self, ctx: NodeContext) -> list[Action]:
        config, scope = ctx.config, ctx.scope
        child_input = render(config["input"], scope) if "input" in config else {}
        return [StartChild(choose(config, scope), child_input, config.get("version"), wait=config.get("wait", True))]

    def on_message(self, ctx: NodeContext, message: Message) -> list[Action]:
        if message.kind != "child_ended":
            return super().on_message(ctx, message)
        if message.data.get("status") == "completed":
            return [Done(message.data.get("output"))]
        kind, text = child_failure_message(message.data)
        return [Fail.of(kind, text, child=message.data.get("child"))]
