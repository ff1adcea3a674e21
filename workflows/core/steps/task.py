"""``task``: runs a registered Python handler in a worker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError, GraphError
from ..expressions import render
from ..handlers import handlers
from .base import COMPENSATE_SCHEMA, CheckContext, StepContext, StepType, object_schema, register


@register
class Task(StepType):
    name = "task"
    label = "Task"
    category = "work"
    description = "Runs a registered Python handler with retries and a timeout."
    inline = False
    schema = object_schema(
        {
            "handler": {"type": "string", "minLength": 1, "title": "Handler", "x-widget": "handler"},
            "input": {"title": "Input", "description": "handler input; values may use {{ expressions }}"},
            "compensate": COMPENSATE_SCHEMA,
        },
        ["handler"],
        worker=True,
    )

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        errors = []
        for key in ("handler", "compensate"):
            name = config.get(key)
            if isinstance(name, dict):
                key, name = "compensate.handler", name.get("handler")
            if isinstance(name, str) and name not in ctx.handler_names:
                known = ", ".join(sorted(ctx.handler_names)[:20]) or "none registered"
                errors.append(
                    GraphError("unknown_handler", f"no handler named {name!r} is registered (known: {known})", node_id, f"config.{key}")
                )
        return errors

    def prepare(self, config: Mapping[str, Any], scope: Mapping[str, Any]) -> Any:
        if "input" not in config:
            return scope["input"]
        return render(config["input"], scope)

    def execute(self, config: Mapping[str, Any], input: Any, ctx: StepContext) -> Any:
        info = handlers.get(config["handler"])
        if info is None:
            raise ConfigurationError(f"no handler named {config['handler']!r} is registered in this worker", type="UnknownHandler")
        return info.func(input, ctx)
