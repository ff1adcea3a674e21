"""The demo templates are valid as the real validation sees them (children published first, as
``demo_setup`` loads them), and each prefills the Run dialog."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from workflows import authoring
from workflows.demo.management.commands.demo_setup import children, demo_templates
from workflows.models import Template

DEMOS = {data["name"]: data for data in demo_templates()}
SCENARIOS = ["audit-test-cycle", "learning-path", "media-pipeline", "batch-image-generation"]


def test_each_demo_has_a_title_a_description_and_an_example_input():
    for name, data in DEMOS.items():
        assert data["title"] and len(data["description"]) > 60, name
        assert data["example_input"], name


def test_children_load_before_the_workflows_that_start_them():
    order = list(DEMOS)
    assert set(SCENARIOS) <= set(order)
    for name, data in DEMOS.items():
        for child in children(data["graph"]):
            assert order.index(child) < order.index(name), f"{child} must load before {name}"
    assert set(children(DEMOS["media-pipeline"]["graph"])) == {"image-processing", "video-processing", "document-processing"}
    assert children(DEMOS["batch-image-generation"]["graph"]) == ["image-generation"]
    assert children(DEMOS["audit-test-cycle"]["graph"]) == ["audit-observation"]


@pytest.mark.django_db
def test_a_workflow_whose_child_is_not_published_is_refused_naming_the_child():
    result = authoring.validate_graph(DEMOS["audit-test-cycle"]["graph"], template="audit-test-cycle")
    assert not result.valid
    assert [(e.code, e.node) for e in result.errors] == [("unknown_template", "observations")]
    assert "audit-observation" in result.errors[0].message


@pytest.mark.django_db
def test_every_demo_template_passes_the_real_validation_once_its_children_are_published():
    for name, data in DEMOS.items():
        result = authoring.validate_graph(data["graph"], template=name)
        assert result.valid, (name, [e.as_dict() for e in result.errors])
        authoring.load_template(data)


@pytest.mark.django_db
def test_demo_setup_publishes_every_demo_and_is_idempotent():
    out = io.StringIO()
    call_command("demo_setup", "--no-demo-login", stdout=out)
    assert set(Template.objects.values_list("name", flat=True)) == set(DEMOS)
    assert all(t.latest_published() for t in Template.objects.all())
    again = io.StringIO()
    call_command("demo_setup", "--no-demo-login", stdout=again)
    assert again.getvalue().count("up to date") == len(DEMOS)
