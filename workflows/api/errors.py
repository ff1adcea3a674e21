"""One exception handler: engine and validation errors become JSON with field detail and the right
4xx code. The API never answers 500 to bad input.

Every error body has the same shape::

    {"detail": "what went wrong", "code": "invalid", "errors": [{"field": "input", "code": "...", "message": "..."}]}

Graph errors also carry ``node``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workflows.errors import Conflict, EngineError, Forbidden, InputTooLarge, Invalid, NotFound, StaleDraft
from workflows.core.errors import InvalidGraph
from workflows.core.expressions import ExpressionError

ENGINE_STATUS = {
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    Forbidden: status.HTTP_403_FORBIDDEN,
    InputTooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
}


def body(detail: str, code: str, errors: list[dict] | None = None) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": errors or []}


def flatten(detail: Any, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            field = prefix if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            out += flatten(value, field)
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            nested = isinstance(value, (dict, list))
            out += flatten(value, f"{prefix}.{index}" if nested and prefix else prefix)
        return out
    return [{"field": prefix or None, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, InvalidGraph):
        return Response(
            body(str(exc), "invalid_graph", [e.as_dict() for e in exc.errors]), status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, EngineError):
        code = next((c for cls, c in ENGINE_STATUS.items() if isinstance(exc, cls)), status.HTTP_400_BAD_REQUEST)
        data = body(str(exc), exc.code, [{"field": exc.field, "code": exc.code, "message": str(exc)}])
        if isinstance(exc, Invalid):
            data["errors"] = [{"field": field, "code": "invalid", "message": m} for field, messages in exc.errors.items() for m in messages]
        if isinstance(exc, StaleDraft):
            data["current"] = exc.current
        return Response(data, status=code)
    if isinstance(exc, ExpressionError):
        return Response(body(str(exc), "invalid_expression", [{"field": "expr", "code": "invalid_expression", "message": str(exc)}]), status=400)
    if isinstance(exc, RequestDataTooBig):
        return Response(body("the request body is too large", "too_large"), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        first = errors[0] if errors else {"field": None, "message": "invalid input"}
        where = f"{first['field']}: " if first.get("field") else ""
        response.data = body(where + first["message"], "invalid", errors)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response.data = body(detail, exc.get_codes() if isinstance(exc.get_codes(), str) else "error")
    return response
