"""Publishing a template with an approval step through the API: a form field of a type the
decision form cannot draw is refused at validate and at publish, naming the node and the field,
and nothing is published; a sound one publishes, and its instances' tasks reach the inbox API."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.approvals.conftest import approval_graph
from tests.engine.conftest import drain_all
from tests.factories import UserFactory
from workflows.models import TemplateVersion

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates/"
SIGNATURE = [{"name": "amount", "type": "number"}, {"name": "signed", "type": "signature"}]


def refusals(errors: list[dict]) -> set[tuple[str, str]]:
    return {(e["node"], e["field"]) for e in errors}


def test_an_unknown_form_field_type_is_refused_naming_the_node_and_the_field(analyst):
    assert analyst.post(URL, {"name": "expenses", "title": "Expenses", "graph": approval_graph(form=SIGNATURE)}, format="json").status_code == 201
    checked = analyst.post(f"{URL}expenses/validate/", {}, format="json").json()
    assert checked["valid"] is False and checked["plan"] is None
    assert refusals(checked["errors"]) == {("ok", "config.form.1.type")}
    assert "unknown_field_type" in {e["code"] for e in checked["errors"]}
    assert any("'signed' has the unknown type 'signature'" in e["message"] for e in checked["errors"])

    published = analyst.post(f"{URL}expenses/publish/", {}, format="json")
    assert published.status_code == 400
    body = published.json()
    assert body["code"] == "invalid_graph" and refusals(body["errors"]) == {("ok", "config.form.1.type")}
    assert not TemplateVersion.objects.filter(template__name="expenses", status="published").exists()
    assert TemplateVersion.objects.get(template__name="expenses", status="draft").graph["nodes"][0]["config"]["form"] == SIGNATURE


def test_a_graph_in_the_body_is_checked_the_same_way(analyst, published):
    graph = approval_graph(form=[{"name": "amount", "type": "money"}])
    body = analyst.post(f"{URL}billing/validate/", {"graph": graph}, format="json").json()
    assert body["valid"] is False and refusals(body["errors"]) == {("ok", "config.form.0.type")}


def test_a_sound_approval_template_publishes_and_its_task_reaches_the_inbox(analyst, operator):
    ann = UserFactory(username="ann")
    analyst.post(URL, {"name": "expenses", "title": "Expenses", "graph": approval_graph(assignees=["ann"])}, format="json")
    assert analyst.post(f"{URL}expenses/publish/", {}, format="json").status_code == 201
    started = operator.post("/api/v1/instances/", {"template": "expenses", "input": {"what": "<b>the budget</b>"}}, format="json")
    assert started.status_code == 201, started.content
    drain_all(started.json()["id"])
    tasks = client_for(ann).get("/api/v1/approvals/").json()["results"]
    assert [(t["title"], t["template"], t["instance"]) for t in tasks] == [("Approve <b>the budget</b>", "expenses", started.json()["id"])]
