"""GET /api/v1/instances/ with bad query values: unknown filter values, malformed dates, page numbers
that are not pages. Each is a 400 naming the field, never a 500 and never a silent empty list."""

from __future__ import annotations

import pytest

from workflows import engine

pytestmark = pytest.mark.django_db

URL = "/api/v1/instances/"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "exploded"}, "status"),
        ({"status": ["running", "exploded"]}, "status"),
        ({"template": "no-such-template"}, "template"),
        ({"template": "bill\x00ing"}, "template"),
        ({"template": "t" * 5000}, "template"),
        ({"priority_min": "high"}, "priority_min"),
        ({"priority_min": "1e999"}, "priority_min"),
        ({"created_after": "not a date"}, "created_after"),
        ({"created_after": "2024-13-45"}, "created_after"),
        ({"created_before": "2024-02-30T10:00:00Z"}, "created_before"),
        ({"created_before": "0001-01-01T00:00:00+01:00"}, "created_before"),
        ({"include_tests": "maybe"}, "include_tests"),
        ({"include_tests": "yes please"}, "include_tests"),
        ({"business_key": "a\x00b"}, "business_key"),
        ({"error_type": "E" * 201}, "error_type"),
        ({"error_type": "Card\tDeclined"}, "error_type"),
        ({"page": "two"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-3"}, "page"),
        ({"page": "99"}, "page"),
        ({"page": "9" * 40}, "page"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_field(operator, published, query, field):
    engine.start_instance("billing")
    response = operator.get(URL, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert {e["field"] for e in body["errors"]} == {field}
    assert body["detail"].startswith(f"{field}: ")


def test_the_pages_that_exist_are_served(operator, published):
    engine.start_instance("billing")
    assert operator.get(URL, {"page": "1"}).status_code == 200
    assert operator.get(URL, {"page": "1", "template": "ghost-or-not", "status": "failed"}).status_code == 400
    assert operator.get(URL, {"page": "1", "template": "billing", "status": "failed"}).json()["results"] == []  # an empty first page is fine
