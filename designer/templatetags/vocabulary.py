"""The pages' words: ``{{ instance.status|status_label }}`` (``workflows.presenters.STATUS_LABEL``,
the designer's table too) and ``{{ instance.duration_s|duration }}`` (``human_duration``, as the list says it)."""

from __future__ import annotations

from django import template

from designer.monitor import duration_text
from workflows.presenters import status_label as _status_label

register = template.Library()


@register.filter
def status_label(status: str) -> str:
    return _status_label(str(status))


@register.filter
def duration(seconds: float | None) -> str:
    return duration_text(seconds)
