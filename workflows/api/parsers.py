"""JSON bodies with a size and a nesting limit (DRF reads the stream itself, past Django's upload limit).

Nesting is bounded because everything downstream walks values recursively (serializers, the
schema validator, ``json.dumps``, the engine's checks): JSON nested 5,000 deep made the parser
itself raise RecursionError, a 500. ``MAX_DEPTH`` keeps every walk far from Python's recursion limit.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from workflows.core.values import (
    MAX_DEPTH,  # the engine's value gate holds computed values to the same
)


class PayloadTooLarge(APIException):
    status_code = 413
    default_code = "too_large"


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep objects and arrays nest in ``value`` (a scalar is 0); stops counting past ``limit``.

    Iterative, so that it cannot itself run out of stack."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def too_deep_message() -> str:
    return f"JSON parse error - objects and arrays are nested more than {MAX_DEPTH} levels deep"


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.FLOWDESK["MAX_INPUT_BYTES"] + 64_000  # the input plus the request around it
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"the request body is {int(declared):,} bytes; the limit is {limit:,}")
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise PayloadTooLarge(f"the request body is larger than {limit:,} bytes")
        try:
            value = super().parse(io.BytesIO(data), media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep_message()) from None
        if depth(value) > MAX_DEPTH:
            raise ParseError(too_deep_message())
        return value
