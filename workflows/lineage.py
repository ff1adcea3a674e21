"""Parents and children: an instance a step started (a sub-workflow; DESIGN §5b) points at that
step, ``Instance.parent_step``. Every read of the relation goes through here, so that when a child
also records its parent instance (a column of its own) only these queries change."""

from __future__ import annotations

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from workflows.models import Instance


def child_of(parent) -> Q:
    """Started by a step of ``parent`` (an instance, its id or an ``OuterRef``). The redundant
    ``IS NOT NULL`` lets the planner start from the few instances that have a parent (the
    ``parent_step`` index): without it, ``?parent=`` read every instance newest first until it had a
    page (20,000 rows for a parent whose children were older than the rest; 50 with it)."""
    return Q(parent_step__isnull=False, parent_step__instance=parent)


def children_of(parent) -> QuerySet:
    return Instance.objects.filter(child_of(parent))


def with_lineage(instances: QuerySet) -> QuerySet:
    """Each instance with ``parent_instance`` and ``parent_node`` (None for a top-level one) and
    ``children_count``: one join and one counting subquery, never a query per row."""
    children = children_of(OuterRef("pk")).order_by().values("parent_step__instance").annotate(n=Count("pk")).values("n")
    return instances.annotate(
        parent_instance=F("parent_step__instance_id"),
        parent_node=F("parent_step__node_id"),
        children_count=Coalesce(Subquery(children), Value(0)),
    )


def parent_of(instance) -> dict | None:
    """``{instance, step}`` from ``with_lineage``'s annotations."""
    if instance.parent_instance is None:
        return None
    return {"instance": str(instance.parent_instance), "step": instance.parent_node}
