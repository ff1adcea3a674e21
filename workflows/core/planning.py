"""Execution plans and cycle detection over plain integer indices.

Graphs reach 100,000 nodes, so everything here works on ``int`` node indices and plain lists
(no per-node objects, no recursion): ``plan_indices`` is Kahn's algorithm taken level by level,
``find_cycles`` an iterative Tarjan. The id-based functions are thin translations around them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .graph import Graph


class CycleError(ValueError):
    """The graph is not a DAG. ``cycles`` lists each cycle's nodes, ordered along the cycle."""

    def __init__(self, cycles: list[list[Any]]):
        self.cycles = cycles
        shown = "; ".join(describe_cycle(c) for c in cycles[:3])
        super().__init__(f"the graph has {len(cycles)} cycle(s): {shown}")


def describe_cycle(cycle: Sequence[Any], limit: int = 12) -> str:
    """``a → b → c → a``, eliding the middle of long cycles so messages stay short."""
    names = [str(v) for v in cycle]
    if len(names) > limit:
        names = names[: limit - 2] + [f"… ({len(cycle) - limit + 1} more)"] + names[-1:]
    return " → ".join(names + names[:1])


def adjacency(n: int, edges: Iterable[tuple[int, int]]) -> tuple[list[list[int]], list[int]]:
    """Successor lists and in-degrees (parallel edges count once per edge)."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for s, t in edges:
        succ[s].append(t)
        indeg[t] += 1
    return succ, indeg


def levels(succ: Sequence[Sequence[int]], indeg: list[int]) -> tuple[list[list[int]], int]:
    """Kahn's algorithm, one level at a time: returns (batches, nodes placed).

    A node becomes ready while its last predecessor's level is processed, so it lands in batch
    (longest path from an entry). Nodes on or after a cycle are never placed. ``indeg`` is
    consumed.
    """
    batch = [v for v, d in enumerate(indeg) if d == 0]
    batches: list[list[int]] = []
    placed = 0
    while batch:
        batches.append(batch)
        placed += len(batch)
        ready: list[int] = []
        for v in batch:
            for w in succ[v]:
                d = indeg[w] - 1
                indeg[w] = d
                if d == 0:
                    ready.append(w)
        ready.sort()
        batch = ready
    return batches, placed


def plan_indices(n: int, edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Batches of node indices that can run in parallel, ascending inside a batch.

    Raises ``CycleError`` (with index cycles) when the edges do not form a DAG.
    """
    succ, indeg = adjacency(n, edges)
    batches, placed = levels(succ, indeg)
    if placed < n:
        # What Kahn could not place is closed under successors and holds every cycle.
        stuck = [v for v in range(n) if indeg[v] > 0]
        raise CycleError(cycles_indices(succ, stuck))
    return batches


def plan(graph: Graph) -> list[list[str]]:
    """Batches of node ids that can run in parallel; node order inside a batch = graph order."""
    ids = graph.ids
    index = graph.index
    try:
        batches = plan_indices(len(ids), [(index[e.source], index[e.target]) for e in graph.edges])
    except CycleError as exc:
        raise CycleError([[ids[v] for v in c] for c in exc.cycles]) from None
    return [[ids[v] for v in b] for b in batches]


def find_cycles(node_ids: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Every strongly connected component that holds a cycle, its nodes ordered along one.

    Edges naming unknown nodes are ignored. Components come in order of their first node.
    """
    index = {v: i for i, v in enumerate(node_ids)}
    pairs = [(index[s], index[t]) for s, t in edges if s in index and t in index]
    succ, _ = adjacency(len(node_ids), pairs)
    return [[node_ids[v] for v in c] for c in cycles_indices(succ, range(len(node_ids)))]


def cycles_indices(succ: Sequence[Sequence[int]], roots: Iterable[int]) -> list[list[int]]:
    """``find_cycles`` on indices: the cyclic components reachable from ``roots``."""
    cycles = []
    for comp in strongly_connected(succ, roots):
        if len(comp) > 1 or comp[0] in succ[comp[0]]:
            cycles.append(_along_a_cycle(succ, comp))
    cycles.sort(key=lambda c: c[0])
    return cycles


def strongly_connected(succ: Sequence[Sequence[int]], roots: Iterable[int]) -> list[list[int]]:
    """Tarjan's algorithm with an explicit stack (Python's recursion limit is ~1,000)."""
    n = len(succ)
    order = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    comps: list[list[int]] = []
    counter = 0
    for root in roots:
        if order[root] != -1:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, iter(succ[root]))]
        while work:
            v, it = work[-1]
            for w in it:
                if order[w] == -1:
                    order[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, iter(succ[w])))
                    break
                if on_stack[w] and order[w] < low[v]:
                    low[v] = order[w]
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                if low[v] == order[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack[w] = False
                        comp.append(w)
                        if w == v:
                            break
                    comps.append(comp)
    return comps


def _along_a_cycle(succ: Sequence[Sequence[int]], comp: list[int]) -> list[int]:
    """Order a component by depth-first preorder from its first node, lowest successor first.

    For a simple cycle (the usual mistake: one back edge) this is exactly the cycle's order;
    for a tangle of cycles it is a walk that follows edges as long as it can.
    """
    members = set(comp)
    start = min(comp)
    seen = {start}
    out = [start]
    work = [iter(sorted(w for w in succ[start] if w in members))]
    while work:
        for w in work[-1]:
            if w not in seen:
                seen.add(w)
                out.append(w)
                work.append(iter(sorted(x for x in succ[w] if x in members)))
                break
        else:
            work.pop()
    return out


def is_cycle(succ: Sequence[Sequence[int]], order: Sequence[int]) -> bool:
    """Whether ``order`` followed round (last back to first) uses only existing edges."""
    return all(order[(i + 1) % len(order)] in succ[v] for i, v in enumerate(order))


def shortest_cycle(succ: Sequence[Sequence[int]], start: int) -> list[int]:
    """A shortest cycle through ``start`` (breadth-first), or [] when there is none."""
    parent = {start: -1}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in succ[v]:
                if w == start:
                    path = [v]
                    while parent[path[-1]] != -1:
                        path.append(parent[path[-1]])
                    return path[::-1]
                if w not in parent:
                    parent[w] = v
                    nxt.append(w)
        frontier = nxt
    return []
