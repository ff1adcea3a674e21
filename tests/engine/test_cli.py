"""The operator's command line: validate, load (and start, in the end-to-end tests)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import chain_graph
from workflows.models import Template, TemplateVersion

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("workflow", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def write(tmp_path, data, name="flow.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_validate_prints_the_plan_of_a_valid_graph(tmp_path):
    code, out = run("validate", write(tmp_path, chain_graph("a", "b", "c")))
    assert code == 0
    assert json.loads(out) == {"valid": True, "errors": [], "plan": {"batches": [["a"], ["b"], ["c"]]}}


def test_validate_names_every_node_of_a_cycle_and_exits_non_zero(tmp_path):
    graph = chain_graph("a", "b", "c")
    graph["edges"].append({"id": "back", "source": "c", "target": "a", "port": "out"})
    code, out = run("validate", write(tmp_path, graph))
    result = json.loads(out)
    assert code == 1 and result["valid"] is False
    cycle = [e for e in result["errors"] if e["code"] == "cycle"]
    assert cycle and set(cycle[0]["nodes"]) == {"a", "b", "c"}


def test_validate_reports_an_unknown_handler_by_node_and_field(tmp_path):
    code, out = run("validate", write(tmp_path, chain_graph("a", handler="nope.missing")))
    assert code == 1
    assert {"node": "a", "field": "config.handler", "code": "unknown_handler"}.items() <= json.loads(out)["errors"][0].items()


def test_validate_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{nope")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("workflow", "validate", str(path))


def test_load_publishes_a_new_version_only_when_behaviour_changes(tmp_path):
    data = {"name": "billing", "title": "Billing", "graph": chain_graph("a", "b")}
    assert run("load", write(tmp_path, data)) == (0, "billing v1 published\n")
    data["graph"]["nodes"][0]["position"] = {"x": 500, "y": 20}  # layout only
    assert run("load", write(tmp_path, data)) == (0, "billing v1 unchanged\n")
    data["graph"] = chain_graph("a", "b", "c")
    assert run("load", write(tmp_path, data)) == (0, "billing v2 published\n")
    assert list(TemplateVersion.objects.values_list("number", "status")) == [(2, "published"), (1, "published")]


def test_load_accepts_edges_without_ids_as_the_readme_writes_them_and_stays_unchanged_on_reload(tmp_path):
    graph = chain_graph("a", "b", "c")
    for e in graph["edges"]:
        del e["id"]
    data = {"name": "billing", "title": "Billing", "graph": graph}
    assert run("load", write(tmp_path, data)) == (0, "billing v1 published\n")
    stored = TemplateVersion.objects.get(template__name="billing").graph
    assert [e["id"] for e in stored["edges"]] == ["e1", "e2"]
    assert run("load", write(tmp_path, data)) == (0, "billing v1 unchanged\n")


def test_load_refuses_an_invalid_graph_and_writes_nothing(tmp_path):
    data = {"name": "broken", "title": "Broken", "graph": chain_graph("a", handler="nope.missing")}
    code, out = run("load", write(tmp_path, data))
    assert code == 1
    assert json.loads(out)["errors"][0]["code"] == "unknown_handler"
    assert not Template.objects.filter(name="broken").exists()


def test_start_refuses_input_that_is_not_json():
    with pytest.raises(CommandError, match="--input is not valid JSON"):
        call_command("workflow", "start", "whatever", "--input", "{bad")


def test_start_names_an_unknown_template():
    with pytest.raises(CommandError, match="no template named 'ghost'"):
        call_command("workflow", "start", "ghost")
