"""The one gate every value a workflow computes passes before it is written.

Outputs, ``vars``, rendered inputs and the instance's output come from expressions and handlers,
i.e. from users. PostgreSQL refuses some of what Python builds (``Infinity``, ``NaN``, the NUL
character, lone surrogates), json refuses cycles and objects, and a big enough value exhausts
memory downstream. Such a value must fail *its step* with a clear message, never the transaction
that writes it (which would stall the engine loop that tried). So the decider checks each value
here when it enters, and error texts are cleaned here rather than refused.

The common case costs one C-speed ``json.dumps``; only a value that fails takes the slow walk
that finds where the problem is.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

_SURROGATES = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 100  # nesting of lists and objects (a graph needs about 6); far from any recursion limit


@dataclass(frozen=True)
class Limits:
    """Size bounds, in bytes of compact UTF-8 JSON (the adapter passes the configured ones)."""

    output_bytes: int = 1_000_000  # one step's output, the instance's output
    input_bytes: int = 1_000_000  # one step's rendered input
    vars_bytes: int = 1_000_000  # all of an instance's vars together
    depth: int = MAX_DEPTH
    #: Attempts lost with their worker (a crash, not a business failure) that are retried without
    #: counting against the step's ``max_attempts``; past this many, they count.
    lost_retries: int = 3


def json_size(value: Any) -> int:
    """Length of ``value`` as compact JSON: what a start's input and a template's example input are
    held to (checked storable first)."""
    return len(json.dumps(value, separators=(",", ":"), default=str))


class InvalidValue(ValueError):
    """``str(e)`` says where and what: ``output.items.3: NaN is not a JSON number ...``."""


def check(value: Any, *, where: str, max_bytes: int, max_depth: int = MAX_DEPTH) -> str:
    """Raise ``InvalidValue`` unless ``value`` is storable JSON within the bounds; return the JSON."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        data = text.encode("utf-8")  # fails on a lone surrogate
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidValue(_locate(value, where, max_depth) or _at(where, str(exc))) from None
    if len(data) > max_bytes:
        raise InvalidValue(_at(where, f"{len(data):,} bytes of JSON; the limit is {max_bytes:,}"))
    # json writes NUL as the escape \u0000 (a literal backslash-u text would match too: the walk
    # tells them apart); and there are at most as many levels as brackets.
    if "\\u0000" in text or text.count("[") + text.count("{") > max_depth:
        if found := _locate(value, where, max_depth):
            raise InvalidValue(found)
    return text


def clamp(value: Any, schema: dict[str, Any]) -> float | None:
    """A number from a stored graph held to the range its JSON Schema documents.

    Graphs published before a bound existed (or edited around validation) still run: an
    out-of-range number becomes the nearest allowed one instead of an overflow at run time.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    value = float(value)
    low = schema.get("minimum", schema.get("exclusiveMinimum", -math.inf))
    high = schema.get("maximum", math.inf)
    return min(max(value, low), high)


def problem(value: Any, *, where: str, max_bytes: int, max_depth: int = MAX_DEPTH) -> str | None:
    """``check``'s verdict as a message, or None when the value is fine."""
    try:
        check(value, where=where, max_bytes=max_bytes, max_depth=max_depth)
    except InvalidValue as exc:
        return str(exc)
    return None


def _locate(value: Any, where: str, max_depth: int) -> str | None:
    """The first problem found walking ``value`` (iteratively: depth is what is being checked)."""
    stack: list[tuple[Any, str, int, frozenset[int]]] = [(value, where, 1, frozenset())]
    while stack:
        item, path, depth, parents = stack.pop()
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if item.bit_length() > 10_000:  # only then can Python's digit limit refuse it
                try:
                    str(item)
                except ValueError:
                    return _at(path, "a whole number too long to write as JSON")
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                shown = "NaN" if item != item else ("Infinity" if item > 0 else "-Infinity")
                return _at(path, f"{shown} is not a JSON number (a computation overflowed or was undefined)")
            continue
        if isinstance(item, str):
            if reason := _text_problem(item):
                return _at(path, reason)
            continue
        if not isinstance(item, (dict, list, tuple)):
            name = type(item).__name__
            kind = "a function or method" if callable(item) else f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"
            return _at(path, f"{kind} is not a JSON value (only objects, lists, text, numbers, true/false and null)")
        if id(item) in parents:
            return _at(path, "refers to itself (a value that contains itself cannot be written as JSON)")
        if depth > max_depth:
            return _at(path, f"nested deeper than {max_depth} levels")
        inner = parents | {id(item)}
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str):
                    if reason := _text_problem(key):
                        return _at(path, f"a key {reason}")
                elif not (key is None or isinstance(key, (bool, int, float))):
                    return _at(path, f"a key that is a {type(key).__name__} (JSON keys are text)")
                stack.append((child, _join(path, key), depth + 1, inner))
        else:
            for index, child in enumerate(item):
                stack.append((child, _join(path, index), depth + 1, inner))
    return None


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _at(path: str, reason: str) -> str:
    return f"{path}: {reason}" if path else reason


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains a lone surrogate (\\u{ord(text[exc.start]):04x}), which is not valid Unicode"
    return None


def clean_text(text: Any, limit: int) -> str:
    """Error texts are kept, not refused: NUL and lone surrogates become U+FFFD, long ones are cut."""
    text = text if isinstance(text, str) else str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATES.sub("\ufffd", text)
    return text

