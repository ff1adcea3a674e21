"""The OpenAPI document (/api/schema/): it builds without one warning and validates, and it says
what the step pages and the instance rows carry."""

from __future__ import annotations

from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator


def test_the_schema_builds_without_a_warning_and_validates(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_the_step_pages_are_documented_with_their_filters_cursor_and_page_shape():
    document = SchemaGenerator().get_schema(request=None, public=True)
    operation = document["paths"]["/api/v1/instances/{id}/steps/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"id", "node", "status", "item", "latest", "items", "order", "limit", "cursor"}
    assert parameters["id"]["schema"] == {"type": "string", "format": "uuid"}
    assert parameters["order"]["schema"]["enum"] == ["node", "id", "item"]
    assert parameters["latest"]["schema"]["type"] == "boolean"
    assert parameters["status"]["schema"]["type"] == "array" and "timed_out" in parameters["status"]["schema"]["items"]["enum"]
    page = document["components"]["schemas"]["PaginatedStepRunList"]
    assert page["required"] == ["next", "results"] and page["properties"]["results"]["items"]["$ref"].endswith("/StepRun")
    detail = document["components"]["schemas"]["InstanceDetail"]["properties"]
    assert detail["step_counts"]["items"]["$ref"].endswith("/StepCount") and detail["steps_truncated"]["type"] == "boolean"
    assert detail["ancestors"]["items"]["$ref"].endswith("/Ancestor") and detail["children"]["items"]["$ref"].endswith("/Child")
    step = document["components"]["schemas"]["StepRun"]["properties"]
    assert step["child"] == {**step["child"], "type": "string", "format": "uuid", "nullable": True}
    row = document["components"]["schemas"]["Instance"]["properties"]
    assert row["parent"]["nullable"] is True and row["children_count"]["type"] == "integer"
    listing = {p["name"]: p for p in document["paths"]["/api/v1/instances/"]["get"]["parameters"]}
    assert listing["parent"]["schema"] == {"type": "string", "format": "uuid"}
