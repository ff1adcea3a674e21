"""Handlers are registered by *name*; a graph names a handler, never an import path.

Installed apps declare handlers in their ``handlers.py`` (autodiscovered at start-up)::

    from workflows import handler

    @handler("billing.charge_card")
    def charge_card(input, ctx):
        ...
        return {"charge_id": charge.id}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HANDLER_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True)
class HandlerInfo:
    name: str
    func: Callable[..., Any]
    description: str = ""
    compensation: bool = False


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, HandlerInfo] = {}

    def register(self, name: str, func: Callable[..., Any], *, description: str = "") -> None:
        if not HANDLER_NAME.match(name):
            raise ValueError(f"handler name {name!r} must look like 'app.action' (lower case, dots, underscores)")
        existing = self._handlers.get(name)
        if existing and existing.func is not func:
            raise ValueError(f"handler {name!r} is already registered by {existing.func.__module__}")
        doc = description or (func.__doc__ or "").strip().splitlines()[0:1]
        self._handlers[name] = HandlerInfo(name, func, doc if isinstance(doc, str) else "".join(doc))

    def get(self, name: str) -> HandlerInfo | None:
        return self._handlers.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def all(self) -> list[HandlerInfo]:
        return [self._handlers[n] for n in self.names()]


handlers = HandlerRegistry()


def handler(name: str, *, description: str = "", registry: HandlerRegistry | None = None):
    """Register ``func(input: dict, ctx: StepContext) -> JSON`` under ``name``."""

    def decorate(func):
        (registry or handlers).register(name, func, description=description)
        return func

    return decorate
