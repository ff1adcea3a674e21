"""The demo handlers' input schemas tell the truth: what the demo templates pass them fits, every
example and default fits its own field, and every handler that reads its input declares one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import workflows.demo.handlers as demo
from workflows.core.handlers import handlers

TEMPLATES = Path(demo.__file__).parent / "templates"


def schema_of(name: str) -> dict:
    info = handlers.get(name)
    assert info is not None and info.input_schema is not None, name
    return dict(info.input_schema)


def fields(schema, path="") -> list[tuple[str, dict]]:
    out = []
    for key, sub in (schema.get("properties") or {}).items():
        out.append((f"{path}{key}", sub))
        out += fields(sub, f"{path}{key}.")
    return out


def problems_of(handler_name: str, value) -> list[str]:
    validator = Draft202012Validator(schema_of(handler_name), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(value)]


@pytest.mark.parametrize(
    "template",
    ["schedule_generation", "image_generation", "audit_test_cycle", "learning_path", "image_processing", "video_processing", "document_processing"],
)
def test_a_demo_templates_example_input_fits_the_schema_of_the_step_that_reads_it_whole(template):
    data = json.loads((TEMPLATES / f"{template}.json").read_text())
    whole = [n for n in data["graph"]["nodes"] if n["type"] == "task" and n["config"].get("input") == "{{ input }}"]
    assert whole, "each demo starts with a step that validates the workflow input"
    for node in whole:
        assert problems_of(node["config"]["handler"], data["example_input"]) == [], node["id"]


def test_the_media_pipelines_example_items_fit_the_child_each_is_routed_to():
    items = json.loads((TEMPLATES / "media_pipeline.json").read_text())["example_input"]["items"]
    readers = {"image": "demo.image_thumbnail", "video": "demo.video_summary", "document": "demo.document_stats"}
    assert {item["type"] for item in items} == set(readers)
    for item in items:
        child = json.loads((TEMPLATES / f"{item['type']}_processing.json").read_text())
        assert child["graph"]["nodes"][0]["config"]["handler"] == readers[item["type"]]
        assert problems_of(readers[item["type"]], item) == [], item["name"]


def test_the_audit_observations_example_fits_its_grading_step():
    example = json.loads((TEMPLATES / "audit_observation.json").read_text())["example_input"]
    assert problems_of("demo.audit_grade_observation", {"test": example["test"]}) == []


def test_the_batchs_example_prompts_fit_the_image_workflows_prompt():
    example = json.loads((TEMPLATES / "batch_image_generation.json").read_text())["example_input"]
    for prompt in example["prompts"]:
        assert problems_of("demo.validate_prompt", {"prompt": prompt, "size": example["size"]}) == [], prompt


def test_every_example_and_default_fits_its_own_field():
    checked = 0
    for info in handlers.all():
        if not info.name.startswith("demo.") or info.input_schema is None:
            continue
        for path, field in fields(info.input_schema):
            values = [*field.get("examples", []), *([field["default"]] if "default" in field else [])]
            for value in values:
                checked += 1
                assert Draft202012Validator(field).is_valid(value), f"{info.name}: {path} = {value!r}"
    assert checked >= 10


def test_only_the_demo_handlers_that_read_no_field_of_their_input_declare_no_schema():
    # noop hands its input back whole, clock and not_json ignore it; every other one reads fields
    demo_handlers = [h for h in handlers.all() if h.name.startswith("demo.")]
    assert {h.name for h in demo_handlers if h.input_schema is None} == {"demo.noop", "demo.clock", "demo.not_json"}
    assert all(h.description for h in demo_handlers), "each has a one-line description"
