"""Checks on query-string values shared by the instance list page and the API's list filters, so
both refuse the same input with the same words (a 400 naming the field, never a 500)."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

from workflows.core.errors import MAX_TYPE_CHARS

#: An error type is at most what the engine stores (``Failure`` cuts longer ones).
ERROR_TYPE_MAX_CHARS = MAX_TYPE_CHARS


def no_control_characters(value: str) -> None:
    """Refuse C0/C1 control characters (NUL, newlines, escapes): no stored name contains them, and
    PostgreSQL cannot take a NUL at all."""
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValidationError("must not contain control characters", code="control_characters")
