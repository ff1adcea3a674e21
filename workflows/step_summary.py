"""What the instance detail says about its steps without inlining every attempt: a map node may
have 10,000 items, each with its own attempts (issue 10), and a page that asks for the instance
must not receive them all. Under ``DETAIL_STEPS`` attempts the detail lists every one, as it always
has (the instance page's timeline and attempt views read them); above it, the latest attempt of each
(node, item), at most ``DETAIL_STEPS`` of them, spread over the nodes, and says so
(``truncated``): ``/instances/{id}/steps/`` pages through all of them. ``counts`` is always whole."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q

from workflows import lineage
from workflows.models import Instance, StepRun

DETAIL_STEPS = 500


@dataclass(frozen=True)
class StepSummary:
    steps: list[StepRun]
    counts: list[dict]
    truncated: bool


def summarise(instance: Instance) -> StepSummary:
    counts = step_counts(instance)
    steps, truncated = shown_steps(instance, counts)
    return StepSummary(steps=steps, counts=counts, truncated=truncated)


def is_latest():
    """No later attempt of the same (node, item): an anti-join on the attempt's unique index."""
    later = StepRun.objects.filter(
        instance=OuterRef("instance"), node_id=OuterRef("node_id"), item_key=OuterRef("item_key"), attempt__gt=OuterRef("attempt")
    )
    return ~Exists(later)


def step_counts(instance: Instance) -> list[dict]:
    """Per node, in node order: every attempt (``attempts``) and how the latest attempt of each of
    its items stands (``by_status``, ``items``): for a node that runs per item (a map's items, a
    loop's iterations) its items alone, not its own step (item ""), so that the page can say
    "412 done · 3 failed · 10 running of 1,000"; for any other node its one step. ``steps`` counts
    every (node, item) with its own step, for ``shown_steps``. Two grouped queries: the attempts
    read the unique index alone, the latest an anti-join (a per-row ``EXISTS`` in one query's
    aggregate took three times as long)."""
    steps = StepRun.objects.filter(instance=instance).order_by()
    nodes = {
        node: {"node": node, "attempts": attempts, "items": 0, "by_status": {}, "steps": 0}
        for node, attempts in steps.values("node_id").annotate(n=Count("pk")).values_list("node_id", "n").order_by("node_id")
    }
    own = ExpressionWrapper(Q(item_key=""), output_field=BooleanField())
    latest = (
        steps.filter(is_latest()).values("node_id", "status", own=own).annotate(n=Count("pk"))
        .values_list("node_id", "own", "status", "n").order_by("node_id", "own", "status")
    )
    tallies: dict[str, dict[bool, dict[str, int]]] = {}
    for node, is_own, status, count in latest:
        if node in nodes:  # a step written between the two reads waits for the next
            tallies.setdefault(node, {True: {}, False: {}})[bool(is_own)][status] = count
    for node, tally in tallies.items():
        counted = tally[False] or tally[True]  # its items if it has any, else its own step
        nodes[node].update(items=sum(counted.values()), by_status=counted, steps=sum(tally[False].values()) + sum(tally[True].values()))
    return list(nodes.values())


def shown_steps(instance: Instance, counts: list[dict]) -> tuple[list[StepRun], bool]:
    """The attempts the detail inlines, in the order they were made, and whether any were left out.
    ``counts`` (``step_counts``) were read a moment ago: a running instance may have made more since."""
    steps = StepRun.objects.filter(instance=instance)
    shown = lineage.with_child(steps)
    if sum(c["attempts"] for c in counts) <= DETAIL_STEPS:
        every = list(shown.order_by("id")[: DETAIL_STEPS + 1])
        if len(every) <= DETAIL_STEPS:
            return every, False
    # The latest attempt of each item, DETAIL_STEPS shared fairly over the nodes, so that every node
    # shows and a huge map does not crowd out the rest; a node cut short shows its first items (its
    # own step, item "", first). Each part is a range of the attempt's unique index, so this costs
    # the same for a 10,000-item map as for a 600-item one (a window over every item cost 10x more).
    sizes = {c["node"]: c["steps"] for c in counts}
    shares = fair_shares(sizes, DETAIL_STEPS)
    latest = steps.filter(is_latest()).order_by().values_list("pk", flat=True)
    whole = [node for node, share in shares.items() if share == sizes[node]]
    parts = [latest.filter(node_id__in=whole)] if whole else []
    parts += [latest.filter(node_id=node).order_by("item_key")[:share] for node, share in shares.items() if 0 < share < sizes[node]]
    ids = _union(parts)[:DETAIL_STEPS]
    return list(shown.filter(pk__in=ids).order_by("id")), True


def fair_shares(sizes: dict[str, int], total: int) -> dict[str, int]:
    """``total`` places shared over ``sizes``: the small ones whole, the rest evenly (water-filling)."""
    shares, left = {}, total
    ordered = sorted(sizes.items(), key=lambda item: item[1])
    for index, (name, size) in enumerate(ordered):
        shares[name] = min(size, left // (len(ordered) - index))
        left -= shares[name]
    return shares


def _union(parts) -> list:
    """One round trip for every part where the database takes ``(... LIMIT n) UNION ALL (...)``
    (PostgreSQL); a query per part on the embedded SQLite run."""
    if not parts:
        return []
    if connections[parts[0].db].features.supports_slicing_ordering_in_compound:
        return list(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else list(parts[0])
    return [value for part in parts for value in part]
