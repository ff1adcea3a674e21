"""The approvals endpoints in the OpenAPI document (/api/schema/): typed paths, the list's filters
with their values, each action's body, and the error answers (the whole document building without
one warning is ``test_api__openapi``)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from approvals.models import Task

BASE = "/api/v1/approvals/"
ACTIONS = {"claim": None, "unclaim": None, "delegate": "DelegateRequest", "comment": "CommentRequest", "snooze": "SnoozeRequest", "decide": "DecideRequest"}


@pytest.fixture(scope="module")
def document():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_list_documents_its_filters_and_their_values(document):
    operation = document["paths"][BASE]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert set(parameters) == {"view", "status", "template", "due", "priority_min", "page"}
    assert parameters["view"]["enum"] == ["mine", "groups", "all"] and parameters["view"]["default"] == "mine"
    assert parameters["status"]["enum"] == ["open", "closed", "any"]
    assert parameters["due"]["enum"] == ["overdue", "today", "week", "none"]
    assert parameters["priority_min"] == {"type": "integer", "minimum": 0, "maximum": 100}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/PaginatedTaskList")
    assert operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


@pytest.mark.parametrize(("action", "request_name"), ACTIONS.items())
def test_each_action_documents_its_body_its_answer_and_its_refusals(document, action, request_name):
    operation = document["paths"][f"{BASE}{{id}}/{action}/"]["post"]
    assert [(p["name"], p["in"], p["schema"]["type"]) for p in operation["parameters"]] == [("id", "path", "integer")]
    if request_name is None:
        assert "requestBody" not in operation  # nothing to send (a body with any field is a 400)
    else:
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(f"/{request_name}")
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/TaskDetail")
    assert {"400", "403", "404", "409"} <= set(operation["responses"])


def test_the_bodies_and_the_task_say_what_they_take_and_carry(document):
    schemas = document["components"]["schemas"]
    decide = schemas["DecideRequest"]
    assert decide["required"] == ["decision"] and set(decide["properties"]) == {"decision", "comment", "data"}
    assert schemas["DecisionEnum"]["enum"] == Task.Decision.values
    assert schemas["TaskStatusEnum"]["enum"] == Task.Status.values
    assert schemas["SnoozeRequest"]["properties"]["until"]["nullable"] is True
    task = schemas["TaskDetail"]["properties"]
    assert task["form"]["items"]["properties"]["type"]["enum"] == ["text", "textarea", "number", "boolean", "choice", "date"]
    assert task["entries"]["items"]["$ref"].endswith("/Entry") and task["votes"]["items"]["$ref"].endswith("/Vote")
    assert schemas["Error"]["required"] == ["code", "detail", "errors"]
