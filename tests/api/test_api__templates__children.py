"""Graphs that start child workflows: validate and publish know which templates exist (published,
not archived) and which template is being edited; a draft is saved whatever it names."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import TemplateFactory, VersionFactory, chain_graph
from workflows import authoring
from workflows.models import TemplateVersion

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates/"


def with_child(config: dict, node_type: str = "subworkflow") -> dict:
    graph = chain_graph("a")
    graph["nodes"].append({"id": "child", "type": node_type, "config": config})
    graph["edges"].append({"id": "e-child", "source": "a", "target": "child", "port": "out"})
    return graph


@pytest.fixture
def resize(db):
    """A published template other graphs may start."""
    return VersionFactory(template__name="resize-image", number=1).template


def put_draft(client, graph: dict, name: str = "billing"):
    response = client.put(f"{URL}{name}/draft/", {"graph": graph}, format="json")
    assert response.status_code == 200, response.json()
    return response


def child_errors(body: dict) -> list[tuple[str, str, str]]:
    return [(e["node"], e["field"], e["code"]) for e in body["errors"]]


def test_publishing_a_subworkflow_of_an_unknown_template_is_refused_naming_node_and_field(analyst, published, resize):
    put_draft(analyst, with_child({"workflow": "resise-image"}))  # a draft may name anything
    response = analyst.post(f"{URL}billing/publish/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_graph"
    assert child_errors(body) == [("child", "config.workflow", "unknown_template")]
    assert "'resise-image'" in body["errors"][0]["message"] and "resize-image" in body["errors"][0]["message"]
    assert TemplateVersion.objects.get(template__name="billing", status="draft").graph["nodes"][1]["config"] == {"workflow": "resise-image"}


def test_an_unknown_name_in_the_allowed_list_is_refused_on_that_field(analyst, published, resize):
    put_draft(analyst, with_child({"workflow": "{{ input.kind }}", "allowed_workflows": ["resize-image", "ghost"]}))
    body = analyst.post(f"{URL}billing/publish/", {}, format="json").json()
    assert child_errors(body) == [("child", "config.allowed_workflows", "unknown_template")]


def test_a_published_child_template_publishes(analyst, published, resize):
    put_draft(analyst, with_child({"workflow": "resize-image"}))
    response = analyst.post(f"{URL}billing/publish/", {}, format="json")
    assert response.status_code == 201, response.json()


def test_a_template_without_a_published_version_or_archived_is_not_a_known_child(analyst, published, resize):
    TemplateFactory(name="drafting")  # no version published
    resize.archived_at = timezone.now()
    resize.save()
    for name in ("drafting", "resize-image"):
        body = analyst.post(f"{URL}billing/validate/", {"graph": with_child({"workflow": name})}, format="json").json()
        assert body["valid"] is False
        assert child_errors(body) == [("child", "config.workflow", "unknown_template")], name


def test_validate_knows_the_template_being_edited_a_self_reference_is_a_recursion(analyst, published):
    body = analyst.post(f"{URL}billing/validate/", {"graph": with_child({"workflow": "billing", "count": 2, "max_iterations": 2}, "loop")}, format="json").json()
    assert child_errors(body) == [("child", "config.workflow", "recursive_workflow")]


def test_validating_the_saved_draft_checks_its_children_too(analyst, published):
    put_draft(analyst, with_child({"items": "steps.a.output", "workflow": "ghost"}, "map"))
    body = analyst.post(f"{URL}billing/validate/", {}, format="json").json()
    assert child_errors(body) == [("child", "config.workflow", "unknown_template")]


def test_a_published_versions_plan_stands_after_its_child_template_is_archived(analyst, published, resize):
    version = authoring.publish(published, graph=with_child({"workflow": "resize-image"}))
    resize.archived_at = timezone.now()
    resize.save()
    response = analyst.get(f"{URL}billing/versions/{version.number}/plan/")
    assert response.json() == {"batches": [["a"], ["child"]]}


def test_the_template_list_filters_by_whether_a_version_is_published(analyst, published, resize):
    TemplateFactory(name="drafting")
    names = lambda r: [t["name"] for t in r.json()["results"]]  # noqa: E731
    assert names(analyst.get(URL, {"published": "true"})) == ["billing", "resize-image"]
    assert names(analyst.get(URL, {"published": "false"})) == ["drafting"]
    assert analyst.get(URL, {"published": "maybe"}).status_code == 400
