"""Template files cannot cost more than their size (issue 8 §3).

A 514-byte YAML file with nested aliases imported a 3.85 MB tag, description and example input
(``/designer/`` became a 51 MB page for everyone); two more levels would have run the process
out of memory. YAML anchors and aliases are refused before anything is built, files are bounded,
only JSON values come out, and deep nesting is refused instead of crashing the process.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from tests.factories import UserFactory, chain_graph
from workflows.models import Template
from workflows.roles import ANALYSTS

pytestmark = pytest.mark.django_db

GRAPH_YAML = "graph:\n  version: 1\n  nodes:\n    - {id: a, type: task, config: {handler: demo.noop}}\n  edges: []\n"


def laughs(levels: int) -> str:
    """The file of the report: each level holds nine of the level before, used as a tag, the
    description and the example input. Six levels serialise to ~3.8 MB from ~500 bytes."""
    lines = ['l0: &l0 "lol lol lol lol lol lol lol lol lol"']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    top = f"*l{levels}"
    return "\n".join(lines) + f"\nname: laughs\ntitle: Laughs\ndescription: {top}\ntags: [{top}]\nexample_input: {{x: {top}}}\n" + GRAPH_YAML


@pytest.fixture
def analyst(client):
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get(name=ANALYSTS))
    client.force_login(user)
    return client


def import_file(client, name: str, content: str | bytes) -> str:
    raw = content.encode() if isinstance(content, str) else content
    response = client.post("/designer/import/", {"file": SimpleUploadedFile(name, raw)}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_a_yaml_file_with_nested_aliases_is_refused_and_imports_nothing(analyst):
    bomb = laughs(5)
    assert len(bomb) < 700
    page = import_file(analyst, "laughs.yaml", bomb)
    assert "anchors and aliases" in page
    assert not Template.objects.exists()
    assert len(analyst.get("/designer/").content) < 100_000


def test_aliases_are_refused_before_they_are_expanded_even_far_past_any_memory(analyst, tmp_path):
    # Thirty levels would be 9**30 strings once expanded: refusing at the first anchor is the
    # only way this test finishes at all.
    page = import_file(analyst, "laughs.yaml", laughs(30))
    assert "anchors and aliases" in page
    path = tmp_path / "laughs.yaml"
    path.write_text(laughs(30))
    with pytest.raises(CommandError, match="anchors and aliases"):
        call_command("workflow", "load", str(path))
    assert not Template.objects.exists()


def test_an_anchor_without_any_alias_is_refused_too(analyst):
    page = import_file(analyst, "anchor.yaml", "name: anchored\ntitle: &t Anchored\n" + GRAPH_YAML)
    assert "anchors and aliases" in page
    assert not Template.objects.exists()


def test_yaml_dates_import_as_the_text_written(analyst):
    import_file(analyst, "dated.yaml", "name: dated\ntitle: Dated\nexample_input: {start: 2026-12-01, at: 2026-12-01T10:00:00Z}\n" + GRAPH_YAML)
    assert Template.objects.get(name="dated").example_input == {"start": "2026-12-01", "at": "2026-12-01T10:00:00Z"}


@pytest.mark.parametrize(
    "value, says",
    [
        ("!!binary aGVsbG8=", "bytes value is not JSON"),
        ("!!set {a, b}", "set value is not JSON"),
        (".nan", "nan is not a JSON number"),
        ("-.inf", "-inf is not a JSON number"),
        ("{1: one}", "key 1 is not text"),
        ("!!python/object/apply:os.system [echo hi]", "not valid YAML"),
    ],
)
def test_yaml_values_that_json_has_no_place_for_are_refused(analyst, value, says):
    page = import_file(analyst, "odd.yaml", f"name: odd\ntitle: Odd\nexample_input: {{x: {value}}}\n" + GRAPH_YAML)
    assert says in page
    assert not Template.objects.exists()


def test_a_json_file_with_nan_is_refused(analyst):
    data = json.dumps({"name": "nan", "title": "NaN", "example_input": {"x": float("nan")}, "graph": chain_graph("a")})
    assert "NaN is not a JSON number" in import_file(analyst, "nan.json", data)
    assert not Template.objects.exists()


@pytest.mark.parametrize("name, content", [("deep.yaml", "[" * 50_000), ("deep.json", "[" * 50_000 + "]" * 50_000)], ids=["yaml", "json"])
def test_deep_nesting_is_refused_without_crashing_the_process(analyst, name, content):
    page = import_file(analyst, name, content)
    assert "nested more than 100 levels deep" in page
    assert not Template.objects.exists()


def test_a_file_larger_than_twice_the_input_limit_is_refused_before_it_is_read(analyst, settings, monkeypatch):
    monkeypatch.setitem(settings.FLOWDESK, "MAX_INPUT_BYTES", 10_000)
    padding = "x" * 25_000
    data = json.dumps({"name": "big", "title": "Big", "graph": {**chain_graph("a"), "settings": {"description": padding}}})
    page = import_file(analyst, "big.json", data)
    assert "the limit is 20,000" in page
    assert not Template.objects.exists()
