"""Retry policy maths: validation, capped exponential backoff, equal jitter, when to give up."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.core.errors import ALWAYS_NON_RETRYABLE
from workflows.core.retry import RetryPolicy

DESIGN_EXAMPLE = {
    "max_attempts": 3,
    "initial_s": 1,
    "backoff": 2.0,
    "max_s": 300,
    "jitter": True,
    "non_retryable": ["ValidationError"],
}


def test_the_default_policy_makes_one_attempt():
    policy = RetryPolicy()
    assert policy.max_attempts == 1
    assert not policy.should_retry(1, "TimeoutError")
    assert policy.next_delay(1, "TimeoutError") is None


def test_it_reads_the_design_example():
    policy = RetryPolicy.from_config(DESIGN_EXAMPLE)
    assert policy == RetryPolicy(3, 1.0, 2.0, 300.0, True, ("ValidationError",))
    assert isinstance(policy.initial_s, float) and isinstance(policy.non_retryable, tuple)
    hash(policy)  # frozen and hashable, though the JSON gave a list


def test_a_missing_or_empty_config_means_the_default():
    assert RetryPolicy.from_config(None) == RetryPolicy()
    assert RetryPolicy.from_config({}) == RetryPolicy()


def test_it_refuses_unknown_settings_naming_them():
    with pytest.raises(ValueError, match=r"unknown retry setting\(s\): attempts \(known: max_attempts, initial_s"):
        RetryPolicy.from_config({"attempts": 3})


def test_it_refuses_a_config_that_is_not_an_object():
    with pytest.raises(ValueError, match="retry must be an object"):
        RetryPolicy.from_config([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 2.5}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"initial_s": -1}, "initial_s"),
        ({"initial_s": "1"}, "initial_s"),
        ({"initial_s": math.nan}, "initial_s"),
        ({"backoff": 0.5}, "backoff"),
        ({"backoff": math.inf}, "backoff"),
        ({"max_s": -0.1}, "max_s"),
        ({"jitter": "yes"}, "jitter"),
        ({"non_retryable": "ValidationError"}, "non_retryable"),
        ({"non_retryable": [""]}, "non_retryable"),
        ({"non_retryable": [3]}, "non_retryable"),
    ],
)
def test_it_refuses_invalid_values_naming_the_field(settings, field):
    with pytest.raises(ValueError, match=f"^{field} must"):
        RetryPolicy.from_config(settings)


def test_delays_grow_exponentially_up_to_the_cap():
    policy = RetryPolicy(max_attempts=10, initial_s=1, backoff=2, max_s=10, jitter=False)
    assert [policy.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_a_cap_below_the_initial_delay_wins():
    assert RetryPolicy(initial_s=600, max_s=300, jitter=False).delay(1) == 300


def test_a_backoff_of_one_gives_constant_delays():
    policy = RetryPolicy(initial_s=5, backoff=1, jitter=False)
    assert policy.delay(1) == policy.delay(10**400) == 5


def test_a_zero_initial_delay_retries_at_once():
    assert RetryPolicy(initial_s=0, max_s=300).delay(10**9) == 0


def test_equal_jitter_spans_half_to_all_of_the_base():
    policy = RetryPolicy(initial_s=4, backoff=2, max_s=300)
    assert policy.delay(2, rand=lambda: 0.0) == 4
    assert policy.delay(2, rand=lambda: 0.5) == 6
    assert policy.delay(2, rand=lambda: 1.0) == 8


def test_a_misbehaving_random_source_cannot_leave_the_interval():
    policy = RetryPolicy(initial_s=4, max_s=300)
    assert policy.delay(1, rand=lambda: 7.0) == 4
    assert policy.delay(1, rand=lambda: -3.0) == 2


def test_attempt_numbers_start_at_one():
    with pytest.raises(ValueError, match="start at 1"):
        RetryPolicy().delay(0)


def test_it_gives_up_after_max_attempts():
    policy = RetryPolicy(max_attempts=3, jitter=False)
    assert policy.next_delay(1, "TimeoutError") == 1
    assert policy.next_delay(2, "TimeoutError") == 2
    assert policy.next_delay(3, "TimeoutError") is None


def test_it_never_retries_a_non_retryable_error():
    policy = RetryPolicy(max_attempts=5, non_retryable=("HttpClientError",))
    assert policy.should_retry(1, "ConnectionError")
    assert not policy.should_retry(1, "HttpClientError")
    assert not policy.should_retry(1, "ConnectionError", retryable=False)
    assert policy.next_delay(1, "ConnectionError", retryable=False) is None


@pytest.mark.parametrize("error_type", sorted(ALWAYS_NON_RETRYABLE))
def test_it_never_retries_the_always_non_retryable_errors(error_type):
    assert not RetryPolicy(max_attempts=100).should_retry(1, error_type)


# --------------------------------------------------------------------------- properties

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 100),
    initial_s=st.floats(0, 86400),
    backoff=st.floats(1, 10),
    max_s=st.floats(0, 86400),
    jitter=st.booleans(),
)
attempts = st.one_of(st.integers(1, 200), st.integers(1, 10**500))
unit = st.floats(0, 1)


@given(policies, attempts, unit)
def test_a_jittered_delay_stays_within_half_to_all_of_the_base(policy, attempt, r):
    base = policy.base_delay(attempt)
    delay = replace(policy, jitter=True).delay(attempt, rand=lambda: r)
    assert base / 2 <= delay <= base


@given(policies, attempts)
def test_without_jitter_the_delay_is_the_base(policy, attempt):
    plain = replace(policy, jitter=False)
    assert plain.delay(attempt) == plain.base_delay(attempt)


@given(policies, attempts, unit)
def test_a_delay_never_exceeds_the_cap(policy, attempt, r):
    delay = policy.delay(attempt, rand=lambda: r)
    assert 0 <= delay <= policy.max_s and math.isfinite(delay)


@given(policies, st.integers(1, 10**400))
def test_delays_never_decrease_without_jitter(policy, attempt):
    plain = replace(policy, jitter=False)
    assert plain.delay(attempt) <= plain.delay(attempt + 1)


@given(policies, st.integers(1, 10**6), st.text(max_size=20), st.booleans())
def test_it_never_retries_past_max_attempts(policy, attempt, error_type, retryable):
    if attempt >= policy.max_attempts:
        assert not policy.should_retry(attempt, error_type, retryable)
        assert policy.next_delay(attempt, error_type, retryable) is None


@given(st.integers(1, 10**1000))
def test_huge_attempt_numbers_do_not_overflow(attempt):
    policy = RetryPolicy(max_attempts=3, initial_s=1, backoff=10, max_s=60, jitter=False)
    assert policy.delay(attempt) == (60 if attempt > 2 else 10 ** (attempt - 1))
