"""``{% inbox_badge as n %}`` in the top bar: how many open tasks wait for the signed-in user (assigned
to or claimed by them, or unclaimed in their groups; snoozed ones not). One count query per page."""

from __future__ import annotations

import logging

from django import template
from django.db import DatabaseError

from approvals import service

register = template.Library()
log = logging.getLogger(__name__)


@register.simple_tag(takes_context=True)
def inbox_badge(context) -> int:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    try:
        if context.get("badge") is not None:  # the inbox page counted it already
            return context["badge"]
        return service.waiting(user).count()
    except DatabaseError:  # the top bar of an error page must not fail the page
        log.warning("the inbox badge could not be counted", exc_info=True)
        return 0
