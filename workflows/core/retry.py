"""Retry policy maths (DESIGN §5.7): capped exponential backoff with equal jitter.

Pure and deterministic given ``rand``, so the decider can schedule "retry at T" and tests can pin
the randomness. Equal jitter (half the delay fixed, half random) keeps a floor under every wait,
unlike full jitter, while still spreading retries of many failing steps apart.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from .errors import ALWAYS_NON_RETRYABLE


#: The documented range of each number (the JSON Schema of ``retry`` is built from it).
BOUNDS: dict[str, tuple[float, float]] = {"max_attempts": (1, 100), "initial_s": (0, 86400), "backoff": (1, 10), "max_s": (0, 86400)}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _within(key: str, value: Any) -> Any:
    """Numbers held to their documented range, whole ones as ints (2.0 attempts are 2): graphs
    stored before validation said so still run instead of raising at run time."""
    if key not in BOUNDS or not _is_number(value):
        return value  # __post_init__ says what is wrong with it
    low, high = BOUNDS[key]
    value = min(max(value, low), high)
    if key == "max_attempts":
        return int(value) if float(value).is_integer() else value
    return value


@dataclass(frozen=True)
class RetryPolicy:
    """A node's ``retry`` settings. ``max_attempts`` counts the first attempt (1 = no retries)."""

    max_attempts: int = 1
    initial_s: float = 1.0
    backoff: float = 2.0
    max_s: float = 300.0
    jitter: bool = True
    non_retryable: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or isinstance(self.max_attempts, bool) or self.max_attempts < 1:
            raise ValueError(f"max_attempts must be a whole number of at least 1, got {self.max_attempts!r}")
        self._number("initial_s", minimum=0)
        self._number("backoff", minimum=1)
        # max_s may be below initial_s: the cap wins, so every wait is max_s.
        self._number("max_s", minimum=0)
        if not isinstance(self.jitter, bool):
            raise ValueError(f"jitter must be true or false, got {self.jitter!r}")
        names = self.non_retryable
        if isinstance(names, str) or not isinstance(names, Iterable):
            raise ValueError(f"non_retryable must be a list of error type names, got {names!r}")
        names = tuple(names)
        if not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"non_retryable must contain non-empty error type names, got {list(names)!r}")
        object.__setattr__(self, "non_retryable", names)  # a list from JSON becomes a hashable tuple

    def _number(self, name: str, *, minimum: float) -> None:
        value = getattr(self, name)
        if not _is_number(value) or value < minimum:
            raise ValueError(f"{name} must be a number of at least {minimum:g}, got {value!r}")
        object.__setattr__(self, name, float(value))  # floats: backoff ** n must not become a huge int

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RetryPolicy:
        """The policy of a node's ``retry`` object (``None`` or ``{}``: one attempt, no retries)."""
        if not config:
            return cls()
        if not isinstance(config, Mapping):
            raise ValueError(f"retry must be an object, got {type(config).__name__}")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(config) - set(known))
        if unknown:
            raise ValueError(f"unknown retry setting(s): {', '.join(map(str, unknown))} (known: {', '.join(known)})")
        return cls(**config)

    @classmethod
    def at_run_time(cls, config: Any) -> RetryPolicy:
        """The policy a stored graph gets when a step fails: never an exception.

        Validation refuses what ``from_config`` refuses, but a version stored before a rule existed
        must still run: numbers are held to their documented range (2.0 attempts are 2), unknown
        keys are ignored, and a setting that still makes no sense falls back to its default.
        """
        if not isinstance(config, Mapping):
            return cls()
        known = {f.name for f in fields(cls)}
        values = {key: _within(key, value) for key, value in config.items() if key in known}
        try:
            return cls(**values)
        except ValueError:
            good = {}
            for key, value in values.items():
                try:
                    cls(**{key: value})
                except ValueError:
                    continue
                good[key] = value
            return cls(**good)

    def base_delay(self, attempt: int) -> float:
        """The capped exponential delay after failed attempt ``attempt`` (1-based), before jitter."""
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, got {attempt}")
        if self.initial_s == 0 or self.max_s == 0:
            return 0.0
        if self.backoff == 1:
            return min(self.max_s, self.initial_s)
        try:
            # math.pow on floats raises OverflowError instead of building a huge number.
            raw = self.initial_s * math.pow(self.backoff, attempt - 1)
        except OverflowError:
            return self.max_s
        return min(self.max_s, raw)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt ``attempt``; with jitter, within [base/2, base]."""
        base = self.base_delay(attempt)
        if not self.jitter:
            return base
        fraction = min(max(rand(), 0.0), 1.0)  # a misbehaving rand must not leave the interval
        return base / 2 + fraction * base / 2

    def should_retry(self, attempt: int, error_type: str, retryable: bool = True) -> bool:
        """Whether failed attempt ``attempt`` (1-based) of an error of ``error_type`` gets another try."""
        return (
            retryable
            and attempt < self.max_attempts
            and error_type not in self.non_retryable
            and error_type not in ALWAYS_NON_RETRYABLE
        )

    def next_delay(
        self, attempt: int, error_type: str, retryable: bool = True, rand: Callable[[], float] = random.random
    ) -> float | None:
        """The wait before the next attempt, or ``None`` to give up and fail the step."""
        if not self.should_retry(attempt, error_type, retryable):
            return None
        return self.delay(attempt, rand)
