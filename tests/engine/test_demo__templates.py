"""The demo templates are valid as the real validation sees them (children published first, as
``demo_setup`` loads them), and each prefills the Run dialog; ``demo_setup`` makes the audit
demo's people next to the demo login."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from config.demo_login import DEMO_PASSWORD
from workflows import authoring
from workflows.demo.management.commands.demo_setup import DEMO_PEOPLE, children, demo_templates
from workflows.models import Template
from workflows.roles import REVIEWERS

DEMOS = {data["name"]: data for data in demo_templates()}
SCENARIOS = ["audit-test-cycle", "audit-test-cycle-whole", "learning-path", "media-pipeline", "batch-image-generation"]


def nodes(name: str) -> dict[str, dict]:
    return {node["id"]: node for node in DEMOS[name]["graph"]["nodes"]}


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
    assert children(DEMOS["audit-test-cycle-whole"]["graph"]) == ["audit-rfi", "audit-observation-review"]
    assert children(DEMOS["audit-observation-review"]["graph"]) == ["audit-observation-round"]


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


def test_the_whole_audit_cycle_asks_people_in_order_with_forms_that_say_what_is_needed():
    cycle = nodes("audit-test-cycle-whole")
    main = ["plan", "profile", "scope", "in_scope", "sampling", "sample", "owners", "requests", "tests", "observations", "report"]
    path = [(e["source"], e["target"]) for e in DEMOS["audit-test-cycle-whole"]["graph"]["edges"] if e["target"] != "stopped"]
    assert path == list(zip(main, main[1:]))
    assert [n for n in main if cycle[n]["type"] == "approval"] == ["plan", "scope", "sampling"]

    def form(node: dict) -> dict[str, tuple]:
        return {f["name"]: (f["type"], f.get("required", False), f.get("min")) for f in node["config"]["form"]}

    assert form(cycle["plan"]) == {"objective": ("textarea", True, 10), "period_start": ("date", False, None), "period_end": ("date", False, None)}
    assert form(cycle["scope"])["in_scope"][0] == "boolean" and form(cycle["scope"])["materiality"][:2] == ("number", True)
    assert form(cycle["sampling"])["sample_size"] == ("number", True, 1)
    assert all(cycle[n]["config"]["groups"] == [REVIEWERS] for n in ("plan", "scope", "sampling"))
    assert (cycle["requests"]["config"]["workflow"], cycle["observations"]["config"]["workflow"]) == ("audit-rfi", "audit-observation-review")
    # A request for information goes to its own owner, and to the reviewers after a day.
    respond = nodes("audit-rfi")["respond"]["config"]
    assert respond["assignees"] == ["{{ input.owner }}"] and "groups" not in respond
    assert (respond["due_s"], respond["escalation"]) == (86400, {"action": "reassign", "group": REVIEWERS})
    close = nodes("audit-observation-round")["close"]["config"]
    assert close["groups"] == [REVIEWERS] and close["escalation"]["action"] == "notify"
    assert nodes("audit-observation-review")["review"]["config"]["while"] == "iteration.index == 0 or iteration.last.decision == 'changes'"
    # The sample data's owners are the demo's data owners.
    population = DEMOS["audit-test-cycle-whole"]["example_input"]["population"]
    assert {r["owner"] for r in population} == {n for n in DEMO_PEOPLE if n.startswith("owner")}


@pytest.mark.django_db
def test_demo_setup_makes_the_reviewers_and_data_owners_once_with_the_demo_password():
    out = io.StringIO()
    call_command("demo_setup", "--demo-login", stdout=out)
    lines = out.getvalue().splitlines()
    login = next(i for i, line in enumerate(lines) if line.startswith("Demo login:"))
    assert lines[login + 1] == f"Demo reviewers: reviewer1, reviewer2; data owners: owner1, owner2, owner3 / {DEMO_PASSWORD}"
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_PEOPLE)}
    assert set(users) == set(DEMO_PEOPLE)
    for name, user in users.items():
        assert user.check_password(DEMO_PASSWORD) and not user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == DEMO_PEOPLE[name]
        assert user.email == f"{name}@example.com"
    assert DEMO_PEOPLE["reviewer1"] == DEMO_PEOPLE["reviewer2"] == [REVIEWERS]
    users["owner2"].set_password("changed-by-owner2")
    users["owner2"].save()
    users["reviewer2"].groups.clear()
    again = io.StringIO()
    call_command("demo_setup", "--demo-login", stdout=again)
    assert "Demo reviewers: reviewer1, reviewer2; data owners: owner1, owner2, owner3 / (unchanged)" in again.getvalue()
    assert get_user_model().objects.get(username="owner2").check_password("changed-by-owner2")  # kept
    assert get_user_model().objects.get(username="reviewer2").groups.filter(name=REVIEWERS).exists()  # put back
    assert get_user_model().objects.filter(username__in=DEMO_PEOPLE).count() == len(DEMO_PEOPLE)


@pytest.mark.django_db
def test_without_the_demo_login_there_are_no_demo_people_either():
    out = io.StringIO()
    call_command("demo_setup", "--no-demo-login", stdout=out)
    assert not get_user_model().objects.filter(username__in=DEMO_PEOPLE).exists()
    assert "Demo reviewers" not in out.getvalue()
