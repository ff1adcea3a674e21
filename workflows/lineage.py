"""Parents and children: an instance a step started (a sub-workflow; DESIGN §5b) points at that
step, ``Instance.parent_step``. Every read of the relation goes through here, so that when a child
also records its parent instance (a column of its own) only these queries change."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from workflows.models import Instance, StepRun, Template

#: How far up ``ancestors`` looks: nesting deeper than this is a design smell, not a page to draw.
MAX_ANCESTORS = 25


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


def with_child(steps: QuerySet) -> QuerySet:
    """Each step with ``child``: the id of the instance it started (a sub-workflow, a loop's
    iteration, a map's item run as a workflow), else None. One probe of the ``parent_step`` index
    per row, in the same query (0.7 ms more for a page of 100, EXPLAIN ANALYZE)."""
    started = Instance.objects.filter(parent_step=OuterRef("pk")).order_by().values("pk")[:1]
    return steps.annotate(child=Subquery(started))


def ancestors(instance: Instance) -> list[dict]:
    """The instances above ``instance``, root first, each with the step of it that started the
    next one down (``{instance, template, status, step, item_key}``); [] for a top-level instance.
    One recursive query up the ``parent_step`` links, however deep (at most ``MAX_ANCESTORS``)."""
    q = connection.ops.quote_name
    inst, step, tpl = (q(m._meta.db_table) for m in (Instance, StepRun, Template))
    parent, owner, template = (q(f.column) for f in (Instance._meta.get_field("parent_step"), StepRun._meta.get_field("instance"), Instance._meta.get_field("template")))
    sql = f"""
        WITH RECURSIVE up(step_id, depth) AS (
            SELECT {parent}, 1 FROM {inst} WHERE id = %s AND {parent} IS NOT NULL
            UNION ALL
            SELECT i.{parent}, up.depth + 1
            FROM up JOIN {step} s ON s.id = up.step_id JOIN {inst} i ON i.id = s.{owner}
            WHERE i.{parent} IS NOT NULL AND up.depth < %s
        )
        SELECT i.id, t.name, i.status, s.node_id, s.item_key
        FROM up JOIN {step} s ON s.id = up.step_id JOIN {inst} i ON i.id = s.{owner} JOIN {tpl} t ON t.id = i.{template}
        ORDER BY up.depth DESC
    """
    pk = Instance._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk.get_db_prep_value(instance.pk, connection), MAX_ANCESTORS])
        rows = cursor.fetchall()
    return [
        {"instance": str(pk.to_python(id)), "template": name, "status": status, "step": node, "item_key": item}
        for id, name, status, node, item in rows
    ]
