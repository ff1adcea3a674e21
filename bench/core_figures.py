"""The pure core: planning and validation of large random DAGs (no database)."""

from __future__ import annotations

import time

from bench.graphs import random_dag, random_dag_indices
from bench.stats import figure, median


def _time(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return median(runs)


def plan(n: int, repeat: int):
    from workflows.core.planning import plan_indices

    edges = random_dag_indices(n, 1.5, seed=7)
    ms = _time(lambda: plan_indices(n, edges), repeat)
    return [figure(f"plan_{n // 1000}k", ms, "ms", nodes=n, edges=len(edges), note="batches + cycle check, median")]


def validate_10k():
    from workflows.core.steps import step_types
    from workflows.core.validation import validate

    data = random_dag(10_000, 1.5, seed=7)
    result = validate(data, types=step_types, handler_names=["bench.noop"])
    assert result.valid, result.errors[:3]
    ms = _time(lambda: validate(data, types=step_types, handler_names=["bench.noop"]), 5)
    return [figure("validate_10k", ms, "ms", nodes=10_000, edges=len(data["edges"]), note="full validation, median of 5")]


FIGURES = {
    "plan_10k": lambda: plan(10_000, 15),
    "plan_100k": lambda: plan(100_000, 5),
    "validate_10k": validate_10k,
}
