"""``wait``: a durable timer, for a duration or until a moment (fired by the engine's timer loop)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..errors import GraphError
from ..expressions import ExpressionError, render
from ..values import clamp
from .base import CheckContext, Outcome, StepType, object_schema, register


@register
class Wait(StepType):
    name = "wait"
    label = "Wait"
    category = "flow"
    description = "Waits for a duration, or until a date and time."
    schema = {
        **object_schema(
            {
                "for_s": {"type": "number", "minimum": 0, "maximum": 366 * 86400, "title": "Wait for (s)"},
                "until": {"type": "string", "minLength": 1, "title": "Until", "description": "ISO 8601 date-time or {{ expression }}"},
            }
        ),
        "oneOf": [{"required": ["for_s"]}, {"required": ["until"]}],
    }

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        """The schema's oneOf in words, on the field the designer shows first."""
        given = [key for key in ("for_s", "until") if key in config]
        if not given:
            return [GraphError("invalid_config", "config.for_s: set Wait for (s) or Until", node_id, "config.for_s")]
        if len(given) == 2:
            return [GraphError("invalid_config", "config.until: set Wait for (s) or Until, not both", node_id, "config.until")]
        return []

    def decide(self, config: Mapping[str, Any], scope: Mapping[str, Any], now: float) -> Outcome:
        if "for_s" in config:
            due = now + (clamp(config["for_s"], self.schema["properties"]["for_s"]) or 0.0)
        else:
            due = parse_moment(render(config["until"], scope))
        return Outcome(output={"until": datetime.fromtimestamp(due, timezone.utc).isoformat()}, wait_until=due)


def parse_moment(value: Any) -> float:
    """An epoch number or an ISO 8601 string (naive means UTC) as epoch seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.timestamp()
    raise ExpressionError(f"'until' must be an ISO 8601 date-time or epoch seconds, got {value!r}")
