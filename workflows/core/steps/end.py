"""``end``: finish the workflow now with an output, or fail it with a message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..expressions import render
from .base import Outcome, StepType, object_schema, register


@register
class End(StepType):
    name = "end"
    label = "End"
    category = "flow"
    description = "Finishes the workflow now (other running steps are cancelled), or fails it."
    schema = object_schema(
        {
            "output": {"title": "Output", "description": "the workflow's output; may use {{ expressions }}"},
            "fail": {"type": "string", "minLength": 1, "title": "Fail with message"},
        }
    )

    def ports(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ()

    def decide(self, config: Mapping[str, Any], scope: Mapping[str, Any], now: float) -> Outcome:
        output = render(config.get("output"), scope) if "output" in config else None
        if "fail" in config:
            return Outcome(output=output, ports=(), finish=True, fail=str(render(config["fail"], scope)))
        return Outcome(output=output, ports=(), finish=True)
