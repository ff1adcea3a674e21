"""What the instance detail says about its steps without inlining every attempt: a map node may
have 10,000 items, each with its own attempts (issue 10), and a page that asks for the instance
must not receive them all. Under ``DETAIL_STEPS`` attempts the detail lists every one, as it always
has (the instance page's timeline and attempt views read them); above it, the latest attempt of each
(node, item), at most ``DETAIL_STEPS`` of them, spread over the nodes, and says so
(``truncated``): ``/instances/{id}/steps/`` pages through all of them. ``counts`` is always whole."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import DenseRank

from workflows.models import Instance, StepRun

DETAIL_STEPS = 500


@dataclass(frozen=True)
class StepSummary:
    steps: list[StepRun]
    counts: list[dict]
    truncated: bool


def summarise(instance: Instance) -> StepSummary:
    steps, truncated = shown_steps(instance)
    return StepSummary(steps=steps, counts=step_counts(instance), truncated=truncated)


def is_latest():
    """No later attempt of the same (node, item): an anti-join on the attempt's unique index."""
    later = StepRun.objects.filter(
        instance=OuterRef("instance"), node_id=OuterRef("node_id"), item_key=OuterRef("item_key"), attempt__gt=OuterRef("attempt")
    )
    return ~Exists(later)


def step_counts(instance: Instance) -> list[dict]:
    """Per node, in node order: every attempt (``attempts``), its items (``items``: 1 unless a node
    runs per item) and how the latest attempt of each item stands (``by_status``: "done / failed /
    running of N" for a map), in one grouped query."""
    rows = (
        StepRun.objects.filter(instance=instance)
        .alias(latest=is_latest())
        .values("node_id", "status")
        .annotate(attempts=Count("pk"), items=Count("pk", filter=Q(latest=True)))
        .order_by("node_id", "status")
    )
    nodes: dict[str, dict] = {}
    for row in rows:
        node = nodes.setdefault(row["node_id"], {"node": row["node_id"], "attempts": 0, "items": 0, "by_status": {}})
        node["attempts"] += row["attempts"]
        node["items"] += row["items"]
        if row["items"]:
            node["by_status"][row["status"]] = row["items"]
    return list(nodes.values())


def shown_steps(instance: Instance) -> tuple[list[StepRun], bool]:
    """The attempts the detail inlines, in the order they were made, and whether any were left out."""
    attempts = StepRun.objects.filter(instance=instance)
    every = list(attempts.order_by("id")[: DETAIL_STEPS + 1])
    if len(every) <= DETAIL_STEPS:
        return every, False
    # Each node's first items before any node's later ones: every node shows, and a huge map does
    # not crowd out the steps after it. A node's plain step (item "") ranks first.
    picked = (
        attempts.filter(is_latest())
        .annotate(item_rank=Window(DenseRank(), partition_by=[F("node_id")], order_by=F("item_key").asc()))
        .order_by("item_rank", "node_id", "item_key")
        .values("pk")[:DETAIL_STEPS]
    )  # ids only: the window sorts every latest attempt, and their inputs and outputs need not come along
    return list(StepRun.objects.filter(pk__in=Subquery(picked)).order_by("id")), True
