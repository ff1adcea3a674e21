from __future__ import annotations

import statistics


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def figure(name: str, value: float, unit: str, **extra) -> dict:
    return {"figure": name, "value": round(value, 3), "unit": unit, **extra}


def median(values: list[float]) -> float:
    return statistics.median(values)
