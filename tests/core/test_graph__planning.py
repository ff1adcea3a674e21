"""Execution plans (topological batches) and cycle detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.graphs import random_dag_indices
from workflows.core.graph import Graph
from workflows.core.planning import (
    CycleError,
    describe_cycle,
    find_cycles,
    plan,
    plan_indices,
)


def graph(node_ids: list[str], edges: list[tuple[str, str]]) -> Graph:
    return Graph.from_dict(
        {
            "version": 1,
            "nodes": [{"id": v, "type": "task", "config": {}} for v in node_ids],
            "edges": [{"id": f"e{i}", "source": s, "target": t} for i, (s, t) in enumerate(edges)],
        }
    )


def test_it_puts_the_branches_of_a_diamond_in_one_batch():
    g = graph(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    assert plan(g) == [["a"], ["b", "c"], ["d"]]


def test_it_places_a_node_by_its_longest_path_from_an_entry():
    g = graph(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "c"), ("d", "c")])
    assert plan(g) == [["a", "d"], ["b"], ["c"]]


def test_it_orders_each_batch_by_the_graphs_node_order():
    g = graph(["z", "y", "x", "start"], [("start", "x"), ("start", "z"), ("start", "y")])
    assert plan(g) == [["start"], ["z", "y", "x"]]


def test_it_plans_a_single_node_and_an_empty_graph():
    assert plan(graph(["only"], [])) == [["only"]]
    assert plan(graph([], [])) == []


def test_it_raises_a_cycle_error_naming_the_cycle_in_order():
    g = graph(["start", "a", "b", "c", "after"], [("start", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("c", "after")])
    with pytest.raises(CycleError) as caught:
        plan(g)
    assert caught.value.cycles == [["a", "b", "c"]]
    assert "a → b → c → a" in str(caught.value)


def test_a_self_loop_is_a_cycle():
    with pytest.raises(CycleError) as caught:
        plan(graph(["a", "b"], [("a", "b"), ("b", "b")]))
    assert caught.value.cycles == [["b"]]


def test_it_finds_every_cycle_but_not_the_nodes_between_them():
    cycles = find_cycles(
        ["a", "b", "c", "d", "e", "f"],
        [("a", "b"), ("b", "a"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "f"), ("f", "d")],
    )
    assert cycles == [["a", "b"], ["d", "e", "f"]]


def test_find_cycles_ignores_a_dag_and_edges_to_unknown_nodes():
    assert find_cycles(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c"), ("c", "ghost")]) == []


def test_find_cycles_returns_a_tangle_of_cycles_as_one_component():
    (component,) = find_cycles(["a", "b", "c"], [("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")])
    assert component == ["a", "b", "c"]


def test_it_handles_a_cycle_of_100000_nodes_without_recursion():
    n = 100_000
    edges = [(i, i + 1) for i in range(n - 1)] + [(n - 1, 0)]
    with pytest.raises(CycleError) as caught:
        plan_indices(n, edges)
    assert caught.value.cycles == [list(range(n))]
    assert len(str(caught.value)) < 300


def test_it_plans_a_chain_of_100000_nodes():
    n = 100_000
    batches = plan_indices(n, [(i, i + 1) for i in range(n - 1)])
    assert len(batches) == n


def test_describe_cycle_elides_the_middle_of_a_long_cycle():
    assert describe_cycle(["a", "b"]) == "a → b → a"
    text = describe_cycle([f"n{i}" for i in range(100)], limit=5)
    assert text == "n0 → n1 → n2 → … (96 more) → n99 → n0"


def test_bench_dags_are_connected_acyclic_and_deterministic():
    edges = random_dag_indices(500, 1.5, seed=3)
    assert edges == random_dag_indices(500, 1.5, seed=3)
    assert len(edges) == 750
    batches = plan_indices(500, edges)
    assert len(batches[0]) == 1  # every other node has a parent


# --- properties --------------------------------------------------------------------------------


@st.composite
def dags(draw, max_nodes: int = 30):
    """(n, edges): forward edges over a random topological rank, so any order of indices."""
    n = draw(st.integers(1, max_nodes))
    rank = draw(st.permutations(range(n)))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    edges = [(rank[min(a, b)], rank[max(a, b)]) for a, b in pairs if a != b]
    return n, edges


def longest_path_levels(n: int, edges: list[tuple[int, int]]) -> list[int]:
    preds: list[list[int]] = [[] for _ in range(n)]
    for s, t in edges:
        preds[t].append(s)
    level: dict[int, int] = {}

    def depth(v: int) -> int:  # small graphs: recursion is fine in the oracle
        if v not in level:
            level[v] = max((depth(p) + 1 for p in preds[v]), default=0)
        return level[v]

    return [depth(v) for v in range(n)]


@given(dags())
def test_plans_of_random_dags_respect_every_edge(dag):
    n, edges = dag
    batches = plan_indices(n, edges)
    where = {v: k for k, batch in enumerate(batches) for v in batch}
    assert sorted(where) == list(range(n)) and sum(map(len, batches)) == n  # each node exactly once
    assert all(where[s] < where[t] for s, t in edges)
    levels = longest_path_levels(n, edges)
    assert all(where[v] == levels[v] for v in range(n))
    assert len(batches) == max(levels) + 1
    assert all(batch == sorted(batch) for batch in batches)


@given(dags(), st.data())
def test_a_back_edge_raises_a_cycle_error_holding_its_nodes(dag, data):
    n, edges = dag
    if not edges:
        edges = [(0, 0)] if n == 1 else [(0, 1)]
    source, target = data.draw(st.sampled_from(edges))
    # Any node on a path source → ... → target closes a cycle with a back edge target → source.
    with pytest.raises(CycleError) as caught:
        plan_indices(n, [*edges, (target, source)])
    assert any(source in c and target in c for c in caught.value.cycles)
    succ = {v: {t for s, t in [*edges, (target, source)] if s == v} for v in range(n)}
    for cycle in caught.value.cycles:
        for v in cycle:  # every member reaches every other: a strongly connected component
            seen, todo = {v}, [v]
            while todo:
                for w in succ[todo.pop()]:
                    if w not in seen:
                        seen.add(w)
                        todo.append(w)
            assert set(cycle) <= seen


@settings(max_examples=50)
@given(st.integers(2, 40), st.data())
def test_a_simple_cycle_is_listed_in_edge_order(size, data):
    order = data.draw(st.permutations(range(size)))
    edges = [(order[i], order[(i + 1) % size]) for i in range(size)]
    (cycle,) = find_cycles([f"n{i}" for i in range(size)], [(f"n{s}", f"n{t}") for s, t in edges])
    start = cycle.index(f"n{order[0]}")
    assert cycle[start:] + cycle[:start] == [f"n{v}" for v in order]
