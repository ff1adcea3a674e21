"""A template's fields are bounded whichever way they are written (issue 8 §3).

The 20-tag limit was not enforced and descriptions were unbounded; the designer's import built
templates its own way. Now every writer - the API's create and update, the designer's import,
``manage.py workflow load``, the admin's forms and the service the designer's forms call - goes
through ``workflows.authoring``: each violation is refused with the field named, and changes nothing.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.api.conftest import client_for, persona
from tests.factories import UserFactory, chain_graph
from workflows import authoring
from workflows.models import Template
from workflows.roles import ANALYSTS

pytestmark = pytest.mark.django_db

INPUT_LIMIT = 10_000  # FLOWDESK_MAX_INPUT_BYTES for these tests

VIOLATIONS = {
    "21 tags": ("tags", [f"t{i}" for i in range(21)]),
    "a 51-character tag": ("tags", ["ok", "x" * 51]),
    "an empty tag": ("tags", [""]),
    "a 2,001-character description": ("description", "d" * 2001),
    "an example input over the input limit": ("example_input", {"x": "y" * INPUT_LIMIT}),
    "a NUL in the title": ("title", "Fl\x00w"),
    "a NUL in the description": ("description", "a\x00b"),
}


@pytest.fixture(autouse=True)
def small_inputs(settings, monkeypatch):
    monkeypatch.setitem(settings.FLOWDESK, "MAX_INPUT_BYTES", INPUT_LIMIT)


@pytest.fixture
def existing():
    return authoring.create_template(name="flow", title="Flow", description="as it was", tags=["kept"], graph=chain_graph("a"))


def stored() -> list[dict]:
    return list(Template.objects.order_by("name").values("name", "title", "description", "tags", "example_input"))


# --- the writers: each returns the text of its refusal, or fails the test if it accepted ---------------


def api_create(field, value, tmp_path):
    api = client_for(persona("ana", ANALYSTS))
    response = api.post("/api/v1/templates/", {"name": "new-flow", "title": "New flow", "graph": chain_graph("a"), field: value}, format="json")
    assert response.status_code == 400, response.content[:300]
    return json.dumps([e["field"] for e in response.json()["errors"]])


def api_update(field, value, tmp_path):
    api = client_for(persona("ana", ANALYSTS))
    response = api.patch("/api/v1/templates/flow/", {field: value}, format="json")
    assert response.status_code == 400, response.content[:300]
    return json.dumps([e["field"] for e in response.json()["errors"]])


def designer_import(field, value, tmp_path):
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get(name=ANALYSTS))
    client = Client()
    client.force_login(user)
    for name in ("new-flow", "flow"):  # a new template, and the draft of an existing one
        content = json.dumps({"name": name, "title": "A flow", "graph": chain_graph("b"), field: value}).encode()
        page = client.post("/designer/import/", {"file": SimpleUploadedFile("flow.json", content)}, follow=True).content.decode()
        assert "was not imported" in page, page[:2000]
    return page


def cli_load(field, value, tmp_path):
    path = tmp_path / "flow.json"
    path.write_text(json.dumps({"name": "new-flow", "title": "New flow", "graph": chain_graph("a"), field: value}))
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("workflow", "load", str(path), stdout=out)
    assert exited.value.code == 1
    return out.getvalue()


def admin_form(field, value, tmp_path, url):
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    form = {"name": "new-flow", "title": "New flow", "description": "", "tags": "[]", "example_input": "{}"}
    form[field] = value if isinstance(value, str) else json.dumps(value)
    response = admin.post(url, {**form, "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"})
    assert response.status_code == 200, "the form was accepted"
    page = response.content.decode()
    assert "errornote" in page
    return page.split('class="errornote"', 1)[1]


def admin_add(field, value, tmp_path):
    return admin_form(field, value, tmp_path, reverse("admin:workflows_template_add"))


def admin_change(field, value, tmp_path):
    return admin_form(field, value, tmp_path, reverse("admin:workflows_template_change", args=[Template.objects.get(name="flow").pk]))


def service_create(field, value, tmp_path):
    # What the designer's create form and duplicate button call (and most tests).
    with pytest.raises(ValidationError) as refused:
        authoring.create_template(**{"name": "new-flow", "title": "New flow", "graph": chain_graph("a"), field: value})
    return json.dumps(refused.value.message_dict)


WRITERS = {
    "the API's create": api_create,
    "the API's update": api_update,
    "the designer's import": designer_import,
    "workflow load": cli_load,
    "the admin's add form": admin_add,
    "the admin's change form": admin_change,
    "the create service": service_create,
}


@pytest.mark.parametrize("violation", VIOLATIONS)
@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_refuses_a_field_out_of_bounds_names_it_and_changes_nothing(writer, violation, existing, tmp_path):
    field, value = VIOLATIONS[violation]
    before = stored()
    refusal = WRITERS[writer](field, value, tmp_path)
    assert field in refusal
    assert stored() == before


def test_within_the_bounds_every_writer_accepts(existing, tmp_path):
    fields = {"tags": [f"t{i}" for i in range(20)], "description": "d" * 2000, "example_input": {"x": "y" * (INPUT_LIMIT - 100)}}
    api = client_for(persona("ana", ANALYSTS))
    assert api.post("/api/v1/templates/", {"name": "api-flow", "title": "T", **fields}, format="json").status_code == 201
    assert api.patch("/api/v1/templates/flow/", fields, format="json").status_code == 200
    path = tmp_path / "flow.json"
    path.write_text(json.dumps({"name": "cli-flow", "title": "T", "graph": chain_graph("a"), **fields}))
    call_command("workflow", "load", str(path), stdout=StringIO())
    for name in ("api-flow", "flow", "cli-flow"):
        template = Template.objects.get(name=name)
        assert (template.tags, template.description, template.example_input) == (fields["tags"], fields["description"], fields["example_input"])


def test_a_template_stored_before_the_bounds_cannot_be_duplicated_into_a_new_one(client):
    Template.objects.create(name="legacy", title="Legacy", tags=[f"t{i}" for i in range(40)])
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get(name=ANALYSTS))
    client.force_login(user)
    page = client.post("/designer/t/legacy/duplicate/", follow=True).content.decode()
    assert "legacy was not duplicated" in page and "at most 20 tags" in page
    assert list(Template.objects.values_list("name", flat=True)) == ["legacy"]


def test_the_api_schema_states_the_bounds(client):
    client.force_login(UserFactory(username="reader"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    create = schema["components"]["schemas"]["TemplateCreateRequest"]["properties"]
    assert create["tags"]["maxItems"] == 20 and create["tags"]["items"]["maxLength"] == 50
    assert create["description"]["maxLength"] == 2000
