"""Starting instances: of a published version, or a test run of the current draft."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from workflows import authoring, sql
from workflows.core.errors import InvalidGraph
from workflows.core.graph import Graph, behaviour_checksum
from workflows.core.steps import step_types
from workflows.core.values import json_size
from workflows.models import Instance, Template, TemplateVersion

from workflows.errors import Conflict, EngineError, InputTooLarge, NotFound
from .transition import start_new


def _checked_input(input: Any) -> dict:
    input = {} if input is None else input
    if not isinstance(input, dict):
        raise EngineError("input must be a JSON object", field="input")
    if problem := sql.unstorable(input, "input"):
        raise EngineError(problem, field="input")
    limit = settings.FLOWDESK["MAX_INPUT_BYTES"]
    if json_size(input) > limit:
        raise InputTooLarge(f"input is larger than {limit:,} bytes", field="input")
    return input


def _template(template: str | Template) -> Template:
    tpl = template if isinstance(template, Template) else Template.objects.filter(name=template).first()
    if tpl is None:
        raise NotFound(f"no template named {template!r}", field="template")
    return tpl


def _published(template: str | Template, version: int | None) -> tuple[int, int]:
    """(template id, version id) to start: one plain query when both are there, else why not.
    Plain SQL, not the ORM: compiling the ORM's join cost more than running it (~1.5 ms a start)."""
    if isinstance(template, Template):
        which = (f"{sql.column(TemplateVersion, 'template')} = %s AND %s", [template.pk, template.archived_at is None])
    else:
        which = (
            f"{sql.column(TemplateVersion, 'template')} = (SELECT id FROM {sql.table(Template)}"
            f" WHERE {sql.column(Template, 'name')} = %s AND {sql.column(Template, 'archived_at')} IS NULL)",
            [template],
        )
    where = {"status": TemplateVersion.Status.PUBLISHED, **({"number": version} if version else {})}
    found = sql.select(TemplateVersion, ("number", "id", "template"), where, also=which)
    if found:
        _, version_id, template_id = max(found)
        return template_id, version_id
    tpl = _template(template)
    if tpl.archived_at:
        raise Conflict(f"template {tpl.name!r} is archived; it cannot start new instances", field="template")
    what = f"version {version}" if version else "a published version"
    raise NotFound(f"template {tpl.name!r} has no {what}", field="version")


def _create_and_start(template_id: int, version_id: int, **fields: Any) -> Instance:
    with transaction.atomic():
        return start_new(Instance(template_id=template_id, version_id=version_id, **fields), time.time())


def start_instance(
    template: str | Template,
    *,
    input: Any = None,
    version: int | None = None,
    priority: int = 50,
    business_key: str = "",
    idempotency_key: str | None = None,
    started_by=None,
) -> tuple[Instance, bool]:
    """Start an instance of a published version; returns ``(instance, created)``.

    A repeated ``idempotency_key`` returns the instance the first call started.
    """
    input = _checked_input(input)
    if not 0 <= int(priority) <= 100:
        raise EngineError("priority must be between 0 and 100", field="priority")
    if idempotency_key:
        existing = Instance.objects.filter(template=_template(template), idempotency_key=idempotency_key).first()
        if existing:
            return existing, False
    template_id, version_id = _published(template, version)
    fields = dict(input=input, priority=priority, business_key=business_key or "", idempotency_key=idempotency_key or None)
    try:
        return _create_and_start(template_id, version_id, started_by=started_by, **fields), True
    except IntegrityError:
        if idempotency_key:  # a concurrent start with the same key won the race
            return Instance.objects.get(template_id=template_id, idempotency_key=idempotency_key), False
        raise


def start_test_run(template: str | Template, *, input: Any = None, mocks: Any = None, started_by=None) -> Instance:
    """Run the current draft for real, with the chosen worker nodes answered by mocks.

    The draft is frozen into a hidden ``test`` version (instances run immutable versions); the
    instance is marked ``is_test`` and stays out of lists and statistics by default.
    """
    input = _checked_input(input)
    tpl = _template(template)
    draft = tpl.draft()
    if draft is None:
        raise Conflict(f"template {tpl.name!r} has no draft to test", field="template")
    result = authoring.validate_graph(draft.graph, template=tpl.name)  # a draft that starts itself is refused
    if not result.valid:
        raise InvalidGraph(result.errors)
    mocks = _checked_mocks(mocks, result.graph)
    version = TemplateVersion.objects.create(
        template=tpl,
        number=draft.number,
        graph=draft.graph,
        status=TemplateVersion.Status.TEST,
        checksum=behaviour_checksum(draft.graph),
        created_by=started_by,
    )
    return _create_and_start(tpl.pk, version.pk, input=input, is_test=True, mocks=mocks, started_by=started_by)


def _checked_mocks(mocks: Any, graph: Graph) -> dict:
    """``{node: {"output": any} | {"fail": {"type", "message"}}}`` for worker nodes only."""
    mocks = {} if mocks is None else mocks
    if not isinstance(mocks, dict):
        raise EngineError("mocks must be an object of node id -> mock", field="mocks")
    for node_id, mock in mocks.items():
        where = f"mocks.{node_id}"
        node = graph.nodes.get(node_id)
        if node is None:
            raise EngineError(f"there is no node {node_id!r} in the draft", field=where)
        if step_types.get(node.type).inline:
            raise EngineError(f"{node_id!r} is a {node.type} node, decided inline: only task and http nodes can be mocked", field=where)
        if not isinstance(mock, dict) or len(mock) != 1 or not ({"output", "fail"} & set(mock)):
            raise EngineError('a mock is {"output": ...} or {"fail": {"type": ..., "message": ...}}', field=where)
        if "fail" in mock:
            fail = mock["fail"]
            if not isinstance(fail, dict) or not isinstance(fail.get("type"), str) or not fail["type"].strip() or not isinstance(fail.get("message", ""), str):
                raise EngineError("a mocked failure needs a 'type' (text) and may have a 'message'", field=f"{where}.fail")
    if problem := sql.unstorable(mocks, "mocks"):
        raise EngineError(problem, field="mocks")
    return mocks
