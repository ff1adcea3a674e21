"""Writing templates: one set of bounds on a template's fields, whoever writes them.

The API, the designer (its forms, duplicate and import), ``manage.py workflow load``, the admin
and the demo set-up create and change templates, drafts and versions through these functions, which run the model's validation
(``Template.full_clean``, whose ``clean`` asks ``problems``); the admin's form runs the same
validation. A YAML import once stored a 3.85 MB tag, description and example input, and
``/designer/`` became a 51 MB page for everyone: now no way in skips the bounds. Template files
are checked by the API's own serializer (``TemplateFileSerializer``), so an import or a load is
refused exactly where the API would refuse the same body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workflows import sql
from workflows.core.errors import InvalidGraph
from workflows.core.graph import behaviour_checksum
from workflows.core.handlers import handlers
from workflows.core.steps import step_types
from workflows.core.validation import validate
from workflows.core.values import json_size
from workflows.errors import Conflict, EngineError, StaleDraft
from workflows.models import Template, TemplateVersion

MAX_NAME = Template._meta.get_field("name").max_length
MAX_TITLE = Template._meta.get_field("title").max_length
MAX_DESCRIPTION = 2_000
MAX_TAGS = 20
MAX_TAG = 50
#: What may change after creation; the name is how the API, the CLI and other graphs refer to it.
EDITABLE = ("title", "description", "tags", "example_input")
EMPTY_GRAPH = {"version": 1, "settings": {}, "nodes": [], "edges": []}


def problems(fields: Mapping[str, Any]) -> dict[str, list[str]]:
    """What is wrong with the given template fields (only those present), by field. Messages
    never repeat the value: it may be megabytes."""
    found: dict[str, list[str]] = {}
    for field in ("title", "description"):
        if field in fields:
            text = fields[field]
            if not isinstance(text, str):
                found[field] = ["must be text"]
            elif "\x00" in text:
                found[field] = ["must not contain a NUL character"]
            elif field == "description" and len(text) > MAX_DESCRIPTION:
                found[field] = [f"at most {MAX_DESCRIPTION:,} characters (it has {len(text):,})"]
    if "tags" in fields:
        found.update(_tag_problems(fields["tags"]))
    if "example_input" in fields:
        value = fields["example_input"]
        limit = settings.FLOWDESK["MAX_INPUT_BYTES"]
        if not isinstance(value, dict):
            found["example_input"] = ["must be a JSON object"]
        elif problem := sql.unstorable(value):
            found["example_input"] = [problem]
        elif (size := json_size(value)) > limit:
            found["example_input"] = [f"is {size:,} bytes; the limit is {limit:,} (FLOWDESK_MAX_INPUT_BYTES)"]
    return found


def _tag_problems(tags: Any) -> dict[str, list[str]]:
    if not isinstance(tags, list):
        return {"tags": ["must be a list of text tags"]}
    if len(tags) > MAX_TAGS:
        return {"tags": [f"at most {MAX_TAGS} tags (there are {len(tags):,})"]}
    found = {}
    for index, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag.strip():
            found[f"tags.{index}"] = ["a tag is non-empty text"]
        elif len(tag) > MAX_TAG:
            found[f"tags.{index}"] = [f"at most {MAX_TAG} characters (it has {len(tag):,})"]
        elif "\x00" in tag:
            found[f"tags.{index}"] = ["must not contain a NUL character"]
    return found


def create_template(
    *, name: str, title: str, description: str = "", tags=(), example_input: dict | None = None, graph: dict | None = None, user=None
) -> Template:
    """A template with its first draft (an empty graph unless one is given)."""
    template = Template(
        name=name,
        title=title,
        description=description,
        tags=list(tags) if isinstance(tags, tuple) else tags,
        example_input={} if example_input is None else example_input,
        owner=user,
    )
    return add_template(template, graph=graph, user=user)


def add_template(template: Template, *, graph: dict | None = None, user=None) -> Template:
    """Save a new, unsaved template (the admin's form builds one) with its first draft."""
    template.full_clean()
    graph = graph or EMPTY_GRAPH
    if problem := sql.unstorable(graph):
        raise ValidationError({"graph": [f"graph {problem}"]})
    with transaction.atomic():
        template.save()
        TemplateVersion.objects.create(template=template, number=1, graph=graph, created_by=user)
    return template


def update_template(template: Template, **fields: Any) -> Template:
    """Change a template's title, description, tags or example input."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for field, value in fields.items():
        setattr(template, field, value)
    template.full_clean()
    template.save()
    return template


def template_file(data: Any) -> dict[str, Any]:
    """The fields of a template file (``{name, title?, description?, tags?, example_input?, graph,
    change_note?}``), checked by the API's serializer; raises ValidationError by field."""
    from workflows.api.errors import flatten
    from workflows.api.serializers import TemplateFileSerializer

    if not isinstance(data, dict):
        raise ValidationError("a template file is an object with 'name', 'title' and 'graph' (graph JSON v1)")
    serializer = TemplateFileSerializer(data=data)
    if not serializer.is_valid():
        found: dict[str, list[str]] = {}
        for error in flatten(serializer.errors):
            found.setdefault(error["field"] or "file", []).append(error["message"])
        raise ValidationError(found)
    return dict(serializer.validated_data)


def import_draft(data: Any, *, user=None) -> Template:
    """A template file becomes the draft of a new template, or of the existing one of that name
    (whose other fields stay). Refused, changing nothing, unless the file and its graph are valid."""
    fields = template_file(data)
    fields.pop("change_note", None)
    name, graph = fields.pop("name"), fields.pop("graph")
    result = validate_graph(graph, template=name)
    if not result.valid:
        raise InvalidGraph(result.errors)
    with transaction.atomic():
        template = Template.objects.select_for_update().filter(name=name).first()
        if template is None:
            return create_template(name=name, title=fields.pop("title", name), graph=graph, user=user, **fields)
        save_draft(template, graph, user=user)
    return template


def load_template(data: Any, *, change_note: str = "", user=None) -> tuple[TemplateVersion, bool]:
    """Create or update a template from a template file and publish its graph, unless the latest
    version already has the same behaviour. Returns (version, changed)."""
    fields = template_file(data)
    from_file = fields.pop("change_note", "")
    change_note = change_note or from_file
    name, graph = fields.pop("name"), fields.pop("graph")
    with transaction.atomic():
        template = Template.objects.select_for_update().filter(name=name).first()
        if template is None:
            template = create_template(name=name, title=fields.pop("title", name), user=user, **fields)
        elif fields:
            update_template(template, **fields)
        latest = template.latest_published()
        if latest and latest.checksum == behaviour_checksum(graph) and not template.draft():
            return latest, False
        version = publish(template, graph=graph, change_note=change_note, user=user)
    return version, True


def validate_graph(data: Any, *, template: str | None = None, children: bool = True):
    """Validate graph JSON against the registered step types and handlers and, with ``children``,
    the templates a child workflow may name (those with a published version, not archived) and
    the version a child step pins (one of that template's published versions). ``template`` is
    the graph's own template, when known: a node naming it would start itself."""
    published = child_templates() if children else None
    return validate(
        data,
        types=step_types,
        handler_names=handlers.names(),
        template_names=published.keys() if published is not None else None,
        template_versions=published,
        template_name=template,
    )


def child_templates() -> dict[str, frozenset[int]]:
    """The templates a map, loop or sub-workflow may start (published, not archived), each with
    the numbers of its published versions, which a step may pin: one query, whatever the graph."""
    rows = TemplateVersion.objects.filter(status=TemplateVersion.Status.PUBLISHED, template__archived_at__isnull=True)
    found: dict[str, set[int]] = {}
    for name, number in rows.values_list("template__name", "number").order_by():
        found.setdefault(name, set()).add(number)
    return {name: frozenset(numbers) for name, numbers in found.items()}


def publish(template: Template, *, graph: dict | None = None, change_note: str = "", user=None) -> TemplateVersion:
    """Validate and publish the draft (or ``graph``) as the next immutable version."""
    with transaction.atomic():
        tpl = Template.objects.select_for_update().get(pk=template.pk)
        draft = tpl.versions.filter(status=TemplateVersion.Status.DRAFT).first()
        source = graph if graph is not None else (draft.graph if draft else None)
        if source is None:
            raise Conflict("there is no draft to publish", field="graph")
        result = validate_graph(source, template=tpl.name)
        if not result.valid:
            raise InvalidGraph(result.errors)
        number = (tpl.versions.order_by("-number").values_list("number", flat=True).first() or 0) + (0 if draft else 1)
        version = draft or TemplateVersion(template=tpl, number=number)
        version.graph = source
        version.status = TemplateVersion.Status.PUBLISHED
        version.checksum = behaviour_checksum(source)
        version.change_note = change_note
        version.published_by = user
        version.published_at = timezone.now()
        version.save()
    return version


def save_draft(template: Template, graph: dict, *, user=None, revision: int | None = None, change_note: str | None = None) -> TemplateVersion:
    """Replace the draft's graph (creating the draft after the latest version if there is none).

    A draft may be invalid: it is work in progress; publishing is what validates. ``revision`` is
    the revision the edit started from: when the draft moved on since, the save is refused
    (StaleDraft, 409), so two analysts never silently overwrite each other.
    """
    if problem := sql.unstorable(graph, "graph"):
        raise EngineError(problem, field="graph")
    with transaction.atomic():
        tpl = Template.objects.select_for_update().get(pk=template.pk)
        if tpl.archived_at:
            raise Conflict("the template is archived; restore it before editing")
        draft = tpl.versions.select_related("updated_by").filter(status=TemplateVersion.Status.DRAFT).first()
        if draft is None:
            number = (tpl.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
            draft = TemplateVersion(template=tpl, number=number, created_by=user, revision=0)
        elif revision is not None and revision != draft.revision:
            raise StaleDraft(draft)
        draft.graph = graph
        if change_note is not None:
            draft.change_note = change_note
        draft.revision += 1
        draft.updated_by = user
        draft.save()
    return draft


def archive_template(template: Template) -> Template:
    """Archived templates leave lists and cannot start new instances; running ones carry on."""
    if template.archived_at is None:
        template.archived_at = timezone.now()
        template.save(update_fields=["archived_at", "updated_at"])
    return template
