"""Handlers that return what JSON, PostgreSQL or Unicode cannot hold, described by their input.

The input is plain JSON with tagged leaves, because the hostile value itself could not be stored
as the step's input: ``{"$float": "nan"}``, ``{"$text": [0, 0xD800]}`` (code points),
``{"$cycle": true}``, ``{"$function": true}``, ``{"$deep": 5000}``, ``{"$bytes": 3}``.
"""

from __future__ import annotations

from typing import Any

from workflows import handler


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$float" in value:
        return float(value["$float"])
    if "$text" in value:
        return "".join(map(chr, value["$text"]))
    if "$cycle" in value:
        loop: dict = {}
        loop["self"] = loop
        return loop
    if "$function" in value:
        return "a".removeprefix
    if "$deep" in value:
        deep: list = []
        for _ in range(int(value["$deep"])):
            deep = [deep]
        return deep
    if "$bytes" in value:
        return b"x" * int(value["$bytes"])
    return {key: decode(v) for key, v in value.items()}


@handler("support.hostile_value")
def hostile_value(input, ctx):
    """Returns the value its input describes."""
    return {"value": decode(input)}
