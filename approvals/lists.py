"""The inbox's lists and filters, shared by the page (``/inbox/``) and the API
(``/api/v1/approvals/``): one query per list, ordered by due time (none last), then priority."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from workflows.errors import EngineError

from . import service
from .models import Snooze, Task

VIEWS = ("mine", "groups", "all")
DUE = ("overdue", "today", "week", "none")
STATES = ("open", "closed", "any")


def tasks(user, *, view: str = "mine", template: str = "", due: str = "", priority_min: int | None = None, state: str = "open") -> QuerySet[Task]:
    if view not in VIEWS:
        raise EngineError(f"view is one of {', '.join(VIEWS)}", field="view")
    if due and due not in DUE:
        raise EngineError(f"due is one of {', '.join(DUE)}", field="due")
    if state not in STATES:
        raise EngineError(f"status is one of {', '.join(STATES)}", field="status")
    if view == "mine":
        found = service.mine(user) if state == "open" else service.visible(user).filter(Q(claimed_by=user) | Q(service._assigned(user)) | Q(decided_by=user))
    elif view == "groups":
        found = service.groups_unclaimed(user) if state == "open" else service.visible(user).filter(service._grouped(user))
    else:
        found = service.visible(user)
    if state == "open":
        found = found.filter(status=Task.Status.OPEN)
    elif state == "closed":
        found = found.exclude(status=Task.Status.OPEN)
    if template:
        found = found.filter(template__name=template)
    now = timezone.now()
    if due == "overdue":
        found = found.filter(due_at__lt=now)
    elif due == "today":
        found = found.filter(due_at__lt=now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1))
    elif due == "week":
        found = found.filter(due_at__lt=now + timedelta(days=7))
    elif due == "none":
        found = found.filter(due_at__isnull=True)
    if priority_min is not None:
        found = found.filter(priority__gte=priority_min)
    return found.order_by(F("due_at").asc(nulls_last=True), "-priority", "id")


def counts(user) -> dict[str, int]:
    """How many open tasks each list holds (and how many of mine are overdue): the tabs' badges,
    in one pass over the open tasks the user may see (each list's own count was a query of its own)."""
    snoozed = Q(Exists(Snooze.objects.filter(task_id=OuterRef("pk"), user_id=user.pk, until__gt=timezone.now())))
    assigned = Q(pk__in=service._assigned_ids(user))
    mine = (Q(claimed_by=user) | (assigned & Q(claimed_by__isnull=True))) & ~snoozed
    groups = Q(pk__in=service._group_ids(user), claimed_by__isnull=True) & ~assigned & ~snoozed
    found = service.visible(user).filter(status=Task.Status.OPEN).aggregate(
        all=Count("id"), mine=Count("id", filter=mine), groups=Count("id", filter=groups), overdue=Count("id", filter=mine & Q(due_at__lt=timezone.now()))
    )
    return {key: found[key] or 0 for key in ("mine", "groups", "all", "overdue")}
