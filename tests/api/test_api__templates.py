"""/api/v1/templates/: list, create, update, archive, drafts, validate, publish, versions, plan."""

from __future__ import annotations

import pytest

from tests.factories import chain_graph
from workflows.models import Template, TemplateVersion

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates/"


def cyclic() -> dict:
    graph = chain_graph("a", "b", "c")
    graph["edges"].append({"id": "back", "source": "c", "target": "a", "port": "out"})
    return graph


def create(client, name="orders", **extra):
    return client.post(URL, {"name": name, "title": "Orders", **extra}, format="json")


# --- who may do what ---------------------------------------------------------------------------


def test_anonymous_gets_401_everywhere(anonymous, published):
    for url in [URL, f"{URL}billing/", f"{URL}billing/versions/", "/api/v1/instances/", "/api/v1/stats/", "/api/v1/step-types/"]:
        assert anonymous.get(url).status_code == 401, url
    assert create(anonymous).status_code == 401


@pytest.mark.parametrize("who", ["operator", "reviewer", "outsider"])
def test_only_analysts_create_edit_publish_and_archive(request, who, published):
    client = request.getfixturevalue(who)
    assert client.get(URL).status_code == 200  # everyone signed in reads
    refused = [
        create(client),
        client.patch(f"{URL}billing/", {"title": "x"}, format="json"),
        client.put(f"{URL}billing/draft/", {"graph": chain_graph("a")}, format="json"),
        client.post(f"{URL}billing/publish/", {}, format="json"),
        client.delete(f"{URL}billing/"),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert refused[0].json()["detail"] == "only analysts may do this"
    assert not Template.objects.filter(name="orders").exists()
    assert Template.objects.get(name="billing").title == "Billing"


# --- templates -----------------------------------------------------------------------------------


def test_an_analyst_creates_a_template_with_a_first_draft(analyst):
    response = create(analyst, tags=["sales"], graph=chain_graph("a"))
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "orders" and body["owner"] == "ana" and body["has_draft"] is True
    assert body["latest_version"] is None
    draft = analyst.get(f"{URL}orders/draft/").json()
    assert draft["number"] == 1 and draft["graph"]["nodes"][0]["id"] == "a"


def test_creating_a_duplicate_name_is_refused_with_the_field(analyst, published):
    response = create(analyst, name="billing")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "name", "code": "unique", "message": "a template with this name already exists"}]


def test_unknown_fields_and_wrong_types_are_refused_with_field_detail(analyst):
    response = create(analyst, colour="red", tags="not-a-list")
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"colour"}  # unknown fields are reported first, nothing is written
    response = analyst.post(URL, {"name": "Not A Slug!", "title": 5, "tags": "x"}, format="json")
    assert {e["field"] for e in response.json()["errors"]} == {"name", "tags"}
    assert not Template.objects.exists()


def test_a_body_that_is_not_json_is_a_400(analyst):
    response = analyst.generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_list_filters_by_search_and_tag_and_hides_archived(analyst, published):
    create(analyst, name="orders", tags=["sales"])
    create(analyst, name="returns", tags=["support"])
    names = lambda r: [t["name"] for t in r.json()["results"]]  # noqa: E731
    assert names(analyst.get(URL)) == ["billing", "orders", "returns"]
    assert names(analyst.get(URL, {"tag": "sales"})) == ["orders"]
    assert names(analyst.get(URL, {"q": "RETURN"})) == ["returns"]
    assert analyst.delete(f"{URL}returns/").status_code == 204
    assert names(analyst.get(URL)) == ["billing", "orders"]
    assert names(analyst.get(URL, {"archived": "true"})) == ["returns"]


def test_patch_updates_title_description_and_tags(analyst, published):
    response = analyst.patch(f"{URL}billing/", {"title": "Billing v2", "tags": ["finance"]}, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["tags"]) == ("Billing v2", ["finance"])


def test_an_unknown_template_is_a_404(analyst):
    assert analyst.get(f"{URL}ghost/").status_code == 404
    response = analyst.post(f"{URL}ghost/publish/", {}, format="json")
    assert response.status_code == 404


# --- drafts, validation, publishing --------------------------------------------------------------


