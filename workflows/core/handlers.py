"""Handlers are registered by *name*; a graph names a handler, never an import path.

Installed apps declare handlers in their ``handlers.py`` (autodiscovered at start-up)::

    from workflows import handler

    @handler("billing.charge_card", description="Charges the card on file.", input_schema={
        "type": "object",
        "properties": {"card": {"type": "string", "description": "card token"}},
        "required": ["card"],
    })
    def charge_card(input, ctx):
        ...
        return {"charge_id": charge.id}

The description (else the docstring's first line) and the input schema are what the designer
shows next to the name; the schema is checked when the handler registers, so a mistake in it stops
start-up with the handler's name instead of confusing an analyst later. It describes, it does not
enforce: the engine passes the handler whatever its step's input renders to.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

HANDLER_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class HandlerDeclarationError(ValueError):
    """A handler's name, description or input schema is wrong (raised at start-up)."""


@dataclass(frozen=True)
class HandlerInfo:
    name: str
    func: Callable[..., Any]
    description: str = ""
    input_schema: Mapping[str, Any] | None = None


def check_input_schema(name: str, schema: Any) -> dict[str, Any]:
    """A copy of ``schema`` if it is a valid JSON Schema (2020-12) of an object, else why not."""
    if not isinstance(schema, Mapping):
        raise HandlerDeclarationError(f"handler {name!r}: input_schema must be a JSON Schema object (a dict), not {type(schema).__name__}")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        raise HandlerDeclarationError(f"handler {name!r}: input_schema is not a valid JSON Schema at {where}: {exc.message}") from None
    if schema.get("type") != "object":
        raise HandlerDeclarationError(f'handler {name!r}: input_schema must describe an object ("type": "object"), the input a step maps')
    return copy.deepcopy(dict(schema))


def one_line(text: str, name: str) -> str:
    line = text.strip()
    if "\n" in line:
        raise HandlerDeclarationError(f"handler {name!r}: the description must be one line (longer help belongs in the docstring)")
    return line.replace("``", "")  # docstrings' literal marks are noise in a picker


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, HandlerInfo] = {}

    def register(self, name: str, func: Callable[..., Any], *, description: str = "", input_schema: Mapping[str, Any] | None = None) -> None:
        if not HANDLER_NAME.match(name):
            raise HandlerDeclarationError(f"handler name {name!r} must look like 'app.action' (lower case, dots, underscores)")
        existing = self._handlers.get(name)
        if existing and existing.func is not func:
            raise HandlerDeclarationError(f"handler {name!r} is already registered by {existing.func.__module__}")
        docstring = (func.__doc__ or "").strip().splitlines()
        summary = one_line(description or (docstring[0] if docstring else ""), name)
        schema = None if input_schema is None else check_input_schema(name, input_schema)
        self._handlers[name] = HandlerInfo(name, func, summary, schema)

    def get(self, name: str) -> HandlerInfo | None:
        return self._handlers.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def all(self) -> list[HandlerInfo]:
        return [self._handlers[n] for n in self.names()]


handlers = HandlerRegistry()


def handler(name: str, *, description: str = "", input_schema: Mapping[str, Any] | None = None, registry: HandlerRegistry | None = None):
    """Register ``func(input: dict, ctx: StepContext) -> JSON`` under ``name``, with a one-line
    ``description`` (default: the docstring's first line) and optionally the JSON Schema of the
    object it reads (``input_schema``), both shown in the designer."""

    def decorate(func):
        (registry or handlers).register(name, func, description=description, input_schema=input_schema)
        return func

    return decorate
