"""A draft is a change only when it behaves differently from the latest published version.

A test run saves the draft it runs: of an unchanged template that is a copy of the latest version,
and must not make the template look edited ("+ draft" in the designer, "draft" in the list)."""

from __future__ import annotations

import copy

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import chain_graph
from workflows import authoring
from workflows.models import Template

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates/billing"


def template_row(client) -> dict:
    return client.get(f"{URL}/").json()


def list_page() -> str:
    """The designer's template list, as ana sees it."""
    browser = Client()
    browser.force_login(User.objects.get(username="ana"))
    return browser.get("/designer/").content.decode()


def test_a_draft_saved_unchanged_for_a_test_run_is_not_a_change(analyst, published):
    assert template_row(analyst)["changed_since_published"] is False
    put = analyst.put(f"{URL}/draft/", {"graph": chain_graph("a", "b")}, format="json")
    assert put.status_code == 200
    assert put.json()["changed_since_published"] is False
    assert analyst.post(f"{URL}/test-runs/", {"input": {}}, format="json").status_code == 201
    row = template_row(analyst)
    assert row["has_draft"] is True and row["changed_since_published"] is False
    assert analyst.get(f"{URL}/draft/").json()["changed_since_published"] is False
    assert 'data-draft="changed"' not in list_page()


def test_moving_a_node_is_not_a_change_but_changing_its_config_is(analyst, published):
    moved = chain_graph("a", "b")
    moved["nodes"][0]["position"] = {"x": 400, "y": 80}
    assert analyst.put(f"{URL}/draft/", {"graph": moved}, format="json").json()["changed_since_published"] is False
    changed = copy.deepcopy(moved)
    changed["nodes"][1]["config"]["timeout_s"] = 30
    assert analyst.put(f"{URL}/draft/", {"graph": changed}, format="json").json()["changed_since_published"] is True
    assert template_row(analyst)["changed_since_published"] is True
    assert 'data-draft="changed"' in list_page()


def test_a_never_published_draft_is_a_change(analyst):
    authoring.create_template(name="billing", title="Billing", graph=chain_graph("a"))
    assert template_row(analyst)["changed_since_published"] is True
    assert analyst.get(f"{URL}/draft/").json()["changed_since_published"] is True


def test_publishing_the_change_makes_the_template_unchanged_again(analyst, published):
    analyst.put(f"{URL}/draft/", {"graph": chain_graph("a", "b", "c")}, format="json")
    assert analyst.post(f"{URL}/publish/", {"change_note": "c"}, format="json").status_code == 201
    assert template_row(analyst)["changed_since_published"] is False
    assert Template.objects.get(name="billing").draft() is None
