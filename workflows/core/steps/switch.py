"""``switch``: multi-way branch; the expression's value picks a case port, else ``default``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import GraphError
from ..expressions import evaluate
from .base import CheckContext, Outcome, StepType, object_schema, register

CASE_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"


@register
class Switch(StepType):
    name = "switch"
    label = "Switch"
    category = "control"
    description = "Takes the port named by the expression's value, or 'default'."
    expression_fields = ("expression",)
    literal_fields = ("cases",)
    port_source = "cases"
    schema = object_schema(
        {
            "expression": {"type": "string", "minLength": 1, "title": "Expression", "x-widget": "expression"},
            "cases": {
                "type": "array",
                "title": "Cases",
                "items": {"type": "string", "pattern": CASE_PATTERN},
                "minItems": 1,
                "maxItems": 50,
                "uniqueItems": True,
            },
        },
        ["expression", "cases"],
    )

    def ports(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        cases = config.get("cases") or []
        return tuple(c for c in cases if isinstance(c, str)) + ("default",)

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        reserved = {"default", "failure"} & set(config.get("cases") or [])
        return [
            GraphError("invalid_config", f"'{name}' is a reserved port name; choose another case name", node_id, "config.cases")
            for name in sorted(reserved)
        ]

    def decide(self, config: Mapping[str, Any], scope: Mapping[str, Any], now: float) -> Outcome:
        value = evaluate(config["expression"], scope)
        key = _case_key(value)
        case = key if key in config["cases"] else "default"
        return Outcome(output={"value": value, "case": case}, ports=(case,))


def _case_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
