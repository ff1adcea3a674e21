"""The value gate: whatever Python builds, ``check`` either passes JSON that PostgreSQL stores or
says where and why not."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.core.values import InvalidValue, check, clamp, clean_text

# Text with everything PostgreSQL refuses: NUL and lone surrogates (hypothesis leaves them out by default).
hostile_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=8)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | hostile_text
hostile = st.recursive(
    scalars | st.sampled_from([object(), str.upper, b"bytes", {1, 2}]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4) | st.tuples(inner, inner),
    max_leaves=20,
)


def storable(value) -> bool:
    """What PostgreSQL's jsonb accepts: strict JSON, valid UTF-8, no NUL."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")
    except (ValueError, TypeError):
        return False
    return "\\u0000" not in json.dumps(value, allow_nan=False)  # escaped NUL is refused too


@settings(max_examples=400)
@given(hostile)
def test_check_passes_exactly_what_can_be_stored(value):
    try:
        text = check(value, where="output", max_bytes=10**9)
    except InvalidValue as exc:
        assert not storable(value)
        assert str(exc).startswith("output")
    else:
        assert storable(value)
        assert json.loads(text) == json.loads(json.dumps(value))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"total": math.inf}, "output.total: Infinity is not a JSON number"),
        ([1, math.nan], "output.1: NaN is not a JSON number"),
        ({"a": "x\x00y"}, "output.a: contains a NUL character"),
        ({"\ud800": 1}, "output: a key contains a lone surrogate (\\ud800)"),
        ({"f": "a".removeprefix}, "output.f: a function or method is not a JSON value"),
        ({"b": b"x"}, "output.b: a bytes is not a JSON value"),
    ],
)
def test_it_says_where_and_what(value, message):
    with pytest.raises(InvalidValue) as caught:
        check(value, where="output", max_bytes=1000)
    assert str(caught.value).startswith(message)


def test_a_value_that_contains_itself_is_refused():
    loop: dict = {"a": 1}
    loop["self"] = loop
    with pytest.raises(InvalidValue, match="output.self: refers to itself"):
        check(loop, where="output", max_bytes=1000)


def test_the_same_object_twice_is_not_a_cycle():
    shared = {"x": 1}
    assert json.loads(check({"a": shared, "b": [shared]}, where="v", max_bytes=1000)) == {"a": {"x": 1}, "b": [{"x": 1}]}


def test_depth_and_size_are_bounded():
    deep: list = []
    for _ in range(101):
        deep = [deep]
    with pytest.raises(InvalidValue, match="nested deeper than 100 levels"):
        check(deep, where="v", max_bytes=10**6)
    very_deep: list = []
    for _ in range(100_000):  # past Python's own recursion limit: still a clear answer
        very_deep = [very_deep]
    with pytest.raises(InvalidValue, match="nested deeper than 100 levels"):
        check(very_deep, where="v", max_bytes=10**9)
    with pytest.raises(InvalidValue, match="v: 1,002 bytes of JSON; the limit is 1,000"):
        check("x" * 1000, where="v", max_bytes=1000)


def test_a_literal_backslash_u0000_is_text_not_a_nul():
    assert check({"path": "C:\\u0000"}, where="v", max_bytes=100)


def test_error_texts_are_cleaned_not_refused():
    assert clean_text("a\x00b\ud800c", 100) == "a\ufffdb\ufffdc"
    assert clean_text("x" * 50, 10) == "x" * 9 + "…"


@pytest.mark.parametrize(
    ("value", "expected"), [(1e308, 100.0), (-5, 1.0), (50, 50.0), (math.nan, None), ("7", None), (True, None)]
)
def test_numbers_are_held_to_their_documented_range(value, expected):
    assert clamp(value, {"minimum": 1, "maximum": 100}) == expected
