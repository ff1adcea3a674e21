"""GET /api/v1/handlers/: each handler's name, one-line description and input schema (or null),
documented as such in the OpenAPI schema."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from workflows.core.handlers import handlers

pytestmark = pytest.mark.django_db


def by_name(client) -> dict[str, dict]:
    response = client.get("/api/v1/handlers/")
    assert response.status_code == 200
    return {h["name"]: h for h in response.json()}


def test_each_handler_comes_with_its_description_and_input_schema(analyst):
    listed = by_name(analyst)
    schedule = listed["demo.validate_schedule_request"]
    assert schedule["description"] == "Checks dates, staff and shifts of a schedule request."
    assert schedule["input_schema"]["type"] == "object"
    assert schedule["input_schema"]["required"] == ["start_date", "end_date", "staff"]
    assert schedule["input_schema"]["properties"]["start_date"]["format"] == "date"


def test_a_handler_that_declares_no_schema_says_null(reviewer):
    noop = by_name(reviewer)["demo.noop"]
    assert noop == {"name": "demo.noop", "description": "Does nothing; returns its input.", "input_schema": None}


def test_the_list_is_the_registry_in_name_order(analyst):
    response = analyst.get("/api/v1/handlers/")
    assert [h["name"] for h in response.json()] == handlers.names()


def test_the_openapi_document_describes_the_description_and_the_nullable_input_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    component = document["components"]["schemas"]["Handler"]
    assert set(component["properties"]) == {"name", "description", "input_schema"}
    assert component["properties"]["input_schema"]["type"] == "object"
    assert component["properties"]["input_schema"]["nullable"] is True
    assert "JSON Schema" in component["properties"]["input_schema"]["description"]
    listing = document["paths"]["/api/v1/handlers/"]["get"]
    assert "input" in listing["description"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"].endswith("/Handler")
