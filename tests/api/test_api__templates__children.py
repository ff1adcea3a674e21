"""Graphs that start child workflows: validate and publish know which templates exist (published,
not archived) and which template is being edited; a draft is saved whatever it names."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import TemplateFactory, VersionFactory, chain_graph
from workflows import authoring
from workflows.core.errors import InvalidGraph
from workflows.models import Instance, Template, TemplateVersion

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


# --- a pinned version ------------------------------------------------------------------------------


@pytest.fixture
def resize_v3(db):
    """resize-image with versions 1-3 published and a draft (v4), which cannot be pinned."""
    template = VersionFactory(template__name="resize-image", number=1).template
    VersionFactory(template=template, number=2)
    VersionFactory(template=template, number=3)
    VersionFactory(template=template, number=4, status=TemplateVersion.Status.DRAFT)
    return template


def test_validate_names_a_pinned_version_the_child_has_not_published_on_its_node_and_field(analyst, published, resize_v3):
    for pin in (4, 7):  # a draft is not published: it cannot start either
        response = analyst.post(f"{URL}billing/validate/", {"graph": with_child({"workflow": "resize-image", "version": pin})}, format="json")
        assert response.status_code == 200
        body = response.json()
        assert body["valid"] is False and body["plan"] is None
        assert child_errors(body) == [("child", "config.version", "unknown_version")]
        assert body["errors"][0]["message"] == f"template 'resize-image' has no published version {pin} (published: 1, 2, 3)"


def test_a_pinned_version_the_child_has_published_validates_and_publishes(analyst, published, resize_v3):
    graph = with_child({"items": "steps.a.output", "workflow": "resize-image", "version": 2}, "map")
    assert analyst.post(f"{URL}billing/validate/", {"graph": graph}, format="json").json()["valid"] is True
    put_draft(analyst, graph)
    response = analyst.post(f"{URL}billing/publish/", {}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["number"] == 2


def test_publishing_a_pin_the_child_lacks_is_refused_with_the_field_and_nothing_is_written(analyst, published, resize_v3):
    graph = with_child({"workflow": "resize-image", "version": 7, "count": 2, "max_iterations": 2}, "loop")
    draft = put_draft(analyst, graph).json()
    response = analyst.post(f"{URL}billing/publish/", {"change_note": "pin v7"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_graph"
    assert child_errors(body) == [("child", "config.version", "unknown_version")]
    assert "no published version 7 (published: 1, 2, 3)" in body["errors"][0]["message"]
    # the draft stays a draft, as it was; billing still has only its v1 published
    versions = TemplateVersion.objects.filter(template__name="billing")
    assert sorted(versions.values_list("number", "status")) == [(1, "published"), (2, "draft")]
    stored = versions.get(status="draft")
    assert (stored.graph, stored.revision, stored.change_note) == (graph, draft["revision"], "")


def test_an_expression_with_a_pin_is_refused_when_an_allowed_workflow_lacks_it(analyst, published, resize_v3):
    VersionFactory(template__name="send-report", number=1)
    config = {"workflow": "{{ input.kind }}", "allowed_workflows": ["resize-image", "send-report"]}
    assert analyst.post(f"{URL}billing/validate/", {"graph": with_child({**config, "version": 1})}, format="json").json()["valid"] is True
    body = analyst.post(f"{URL}billing/validate/", {"graph": with_child({**config, "version": 3})}, format="json").json()
    assert child_errors(body) == [("child", "config.version", "unknown_version")]
    assert "'send-report' has no published version 3 (published: 1)" in body["errors"][0]["message"]


def test_a_test_run_of_a_draft_pinning_a_missing_version_is_refused_before_it_starts(analyst, published, resize_v3):
    put_draft(analyst, with_child({"workflow": "resize-image", "version": 7}))
    response = analyst.post(f"{URL}billing/test-runs/", {"input": {}}, format="json")
    assert response.status_code == 400
    assert child_errors(response.json()) == [("child", "config.version", "unknown_version")]
    assert not Instance.objects.exists()
    assert not TemplateVersion.objects.filter(status=TemplateVersion.Status.TEST).exists()


def test_loading_a_template_file_whose_child_pin_is_missing_is_refused_and_writes_nothing(resize_v3):
    data = {"name": "gallery", "title": "Gallery", "graph": with_child({"workflow": "resize-image", "version": 7})}
    with pytest.raises(InvalidGraph) as refused:
        authoring.load_template(data)
    assert [(e.node, e.field, e.code) for e in refused.value.errors] == [("child", "config.version", "unknown_version")]
    assert not Template.objects.filter(name="gallery").exists()
    data["graph"] = with_child({"workflow": "resize-image", "version": 3})
    version, changed = authoring.load_template(data)
    assert (version.number, version.status, changed) == (1, "published", True)


def test_the_published_versions_are_read_in_one_query_however_many_steps_pin_one(resize_v3, django_assert_num_queries):
    graph = chain_graph("a")
    for i in range(30):
        graph["nodes"].append({"id": f"c{i}", "type": "subworkflow", "config": {"workflow": "resize-image", "version": 1 + i % 5}})
        graph["edges"].append({"id": f"e-c{i}", "source": "a", "target": f"c{i}", "port": "out"})
    with django_assert_num_queries(1):
        result = authoring.validate_graph(graph, template="gallery")
    assert sorted(e.node for e in result.errors) == sorted(f"c{i}" for i in range(30) if 1 + i % 5 > 3)
