"""The designer's server-rendered pages: list, create, duplicate, archive, import, export, mounts."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import VersionFactory, chain_graph
from workflows import authoring, engine
from workflows.models import Template, TemplateVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing():
    return VersionFactory(template__name="billing", template__title="Billing", template__tags=["finance"], number=1, graph=chain_graph("a", "b")).template


def upload(name: str, content: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="application/octet-stream")


def test_the_list_shows_state_versions_and_runs_and_filters(analyst, billing):
    authoring.create_template(name="returns", title="Returns", tags=["support"])
    engine.start_instance("billing")
    page = analyst.get("/designer/").content.decode()
    assert 'data-testid="template-row-billing"' in page and 'data-testid="template-row-returns"' in page
    assert "v1" in page
    assert "billing" in analyst.get("/designer/?tag=finance").content.decode()
    assert 'template-row-returns"' not in analyst.get("/designer/?tag=finance").content.decode()
    assert 'template-row-billing"' not in analyst.get("/designer/?state=draft").content.decode()
    assert 'template-row-returns"' in analyst.get("/designer/?q=RETURN").content.decode()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/designer/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_analyst_creates_a_template_and_lands_in_the_editor(analyst):
    response = analyst.post("/designer/new/", {"title": "Order approval"})
    assert response.status_code == 302 and response["Location"] == "/designer/t/order-approval/"
    page = analyst.get(response["Location"]).content.decode()
    assert 'data-template="order-approval"' in page and 'data-can-edit="true"' in page
    assert TemplateVersion.objects.get(template__name="order-approval").status == "draft"


def test_others_see_templates_read_only_and_cannot_change_them(operator, billing):
    assert 'data-can-edit="false"' in operator.get("/designer/t/billing/").content.decode()
    assert operator.post("/designer/new/", {"title": "X"}).status_code == 403
    assert operator.post("/designer/t/billing/archive/").status_code == 403
    assert operator.post("/designer/t/billing/duplicate/").status_code == 403
    assert "Create</button>" not in operator.get("/designer/").content.decode()


def test_duplicate_copies_the_latest_graph_into_a_new_draft(analyst, billing):
    response = analyst.post("/designer/t/billing/duplicate/")
    assert response["Location"] == "/designer/t/billing-copy/"
    copy = Template.objects.get(name="billing-copy")
    assert copy.draft().graph == chain_graph("a", "b") and copy.tags == ["finance"]


def test_archive_hides_a_template_from_the_default_list(analyst, billing):
    analyst.post("/designer/t/billing/archive/")
    assert 'template-row-billing"' not in analyst.get("/designer/").content.decode()
    assert 'template-row-billing"' in analyst.get("/designer/?state=archived").content.decode()


def test_export_then_import_round_trips_a_template(analyst, billing):
    exported = json.loads(analyst.get("/designer/t/billing/export/").content)
    assert exported["graph"] == chain_graph("a", "b") and exported["tags"] == ["finance"]
    exported["name"] = "billing-again"
    response = analyst.post("/designer/import/", {"file": upload("billing.json", json.dumps(exported))})
    assert response["Location"] == "/designer/t/billing-again/"
    assert Template.objects.get(name="billing-again").draft().graph == exported["graph"]


def test_a_yaml_file_imports_too(analyst):
    text = "name: yaml-flow\ntitle: From YAML\ngraph:\n  version: 1\n  nodes:\n    - {id: a, type: task, config: {handler: demo.noop}}\n  edges: []\n"
    response = analyst.post("/designer/import/", {"file": upload("flow.yaml", text)})
    assert response["Location"] == "/designer/t/yaml-flow/"


def test_an_invalid_import_lists_the_server_errors_and_leaves_the_draft_untouched(analyst, billing):
    authoring.save_draft(billing, chain_graph("keep", "me"))
    graph = chain_graph("a", "b")
    graph["edges"].append({"id": "back", "source": "b", "target": "a", "port": "out"})
    graph["nodes"].append({"id": "c", "type": "teleport", "config": {}})
    response = analyst.post("/designer/import/", {"file": upload("billing.json", json.dumps({"name": "billing", "title": "B", "graph": graph}))}, follow=True)
    page = response.content.decode()
    assert 'data-testid="import-errors"' in page
    assert "cycle" in page and "teleport" in page
    assert Template.objects.get(name="billing").draft().graph == chain_graph("keep", "me")


@pytest.mark.parametrize("name, content, says", [("broken.json", "{nope", "not valid JSON"), ("list.json", "[1, 2]", "a template file is an object")])
def test_a_file_that_is_not_a_template_is_refused_clearly(analyst, name, content, says):
    page = analyst.post("/designer/import/", {"file": upload(name, content)}, follow=True).content.decode()
    assert says in page
    assert not Template.objects.exists()


def test_labels_and_titles_are_escaped(analyst):
    authoring.create_template(name="xss", title="<img src=x onerror=alert(1)>")
    page = analyst.get("/designer/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_the_instance_page_mounts_the_viewer(analyst, billing):
    instance, _ = engine.start_instance("billing")
    page = analyst.get(f"/instances/{instance.pk}/").content.decode()
    assert 'data-mode="instance"' in page and f'data-instance="{instance.pk}"' in page


def test_the_old_instance_address_redirects_permanently_to_the_new_one(analyst, billing):
    instance, _ = engine.start_instance("billing")
    response = analyst.get(f"/designer/instances/{instance.pk}/?from=mail")
    assert response.status_code == 301
    assert response["Location"] == f"/instances/{instance.pk}/?from=mail"


def test_an_unknown_instance_page_is_a_404(analyst):
    assert analyst.get("/instances/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_overview_links_templates_to_the_editor_and_instances_to_their_page(operator, billing):
    instance, _ = engine.start_instance("billing")
    page = operator.get("/").content.decode()
    assert 'href="/designer/t/billing/"' in page
    assert f'href="/instances/{instance.pk}/"' in page
