"""``transform``: shapes data and sets ``vars`` from expressions, with no I/O (decided inline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..expressions import render
from .base import Outcome, StepType, object_schema, register


@register
class Transform(StepType):
    name = "transform"
    label = "Transform"
    category = "control"
    description = "Sets workflow variables from expressions; its output is the assigned values."
    schema = object_schema(
        {
            "assignments": {
                "type": "object",
                "title": "Assignments",
                "description": "variable name → value; values may use {{ expressions }}",
                "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                "minProperties": 1,
            }
        },
        ["assignments"],
    )

    def decide(self, config: Mapping[str, Any], scope: Mapping[str, Any], now: float) -> Outcome:
        values = render(config["assignments"], scope)
        return Outcome(output=values, vars=values)
