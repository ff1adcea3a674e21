"""Pieces of the demo handlers' input schemas (the designer lists their fields), shared by the
scenario modules."""

from __future__ import annotations


def reads(properties: dict, *required: str) -> dict:
    """The input schema of a handler that reads ``properties`` (the designer lists them)."""
    return {"type": "object", "properties": properties, "required": list(required)}


DAY = {"type": "string", "format": "date"}
