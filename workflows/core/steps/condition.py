"""``condition``: if/else on a bare expression, ports ``true`` and ``false`` (decided inline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..expressions import evaluate
from .base import Outcome, StepType, object_schema, register


@register
class Condition(StepType):
    name = "condition"
    label = "Condition"
    category = "control"
    description = "Takes the 'true' or the 'false' path depending on an expression."
    expression_fields = ("expression",)
    schema = object_schema(
        {"expression": {"type": "string", "minLength": 1, "title": "Expression", "x-widget": "expression"}},
        ["expression"],
    )

    def ports(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ("true", "false")

    def decide(self, config: Mapping[str, Any], scope: Mapping[str, Any], now: float) -> Outcome:
        result = bool(evaluate(config["expression"], scope))
        return Outcome(output={"result": result}, ports=("true" if result else "false",))
