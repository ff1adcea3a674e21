"""Test-running a draft with mocked nodes, and checking expressions as the analyst types."""

from __future__ import annotations

import pytest

from tests.engine.conftest import drain_all
from workflows.models import Instance, TemplateVersion

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates/billing"


def routed_graph() -> dict:
    """charge (routes failures) -> receipt, or charge --failure--> refund."""
    node = lambda id, handler, **c: {"id": id, "type": "task", "config": {"handler": handler, **c}}  # noqa: E731
    return {
        "version": 1,
        "settings": {},
        "nodes": [node("charge", "demo.noop", on_failure="route"), node("receipt", "demo.noop", input="{{ steps.charge.output }}"), node("refund", "demo.noop")],
        "edges": [
            {"id": "e1", "source": "charge", "target": "receipt", "port": "out"},
            {"id": "e2", "source": "charge", "target": "refund", "port": "failure"},
        ],
    }


@pytest.fixture
def draft(analyst, published):
    assert analyst.put(f"{URL}/draft/", {"graph": routed_graph()}, format="json").status_code == 200


def run(analyst, **body):
    response = analyst.post(f"{URL}/test-runs/", body, format="json")
    assert response.status_code == 201, response.json()
    instance_id = response.json()["id"]
    drain_all(instance_id)
    return analyst.get(f"/api/v1/instances/{instance_id}/").json()


def statuses(body) -> dict:
    return {s["node"]: s["status"] for s in body["steps"]}


def test_a_mocked_output_stands_in_for_the_handler(analyst, draft):
    body = run(analyst, input={"x": 1}, mocks={"charge": {"output": {"charge_id": "ch_42"}}})
    assert body["status"] == "completed" and body["is_test"] is True
    assert statuses(body) == {"charge": "completed", "receipt": "completed", "refund": "skipped"}
    step = {s["node"]: s for s in body["steps"]}
    assert step["charge"]["output"] == {"charge_id": "ch_42"}
    assert step["receipt"]["output"] == {"charge_id": "ch_42"}  # the mock flowed on


def test_a_mocked_failure_takes_the_failure_route(analyst, draft):
    body = run(analyst, mocks={"charge": {"fail": {"type": "CardDeclined", "message": "insufficient funds"}}})
    assert statuses(body) == {"charge": "failed", "receipt": "skipped", "refund": "completed"}
    charge = next(s for s in body["steps"] if s["node"] == "charge")
    assert charge["error"]["type"] == "CardDeclined" and charge["attempt"] == 1


def test_test_runs_stay_out_of_lists_stats_and_version_history(analyst, operator, draft):
    run(analyst)
    assert operator.get("/api/v1/instances/").json()["count"] == 0
    assert operator.get("/api/v1/instances/", {"include_tests": "true"}).json()["count"] == 1
    assert operator.get("/api/v1/stats/").json()["results"] == []
    assert operator.get("/api/v1/stats/", {"include_tests": "true"}).json()["results"][0]["total"] == 1
    numbers = [v["number"] for v in analyst.get(f"{URL}/versions/").json()["results"]]
    assert numbers == [2, 1]  # the draft and the published version; the frozen test copy is hidden
    assert TemplateVersion.objects.filter(status="test").count() == 1


@pytest.mark.parametrize(
    "mocks, field",
    [
        ({"ghost": {"output": 1}}, "mocks.ghost"),
        ({"charge": {"output": 1, "fail": {"type": "X"}}}, "mocks.charge"),
        ({"charge": {"fail": {"message": "no type"}}}, "mocks.charge.fail"),
        ({"charge": "nope"}, "mocks.charge"),
    ],
)
def test_bad_mocks_are_refused_with_the_field_and_start_nothing(analyst, draft, mocks, field):
    response = analyst.post(f"{URL}/test-runs/", {"mocks": mocks}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert not Instance.objects.exists()


def test_an_invalid_draft_cannot_be_test_run(analyst, published):
    graph = routed_graph()
    graph["edges"].append({"id": "back", "source": "receipt", "target": "charge", "port": "out"})
    analyst.put(f"{URL}/draft/", {"graph": graph}, format="json")
    response = analyst.post(f"{URL}/test-runs/", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_graph"


def test_only_analysts_test_run(operator, draft):
    assert operator.post(f"{URL}/test-runs/", {}, format="json").status_code == 403


@pytest.mark.parametrize(
    "text, kind, valid",
    [
        ("input.amount > 100", "expression", True),
        ("inptu.amount > 100", "expression", False),
        ("Hello {{ input.name }}", "template", True),
        ("Hello {{ input.name ", "template", False),
        ("().__class__", "expression", False),
    ],
)
def test_expressions_are_checked_as_the_analyst_types(reviewer, text, kind, valid):
    body = reviewer.post("/api/v1/expressions/check/", {"text": text, "kind": kind}, format="json").json()
    assert body["valid"] is valid
    assert (body["message"] is None) is valid


def test_a_draft_that_starts_its_own_template_is_refused_before_it_runs(analyst, published):
    """Validation knows the draft's own name when test-running it, as it does at publish."""
    graph = {"version": 1, "settings": {}, "nodes": [{"id": "again", "type": "subworkflow", "config": {"workflow": "billing"}}], "edges": []}
    assert analyst.put(f"{URL}/draft/", {"graph": graph}, format="json").status_code == 200
    before = Instance.objects.count()
    response = analyst.post(f"{URL}/test-runs/", {"input": {}}, format="json")
    assert response.status_code == 400, response.json()
    assert any(e.get("node") == "again" and "itself" in e["message"] for e in response.json()["errors"]), response.json()
    assert Instance.objects.count() == before
