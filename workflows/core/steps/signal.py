"""``signal``: waits for a named signal sent to the instance (the API, the CLI, the page); its
payload is the node's output. With ``timeout_s`` the node leaves by ``timeout`` if none came.

A signal sent before the node waits is buffered and taken, oldest first, when it does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import GraphError
from ..values import clamp
from .actions import Action, AwaitSignal, Done, Fail, Message
from .base import CheckContext, NodeContext, StepType, object_schema, register

NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


@register
class Signal(StepType):
    name = "signal"
    label = "Wait for signal"
    category = "flow"
    description = "Waits until a named signal is sent to the instance; its payload becomes the output."
    literal_fields = ("name",)
    schema = object_schema(
        {
            "name": {"type": "string", "minLength": 1, "maxLength": 100, "title": "Signal name", "pattern": NAME.pattern},
            "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 366 * 86400, "title": "Timeout (s)",
                          "description": "leave by the 'timeout' port when no signal came in time"},
        },
        ["name"],
    )  # fmt: skip

    def ports(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ("out", "timeout")

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        name = config.get("name")
        if name is None:
            return [GraphError("invalid_config", "config.name: name the signal this node waits for", node_id, "config.name")]
        if isinstance(name, str) and not NAME.match(name):
            return [GraphError("invalid_config", "config.name: letters, digits and _ . : - only, at most 100", node_id, "config.name")]
        return []

    def reached(self, ctx: NodeContext) -> list[Action]:
        timeout = clamp(ctx.config.get("timeout_s"), self.schema["properties"]["timeout_s"])
        return [AwaitSignal(ctx.config["name"], ctx.now + timeout if timeout else None)]

    def on_message(self, ctx: NodeContext, message: Message) -> list[Action]:
        if message.kind == "signal":
            return [Done(message.data.get("payload"))]
        if message.kind == "woken":
            return [Done(None, ports=("timeout",))]
        return [Fail.of("UnexpectedMessage", f"a signal node got a {message.kind!r} message")]
