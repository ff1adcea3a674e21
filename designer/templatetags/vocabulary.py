"""``{{ instance.status|status_label }}``: a status in the words of every other page
(``workflows.presenters.STATUS_LABEL``, the designer's table too)."""

from __future__ import annotations

from django import template

from workflows.presenters import status_label as _status_label

register = template.Library()


@register.filter
def status_label(status: str) -> str:
    return _status_label(str(status))
