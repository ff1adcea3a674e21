"""Graphs for the benchmarks: random DAGs for the planner and validation (deterministic for a
given seed), and large graphs of inline steps for starting an instance.

Every node but the first gets one edge from a random earlier node (so every node is reachable
and none is isolated), then random forward edges are added up to ``n * edges_per_node``. Nodes
are listed in a shuffled order, so the list order is not already a topological order, and each
task's input names one of its predecessors, so no two configs are the same (no cache can cheat).
"""

from __future__ import annotations

import random
from typing import Any


def random_dag_indices(n: int, edges_per_node: float = 1.5, seed: int = 1) -> list[tuple[int, int]]:
    """Edges ``(source, target)`` over node indices ``0..n-1`` forming a connected DAG."""
    rng = random.Random(seed)
    rank = list(range(n))  # rank[i]: position of node i in a topological order
    rng.shuffle(rank)
    by_rank = sorted(range(n), key=rank.__getitem__)
    pairs: set[tuple[int, int]] = set()
    for r in range(1, n):
        pairs.add((rng.randrange(r), r))
    target = min(int(n * edges_per_node), n * (n - 1) // 2)
    while len(pairs) < target:
        r = rng.randrange(1, n)
        pairs.add((rng.randrange(r), r))
    edges = [(by_rank[s], by_rank[t]) for s, t in pairs]
    edges.sort()
    return edges


def random_dag(n: int, edges_per_node: float = 1.5, seed: int = 1) -> dict[str, Any]:
    """Graph JSON v1 of ``n`` ``task`` nodes running handler ``bench.noop``."""
    edges = random_dag_indices(n, edges_per_node, seed)
    parent: dict[int, int] = {}
    for s, t in edges:
        parent.setdefault(t, s)
    nodes = []
    for i in range(n):
        source = f"steps.n{parent[i]}.output" if i in parent else "input"
        nodes.append(
            {
                "id": f"n{i}",
                "type": "task",
                "label": f"Step {i}",
                "position": {"x": (i % 100) * 200.0, "y": (i // 100) * 120.0},
                "config": {
                    "handler": "bench.noop",
                    "input": {"value": f"{{{{ {source} }}}}", "n": i},
                    "retry": {"max_attempts": 3, "initial_s": 1},
                    "timeout_s": 30,
                },
            }
        )
    return {
        "version": 1,
        "settings": {"timeout_s": 3600, "on_failure": "fail"},
        "nodes": nodes,
        "edges": [
            {"id": f"e{k}", "source": f"n{s}", "target": f"n{t}", "port": "out"} for k, (s, t) in enumerate(edges)
        ],
    }


def inline_graph(n: int, shape: str = "mix") -> dict[str, Any]:
    """Graph JSON v1 of ``n`` inline steps (one start decides them all, in one transaction).

    Shapes: ``chain``; ``fan`` (1 → n-2 → 1); ``funnel`` (a chain whose every step also feeds one
    final join: that join is reached n-1 times before it can run); ``mix`` (blocks of a condition,
    a taken and a skipped branch, their join and one more step, chained; ``n`` rounded down to
    a multiple of 5).
    """
    step = {"assignments": {"x": "{{ 1 }}"}}
    nodes: list[dict[str, Any]] = []
    edges: list[tuple[str, str, str]] = []
    if shape == "chain":
        ids = [f"n{i}" for i in range(n)]
        edges = [(a, b, "out") for a, b in zip(ids, ids[1:])]
    elif shape == "fan":
        ids = ["first", *(f"m{i}" for i in range(n - 2)), "last"]
        edges = [("first", m, "out") for m in ids[1:-1]] + [(m, "last", "out") for m in ids[1:-1]]
    elif shape == "funnel":
        ids = [*(f"n{i}" for i in range(n - 1)), "join"]
        chain = ids[:-1]
        edges = [(a, b, "out") for a, b in zip(chain, chain[1:])] + [(a, "join", "out") for a in chain]
    elif shape == "mix":
        ids, previous = [], None
        for b in range(n // 5):
            test, yes, no, join, after = (f"{x}{b}" for x in ("if", "yes", "no", "join", "after"))
            nodes.append({"id": test, "type": "condition", "config": {"expression": "true"}})
            ids += [yes, no, join, after]
            edges += [(test, yes, "true"), (test, no, "false"), (yes, join, "out"), (no, join, "out"), (join, after, "out")]
            if previous:
                edges.append((previous, test, "out"))
            previous = after
    else:
        raise ValueError(f"unknown shape {shape!r}")
    nodes += [{"id": i, "type": "transform", "config": step} for i in ids]
    return {
        "version": 1,
        "settings": {},
        "nodes": nodes,
        "edges": [{"id": f"e{k}", "source": s, "target": t, "port": p} for k, (s, t, p) in enumerate(edges)],
    }