def test_validate_reports_every_node_of_a_cycle(analyst, published):
    response = analyst.post(f"{URL}billing/validate/", {"graph": cyclic()}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False and body["plan"] is None
    cycle = [e for e in body["errors"] if e["code"] == "cycle"]
    assert {e["node"] for e in cycle} == {"a", "b", "c"}


def test_validate_returns_the_plan_of_a_valid_graph(analyst, published):
    graph = {
        "version": 1,
        "settings": {},
        "nodes": [{"id": n, "type": "task", "config": {"handler": "demo.noop"}} for n in "abcd"],
        "edges": [{"id": f"e{i}", "source": s, "target": t} for i, (s, t) in enumerate(["ab", "ac", "bd", "cd"])],
    }
    body = analyst.post(f"{URL}billing/validate/", {"graph": graph}, format="json").json()
    assert body == {"valid": True, "errors": [], "plan": {"batches": [["a"], ["b", "c"], ["d"]]}}


def test_publish_turns_the_draft_into_the_next_immutable_version(analyst, published):
    assert analyst.put(f"{URL}billing/draft/", {"graph": chain_graph("a", "b", "c")}, format="json").status_code == 200
    response = analyst.post(f"{URL}billing/publish/", {"change_note": "adds c"}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "published" and response.json()["change_note"] == "adds c"
    versions = analyst.get(f"{URL}billing/versions/").json()["results"]
    assert [(v["number"], v["status"]) for v in versions] == [(2, "published"), (1, "published")]
    version = analyst.get(f"{URL}billing/versions/2/").json()
    assert [n["id"] for n in version["graph"]["nodes"]] == ["a", "b", "c"]
    assert analyst.get(f"{URL}billing/versions/2/plan/").json() == {"batches": [["a"], ["b"], ["c"]]}
    assert analyst.get(f"{URL}billing/draft/").status_code == 404  # the draft became version 2


def test_publishing_an_invalid_draft_is_refused_with_its_errors_and_changes_nothing(analyst, published):
    analyst.put(f"{URL}billing/draft/", {"graph": cyclic()}, format="json")
    response = analyst.post(f"{URL}billing/publish/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_graph"
    assert {e["node"] for e in body["errors"] if e["code"] == "cycle"} == {"a", "b", "c"}
    assert TemplateVersion.objects.filter(template__name="billing", status="published").count() == 1
    assert TemplateVersion.objects.get(template__name="billing", status="draft").graph == cyclic()


def test_publishing_without_a_draft_is_a_conflict(analyst, published):
    response = analyst.post(f"{URL}billing/publish/", {}, format="json")
    assert response.status_code == 409
    assert "no draft" in response.json()["detail"]


def test_an_unknown_version_is_a_404_with_the_field(analyst, published):
    response = analyst.get(f"{URL}billing/versions/9/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "number"


def test_a_draft_must_be_a_json_object(analyst, published):
    response = analyst.put(f"{URL}billing/draft/", {"graph": [1, 2]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {"field": "graph", "code": "invalid", "message": "must be a JSON object"}


def test_two_editors_never_overwrite_each_other_the_second_save_is_a_409(analyst, published):
    first = analyst.put(f"{URL}billing/draft/", {"graph": chain_graph("a")}, format="json").json()
    assert first["revision"] == 1 and first["updated_by"] == "ana"
    mine = analyst.put(f"{URL}billing/draft/", {"graph": chain_graph("a", "b"), "revision": 1}, format="json")
    assert mine.status_code == 200 and mine.json()["revision"] == 2
    stale = analyst.put(f"{URL}billing/draft/", {"graph": chain_graph("x"), "revision": 1}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["current"]["revision"] == 2 and body["current"]["updated_by"] == "ana"
    assert "reload" in body["detail"]
    draft = analyst.get(f"{URL}billing/draft/").json()
    assert [n["id"] for n in draft["graph"]["nodes"]] == ["a", "b"]  # the second save changed nothing


def test_step_types_describe_their_ports(reviewer):
    types = {t["type"]: t for t in reviewer.get("/api/v1/step-types/").json()}
    assert types["condition"]["ports"] == ["true", "false"]
    assert types["end"]["ports"] == []
    assert types["switch"]["port_source"] == "cases" and types["switch"]["ports"] == ["default"]
    assert types["task"]["ports"] == ["out"] and types["task"]["port_source"] is None


def test_edges_without_ids_are_stored_with_generated_ids_and_publish(analyst, published):
    graph = chain_graph("a", "b", "c")
    for e in graph["edges"]:
        del e["id"]
    assert analyst.post(f"{URL}billing/validate/", {"graph": graph}, format="json").json()["valid"] is True
    draft = analyst.put(f"{URL}billing/draft/", {"graph": graph}, format="json")
    assert draft.status_code == 200
    assert [e["id"] for e in draft.json()["graph"]["edges"]] == ["e1", "e2"]
    assert analyst.post(f"{URL}billing/publish/", {}, format="json").status_code == 201
    stored = TemplateVersion.objects.get(template__name="billing", number=2).graph
    assert [(e["id"], e["source"], e["target"]) for e in stored["edges"]] == [("e1", "a", "b"), ("e2", "b", "c")]
