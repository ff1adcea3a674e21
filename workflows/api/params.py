"""Query-string numbers, checked: a bad one is a 400 naming its parameter, never a 500."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError


def int_param(request, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number from the query string; above ``maximum`` it is that maximum (a bound, not a mistake)."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["must be a whole number"]}) from None
    if minimum is not None and value < minimum:
        raise ValidationError({name: [f"must be at least {minimum}"]})
    return min(value, maximum) if maximum is not None else value
