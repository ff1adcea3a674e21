"""The parsed graph of a running version, and the bounds every computed value is held to."""

from __future__ import annotations

from django.conf import settings

from workflows.core.graph import Graph
from workflows.core.values import Limits
from workflows.models import TemplateVersion

_graphs: dict[int, Graph] = {}


def graph_of(version_id: int) -> Graph:
    """The parsed graph of a version an instance runs, cached per process.

    Safe to cache by id: instances only run published (or frozen test) versions, which never change.
    """
    graph = _graphs.get(version_id)
    if graph is None:
        if len(_graphs) > 1024:
            _graphs.clear()
        data = TemplateVersion.objects.filter(pk=version_id).values_list("graph", flat=True).get()
        graph = _graphs[version_id] = Graph.from_dict(data)
    return graph


def forget(version_id: int | None = None) -> None:
    """Drop cached graphs (an operator repaired a stored graph by hand; tests)."""
    if version_id is None:
        _graphs.clear()
    else:
        _graphs.pop(version_id, None)


def limits() -> Limits:
    """The bounds the decider holds every computed value to (settings.FLOWDESK)."""
    cfg = settings.FLOWDESK
    return Limits(
        output_bytes=cfg["MAX_OUTPUT_BYTES"],
        input_bytes=cfg["MAX_INPUT_BYTES"],
        vars_bytes=cfg["MAX_VARS_BYTES"],
        lost_retries=cfg["LOST_RETRIES"],
    )
